package imagecheck

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
)

// Fixtures built by the tests themselves. Files kept in testdata are listed in
// testdata/SOURCES.md.

// quadrants returns a w×h image whose quarters are red (top left), green (top
// right), blue (bottom left) and white (bottom right), so any rotation or
// mirror is visible at the corners.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.RGBA
			switch {
			case x < w/2 && y < h/2:
				c = color.RGBA{255, 0, 0, 255}
			case y < h/2:
				c = color.RGBA{0, 255, 0, 255}
			case x < w/2:
				c = color.RGBA{0, 0, 255, 255}
			default:
				c = color.RGBA{255, 255, 255, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func mustPNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustBMP(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := bmp.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// animGIF returns an n-frame w×h GIF89a; frame i is filled with palette
// index i%4, and frame 0 has a transparent index when transparent is set.
func animGIF(t testing.TB, n, w, h int, transparent bool) []byte {
	t.Helper()
	pal := color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 0, 0}}
	if !transparent {
		pal[3] = color.RGBA{0, 0, 255, 255}
	}
	g := &gif.GIF{}
	for i := 0; i < n; i++ {
		p := image.NewPaletted(image.Rect(0, 0, w, h), pal)
		for j := range p.Pix {
			p.Pix[j] = uint8(i % 4)
		}
		g.Image = append(g.Image, p)
		g.Delay = append(g.Delay, 1)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gif87a returns a single-frame GIF with the 87a signature: the standard
// encoder writes no extension block for one frame without delay or
// transparency, so the stream is valid GIF87a.
func gif87a(t testing.TB) []byte {
	t.Helper()
	p := image.NewPaletted(image.Rect(0, 0, 16, 12), color.Palette{color.Black, color.White})
	for i := range p.Pix {
		p.Pix[i] = uint8(i % 2)
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, p, nil); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if bytes.Contains(out[13:], []byte{0x21}) && bytes.Index(out, []byte{0x21, 0xF9}) >= 0 {
		t.Fatal("gif87a fixture has a graphic control extension")
	}
	copy(out, "GIF87a")
	return out
}

func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.Update(crc32.ChecksumIEEE([]byte(typ)), crc32.IEEETable, data))
	return b.Bytes()
}

// pngBomb returns a tiny but well-formed PNG header declaring w×h RGB pixels,
// followed by one row of compressed data and IEND.
func pngBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	b.Write(pngChunk("IHDR", ihdr))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1024))
	zw.Close()
	b.Write(pngChunk("IDAT", z.Bytes()))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

// badIHDRCRC returns a copy of the PNG p with the last byte of its IHDR CRC
// flipped.
func badIHDRCRC(p []byte) []byte {
	bad := append([]byte{}, p...)
	bad[8+8+13+3] ^= 0xFF
	return bad
}

// badIDAT returns a copy of the PNG p with a byte of its first IDAT payload
// flipped: the headers are fine, the IDAT CRC is not.
func badIDAT(p []byte) []byte {
	i := bytes.Index(p, []byte("IDAT"))
	bad := append([]byte{}, p...)
	bad[i+6] ^= 0x55
	return bad
}

// exifTIFF returns a minimal TIFF structure holding only an Orientation tag.
func exifTIFF(order binary.ByteOrder, o uint16) []byte {
	b := make([]byte, 8+2+12+4)
	if order == binary.LittleEndian {
		copy(b, "II*\x00")
	} else {
		copy(b, "MM\x00*")
	}
	order.PutUint32(b[4:], 8)
	order.PutUint16(b[8:], 1)
	e := b[10:]
	order.PutUint16(e[0:], tagOrientation)
	order.PutUint16(e[2:], 3)
	order.PutUint32(e[4:], 1)
	order.PutUint16(e[8:], o)
	return b
}

// withExif inserts an APP1 Exif segment with orientation o after the SOI of
// a JPEG stream.
func withExif(jpg []byte, order binary.ByteOrder, o uint16) []byte {
	payload := append([]byte("Exif\x00\x00"), exifTIFF(order, o)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// pngWithExif inserts an eXIf chunk with orientation o after IHDR.
func pngWithExif(p []byte, o uint16) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte{}, p[:afterIHDR]...)
	out = append(out, pngChunk("eXIf", exifTIFF(binary.BigEndian, o))...)
	return append(out, p[afterIHDR:]...)
}

// tiffEnt is one 12-byte TIFF directory entry whose value fits in the entry.
type tiffEnt struct {
	tag, typ uint16
	count    uint32
	val      uint32
}

// tiffOneStrip lays out a TIFF in the given byte order: the header, one
// directory holding ents (with the offsets of tag 258, BitsPerSample, and tag
// 273, StripOffsets, filled in), the three 8-bit BitsPerSample values, then
// strip.
func tiffOneStrip(order binary.ByteOrder, ents []tiffEnt, strip []byte) []byte {
	const ifdOff = 8
	bpsOff := ifdOff + 2 + 12*len(ents) + 4
	stripOff := bpsOff + 6
	out := make([]byte, stripOff+len(strip))
	if order == binary.LittleEndian {
		copy(out, "II*\x00")
	} else {
		copy(out, "MM\x00*")
	}
	order.PutUint32(out[4:], ifdOff)
	order.PutUint16(out[ifdOff:], uint16(len(ents)))
	for i, e := range ents {
		p := out[ifdOff+2+12*i:]
		switch e.tag {
		case 258:
			e.val = uint32(bpsOff)
		case 273:
			e.val = uint32(stripOff)
		}
		order.PutUint16(p[0:], e.tag)
		order.PutUint16(p[2:], e.typ)
		order.PutUint32(p[4:], e.count)
		if e.typ == 3 && e.count == 1 {
			order.PutUint16(p[8:], uint16(e.val))
		} else {
			order.PutUint32(p[8:], e.val)
		}
	}
	for i := 0; i < 3; i++ {
		order.PutUint16(out[bpsOff+2*i:], 8)
	}
	copy(out[stripOff:], strip)
	return out
}

// tiffRGB hand-builds an uncompressed 8-bit RGB TIFF of img in the given byte
// order, with one strip and an optional Orientation tag (0 = none).
func tiffRGB(img image.Image, order binary.ByteOrder, orientation uint16) []byte {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	pix := make([]byte, 0, w*h*3)
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			pix = append(pix, uint8(r>>8), uint8(g>>8), uint8(b>>8))
		}
	}
	ents := []tiffEnt{
		{256, 4, 1, uint32(w)},
		{257, 4, 1, uint32(h)},
		{258, 3, 3, 0}, // offset filled by tiffOneStrip
		{259, 3, 1, 1},
		{262, 3, 1, 2},
		{273, 4, 1, 0}, // strip offset filled by tiffOneStrip
	}
	if orientation != 0 {
		ents = append(ents, tiffEnt{274, 3, 1, uint32(orientation)})
	}
	ents = append(ents, tiffEnt{277, 3, 1, 3}, tiffEnt{278, 4, 1, uint32(h)}, tiffEnt{279, 4, 1, uint32(len(pix))})
	return tiffOneStrip(order, ents, pix)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// paletteTRNS returns a paletted image whose palette has a transparent entry,
// which the PNG encoder writes as PLTE plus tRNS.
func paletteTRNS() *image.Paletted {
	p := image.NewPaletted(image.Rect(0, 0, 16, 16), color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 128}})
	for i := range p.Pix {
		p.Pix[i] = uint8(i % 3)
	}
	return p
}

// gradient16 returns a 16-bit RGBA gradient.
func gradient16(w, h int) *image.RGBA64 {
	m := image.NewRGBA64(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetRGBA64(x, y, color.RGBA64{uint16(x * 65535 / w), uint16(y * 65535 / h), 0x1234, 0xFFFF})
		}
	}
	return m
}

// seedCorpus returns every fixture, valid or not, keyed by a name.
func seedCorpus(t testing.TB) map[string][]byte {
	q := quadrants(32, 24)
	jpg := mustJPEG(t, q, 90)
	seeds := map[string][]byte{
		"png":          mustPNG(t, q),
		"png16":        mustPNG(t, gradient16(20, 10)),
		"pngtrns":      mustPNG(t, paletteTRNS()),
		"pngexif":      pngWithExif(mustPNG(t, q), 6),
		"pngbomb":      pngBomb(100000, 100000),
		"jpeg":         jpg,
		"jpegexif6":    withExif(jpg, binary.LittleEndian, 6),
		"jpegexif8":    withExif(jpg, binary.BigEndian, 8),
		"gif":          animGIF(t, 3, 10, 10, true),
		"gif87a":       gif87a(t),
		"bmp":          mustBMP(t, q),
		"tiffle":       tiffRGB(q, binary.LittleEndian, 0),
		"tiffbe":       tiffRGB(q, binary.BigEndian, 6),
		"empty":        {},
		"html":         []byte("<!DOCTYPE html><html><body>hi</body></html>"),
		"exe":          append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 56)...),
		"armadillo":    readTestdata(t, "armadillo.png"),
		"cmyk":         readTestdata(t, "video-001.cmyk.jpeg"),
		"progressive":  readTestdata(t, "video-001.progressive.jpeg"),
		"gray":         readTestdata(t, "video-005.gray.jpeg"),
		"webp":         readTestdata(t, "video-001.lossy.webp"),
		"webpalpha":    readTestdata(t, "yellow_rose.lossy-with-alpha.webp"),
		"webplossless": readTestdata(t, "gopher-doc.with-alpha.lossless.webp"),
		"tiffdeflate":  readTestdata(t, "bw-deflate.tiff"),
		"tiffpal":      readTestdata(t, "video-001-paletted.tiff"),
	}
	return seeds
}

// Decompression bombs in the other formats: small, well-formed headers that
// declare far more pixels than the limits allow. Each is rejected from its
// header.

// tiffBomb returns a little- or big-endian TIFF whose first directory
// declares a w×h 8-bit RGB image in one Deflate strip holding a few hundred
// bytes: the classic TIFF bomb.
func tiffBomb(order binary.ByteOrder, w, h uint32) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 64<<10))
	zw.Close()
	ents := []tiffEnt{
		{256, 4, 1, w},
		{257, 4, 1, h},
		{258, 3, 3, 0}, // offset filled by tiffOneStrip
		{259, 3, 1, 8}, // Deflate
		{262, 3, 1, 2}, // RGB
		{273, 4, 1, 0}, // strip offset filled by tiffOneStrip
		{277, 3, 1, 3},
		{278, 4, 1, h},
		{279, 4, 1, uint32(z.Len())},
	}
	return tiffOneStrip(order, ents, z.Bytes())
}

// riff wraps chunks (each id followed by its payload) in a RIFF/WEBP
// container, padding odd chunks as RFC 9649 section 2.4 requires.
func riff(chunks ...[]byte) []byte {
	var body bytes.Buffer
	body.WriteString("WEBP")
	for _, c := range chunks {
		body.Write(c[:4])
		binary.Write(&body, binary.LittleEndian, uint32(len(c)-4))
		body.Write(c[4:])
		if len(c)%2 == 1 {
			body.WriteByte(0)
		}
	}
	out := []byte("RIFF\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(out[4:], uint32(body.Len()))
	return append(out, body.Bytes()...)
}

// vp8lChunk returns a VP8L chunk whose header declares a w×h image (each side
// 1..16384, RFC 9649 section 3.2), followed by a few bytes of bitstream.
func vp8lChunk(w, h int, alpha bool) []byte {
	bits := uint32(w-1) | uint32(h-1)<<14
	if alpha {
		bits |= 1 << 28
	}
	c := []byte("VP8L\x2f\x00\x00\x00\x00")
	binary.LittleEndian.PutUint32(c[5:], bits)
	return append(c, make([]byte, 16)...)
}

// webpBomb returns a lossless WebP declaring w×h pixels in its VP8L header.
func webpBomb(w, h int) []byte { return riff(vp8lChunk(w, h, false)) }

// webpCanvasBomb returns an extended WebP whose VP8X canvas and VP8L image
// both declare w×h pixels.
func webpCanvasBomb(w, h int) []byte {
	x := []byte("VP8X\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	put24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(x[8:], w-1)
	put24(x[11:], h-1)
	return riff(x, vp8lChunk(w, h, false))
}

// jpegBomb returns a baseline JPEG whose SOF0 declares w×h three-component
// pixels, followed by a minimal scan and EOI.
func jpegBomb(w, h uint16) []byte {
	b := []byte{0xFF, 0xD8}
	sof := []byte{0xFF, 0xC0, 0, 17, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}
	b = append(b, sof...)
	sos := []byte{0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0}
	b = append(b, sos...)
	b = append(b, make([]byte, 32)...)
	return append(b, 0xFF, 0xD9)
}

// gifBomb returns a GIF89a whose logical screen and only image descriptor
// both declare w×h pixels, with a few bytes of LZW data.
func gifBomb(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	b = append(b, 0x80, 0, 0)             // global colour table of 2 entries
	b = append(b, 0, 0, 0, 255, 255, 255) // black, white
	b = append(b, 0x2C, 0, 0, 0, 0)
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	b = append(b, 0)                               // no local table, not interlaced
	b = append(b, 2, 4, 0x84, 0x8F, 0xA9, 0xCB, 0) // LZW code size 2, one sub-block
	return append(b, 0x3B)
}

// bmpBomb returns a 24-bit BITMAPINFOHEADER BMP declaring w×h pixels,
// followed by 64 bytes of pixel data.
func bmpBomb(w, h int32) []byte {
	b := make([]byte, 54)
	copy(b, "BM")
	binary.LittleEndian.PutUint32(b[2:], 54+64)
	binary.LittleEndian.PutUint32(b[10:], 54)
	binary.LittleEndian.PutUint32(b[14:], 40)
	binary.LittleEndian.PutUint32(b[18:], uint32(w))
	binary.LittleEndian.PutUint32(b[22:], uint32(h))
	binary.LittleEndian.PutUint16(b[26:], 1)
	binary.LittleEndian.PutUint16(b[28:], 24)
	return append(b, make([]byte, 64)...)
}

// bomb is one decompression bomb and how it must be rejected.
type bomb struct {
	name   string
	data   []byte
	format Format
	w, h   int64 // the declared size
	// want lists the sentinels of the rejection under the default Limits.
	want []error
}

// bombs returns a decompression bomb in every format.
func bombs() []bomb {
	both := []error{ErrDimensions, ErrTooLarge}
	return []bomb{
		{"PNG 100000x100000", pngBomb(100000, 100000), PNG, 100000, 100000, both},
		{"PNG 16384x16384", pngBomb(16384, 16384), PNG, 16384, 16384, []error{ErrTooLarge}},
		{"TIFF little-endian 100000x100000", tiffBomb(binary.LittleEndian, 100000, 100000), TIFF, 100000, 100000, both},
		{"TIFF big-endian 100000x100000", tiffBomb(binary.BigEndian, 100000, 100000), TIFF, 100000, 100000, both},
		{"WebP VP8L 16384x16384", webpBomb(16384, 16384), WebP, 16384, 16384, []error{ErrTooLarge}},
		{"WebP VP8X canvas 16384x16384", webpCanvasBomb(16384, 16384), WebP, 16384, 16384, []error{ErrTooLarge}},
		{"JPEG SOF0 65535x65535", jpegBomb(65535, 65535), JPEG, 65535, 65535, both},
		{"GIF 65535x65535", gifBomb(65535, 65535), GIF, 65535, 65535, both},
		// A 30 GB BMP pixel array cannot be in the file, so the header alone
		// also shows it short (ErrCorrupt).
		{"BMP 100000x100000", bmpBomb(100000, 100000), BMP, 100000, 100000, []error{ErrDimensions, ErrTooLarge, ErrCorrupt}},
	}
}
