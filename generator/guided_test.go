package generator

import (
	"context"
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
