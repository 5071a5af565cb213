package meshio

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/png"
	"runtime"
	"sync"

	"github.com/orfeas3d/orfeas/internal/par"
)

// encodeTexturePNG writes img as a PNG the way a GLB texture wants it: fast, lossless, and the
// same bytes on every run and GOMAXPROCS. An *image.NRGBA (what the generator and glbPowerOfTwo
// make) is written as 8-bit RGB when it is opaque, else RGBA, every row with the Up filter (the
// row above subtracted: cheap, and good on photographs and smooth colour fields), compressed at
// flate.BestSpeed in independent strips of pngStripRows rows on all cores. Each strip ends with
// a sync flush, the last with the final block, so their concatenation is one valid deflate
// stream (RFC 1951 §3.2.3, the scheme pigz uses); each strip starts without the previous one's
// history, which costs a little size, not correctness. The zlib wrapper (RFC 1950) carries the
// Adler-32 of the whole filtered data, the chunks (PNG, ISO/IEC 15948) their CRC-32. The strips
// depend only on the image, never on the number of workers. Any other image goes to image/png
// at png.BestSpeed.
func encodeTexturePNG(img image.Image) ([]byte, error) {
	src, ok := img.(*image.NRGBA)
	if !ok || src.Rect.Empty() {
		var b bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		err := enc.Encode(&b, img)
		return b.Bytes(), err
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	opaque := src.Opaque()
	bpp := 4
	if opaque {
		bpp = 3
	}
	stride := 1 + w*bpp // the filter byte, then the row
	raw := make([]byte, stride*h)
	nstrips := (h + pngStripRows - 1) / pngStripRows
	parts := make([][]byte, nstrips)
	errs := make([]error, nstrips)
	par.For(nstrips, runtime.GOMAXPROCS(0), func(s int) {
		y0, y1 := s*pngStripRows, min(h, (s+1)*pngStripRows)
		for y := y0; y < y1; y++ {
			out := raw[y*stride : (y+1)*stride]
			out[0] = pngFilterUp
			at := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y)
			row := src.Pix[at : at+4*w]
			var above []byte
			if y > 0 {
				above = src.Pix[at-src.Stride : at-src.Stride+4*w]
			}
			o := out[1:]
			for x := range w {
				for c := range bpp {
					v := row[4*x+c]
					if above != nil {
						v -= above[4*x+c]
					}
					o[bpp*x+c] = v
				}
			}
		}
		var b bytes.Buffer
		b.Grow((y1 - y0) * stride / 2)
		var err error
		zw, _ := pngDeflaters.Get().(*flate.Writer)
		if zw == nil {
			zw, err = flate.NewWriter(&b, flate.BestSpeed)
		} else {
			zw.Reset(&b)
		}
		if err == nil {
			_, err = zw.Write(raw[y0*stride : y1*stride])
		}
		if err == nil {
			if s == nstrips-1 {
				err = zw.Close()
			} else {
				err = zw.Flush()
			}
		}
		if zw != nil {
			pngDeflaters.Put(zw)
		}
		parts[s], errs[s] = b.Bytes(), err
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	size := 2 + 4
	for _, p := range parts {
		size += len(p)
	}
	idat := make([]byte, 0, size)
	idat = append(idat, 0x78, 0x01) // deflate, 32 KiB window, fastest, no dictionary
	for _, p := range parts {
		idat = append(idat, p...)
	}
	idat = binary.BigEndian.AppendUint32(idat, adler32.Checksum(raw))

	out := make([]byte, 0, 8+25+12+len(idat)+12)
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bits per channel
	ihdr[9] = 6 // RGBA
	if opaque {
		ihdr[9] = 2 // RGB
	}
	out = pngChunk(out, "IHDR", ihdr)
	out = pngChunk(out, "IDAT", idat)
	out = pngChunk(out, "IEND", nil)
	return out, nil
}

// pngDeflaters keeps deflate compressors (about 1 MB of state each) for reuse: Reset gives the
// state of a new one, so reuse changes no byte.
var pngDeflaters sync.Pool

// pngStripRows is the height of the strips encodeTexturePNG compresses independently: 64 rows
// of a 1024-pixel RGB texture are 192 kB, far above deflate's 32 kB window, so the restarts
// cost little.
const pngStripRows = 64

// pngFilterUp is PNG filter type 2: each byte minus the byte above it.
const pngFilterUp = 2

// pngChunk appends a PNG chunk: length, type, data, and the CRC-32 of type and data.
func pngChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}
