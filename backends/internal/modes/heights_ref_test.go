package modes

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
)

// reliefHeightsSerial is ReliefHeights as it was written before it ran in bands: one loop over
// the pixels for the range, one for the heights. The reference the banded code must equal.
func reliefHeightsSerial(in *backends.Input, p backends.ReliefParams, f []float64) []float32 {
	w, h := in.Width, in.Height
	fg := func(i int) bool { return !p.UseMask || in.Mask == nil || in.Mask[i] >= 0.5 }
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range f {
		if fg(i) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	scale := 0.0
	lift, flat := 0.0, 0.0
	if p.UseMask && in.Mask != nil {
		lift = p.SubjectLift
		if lift > 0 {
			flat = 1
		}
	}
	if hi-lo > 1e-9 {
		scale = 1 / (hi - lo)
	}
	wmm, hmm := float64(w)*in.PixelSize, float64(h)*in.PixelSize
	var cover []float32
	if lift > 0 {
		cover = maskCoverageSerial(in.Mask, w, h, max(1, int(math.Round(rampMM/4/in.PixelSize))))
	}
	z := make([]float32, w*h)
	for j := range h {
		for i := range w {
			k := j*w + i
			v := p.Base
			switch {
			case inFrame(i, j, w, h, wmm, hmm, p.FrameWidth):
				v = p.Base + p.FrameHeight
			case fg(k) || cover != nil && cover[k] > 0:
				t := flat
				if scale != 0 {
					t = min(max((f[k]-lo)*scale, 0), 1)
				}
				if p.Gamma != 1 {
					t = math.Pow(t, p.Gamma)
				}
				v = p.Base + p.Depth*(lift+(1-lift)*t)
				if !fg(k) {
					v = p.Base + (v-p.Base)*float64(min(1, 2*cover[k]))
				}
			}
			z[k] = float32(v)
		}
	}
	return z
}

// TestReliefHeightsMatchSerial holds ReliefHeights (in bands, on several goroutines) and
// ReliefHeightsUnsmoothed (no float64 plane) to the serial definition bit for bit, over sources
// with NaNs, out-of-range values and flat regions, with and without inversion, gamma, a mask
// (lifted or not), a frame and a depth map, at several worker counts and sizes that do not
// divide into whole bands.
func TestReliefHeightsMatchSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 20))
	plane := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			switch rng.IntN(20) {
			case 0:
				v[i] = float32(math.NaN())
			case 1:
				v[i] = -0.5
			case 2:
				v[i] = 1.5
			case 3:
				v[i] = 0.25 // ties
			default:
				v[i] = rng.Float32()
			}
		}
		return v
	}
	params := map[string]backends.ReliefParams{
		"default": {},
		"invert":  {Invert: true},
		"gamma":   {Gamma: 1.7},
		"mask":    {UseMask: true},
		"lift":    {UseMask: true, SubjectLift: 0.3},
		"frame":   {FrameWidth: 2, FrameHeight: 1.5},
		"all":     {Invert: true, Gamma: 0.6, UseMask: true, SubjectLift: 0.2, FrameWidth: 1, FrameHeight: 2, Base: 1, Depth: 9},
	}
	for _, size := range [][2]int{{2, 2}, {37, 5}, {61, 97}, {128, 64}} {
		w, h := size[0], size[1]
		for name, p := range params {
			for _, depth := range []bool{false, true} {
				px := 0.3
				if w == 61 {
					px = 0.05 // a wider ramp: the mask's box blur over 11 pixels
				}
				in := &backends.Input{Width: w, Height: h, PixelSize: px, Luminance: plane(w * h), Mask: plane(w * h)}
				if depth {
					in.Depth = plane(w * h)
				}
				p := p.Defaults()
				want := reliefHeightsSerial(in, p, ReliefPrepare(ReliefSource(in), p.Invert))
				got := ReliefHeights(in, p, ReliefPrepare(ReliefSource(in), p.Invert)).Z
				same(t, name, w, h, "ReliefHeights", got, want)
				for _, workers := range []int{1, 2, 7} {
					g, err := ReliefHeightsUnsmoothed(context.Background(), in, p, workers)
					if err != nil {
						t.Fatal(err)
					}
					same(t, name, w, h, "ReliefHeightsUnsmoothed", g.Z, want)
					// In place: over a copy of the source plane, which must become the grid.
					cp := *in
					cp.Luminance, cp.Depth = slices.Clone(in.Luminance), slices.Clone(in.Depth)
					g, err = ReliefHeightsUnsmoothedInPlace(context.Background(), &cp, p, workers)
					if err != nil {
						t.Fatal(err)
					}
					same(t, name, w, h, "ReliefHeightsUnsmoothedInPlace", g.Z, want)
					if &g.Z[0] != &ReliefSource(&cp)[0] {
						t.Fatalf("%s %d×%d: ReliefHeightsUnsmoothedInPlace made a plane of its own", name, w, h)
					}
				}
				cp := *in
				cp.Luminance, cp.Depth = slices.Clone(in.Luminance), slices.Clone(in.Depth)
				src := ReliefSource(&cp)
				got = ReliefHeightsInto(&cp, p, ReliefPrepare(src, p.Invert), src).Z
				same(t, name, w, h, "ReliefHeightsInto", got, want)
				if &got[0] != &src[0] {
					t.Fatalf("%s %d×%d: ReliefHeightsInto made a plane of its own", name, w, h)
				}
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := &backends.Input{Width: 64, Height: 64, PixelSize: 1, Luminance: plane(64 * 64)}
	if _, err := ReliefHeightsUnsmoothed(ctx, in, backends.ReliefParams{}.Defaults(), 2); err != context.Canceled {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}

func same(t *testing.T, name string, w, h int, fn string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s %d×%d: %s pixel %d = %v, want %v", name, w, h, fn, i, got[i], want[i])
		}
	}
}

func benchInput(n int) *backends.Input {
	rng := rand.New(rand.NewPCG(1, 2))
	in := &backends.Input{Width: n, Height: n, PixelSize: 1, Luminance: make([]float32, n*n)}
	for i := range in.Luminance {
		in.Luminance[i] = rng.Float32()
	}
	return in
}

func BenchmarkReliefHeights1024(b *testing.B) {
	in := benchInput(1024)
	p := backends.ReliefParams{}.Defaults()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			reliefHeightsSerial(in, p, ReliefPrepare(ReliefSource(in), p.Invert))
		}
	})
	b.Run("unsmoothed-1", func(b *testing.B) {
		for b.Loop() {
			ReliefHeightsUnsmoothed(context.Background(), in, p, 1)
		}
	})
	b.Run("unsmoothed-2", func(b *testing.B) {
		for b.Loop() {
			ReliefHeightsUnsmoothed(context.Background(), in, p, 2)
		}
	})
}

// gaussianBlurSerial is GaussianBlur as it was before it ran in bands: the reference.
func gaussianBlurSerial[T float32 | float64](f []T, w, h int, sigma float64) {
	if !(sigma > 0) {
		return
	}
	k := gaussianKernel[T](sigma, w, h)
	r := len(k) / 2
	tmp := make([]T, w*h)
	for y := range h {
		src, dst := f[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range w {
			var s T
			for i, kv := range k {
				s += kv * src[min(max(x+i-r, 0), w-1)]
			}
			dst[x] = s
		}
	}
	for y := range h {
		dst := f[y*w : (y+1)*w]
		clear(dst)
		for i, kv := range k {
			src := tmp[min(max(y+i-r, 0), h-1)*w:][:w]
			for x, v := range src {
				dst[x] += kv * v
			}
		}
	}
}

// TestGaussianBlurMatchesSerial holds the banded blur to the serial one bit for bit, in float32
// and float64, at several worker counts, sigmas and sizes that do not divide into whole bands.
func TestGaussianBlurMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, size := range [][2]int{{1, 1}, {13, 70}, {130, 129}} {
		w, h := size[0], size[1]
		for _, sigma := range []float64{0, 0.7, 3, 40} {
			f64 := make([]float64, w*h)
			f32 := make([]float32, w*h)
			for i := range f64 {
				f64[i] = rng.Float64()
				f32[i] = float32(f64[i])
			}
			w64, w32 := slices.Clone(f64), slices.Clone(f32)
			gaussianBlurSerial(w64, w, h, sigma)
			gaussianBlurSerial(w32, w, h, sigma)
			for _, workers := range []int{1, 2, 5} {
				g64, g32 := slices.Clone(f64), slices.Clone(f32)
				if err := gaussianBlur(context.Background(), g64, w, h, sigma, workers); err != nil {
					t.Fatal(err)
				}
				if err := gaussianBlur(context.Background(), g32, w, h, sigma, workers); err != nil {
					t.Fatal(err)
				}
				for i := range g64 {
					if math.Float64bits(g64[i]) != math.Float64bits(w64[i]) || math.Float32bits(g32[i]) != math.Float32bits(w32[i]) {
						t.Fatalf("%d×%d, sigma %g, %d workers: pixel %d = %v / %v, want %v / %v", w, h, sigma, workers, i, g64[i], g32[i], w64[i], w32[i])
					}
				}
			}
		}
	}
}

// maskCoverageSerial is maskCoverage as it was before it ran in bands: the reference.
func maskCoverageSerial(mask []float32, w, h, r int) []float32 {
	a := make([]float32, w*h)
	for i, v := range mask {
		a[i] = min(max(v, 0), 1)
	}
	b := make([]float32, w*h)
	for range 2 {
		for j := range h {
			for i := range w {
				var s float32
				for d := -r; d <= r; d++ {
					s += a[j*w+min(max(i+d, 0), w-1)]
				}
				b[j*w+i] = s / float32(2*r+1)
			}
		}
		for j := range h {
			for i := range w {
				var s float32
				for d := -r; d <= r; d++ {
					s += b[min(max(j+d, 0), h-1)*w+i]
				}
				a[j*w+i] = s / float32(2*r+1)
			}
		}
	}
	return a
}
