package generator

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/imagecheck"
)

func loadImage(t testing.TB, name string) image.Image {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "images", name))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := imagecheck.Decode(context.Background(), bytes.NewReader(data), imagecheck.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func near32(a, b, tol float32) bool { return a-b <= tol && b-a <= tol }

func TestLuma(t *testing.T) {
	// Rec. 709 luma of sRGB primaries, on every pixel type the fast paths read.
	cols := []color.NRGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}, {0, 0, 0, 255}, {128, 128, 128, 255}}
	want := []float32{0.2126, 0.7152, 0.0722, 1, 0, 128.0 / 255}
	r := image.Rect(0, 0, len(cols), 1)
	nrgba, rgba, rgba64, nrgba64 := image.NewNRGBA(r), image.NewRGBA(r), image.NewRGBA64(r), image.NewNRGBA64(r)
	pal := image.NewPaletted(r, color.Palette{})
	for i, c := range cols {
		pal.Palette = append(pal.Palette, c)
		pal.Pix[i] = uint8(i)
		for _, m := range []interface{ Set(int, int, color.Color) }{nrgba, rgba, rgba64, nrgba64} {
			m.Set(i, 0, c)
		}
	}
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
	for i, c := range cols {
		y, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
		ycc.Y[i], ycc.Cb[i], ycc.Cr[i] = y, cb, cr
	}
	for name, img := range map[string]image.Image{"NRGBA": nrgba, "RGBA": rgba, "RGBA64": rgba64, "NRGBA64": nrgba64, "Paletted": pal, "YCbCr": ycc, "generic": image.NewUniform(cols[0])} {
		if name == "generic" {
			img = &genericImage{nrgba}
		}
		row := make([]float32, 4*len(cols))
		newPixelReader(img).row(0, row)
		tol := float32(1e-4)
		if name == "YCbCr" {
			tol = 0.02 // YCbCr round trips through 8-bit chroma
		}
		for i := range cols {
			if got := luma(row[4*i], row[4*i+1], row[4*i+2]); !near32(got, want[i], tol) || row[4*i+3] != 1 {
				t.Errorf("%s pixel %d: luma %v alpha %v, want %v, 1", name, i, got, row[4*i+3], want[i])
			}
		}
	}
	// Premultiplied input is un-premultiplied: half-transparent red is still red.
	rgba = image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgba.Set(0, 0, color.NRGBA{255, 0, 0, 128})
	row := make([]float32, 4)
	newPixelReader(rgba).row(0, row)
	if !near32(row[0], 1, 0.01) || row[1] != 0 || !near32(row[3], 128.0/255, 1e-6) {
		t.Errorf("half-transparent red read as %v", row)
	}
	// 16-bit grey keeps its precision.
	g16 := image.NewGray16(image.Rect(0, 0, 1, 1))
	g16.SetGray16(0, 0, color.Gray16{Y: 1000})
	newPixelReader(g16).row(0, row)
	if !near32(row[0], 1000.0/65535, 1e-7) {
		t.Errorf("Gray16 1000 read as %v", row[0])
	}
}

// genericImage hides the concrete type so that the At path is taken.
type genericImage struct{ image.Image }

func TestAreaAverage(t *testing.T) {
	// 6×4 → 3×2: every output pixel is the mean of a 2×2 block.
	src := image.NewGray(image.Rect(0, 0, 6, 4))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 10)
	}
	p, err := prepare(context.Background(), src, nil, prepOptions{resolution: 3, maskTolerance: 0.1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.w != 3 || p.h != 2 {
		t.Fatalf("working size %d×%d, want 3×2", p.w, p.h)
	}
	for y := range 2 {
		for x := range 3 {
			var s float32
			for dy := range 2 {
				for dx := range 2 {
					s += float32(src.Pix[(2*y+dy)*6+2*x+dx]) / 255
				}
			}
			if got := p.lum[y*3+x]; !near32(got, s/4, 1e-6) {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, s/4)
			}
		}
	}
	// The same size copies the pixels.
	p, err = prepare(context.Background(), src, nil, prepOptions{resolution: 6, maskTolerance: 0.1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range src.Pix {
		if !near32(p.lum[i], float32(v)/255, 1e-6) {
			t.Fatalf("identity: pixel %d = %v, want %v", i, p.lum[i], float32(v)/255)
		}
	}
	// A non-integer ratio (5 → 2) splits the middle pixel between its two neighbours, and keeps
	// the total.
	src = image.NewGray(image.Rect(0, 0, 5, 5))
	for i := range src.Pix {
		src.Pix[i] = uint8(i % 5 * 50)
	}
	p, err = prepare(context.Background(), src, nil, prepOptions{resolution: 2, maskTolerance: 0.1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Columns 0, 50, 100, 150, 200 (/255): left = (0 + 50 + 0.5·100)/2.5, right = (0.5·100 + 150 + 200)/2.5.
	if l, r := p.lum[0]*255, p.lum[1]*255; !near32(l, 40, 1e-3) || !near32(r, 160, 1e-3) {
		t.Errorf("5→2 columns = %v, %v; want 40, 160", l, r)
	}
}

func TestGridSize(t *testing.T) {
	for _, c := range []struct {
		srcW, srcH    int
		width, height float64
		res           int
		w, h          int
		wmm, hmm      float64
		stretched     bool
	}{
		{512, 512, 0, 0, 256, 256, 256, 100, 100, false},
		{600, 400, 0, 0, 512, 512, 341, 100, 100.0 * 400 / 600, false},
		{600, 400, 0, 50, 2048, 600, 400, 75, 50, false}, // never enlarged
		{600, 400, 150, 0, 300, 300, 200, 150, 100, false},
		{400, 600, 0, 0, 256, 171, 256, 100, 150, false},
		{512, 512, 100, 50, 512, 512, 256, 100, 50, true}, // stretched: keeps the pixel count, capped
		{100, 100, 200, 100, 4096, 141, 71, 200, 100, true},
		{3, 2000, 0, 0, 256, 2, 256, 100, 100.0 * 2000 / 3, false},
	} {
		w, h, wmm, hmm, st := gridSize(c.srcW, c.srcH, c.width, c.height, c.res)
		if w != c.w || h != c.h || math.Abs(wmm-c.wmm) > 1e-9 || math.Abs(hmm-c.hmm) > 1e-9 || st != c.stretched {
			t.Errorf("gridSize(%d, %d, %v, %v, %d) = %d, %d, %v, %v, %v; want %d, %d, %v, %v, %v",
				c.srcW, c.srcH, c.width, c.height, c.res, w, h, wmm, hmm, st, c.w, c.h, c.wmm, c.hmm, c.stretched)
		}
	}
}

func maskCoverage(m []float32) float64 {
	var s float64
	for _, v := range m {
		s += float64(v)
	}
	return s / float64(len(m))
}

func TestMaskSources(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		source   MaskSource
		min, max float64 // foreground share
	}{
		{"astronaut.png", MaskNone, 1, 1},
		{"coffee.png", MaskNone, 1, 1},
		{"camera.png", MaskNone, 1, 1},
		{"horse.png", MaskBorder, 0.25, 0.45},
		{"bison.png", MaskBorder, 0.4, 0.7},
		{"armadillo.png", MaskAlpha, 0.35, 0.6},
	} {
		img := loadImage(t, c.name)
		p, err := prepare(ctx, img, nil, prepOptions{resolution: 256, maskTolerance: DefaultMaskTolerance}, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.maskSource != c.source {
			t.Errorf("%s: mask source %q, want %q", c.name, p.maskSource, c.source)
			continue
		}
		cov := 1.0
		if p.mask != nil {
			cov = maskCoverage(p.mask)
			// The border itself is background for cut-outs.
			if p.mask[0] != 0 || p.mask[len(p.mask)-1] != 0 {
				t.Errorf("%s: corner pixels are foreground (%v, %v)", c.name, p.mask[0], p.mask[len(p.mask)-1])
			}
		}
		t.Logf("%s: %s mask, foreground share %.3f", c.name, p.maskSource, cov)
		if cov < c.min || cov > c.max {
			t.Errorf("%s: foreground share %.3f, want %v..%v", c.name, cov, c.min, c.max)
		}
	}
}

func TestBorderFloodFill(t *testing.T) {
	// A white image with a black ring; the white inside the ring is not reached from the border,
	// so it stays foreground, as does the ring; the outside is background.
	const n = 40
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			c := color.RGBA{250, 252, 255, 255}
			d := math.Hypot(float64(x)-n/2+0.5, float64(y)-n/2+0.5)
			if d > 10 && d < 14 {
				c = color.RGBA{0, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	p, err := prepare(context.Background(), img, nil, prepOptions{resolution: n, maskTolerance: 0.1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.maskSource != MaskBorder {
		t.Fatalf("mask source %q, want border", p.maskSource)
	}
	at := func(x, y int) float32 { return p.mask[y*n+x] }
	// The ring's inside, of the background's colour and over enclosedBackgroundShare of the
	// image, is background too: a ring, not a disc.
	if at(n/2, n/2) != 0 || at(n/2+12, n/2) != 1 || at(1, 1) != 0 || at(n/2+17, n/2) != 0 {
		t.Errorf("mask centre %v, ring %v, corner %v, outside %v; want 0, 1, 0, 0", at(n/2, n/2), at(n/2+12, n/2), at(1, 1), at(n/2+17, n/2))
	}
	// A shrunk mask carries fractional coverage on the ring's outer edge.
	p, err = prepare(context.Background(), img, nil, prepOptions{resolution: n / 4, maskTolerance: 0.1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	frac := 0
	for _, v := range p.mask {
		if v > 0 && v < 1 {
			frac++
		}
	}
	if frac == 0 {
		t.Errorf("a 4× shrunk mask has no fractional edge pixels: %v", p.mask)
	}
}

func TestPrepareDeterministic(t *testing.T) {
	img := loadImage(t, "coffee.png")
	run := func(procs int) *prepared {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		p, err := prepare(context.Background(), img, img, prepOptions{resolution: 256, wantColor: true, maskTolerance: 0.1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := run(1), run(7)
	for name, pl := range map[string][2][]float32{"lum": {a.lum, b.lum}, "color": {a.color, b.color}, "depth": {a.dpth, b.dpth}} {
		if !slices.Equal(pl[0], pl[1]) {
			t.Errorf("%s plane differs between GOMAXPROCS 1 and 7", name)
		}
	}
	if !slices.Equal(a.lum, a.dpth) {
		t.Errorf("the image used as its own depth map gives another plane than its luminance")
	}
}

// TestPrepareSameSizeRows: an image prepared at its own size, straight from its rows (colour
// too, when wanted), gives the planes the resampling way gives, bit for bit: every sample image
// (opaque, with alpha, grey), a random translucent one, at GOMAXPROCS 1 and 3, with colour and
// without.
func TestPrepareSameSizeRows(t *testing.T) {
	noisy := image.NewNRGBA(image.Rect(0, 0, 37, 23))
	for i := range noisy.Pix {
		noisy.Pix[i] = uint8(i * 7919 % 251)
	}
	imgs := map[string]image.Image{"noisy": noisy}
	for _, name := range []string{"horse.png", "bison.png", "armadillo.png", "camera.png", "coffee.png"} {
		imgs[name] = loadImage(t, name)
	}
	for name, img := range imgs {
		for _, colour := range []bool{true, false} {
			testPrepareSameSizeRows(t, name, img, prepOptions{resolution: 1024, wantColor: colour, maskTolerance: 0.1})
		}
	}
}

// testPrepareSameSizeRows is TestPrepareSameSizeRows on one image with options opt.
func testPrepareSameSizeRows(t *testing.T, name string, img image.Image, opt prepOptions) {
	for _, procs := range []int{1, 3} {
		old := runtime.GOMAXPROCS(procs)
		got, err := prepare(context.Background(), img, nil, opt, nil)
		sameSizeRows = false
		want, err2 := prepare(context.Background(), img, nil, opt, nil)
		sameSizeRows = true
		runtime.GOMAXPROCS(old)
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		if (got.color != nil) != opt.wantColor {
			t.Fatalf("%s: colour plane %v, wanted %v", name, got.color != nil, opt.wantColor)
		}
		if got.w != img.Bounds().Dx() {
			t.Fatalf("%s: prepared at %d px wide, not its own size", name, got.w)
		}
		for plane, pl := range map[string][2][]float32{"lum": {got.lum, want.lum}, "color": {got.color, want.color}, "mask": {got.mask, want.mask}} {
			if len(pl[0]) != len(pl[1]) {
				t.Fatalf("%s: %s plane has %d values, want %d", name, plane, len(pl[0]), len(pl[1]))
			}
			for i := range pl[0] {
				if math.Float32bits(pl[0][i]) != math.Float32bits(pl[1][i]) {
					t.Fatalf("%s GOMAXPROCS %d: %s value %d is %v, want %v", name, procs, plane, i, pl[0][i], pl[1][i])
				}
			}
		}
		if got.maskSource != want.maskSource || got.hasAlpha != want.hasAlpha || got.borderNoise != want.borderNoise {
			t.Errorf("%s: mask source %s/%s, alpha %v/%v", name, got.maskSource, want.maskSource, got.hasAlpha, want.hasAlpha)
		}
	}
}

func TestPrepareCancel(t *testing.T) {
	img := loadImage(t, "astronaut.png")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := prepare(ctx, img, nil, prepOptions{resolution: 256, maskTolerance: 0.1}, nil); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
