package generator

import (
	"context"
	"github.com/orfeas3d/orfeas/internal/par"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// boxMeanSerial is the box mean as one serial pass along rows, then down columns.
func boxMeanSerial(f []float64, w, h, r int) []float64 {
	tmp := make([]float64, len(f))
	for y := range h {
		var s float64
		for x := range min(r, w) {
			s += f[y*w+x]
		}
		for x := range w {
			if x+r < w {
				s += f[y*w+x+r]
			}
			if x-r-1 >= 0 {
				s -= f[y*w+x-r-1]
			}
			tmp[y*w+x] = s / float64(min(x+r, w-1)-max(x-r, 0)+1)
		}
	}
	out := make([]float64, len(f))
	col := make([]float64, w)
	for y := range min(r, h) {
		for x := range w {
			col[x] += tmp[y*w+x]
		}
	}
	for y := range h {
		for x := range w {
			if y+r < h {
				col[x] += tmp[(y+r)*w+x]
			}
			if y-r-1 >= 0 {
				col[x] -= tmp[(y-r-1)*w+x]
			}
			out[y*w+x] = col[x] / float64(min(y+r, h-1)-max(y-r, 0)+1)
		}
	}
	return out
}

// guidedSerial is guidedFilter with serial box means.
func guidedSerial(p []float32, w, h, r int) []float32 {
	n := w * h
	I, II := make([]float64, n), make([]float64, n)
	for i, v := range p {
		I[i], II[i] = float64(v), float64(v)*float64(v)
	}
	mean, sq := boxMeanSerial(I, w, h, r), boxMeanSerial(II, w, h, r)
	a, b := make([]float64, n), make([]float64, n)
	for i := range n {
		v := max(sq[i]-mean[i]*mean[i], 0)
		a[i] = v / (v + guidedEpsilon)
		b[i] = (1 - a[i]) * mean[i]
	}
	ma, mb := boxMeanSerial(a, w, h, r), boxMeanSerial(b, w, h, r)
	out := make([]float32, n)
	for i, v := range p {
		out[i] = clamp01(float32(ma[i]*float64(v) + mb[i]))
	}
	return out
}

func TestGuidedFilterMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct{ w, h, r int }{{1, 1, 1}, {3, 200, 2}, {200, 3, 4}, {63, 65, 1}, {130, 97, 3}, {257, 129, 8}, {10, 10, 20}} {
		p := make([]float32, c.w*c.h)
		for i := range p {
			p[i] = rng.Float32()
		}
		want := guidedSerial(p, c.w, c.h, c.r)
		for _, procs := range []int{1, 2, 4} {
			runtime.GOMAXPROCS(procs)
			got, err := guidedFilter(context.Background(), p, c.w, c.h, c.r)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%dx%d r %d, GOMAXPROCS %d: differs from the serial filter", c.w, c.h, c.r, procs)
			}
		}
	}
}

// guidedWhole is guidedFilter as it was before the streams (boxStream): five float64 planes of
// the whole image, each box mean a pass along rows into a plane, then down columns. It is the
// reference the streamed filter must match bit for bit.
func guidedWhole(ctx context.Context, p []float32, w, h, r int) ([]float32, error) {
	if r <= 0 || p == nil {
		return p, nil
	}
	n := w * h
	I := make([]float64, n)
	II := make([]float64, n)
	for i, v := range p {
		I[i] = float64(v)
		II[i] = float64(v) * float64(v)
	}
	tmp := make([]float64, n)
	mean, sq := make([]float64, n), make([]float64, n)
	if err := boxMeanWhole(ctx, I, w, h, r, tmp, mean); err != nil {
		return nil, err
	}
	if err := boxMeanWhole(ctx, II, w, h, r, tmp, sq); err != nil {
		return nil, err
	}
	a, b := II, I // reuse
	for i := range n {
		v := max(sq[i]-mean[i]*mean[i], 0)
		ak := v / (v + guidedEpsilon)
		a[i], b[i] = ak, (1-ak)*mean[i]
	}
	ma, mb := mean, sq // reuse
	if err := boxMeanWhole(ctx, a, w, h, r, tmp, ma); err != nil {
		return nil, err
	}
	if err := boxMeanWhole(ctx, b, w, h, r, tmp, mb); err != nil {
		return nil, err
	}
	out := make([]float32, n)
	for i, v := range p {
		out[i] = clamp01(float32(ma[i]*float64(v) + mb[i]))
	}
	return out, nil
}

// boxColumnsWhole is the width of the column strips boxMean's vertical pass hands to one worker.
const boxColumnsWhole = 64

// boxMean writes to out the mean of f over the (2r+1)² window around each pixel, clipped to the
// image (the mean of the pixels it covers), by running sums along rows (rows in parallel) into
// tmp, then down columns (strips of columns in parallel). f, tmp and out are w×h and distinct.
func boxMeanWhole(ctx context.Context, f []float64, w, h, r int, tmp, out []float64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	workers := runtime.GOMAXPROCS(0)
	par.For(h, workers, func(y int) {
		row, dst := f[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		var s float64
		for x := range min(r, w) {
			s += row[x]
		}
		for x := range w {
			if x+r < w {
				s += row[x+r]
			}
			if x-r-1 >= 0 {
				s -= row[x-r-1]
			}
			dst[x] = s / float64(min(x+r, w-1)-max(x-r, 0)+1)
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	par.For((w+boxColumnsWhole-1)/boxColumnsWhole, workers, func(c int) {
		x0, x1 := c*boxColumnsWhole, min((c+1)*boxColumnsWhole, w)
		var buf [boxColumnsWhole]float64
		col := buf[:x1-x0]
		for y := range min(r, h) {
			for x, v := range tmp[y*w+x0 : y*w+x1] {
				col[x] += v
			}
		}
		for y := range h {
			if y+r < h {
				for x, v := range tmp[(y+r)*w+x0 : (y+r)*w+x1] {
					col[x] += v
				}
			}
			if y-r-1 >= 0 {
				for x, v := range tmp[(y-r-1)*w+x0 : (y-r-1)*w+x1] {
					col[x] -= v
				}
			}
			cnt := float64(min(y+r, h-1) - max(y-r, 0) + 1)
			dst := out[y*w+x0 : y*w+x1]
			for x := range dst {
				dst[x] = col[x] / cnt
			}
		}
	})
	return nil
}

// TestGuidedFilterBands checks the streamed filter against the whole-plane one, bit for bit, for
// bands of every size from one row up, written to a plane of its own and over its input.
func TestGuidedFilterBands(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct{ w, h, r int }{{1, 1, 1}, {2, 2, 1}, {3, 200, 2}, {200, 3, 4}, {70, 130, 3}, {129, 67, 8}, {10, 10, 20}, {5, 40, 6}} {
		p := make([]float32, c.w*c.h)
		for i := range p {
			// Shades with flat runs, edges and noise, so that both ends of a = σ²/(σ²+ε) occur.
			p[i] = float32(math.Round(float64(rng.Float32())*4) / 4)
			if rng.IntN(3) == 0 {
				p[i] = rng.Float32()
			}
		}
		want, err := guidedWhole(context.Background(), p, c.w, c.h, c.r)
		if err != nil {
			t.Fatal(err)
		}
		for _, band := range []int{1, 2, 3, 7, 16, 64, 1000} {
			for _, procs := range []int{1, 3} {
				runtime.GOMAXPROCS(procs)
				got := make([]float32, len(p))
				if err := guidedFilterInto(context.Background(), p, got, c.w, c.h, c.r, band); err != nil {
					t.Fatal(err)
				}
				if !bitsEqual(got, want) {
					t.Errorf("%dx%d r %d, band %d, GOMAXPROCS %d: differs from the whole-plane filter", c.w, c.h, c.r, band, procs)
				}
				same := slices.Clone(p)
				if err := guidedFilterInto(context.Background(), same, same, c.w, c.h, c.r, band); err != nil {
					t.Fatal(err)
				}
				if !bitsEqual(same, want) {
					t.Errorf("%dx%d r %d, band %d, GOMAXPROCS %d: in place, differs from the whole-plane filter", c.w, c.h, c.r, band, procs)
				}
			}
		}
	}
}

// bitsEqual reports whether a and b hold the same float32 bits.
func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
