package grabcut

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// disc draws a red disc of radius r at (cx, cy) on a noisy blue background.
func disc(w, h int, cx, cy, r float64, seed uint64) (*image.RGBA, func(x, y int) bool) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 7))
	in := func(x, y int) bool {
		dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
		return dx*dx+dy*dy <= r*r
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := func(v int) uint8 { return uint8(min(255, max(0, v+rng.IntN(61)-30))) }
			c := color.RGBA{n(40), n(60), n(170), 255}
			if in(x, y) {
				c = color.RGBA{n(200), n(40), n(40), 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img, in
}

func iou(m *image.Alpha, truth func(x, y int) bool) float64 {
	b := m.Bounds()
	inter, union := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			a := m.AlphaAt(x, y).A >= 128
			t := truth(x-b.Min.X, y-b.Min.Y)
			if a && t {
				inter++
			}
			if a || t {
				union++
			}
		}
	}
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

func TestDisc(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		w, h int
		opts Options
	}{
		{"native 200×150", 200, 150, Options{}},
		{"shrunk 900×700", 900, 700, Options{}},
		{"shrunk hard", 900, 700, Options{Hard: true, MaxSide: 200}},
		// 25 image pixels a working pixel: the outline comes from the upsampling's colour
		// weights, not from the cut's grid (checked below against copying the grid: 0.96).
		{"shrunk 25×", 1600, 1200, Options{MaxSide: 64}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, in := disc(c.w, c.h, float64(c.w)*0.45, float64(c.h)*0.55, float64(c.h)*0.3, 1)
			r, err := New(c.opts).SegmentDetail(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			got := iou(r.Mask, in)
			t.Logf("IoU %.4f, %+v", got, r)
			if got < 0.97 {
				t.Errorf("IoU %.4f < 0.97", got)
			}
			// The same labels copied cell by cell (each cell's value read at its centre).
			w, h := r.WorkSize.X, r.WorkSize.Y
			if w == c.w {
				return
			}
			grid := func(x, y int) bool {
				i, j := x*w/c.w, y*h/c.h
				return r.Mask.AlphaAt((2*i+1)*c.w/(2*w), (2*j+1)*c.h/(2*h)).A >= 128
			}
			inter, union := 0, 0
			for y := 0; y < c.h; y++ {
				for x := 0; x < c.w; x++ {
					a, b := grid(x, y), in(x, y)
					if a && b {
						inter++
					}
					if a || b {
						union++
					}
				}
			}
			copied := float64(inter) / float64(union)
			t.Logf("grid copied: IoU %.4f", copied)
			if got <= copied {
				t.Errorf("upsampled IoU %.4f not above the copied grid's %.4f", got, copied)
			}
		})
	}
}

// SegmentDetailAbove gives SegmentDetail's result, without the mask below the threshold.
func TestSegmentDetailAbove(t *testing.T) {
	img, _ := disc(96, 80, 50, 40, 20, 3)
	s := New(Options{})
	want, err := s.SegmentDetail(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	for _, min := range []float64{0, want.Confidence, want.Confidence + 1e-9, 2} {
		got, err := s.SegmentDetailAbove(context.Background(), img, min)
		if err != nil {
			t.Fatal(err)
		}
		if (got.Mask != nil) != (want.Confidence >= min) {
			t.Fatalf("min %v, confidence %v: mask given %v", min, want.Confidence, got.Mask != nil)
		}
		if got.Mask != nil && !bytes.Equal(got.Mask.Pix, want.Mask.Pix) {
			t.Fatalf("min %v: another mask", min)
		}
		got.Mask, want.Mask = nil, nil
		if got != want {
			t.Fatalf("min %v: %+v, SegmentDetail %+v", min, got, want)
		}
		want, _ = s.SegmentDetail(context.Background(), img)
	}
}
