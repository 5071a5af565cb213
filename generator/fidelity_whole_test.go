package generator

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/orfeas3d/orfeas/internal/par"
)

// The fidelity check's height correlation as it was before blurredAt and correlationSamples: the
// whole source plane blurred (three planes of it), every covered pixel listed before sampling.
// They are the reference heightCorrelation must match bit for bit.

// blurredWhole returns a copy of the w×h plane p blurred by a Gaussian of sigma px.
func blurredWhole(p []float32, w, h int, sigma float64) []float32 {
	f := make([]float64, len(p))
	for i, v := range p {
		f[i] = float64(v)
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	// Rows in parallel, each pass's pixel computed as in a serial loop.
	workers := runtime.GOMAXPROCS(0)
	tmp := make([]float64, len(f))
	par.For(h, workers, func(y int) {
		for x := range w {
			var s float64
			for i, kv := range k {
				s += kv * f[y*w+min(max(x+i-r, 0), w-1)]
			}
			tmp[y*w+x] = s / sum
		}
	})
	out := make([]float32, len(p))
	par.For(h, workers, func(y int) {
		for x := range w {
			var s float64
			for i, kv := range k {
				s += kv * tmp[min(max(y+i-r, 0), h-1)*w+x]
			}
			out[y*w+x] = float32(s / sum)
		}
	})
	return out
}

// rankCorrelationWhole returns Spearman's rank correlation between a and b over the pixels where a is
// not NaN (0 when either is constant there): the Pearson correlation of their ranks, ties given
// their mean rank.
func rankCorrelationWhole(a, b []float32) float64 {
	var idx []int
	for i, v := range a {
		if v == v {
			idx = append(idx, i)
		}
	}
	if step := (len(idx) + maxCorrelationSamples - 1) / maxCorrelationSamples; step > 1 {
		k := 0
		for i := 0; i < len(idx); i += step {
			idx[k] = idx[i]
			k++
		}
		idx = idx[:k]
	}
	if len(idx) < 3 {
		return 0
	}
	var ra, rb []float64
	var wg sync.WaitGroup
	wg.Go(func() { ra = ranks(idx, a) })
	rb = ranks(idx, b)
	wg.Wait()
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma /= float64(len(ra))
	mb /= float64(len(rb))
	var sab, saa, sbb float64
	for i := range ra {
		da, db := ra[i]-ma, rb[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

// TestHeightCorrelationMatchesWhole checks blurredAt against the whole-plane blur at every pixel,
// and heightCorrelation against the rank correlation with the whole blurred plane, bit for bit,
// on planes from 1×1 (the kernel clamped at every edge) to more covered pixels than are sampled.
func TestHeightCorrelationMatchesWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct{ w, h int }{{1, 1}, {2, 5}, {7, 3}, {64, 48}, {300, 290}, {517, 260}} {
		n := c.w * c.h
		src, top := make([]float32, n), make([]float32, n)
		for i := range src {
			src[i] = float32(math.Round(float64(rng.Float32())*8) / 8)
			if rng.IntN(2) == 0 {
				src[i] = rng.Float32()
			}
			top[i] = src[i]*3 + rng.Float32()*0.5
			if rng.IntN(5) == 0 {
				top[i] = float32(math.NaN())
			}
		}
		for _, sigma := range []float64{0.6, 1} {
			whole := blurredWhole(src, c.w, c.h, sigma)
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			for _, procs := range []int{1, 3} {
				runtime.GOMAXPROCS(procs)
				if got := blurredAt(src, c.w, c.h, sigma, all); !bitsEqual(got, whole) {
					t.Errorf("%dx%d σ %v, GOMAXPROCS %d: blurredAt differs from the whole-plane blur", c.w, c.h, sigma, procs)
				}
				want := rankCorrelationWhole(top, whole)
				got := heightCorrelation(top, src, c.w, c.h, sigma)
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("%dx%d σ %v, GOMAXPROCS %d: heightCorrelation %v, the whole-plane one %v", c.w, c.h, sigma, procs, got, want)
				}
			}
		}
	}
}
