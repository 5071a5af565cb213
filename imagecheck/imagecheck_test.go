package imagecheck

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

var sentinels = []error{ErrEmpty, ErrUnsupportedFormat, ErrTooLarge, ErrDimensions, ErrCorrupt}

// onlySentinels checks that err matches every sentinel in want and no other.
func onlySentinels(t *testing.T, err error, want ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	for _, s := range sentinels {
		wanted := false
		for _, w := range want {
			wanted = wanted || w == s
		}
		if got := errors.Is(err, s); got != wanted {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, wanted)
		}
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkBoth runs Check on a seekable reader and on a plain one, and Decode,
// and requires all three to fail with exactly the wanted sentinels.
func checkAll(t *testing.T, data []byte, lim Limits, want ...error) {
	t.Helper()
	_, err := Check(bytes.NewReader(data), lim)
	onlySentinels(t, err, want...)
	_, err = Check(onlyReader{bytes.NewReader(data)}, lim)
	onlySentinels(t, err, want...)
	img, _, err := Decode(context.Background(), bytes.NewReader(data), lim)
	if img != nil {
		t.Errorf("Decode returned an image with error %v", err)
	}
	onlySentinels(t, err, want...)
}

func TestBadInput(t *testing.T) {
	q := quadrants(32, 24)
	goodPNG := mustPNG(t, q)

	badIHDR := badIHDRCRC(goodPNG)

	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 48)...)
	binary.LittleEndian.PutUint32(exe[60:], 64)
	exe = append(exe, "PE\x00\x00"...)

	tooManyFrames := animGIF(t, DefaultMaxFrames+1, 8, 8, false)

	tests := []struct {
		name string
		data []byte
		lim  Limits
		want []error
	}{
		{"empty", nil, Limits{}, []error{ErrEmpty}},
		{"3 bytes of text", []byte("abc"), Limits{}, []error{ErrUnsupportedFormat}},
		{"3 bytes of a JPEG", []byte{0xFF, 0xD8, 0xFF}, Limits{}, []error{ErrCorrupt}},
		{"PNG signature only", goodPNG[:8], Limits{}, []error{ErrCorrupt}},
		{"HTML", []byte("<!DOCTYPE html>\n<html><head><title>x</title></head><body><img src=a.jpg></body></html>\n"), Limits{}, []error{ErrUnsupportedFormat}},
		{"Windows executable", exe, Limits{}, []error{ErrUnsupportedFormat}},
		{"PNG with bad IHDR CRC", badIHDR, Limits{}, []error{ErrCorrupt}},
		// Bombs in every format: TestBombs.
		{"PNG under MinSide", mustPNG(t, quadrants(4, 20)), Limits{}, []error{ErrDimensions}},
		{"GIF over MaxFrames", tooManyFrames, Limits{}, []error{ErrTooLarge}},
		{"GIF over a small MaxFrames", animGIF(t, 6, 8, 8, false), Limits{MaxFrames: 5}, []error{ErrTooLarge}},
		{"over MaxBytes", goodPNG, Limits{MaxBytes: 64}, []error{ErrTooLarge}},
		{"huge MaxBytes is not an overflow", []byte("abc"), Limits{MaxBytes: 1<<63 - 1}, []error{ErrUnsupportedFormat}},
		{"over MaxBytes and MaxSide", goodPNG, Limits{MaxBytes: 64, MaxSide: 16}, []error{ErrTooLarge, ErrDimensions}},
		{"format not allowed", goodPNG, Limits{Formats: []Format{JPEG, WebP}}, []error{ErrUnsupportedFormat}},
		{"BigTIFF", []byte("II+\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), Limits{}, []error{ErrUnsupportedFormat}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkAll(t, tc.data, tc.lim, tc.want...)
		})
	}
}

// TestFileNamesIgnored opens files whose names lie about their contents:
// the verdict comes from the bytes.
func TestFileNamesIgnored(t *testing.T) {
	q := quadrants(32, 24)
	tests := []struct {
		name   string
		data   []byte
		want   error
		format Format
	}{
		{"notes.png", []byte("just some text, not an image\n"), ErrUnsupportedFormat, ""},
		{"page.jpg", []byte("<html><body>hello</body></html>"), ErrUnsupportedFormat, ""},
		{"setup.jpg", append([]byte("MZ"), make([]byte, 200)...), ErrUnsupportedFormat, ""},
		{"photo.gif", mustPNG(t, q), nil, PNG},
		{"photo.png", mustJPEG(t, q, 90), nil, JPEG},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Open(writeTemp(t, tc.name, tc.data))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			info, err := Check(f, Limits{})
			if tc.want != nil {
				onlySentinels(t, err, tc.want)
				return
			}
			if err != nil || info.Format != tc.format {
				t.Fatalf("Check = %+v, %v; want format %s", info, err, tc.format)
			}
		})
	}
}

func TestLimitErrors(t *testing.T) {
	_, err := Check(bytes.NewReader(pngBomb(100000, 100000)), Limits{})
	var m *multierror.Error
	if !errors.As(err, &m) {
		t.Fatalf("%v is not a *multierror.Error", err)
	}
	var got []LimitError
	for _, e := range m.Errors {
		var le *LimitError
		if !errors.As(e, &le) {
			t.Fatalf("%v is not a *LimitError", e)
		}
		got = append(got, *le)
	}
	want := []LimitError{
		{Name: "width", Value: 100000, Max: 16384},
		{Name: "height", Value: 100000, Max: 16384},
		{Name: "pixels", Value: 10_000_000_000, Max: 40_000_000},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("error %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := err.Error(); strings.Contains(s, "\n") || !strings.HasPrefix(s, "imagecheck: 3 problems") {
		t.Errorf("error text %q", s)
	}

	_, err = Check(bytes.NewReader(mustPNG(t, quadrants(4, 40))), Limits{})
	var le *LimitError
	if !errors.As(err, &le) || *le != (LimitError{Name: "width", Value: 4, Max: 8, Below: true}) {
		t.Errorf("min side: %v (%+v)", err, le)
	}
	_, err = Check(bytes.NewReader(animGIF(t, 8, 8, 8, false)), Limits{MaxFrames: 5})
	if !errors.As(err, &le) || le.Name != "frames" || le.Value != 6 || le.Max != 5 {
		t.Errorf("frames: %v (%+v)", err, le)
	}
	// A GIF walk cut by MaxBytes reports the size, once, not a truncation.
	for _, r := range []io.Reader{bytes.NewReader(animGIF(t, 20, 8, 8, false)), onlyReader{bytes.NewReader(animGIF(t, 20, 8, 8, false))}} {
		_, err = Check(r, Limits{MaxBytes: 100})
		if !errors.As(err, &le) || le.Name != "bytes" || errors.As(err, &m) || errors.Is(err, ErrCorrupt) {
			t.Errorf("GIF over MaxBytes: %v", err)
		}
	}
	// So does a TIFF whose values lie past the cut.
	tif := tiffRGB(quadrants(32, 24), binary.BigEndian, 0)
	for _, r := range []io.Reader{bytes.NewReader(tif), onlyReader{bytes.NewReader(tif)}} {
		_, err = Check(r, Limits{MaxBytes: 100})
		if !errors.As(err, &le) || le.Name != "bytes" || errors.As(err, &m) || errors.Is(err, ErrCorrupt) {
			t.Errorf("TIFF over MaxBytes: %v", err)
		}
	}
	// A reader that cannot seek is read to MaxBytes+1 and no further.
	data := mustPNG(t, quadrants(32, 24))
	cr := &countReader{r: bytes.NewReader(data)}
	_, err = Check(cr, Limits{MaxBytes: 50})
	if !errors.As(err, &le) || le.Name != "bytes" || le.Value != 51 || cr.n > 51 {
		t.Errorf("bytes: %v (%+v), read %d", err, le, cr.n)
	}
}

type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// countReadSeeker counts the bytes Read hands out from a seekable input.
type countReadSeeker struct {
	*bytes.Reader
	n int
}

func (c *countReadSeeker) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.n += n
	return n, err
}

// TestCheckReadsOnlyHeaders: from a seekable JPEG, Check reads the markers up
// to SOF and takes the size by seeking.
func TestCheckReadsOnlyHeaders(t *testing.T) {
	data := readTestdata(t, "coffee.jpg")
	r := &countReadSeeker{Reader: bytes.NewReader(data)}
	info, err := Check(r, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes != int64(len(data)) || info.Width != 600 || info.Height != 400 {
		t.Fatalf("info %+v", info)
	}
	if r.n > 8192 {
		t.Errorf("Check read %d of %d bytes", r.n, len(data))
	}
}

// limitErrors returns every *LimitError in err, in order, looking inside a
// *multierror.Error.
func limitErrors(err error) []LimitError {
	errs := []error{err}
	var m *multierror.Error
	if errors.As(err, &m) {
		errs = m.Errors
	}
	var out []LimitError
	for _, e := range errs {
		var le *LimitError
		if errors.As(e, &le) {
			out = append(out, *le)
		}
	}
	return out
}

// TestBombs: a decompression bomb in every format is rejected from its header
// by Check (seekable and plain reader) and Decode, with every violated limit
// reported as a *LimitError; with the limits raised, the same bytes pass
// Check with the declared size, so it is the size that is refused, not a
// malformed file. The standard decoder of each format reads the same size
// from the header: handed to it, each would ask for the declared pixels.
func TestBombs(t *testing.T) {
	configs := map[Format]func(io.Reader) (image.Config, error){
		PNG: png.DecodeConfig, JPEG: jpeg.DecodeConfig, GIF: gif.DecodeConfig,
		WebP: webp.DecodeConfig, BMP: bmp.DecodeConfig, TIFF: tiff.DecodeConfig,
	}
	for _, b := range bombs() {
		t.Run(b.name, func(t *testing.T) {
			cfg, err := configs[b.format](bytes.NewReader(b.data))
			if err != nil || int64(cfg.Width) != b.w || int64(cfg.Height) != b.h {
				t.Fatalf("standard DecodeConfig: %+v, %v; want %d×%d", cfg, err, b.w, b.h)
			}
			checkAll(t, b.data, Limits{}, b.want...)
			var want []LimitError
			if b.w > DefaultMaxSide {
				want = append(want, LimitError{Name: "width", Value: b.w, Max: DefaultMaxSide})
			}
			if b.h > DefaultMaxSide {
				want = append(want, LimitError{Name: "height", Value: b.h, Max: DefaultMaxSide})
			}
			want = append(want, LimitError{Name: "pixels", Value: b.w * b.h, Max: DefaultMaxPixels})
			_, cerr := Check(bytes.NewReader(b.data), Limits{})
			_, perr := Check(onlyReader{bytes.NewReader(b.data)}, Limits{})
			_, _, derr := Decode(context.Background(), bytes.NewReader(b.data), Limits{})
			for _, err := range []error{cerr, perr, derr} {
				var le *LimitError
				if !errors.As(err, &le) {
					t.Fatalf("%v: no *LimitError", err)
				}
				if got := limitErrors(err); !slices.Equal(got, want) {
					t.Errorf("%v: limit errors %+v, want %+v", err, got, want)
				}
			}

			info, err := Check(bytes.NewReader(b.data), Limits{MaxSide: 1 << 20, MaxPixels: 1 << 40})
			if b.format == BMP {
				onlySentinels(t, err, ErrCorrupt) // see bombs
			} else if err != nil {
				t.Fatalf("with raised limits: %v", err)
			}
			if info.Format != b.format || int64(info.Width) != b.w || int64(info.Height) != b.h {
				t.Errorf("with raised limits: info %+v, want %s %d×%d", info, b.format, b.w, b.h)
			}
		})
	}
}

// TestBombAllocation: every bomb is rejected from its header without pixel
// memory (10^10 RGB pixels would be 30 GB): under 16 KiB allocated per Check
// (seekable or plain reader) and per Decode, the target.
func TestBombAllocation(t *testing.T) {
	const maxAlloc = 16 << 10
	for _, b := range bombs() {
		for _, c := range []struct {
			name string
			call func() error
		}{
			{"Check", func() error { _, err := Check(bytes.NewReader(b.data), Limits{}); return err }},
			{"Check plain reader", func() error { _, err := Check(onlyReader{bytes.NewReader(b.data)}, Limits{}); return err }},
			{"Decode", func() error {
				_, _, err := Decode(context.Background(), bytes.NewReader(b.data), Limits{})
				return err
			}},
		} {
			if err := c.call(); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%s %s: %v", c.name, b.name, err)
			}
			var before, after runtime.MemStats
			const runs = 50
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := 0; i < runs; i++ {
				c.call()
			}
			runtime.ReadMemStats(&after)
			if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > maxAlloc {
				t.Errorf("%s of %s (%d bytes) allocated %d bytes per call, want at most %d", c.name, b.name, len(b.data), per, maxAlloc)
			}
		}
	}
}

func TestTruncated(t *testing.T) {
	q := quadrants(64, 48)
	files := map[string][]byte{
		"png":              mustPNG(t, q),
		"png16":            mustPNG(t, gradient16(64, 48)),
		"jpeg":             mustJPEG(t, q, 90),
		"jpeg progressive": readTestdata(t, "video-001.progressive.jpeg"),
		"gif":              animGIF(t, 4, 32, 32, true),
		"webp lossy":       readTestdata(t, "video-001.lossy.webp"),
		"webp lossless":    readTestdata(t, "gopher-doc.with-alpha.lossless.webp"),
		"webp alpha":       readTestdata(t, "yellow_rose.lossy-with-alpha.webp"),
		"bmp":              mustBMP(t, q),
		"tiff":             tiffRGB(q, binary.BigEndian, 0),
		"tiff deflate":     readTestdata(t, "video-001.tiff"),
	}
	for name, data := range files {
		if _, _, err := Decode(context.Background(), bytes.NewReader(data), Limits{}); err != nil {
			t.Fatalf("%s: whole file: %v", name, err)
		}
		for _, pct := range []int{10, 50, 90} {
			cut := data[:len(data)*pct/100]
			img, _, err := Decode(context.Background(), bytes.NewReader(cut), Limits{})
			if !errors.Is(err, ErrCorrupt) || img != nil {
				t.Errorf("%s cut at %d%% (%d of %d bytes): %v, image %v", name, pct, len(cut), len(data), err, img != nil)
			}
		}
	}
}

// TestTruncatedProgressiveStdlib documents why Decode checks for EOI: the
// standard decoder returns this truncated progressive JPEG (from Go's own
// image/testdata) without error, as a partly grey image.
func TestTruncatedProgressiveStdlib(t *testing.T) {
	cut := readTestdata(t, "video-001.progressive.truncated.jpeg")
	if _, err := jpeg.Decode(bytes.NewReader(cut)); err != nil {
		t.Skipf("standard decoder now rejects truncation (%v)", err)
	}
	_, _, err := Decode(context.Background(), bytes.NewReader(cut), Limits{})
	onlySentinels(t, err, ErrCorrupt)
}

func TestCorruptPNGData(t *testing.T) {
	bad := badIDAT(mustPNG(t, quadrants(32, 24)))
	if _, err := Check(bytes.NewReader(bad), Limits{}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	_, _, err := Decode(context.Background(), bytes.NewReader(bad), Limits{})
	onlySentinels(t, err, ErrCorrupt)
}

// sameImage compares two images pixel by pixel in 16-bit RGBA, allowing tol.
func sameImage(t *testing.T, got, want image.Image, tol int) {
	t.Helper()
	gb, wb := got.Bounds(), want.Bounds()
	if gb.Dx() != wb.Dx() || gb.Dy() != wb.Dy() {
		t.Fatalf("bounds %v, want %v", gb, wb)
	}
	for y := 0; y < wb.Dy(); y++ {
		for x := 0; x < wb.Dx(); x++ {
			r1, g1, b1, a1 := got.At(gb.Min.X+x, gb.Min.Y+y).RGBA()
			r2, g2, b2, a2 := want.At(wb.Min.X+x, wb.Min.Y+y).RGBA()
			if absDiff(r1, r2) > tol || absDiff(g1, g2) > tol || absDiff(b1, b2) > tol || absDiff(a1, a2) > tol {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, []uint32{r1, g1, b1, a1}, []uint32{r2, g2, b2, a2})
			}
		}
	}
}

func absDiff(a, b uint32) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestValidFormats(t *testing.T) {
	q := quadrants(32, 24)
	stdGIF := func(b []byte) image.Image {
		m, err := gif.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	stdJPEG := func(b []byte) image.Image {
		m, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	stdPNG := func(b []byte) image.Image {
		m, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	stdWebP := func(b []byte) image.Image {
		m, err := webp.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	anim := animGIF(t, 3, 10, 10, true)
	g87 := gif87a(t)
	p16 := mustPNG(t, gradient16(20, 10))
	trns := mustPNG(t, paletteTRNS())
	arm := readTestdata(t, "armadillo.png")
	cmyk := readTestdata(t, "video-001.cmyk.jpeg")
	prog := readTestdata(t, "video-001.progressive.jpeg")
	gray := readTestdata(t, "video-005.gray.jpeg")
	wl := readTestdata(t, "video-001.lossy.webp")
	wa := readTestdata(t, "yellow_rose.lossy-with-alpha.webp")
	wll := readTestdata(t, "gopher-doc.with-alpha.lossless.webp")

	tests := []struct {
		name     string
		data     []byte
		info     Info
		want     image.Image // expected pixels; nil to skip
		wantType string
	}{
		{"GIF87a", g87, Info{Format: GIF, Width: 16, Height: 12, ColorModel: ColorPaletted, BitDepth: 1, Frames: 1}, stdGIF(g87), "*image.Paletted"},
		{"animated GIF", anim, Info{Format: GIF, Width: 10, Height: 10, ColorModel: ColorPaletted, BitDepth: 2, HasAlpha: true, Frames: 3}, stdGIF(anim), "*image.Paletted"},
		{"TIFF little-endian", tiffRGB(q, binary.LittleEndian, 0), Info{Format: TIFF, Width: 32, Height: 24, ColorModel: ColorRGB, BitDepth: 8, Frames: 1}, q, "*image.RGBA"},
		{"TIFF big-endian", tiffRGB(q, binary.BigEndian, 0), Info{Format: TIFF, Width: 32, Height: 24, ColorModel: ColorRGB, BitDepth: 8, Frames: 1}, q, "*image.RGBA"},
		{"CMYK JPEG", cmyk, Info{Format: JPEG, Width: 150, Height: 103, ColorModel: ColorCMYK, BitDepth: 8, Frames: 1}, stdJPEG(cmyk), "*image.CMYK"},
		{"progressive JPEG", prog, Info{Format: JPEG, Width: 150, Height: 103, ColorModel: ColorYCbCr, BitDepth: 8, Frames: 1, Progressive: true}, stdJPEG(prog), "*image.YCbCr"},
		{"grey JPEG", gray, Info{Format: JPEG, Width: 150, Height: 103, ColorModel: ColorGray, BitDepth: 8, Frames: 1}, stdJPEG(gray), "*image.Gray"},
		{"16-bit PNG", p16, Info{Format: PNG, Width: 20, Height: 10, ColorModel: ColorRGB, BitDepth: 16, Frames: 1}, gradient16(20, 10), "*image.RGBA64"},
		{"palette PNG with tRNS", trns, Info{Format: PNG, Width: 16, Height: 16, ColorModel: ColorPaletted, BitDepth: 2, HasAlpha: true, Frames: 1}, paletteTRNS(), "*image.Paletted"},
		{"grey+alpha PNG", arm, Info{Format: PNG, Width: 422, Height: 209, ColorModel: ColorGrayAlpha, BitDepth: 8, HasAlpha: true, Frames: 1}, stdPNG(arm), "*image.NRGBA"},
		{"BMP", mustBMP(t, q), Info{Format: BMP, Width: 32, Height: 24, ColorModel: ColorRGB, BitDepth: 8, Frames: 1}, q, "*image.RGBA"},
		{"WebP lossy", wl, Info{Format: WebP, Width: 150, Height: 103, ColorModel: ColorYCbCr, BitDepth: 8, Frames: 1}, stdWebP(wl), "*image.YCbCr"},
		{"WebP lossy with alpha", wa, Info{Format: WebP, Width: 400, Height: 301, ColorModel: ColorYCbCrA, BitDepth: 8, HasAlpha: true, Frames: 1}, stdWebP(wa), "*image.NYCbCrA"},
		{"WebP lossless", wll, Info{Format: WebP, Width: 75, Height: 100, ColorModel: ColorRGBA, BitDepth: 8, HasAlpha: true, Frames: 1}, stdWebP(wll), "*image.NRGBA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.info.Orientation = 1
			tc.info.Bytes = int64(len(tc.data))
			info, err := Check(bytes.NewReader(tc.data), Limits{})
			if err != nil || info != tc.info {
				t.Fatalf("Check = %+v, %v\nwant %+v", info, err, tc.info)
			}
			img, info, err := Decode(context.Background(), bytes.NewReader(tc.data), Limits{})
			if err != nil || info != tc.info {
				t.Fatalf("Decode = %+v, %v", info, err)
			}
			if got := typeName(img); got != tc.wantType {
				t.Errorf("image type %s, want %s", got, tc.wantType)
			}
			sameImage(t, img, tc.want, 0)
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *image.Paletted:
		return "*image.Paletted"
	case *image.RGBA:
		return "*image.RGBA"
	case *image.RGBA64:
		return "*image.RGBA64"
	case *image.NRGBA:
		return "*image.NRGBA"
	case *image.CMYK:
		return "*image.CMYK"
	case *image.YCbCr:
		return "*image.YCbCr"
	case *image.NYCbCrA:
		return "*image.NYCbCrA"
	case *image.Gray:
		return "*image.Gray"
	}
	return "other"
}

// TestAnimatedGIFFirstFrame: Decode returns the first frame (palette index 0,
// black), not a later one.
func TestAnimatedGIFFirstFrame(t *testing.T) {
	img, info, err := Decode(context.Background(), bytes.NewReader(animGIF(t, 5, 12, 9, false)), Limits{})
	if err != nil || info.Frames != 5 {
		t.Fatalf("%+v, %v", info, err)
	}
	if r, g, b, _ := img.At(5, 5).RGBA(); r|g|b != 0 {
		t.Errorf("pixel %v, want the first frame's black", img.At(5, 5))
	}
}

// GIF frames smaller than the screen are drawn onto the screen.
func TestGIFFrameOnScreen(t *testing.T) {
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}}
	fr := image.NewPaletted(image.Rect(4, 2, 8, 6), pal)
	var b bytes.Buffer
	g := &gif.GIF{Image: []*image.Paletted{fr}, Delay: []int{0}, Config: image.Config{ColorModel: pal, Width: 12, Height: 10}}
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	img, info, err := Decode(context.Background(), bytes.NewReader(b.Bytes()), Limits{})
	if err != nil || info.Width != 12 || info.Height != 10 {
		t.Fatalf("%+v, %v", info, err)
	}
	if img.Bounds() != image.Rect(0, 0, 12, 10) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("outside the frame: %v, want transparent", img.At(0, 0))
	}
	if r, _, _, a := img.At(5, 3).RGBA(); r != 0xFFFF || a != 0xFFFF {
		t.Errorf("inside the frame: %v, want red", img.At(5, 3))
	}
}

// uprightRef turns stored into its displayed form for EXIF orientation o,
// straight from the EXIF definition of where the stored 0th row and 0th
// column go (CIPA DC-008, Orientation tag), independent of orient's
// inverse mapping.
func uprightRef(stored image.Image, o int) *image.RGBA64 {
	b := stored.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	out := image.NewRGBA64(image.Rect(0, 0, dw, dh))
	for sy := 0; sy < h; sy++ {
		for sx := 0; sx < w; sx++ {
			var dx, dy int
			switch o { // 0th row is the visual ...
			case 1, 2:
				dy = sy // top
			case 3, 4:
				dy = dh - 1 - sy // bottom
			case 5, 8:
				dx = sy // left
			case 6, 7:
				dx = dw - 1 - sy // right
			}
			switch o { // 0th column is the visual ...
			case 1, 4:
				dx = sx // left
			case 2, 3:
				dx = dw - 1 - sx // right
			case 5, 6:
				dy = sx // top
			case 7, 8:
				dy = dh - 1 - sx // bottom
			}
			out.Set(dx, dy, stored.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return out
}

// distinct returns a w×h image in which every pixel differs.
func distinct(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 20), uint8(y * 20), uint8(x + y), 255})
		}
	}
	return m
}

func TestOrientationPNG(t *testing.T) {
	stored := distinct(9, 8)
	p := mustPNG(t, stored)
	for o := 1; o <= 8; o++ {
		img, info, err := Decode(context.Background(), bytes.NewReader(pngWithExif(p, uint16(o))), Limits{})
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		w, h := 9, 8
		if o >= 5 {
			w, h = 8, 9
		}
		if info.Orientation != o || info.Width != w || info.Height != h {
			t.Fatalf("orientation %d: info %+v", o, info)
		}
		sameImage(t, img, uprightRef(stored, o), 0)
	}
}

func TestOrientationJPEG(t *testing.T) {
	stored := quadrants(64, 48)
	jpg := mustJPEG(t, stored, 95)
	for _, tc := range []struct {
		o     uint16
		order binary.ByteOrder
	}{{6, binary.LittleEndian}, {8, binary.BigEndian}, {3, binary.BigEndian}, {1, binary.LittleEndian}} {
		data := withExif(jpg, tc.order, tc.o)
		info, err := Check(bytes.NewReader(data), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		w, h := 64, 48
		if tc.o >= 5 {
			w, h = 48, 64
		}
		if info.Orientation != int(tc.o) || info.Width != w || info.Height != h {
			t.Fatalf("orientation %d: info %+v", tc.o, info)
		}
		img, _, err := Decode(context.Background(), bytes.NewReader(data), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		want := uprightRef(stored, int(tc.o))
		// Compare the centres of the four quadrants: JPEG is lossy.
		for _, pt := range []image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}} {
			r1, g1, b1, _ := img.At(pt.X, pt.Y).RGBA()
			r2, g2, b2, _ := want.At(pt.X, pt.Y).RGBA()
			if absDiff(r1, r2) > 0x1000 || absDiff(g1, g2) > 0x1000 || absDiff(b1, b2) > 0x1000 {
				t.Errorf("orientation %d at %v: %v, want %v", tc.o, pt, img.At(pt.X, pt.Y), want.At(pt.X, pt.Y))
			}
		}
	}
}

func TestOrientationTIFF(t *testing.T) {
	stored := quadrants(12, 8)
	img, info, err := Decode(context.Background(), bytes.NewReader(tiffRGB(stored, binary.BigEndian, 6)), Limits{})
	if err != nil || info.Width != 8 || info.Height != 12 || info.Orientation != 6 {
		t.Fatalf("%+v, %v", info, err)
	}
	sameImage(t, img, uprightRef(stored, 6), 0)
}

// TestOrientImageTypes runs orient over every pixel layout it handles.
func TestOrientImageTypes(t *testing.T) {
	src := distinct(7, 5)
	convert := func(dst draw2) image.Image {
		b := src.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				dst.Set(x, y, src.At(x, y))
			}
		}
		return dst
	}
	r := image.Rect(0, 0, 7, 5)
	pal := color.Palette{}
	for i := 0; i < 256; i++ {
		pal = append(pal, color.NRGBA{uint8(i), uint8(i * 7), uint8(i * 13), 255})
	}
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
	for i := range ycc.Y {
		ycc.Y[i], ycc.Cb[i], ycc.Cr[i] = uint8(i*9), uint8(100+i), uint8(200-i)
	}
	imgs := map[string]image.Image{
		"Gray":     convert(image.NewGray(r)),
		"Gray16":   convert(image.NewGray16(r)),
		"Alpha":    convert(image.NewAlpha(r)),
		"RGBA":     convert(image.NewRGBA(r)),
		"NRGBA":    src,
		"RGBA64":   convert(image.NewRGBA64(r)),
		"NRGBA64":  convert(image.NewNRGBA64(r)),
		"CMYK":     convert(image.NewCMYK(r)),
		"Paletted": convert(image.NewPaletted(r, pal)),
		"YCbCr":    ycc,
		"SubImage": convert(image.NewRGBA(image.Rect(-3, -2, 11, 9))).(*image.RGBA).SubImage(image.Rect(1, 1, 8, 6)),
	}
	for name, img := range imgs {
		for o := 1; o <= 8; o++ {
			got, err := orient(context.Background(), img, o)
			if err != nil {
				t.Fatal(err)
			}
			tol := 0
			if name == "YCbCr" {
				tol = 0x101 // one 8-bit step between conversion paths
			}
			t.Run(name, func(t *testing.T) { sameImage(t, got, uprightRef(img, o), tol) })
		}
	}
}

type draw2 interface {
	image.Image
	Set(x, y int, c color.Color)
}

// TestPNGSuite decodes Go's copy of the PNG suite: each file either decodes
// to the same pixels as image/png or fails with a typed error, and the
// corrupt x*.png files all fail.
func TestPNGSuite(t *testing.T) {
	out, err := execGoEnvGOROOT()
	if err != nil {
		t.Skip("no go command:", err)
	}
	dir := filepath.Join(out, "src", "image", "png", "testdata", "pngsuite")
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(files) == 0 {
		t.Skip("no PNG suite in", dir)
	}
	lim := Limits{MinSide: -1}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		want, stdErr := png.Decode(bytes.NewReader(data))
		got, _, err := Decode(context.Background(), bytes.NewReader(data), lim)
		switch {
		case strings.HasPrefix(name, "x"):
			if err == nil || !typed(err) {
				t.Errorf("%s: corrupt file gave %v", name, err)
			}
		case stdErr != nil:
			if err == nil || !typed(err) {
				t.Errorf("%s: image/png says %v, we say %v", name, stdErr, err)
			}
		case err != nil:
			t.Errorf("%s: image/png decodes it, we say %v", name, err)
		default:
			sameImage(t, got, want, 0)
		}
	}
}

func TestCancel(t *testing.T) {
	data := readTestdata(t, "coffee.jpg")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Decode(ctx, bytes.NewReader(data), Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}

	// A reader that cancels after handing out the first kilobyte, then
	// fails as a network body does once its request is cancelled.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r := &cancellingReader{data: data, after: 1024, cancel: cancel, ctx: ctx}
	if _, _, err := Decode(ctx, r, Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while reading: %v", err)
	}
	if r.readsAfterCancel > 1 {
		t.Errorf("%d reads after cancellation", r.readsAfterCancel)
	}

	// Cancelled between the read and the decode: the decoder's reader fails.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	info, err := Check(bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeBytes(ctx, info, data); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before decoding: %v", err)
	}
	if _, err := orient(ctx, quadrants(8, 8), 6); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before orienting: %v", err)
	}
	if _, err := Sanitize(ctx, quadrants(8, 8)); !errors.Is(err, context.Canceled) {
		t.Errorf("Sanitize cancelled: %v", err)
	}
}

type cancellingReader struct {
	data             []byte
	off, after       int
	cancel           func()
	ctx              context.Context
	readsAfterCancel int
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		c.readsAfterCancel++
		return 0, c.ctx.Err()
	}
	if c.off >= c.after {
		c.cancel()
		return 0, c.ctx.Err()
	}
	n := copy(p, c.data[c.off:min(len(c.data), c.after)])
	c.off += n
	return n, nil
}

// pngChunks lists the chunk types of a PNG stream.
func pngChunks(t *testing.T, p []byte) []string {
	t.Helper()
	var types []string
	for i := 8; i+8 <= len(p); {
		n := int(binary.BigEndian.Uint32(p[i:]))
		types = append(types, string(p[i+4:i+8]))
		i += 12 + n
	}
	return types
}

func TestSanitize(t *testing.T) {
	// A JPEG with EXIF and a PNG with eXIf and a text chunk: the sanitised
	// output keeps the (upright) pixels and drops every byte of metadata.
	jpg := withExif(mustJPEG(t, quadrants(32, 24), 90), binary.BigEndian, 6)
	pngIn := pngWithExif(mustPNG(t, distinct(9, 8)), 8)
	pngIn = append(pngIn[:33], append(pngChunk("tEXt", []byte("GPS\x0052.5N 13.4E")), pngIn[33:]...)...)
	for name, in := range map[string][]byte{"jpeg": jpg, "png": pngIn, "palette": mustPNG(t, paletteTRNS())} {
		img, _, err := Decode(context.Background(), bytes.NewReader(in), Limits{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := Sanitize(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pngChunks(t, out) {
			switch c {
			case "IHDR", "PLTE", "tRNS", "IDAT", "IEND":
			default:
				t.Errorf("%s: sanitised PNG has a %s chunk", name, c)
			}
		}
		if bytes.Contains(out, []byte("Exif")) || bytes.Contains(out, []byte("GPS")) {
			t.Errorf("%s: metadata survived", name)
		}
		back, info, err := Decode(context.Background(), bytes.NewReader(out), Limits{})
		if err != nil || info.Orientation != 1 {
			t.Fatalf("%s: re-decoding: %+v, %v", name, info, err)
		}
		sameImage(t, back, img, 0)
	}
	if _, err := Sanitize(context.Background(), nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("nil image: %v", err)
	}
}

func TestPanicRecovered(t *testing.T) {
	// decodeBytes recovers a decoder panic; provoke one through a context
	// whose Err panics, which the decoder's reader calls.
	info := Info{Format: PNG, Width: 32, Height: 24, Orientation: 1}
	_, err := decodeBytes(panicCtx{context.Background()}, info, mustPNG(t, quadrants(32, 24)))
	onlySentinels(t, err, ErrCorrupt)
}

type panicCtx struct{ context.Context }

func (panicCtx) Err() error { panic("boom") }

// TestJPEGScanBomb: a JPEG that repeats a scan hundreds of times is refused
// before the decoder makes a pass over the image for each one.
func TestJPEGScanBomb(t *testing.T) {
	data := readTestdata(t, "video-001.progressive.jpeg")
	last := bytes.LastIndex(data, []byte{0xFF, 0xDA})
	scan := data[last : len(data)-2]
	bomb := append([]byte{}, data[:len(data)-2]...)
	for i := 0; i < maxJPEGScans; i++ {
		bomb = append(bomb, scan...)
	}
	bomb = append(bomb, 0xFF, 0xD9)
	_, _, err := Decode(context.Background(), bytes.NewReader(bomb), Limits{})
	onlySentinels(t, err, ErrTooLarge)
	var le *LimitError
	if !errors.As(err, &le) || le.Name != "scans" || le.Value != maxJPEGScans+1 || le.Max != maxJPEGScans {
		t.Errorf("got %#v, want a LimitError on scans", err)
	}
}

// TestReaderKinds: the same verdict from a file, a seekable buffer and a
// plain stream, for Check and Decode.
func TestReaderKinds(t *testing.T) {
	for _, name := range []string{"coffee.jpg", "video-001.tiff", "yellow_rose.lossy-with-alpha.webp"} {
		data := readTestdata(t, name)
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := Check(bytes.NewReader(data), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for kind, r := range map[string]io.Reader{"file": f, "stream": onlyReader{bytes.NewReader(data)}} {
			if got, err := Check(r, Limits{}); err != nil || got != want {
				t.Errorf("%s from a %s: Check = %+v, %v; want %+v", name, kind, got, err, want)
			}
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		for kind, r := range map[string]io.Reader{"file": f, "stream": onlyReader{bytes.NewReader(data)}} {
			img, got, err := Decode(context.Background(), r, Limits{})
			if err != nil || got != want || img.Bounds().Dx() != want.Width {
				t.Errorf("%s from a %s: Decode = %+v, %v", name, kind, got, err)
			}
		}
		f.Close()
	}
}
