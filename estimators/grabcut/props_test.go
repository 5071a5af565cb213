package grabcut

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestDeterministic(t *testing.T) {
	t.Parallel()
	img, _ := disc(500, 380, 230, 200, 110, 3)
	s := New(Options{})
	a, err := s.Segment(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	b, err := New(Options{}).Segment(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Fatal("two runs on the same image gave different masks")
	}
}

// One Segmenter used from several goroutines gives each the mask a lone call gives.
func TestConcurrent(t *testing.T) {
	s := New(Options{MaxSide: 160})
	imgs := make([]*image.RGBA, 4)
	want := make([][]byte, 4)
	for i := range imgs {
		imgs[i], _ = disc(240, 180, 100+float64(10*i), 90, 50, uint64(i))
		m, err := s.Segment(context.Background(), imgs[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = m.Pix
	}
	var wg sync.WaitGroup
	errs := make([]error, len(imgs))
	for i := range imgs {
		wg.Go(func() {
			m, err := s.Segment(context.Background(), imgs[i])
			if err == nil && !bytes.Equal(m.Pix, want[i]) {
				err = errors.New("mask differs from the lone call's")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("image %d: %v", i, err)
		}
	}
}

// countdown is a context whose Err turns to Canceled after n calls: it cancels a run at each
// of its checks in turn, deterministically.
type countdown struct {
	context.Context
	n atomic.Int64
}

func (c *countdown) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestCancel(t *testing.T) {
	t.Parallel()
	img, _ := disc(800, 600, 350, 300, 200, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(Options{}).Segment(ctx, img); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: err = %v", err)
	}
	// Count the checks of a whole run, then cancel at spread-out ones of them: the run must
	// end with context.Canceled every time.
	s := New(Options{MaxSide: 128})
	all := &countdown{Context: context.Background()}
	all.n.Store(1 << 40)
	if _, err := s.Segment(all, img); err != nil {
		t.Fatal(err)
	}
	checks := int64(1<<40) - all.n.Load()
	if checks < 20 {
		t.Fatalf("only %d context checks in an 800×600 run", checks)
	}
	for k := int64(0); k < checks; k += max(1, checks/12) {
		c := &countdown{Context: context.Background()}
		c.n.Store(k)
		if _, err := s.Segment(c, img); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled at check %d of %d: err = %v", k, checks, err)
		}
	}
}

func TestTooLarge(t *testing.T) {
	u := image.NewUniform(color.White) // bounds of ±1e9
	if _, err := New(Options{}).Segment(context.Background(), u); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("uniform image: err = %v, want ErrTooLarge", err)
	}
}

// Degenerate images give a mask of the image's bounds, without a panic.
func TestDegenerate(t *testing.T) {
	t.Parallel()
	noisy := func(r image.Rectangle) *image.RGBA {
		m := image.NewRGBA(r)
		rng := rand.New(rand.NewPCG(9, 9))
		for i := range m.Pix {
			m.Pix[i] = uint8(rng.IntN(256))
		}
		return m
	}
	flat := image.NewRGBA(image.Rect(0, 0, 100, 80))
	for i := range flat.Pix {
		flat.Pix[i] = 200
	}
	gray := image.NewGray(image.Rect(0, 0, 90, 70))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 7)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 64, 48), palette.Plan9)
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 13)
	}
	offset, _ := disc(200, 160, 100, 80, 40, 2)
	shifted := offset.SubImage(image.Rect(20, 30, 190, 150))
	nrgba := image.NewNRGBA(image.Rect(-50, -40, 50, 40))
	ycc := image.NewYCbCr(image.Rect(3, 5, 203, 155), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i)
	}
	cmyk := image.NewCMYK(image.Rect(0, 0, 40, 30))
	for _, c := range []struct {
		name string
		img  image.Image
	}{
		{"0×0", image.NewRGBA(image.Rect(0, 0, 0, 0))},
		{"1×1", noisy(image.Rect(0, 0, 1, 1))},
		{"2×2", noisy(image.Rect(0, 0, 2, 2))},
		{"3×3", noisy(image.Rect(0, 0, 3, 3))},
		{"one colour", flat},
		{"5000×3", noisy(image.Rect(0, 0, 5000, 3))},
		{"3×5000", noisy(image.Rect(0, 0, 3, 5000))},
		{"4000×40", noisy(image.Rect(0, 0, 4000, 40))},
		{"Gray", gray},
		{"Paletted", pal},
		{"SubImage with offset", shifted},
		{"NRGBA negative Min, all clear", nrgba},
		{"YCbCr 4:2:0 offset", ycc},
		{"CMYK", cmyk},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := New(Options{}).SegmentDetail(context.Background(), c.img)
			if err != nil {
				t.Fatal(err)
			}
			if r.Mask.Bounds() != c.img.Bounds() {
				t.Fatalf("mask bounds %v, image %v", r.Mask.Bounds(), c.img.Bounds())
			}
			if r.Confidence < 0 || r.Confidence > 1 || r.Fraction < 0 || r.Fraction > 1 {
				t.Fatalf("figures out of range: %+v", r)
			}
		})
	}
	// A flat image has no subject: nothing is masked and the confidence is 0.
	r, _ := New(Options{}).SegmentDetail(context.Background(), flat)
	if r.Fraction != 0 || r.Confidence != 0 {
		t.Errorf("one colour: fraction %v, confidence %v, want 0, 0", r.Fraction, r.Confidence)
	}
}

// A ring keeps its middle (background showing through); a disc with a speck of background
// colour inside is filled.
func TestHoles(t *testing.T) {
	t.Parallel()
	const w, h = 240, 200
	img, _ := disc(w, h, 120, 100, 70, 4)
	rng := rand.New(rand.NewPCG(4, 4))
	inner := func(x, y int, r float64) bool {
		dx, dy := float64(x)+0.5-120, float64(y)+0.5-100
		return dx*dx+dy*dy <= r*r
	}
	ring := image.NewRGBA(img.Bounds())
	copy(ring.Pix, img.Pix)
	speck := image.NewRGBA(img.Bounds())
	copy(speck.Pix, img.Pix)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := func(v int) uint8 { return uint8(min(255, max(0, v+rng.IntN(61)-30))) }
			bg := color.RGBA{n(40), n(60), n(170), 255}
			if inner(x, y, 30) {
				ring.SetRGBA(x, y, bg)
			}
			if inner(x, y, 2) {
				speck.SetRGBA(x, y, bg)
			}
		}
	}
	s := New(Options{})
	m, err := s.Segment(context.Background(), ring)
	if err != nil {
		t.Fatal(err)
	}
	if a := m.AlphaAt(120, 100).A; a != 0 {
		t.Errorf("ring middle: alpha %d, want 0 (a real hole)", a)
	}
	if a := m.AlphaAt(120, 50).A; a != 255 {
		t.Errorf("ring body: alpha %d, want 255", a)
	}
	m, err = s.Segment(context.Background(), speck)
	if err != nil {
		t.Fatal(err)
	}
	if a := m.AlphaAt(120, 100).A; a != 255 {
		t.Errorf("speck in a disc: alpha %d, want 255 (filled)", a)
	}
}

// Two discs of similar size are both kept; the confidence is high for objects on a background
// and low for a texture.
func TestPiecesAndConfidence(t *testing.T) {
	t.Parallel()
	img, _ := disc(320, 200, 90, 100, 50, 6)
	two, _ := disc(320, 200, 230, 100, 45, 6)
	for y := 0; y < 200; y++ {
		for x := 160; x < 320; x++ {
			two.SetRGBA(x-160, y, img.RGBAAt(x-160, y))
		}
	}
	r, err := New(Options{}).SegmentDetail(context.Background(), two)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pieces != 2 || r.Mask.AlphaAt(90, 100).A != 255 || r.Mask.AlphaAt(230, 100).A != 255 {
		t.Errorf("two discs: %d pieces, centres %d and %d", r.Pieces, r.Mask.AlphaAt(90, 100).A, r.Mask.AlphaAt(230, 100).A)
	}
	if r.Confidence < 0.5 {
		t.Errorf("two discs on a background: confidence %.2f, want ≥ 0.5", r.Confidence)
	}
	tex := image.NewRGBA(image.Rect(0, 0, 300, 200))
	rng := rand.New(rand.NewPCG(8, 8))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			// Blobs of two colours all over, as a texture of pebbles.
			v := uint8(rng.IntN(40))
			if (x/12+y/9)%3 == 0 {
				v += 150
			}
			tex.SetRGBA(x, y, color.RGBA{v, v, v + 20, 255})
		}
	}
	r, err = New(Options{}).SegmentDetail(context.Background(), tex)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("texture: %+v", r)
	if r.Confidence >= 0.3 {
		t.Errorf("texture: confidence %.2f (%+v), want < 0.3", r.Confidence, r)
	}
}
