package modes

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestColourByteIsRound: colourByte gives math.Round's byte for every float32 within 64 ulps of
// each rounding boundary (k + ½)/255, at 0 and 1, beyond them, and on a million random values.
func TestColourByteIsRound(t *testing.T) {
	ref := func(v float32) uint8 { return uint8(math.Round(float64(min(max(v, 0), 1)) * 255)) }
	check := func(v float32) {
		if got, want := colourByte(v), ref(v); got != want {
			t.Fatalf("colourByte(%v) = %d, math.Round gives %d", v, got, want)
		}
	}
	for k := -1; k <= 256; k++ {
		c := float32((float64(k) + 0.5) / 255)
		lo, hi := c, c
		for range 64 {
			check(lo)
			check(hi)
			lo, hi = math.Nextafter32(lo, -1), math.Nextafter32(hi, 2)
		}
	}
	for _, v := range []float32{0, 1, -0.0, -3, 7, float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32} {
		check(v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		check(rng.Float32())
	}
}

// TestColourImageWorkers: the image is the same on any number of workers, for planes narrower
// and wider than a band, and each pixel is the plane's value as colourByte rounds it.
func TestColourImageWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{1, 1}, {3, 2000}, {5000, 3}, {333, 129}} {
		w, h := sz[0], sz[1]
		c := make([]float32, 3*w*h)
		for i := range c {
			c[i] = rng.Float32()*1.2 - 0.1
		}
		one := ColourImage(c, w, h)
		for _, workers := range []int{2, 7} {
			if got := colourImage(c, w, h, workers); !slices.Equal(got.Pix, one.Pix) {
				t.Fatalf("%d×%d on %d workers differs from one", w, h, workers)
			}
		}
		for i := range w * h {
			if one.Pix[4*i] != colourByte(c[3*i]) || one.Pix[4*i+2] != colourByte(c[3*i+2]) || one.Pix[4*i+3] != 255 {
				t.Fatalf("%d×%d: pixel %d is %v", w, h, i, one.Pix[4*i:4*i+4])
			}
		}
	}
}
