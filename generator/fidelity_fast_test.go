package generator

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// The self-check's spike scan and rank correlation were rewritten for speed (issue 20); these
// tests hold them to the straightforward definitions they replaced, bit for bit.

// spikesReference is the spike share by its definition: every covered pixel's 3×3 neighbourhood
// gathered and sorted.
func spikesReference(top []float32, w, h int, depth float64) float64 {
	if depth <= 0 {
		return 0
	}
	lim := float32(depth / 4)
	n, bad := 0, 0
	for y := range h {
		for x := range w {
			z := top[y*w+x]
			if z != z {
				continue
			}
			var nb [9]float32
			k := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					if v := top[yy*w+xx]; v == v {
						nb[k] = v
						k++
					}
				}
			}
			n++
			if k < 9 || !coveredAround(top, w, h, x, y, 2) {
				continue
			}
			s := nb[:k]
			slices.Sort(s)
			if d := z - s[k/2]; (d > lim && z > s[k-2]) || (d < -lim && z < s[1]) {
				bad++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(bad) / float64(n)
}

// ranksReference ranks by a comparison sort, ties sharing their mean rank.
func ranksReference(idx []int, v []float32) []float64 {
	order := make([]int, len(idx))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return v[idx[order[x]]] < v[idx[order[y]]] })
	r := make([]float64, len(idx))
	for i := 0; i < len(order); {
		j := i
		for j+1 < len(order) && v[idx[order[j+1]]] == v[idx[order[i]]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[order[k]] = float64(i+j) / 2
		}
		i = j + 1
	}
	return r
}

// testSurface returns a w×h top raster: a smooth slope quantised to q levels (ties), holes of
// NaN, a share of needles and pits, and signed zeros.
func testSurface(rng *rand.Rand, w, h, q int, holes, needles float64) []float32 {
	top := make([]float32, w*h)
	for y := range h {
		for x := range w {
			v := math.Sin(float64(x)/7) + math.Cos(float64(y)/5)
			if q > 0 {
				v = math.Round(v*float64(q)) / float64(q)
			}
			switch r := rng.Float64(); {
			case r < holes:
				v = math.NaN()
			case r < holes+needles:
				v += (rng.Float64() - 0.5) * 8
			case r < holes+needles+0.01:
				v = math.Copysign(0, rng.Float64()-0.5)
			}
			top[y*w+x] = float32(v)
		}
	}
	return top
}

func TestSpikesMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		w, h, q        int
		holes, needles float64
	}{
		{1, 1, 0, 0, 0}, {2, 5, 0, 0, 0.3}, {5, 2, 4, 0, 0.3}, {3, 3, 0, 0, 0.5}, {7, 40, 0, 0.05, 0.1},
		{97, 61, 0, 0, 0.02}, {97, 61, 3, 0.02, 0.05}, {128, 128, 0, 0.3, 0.2}, {200, 33, 8, 0, 0},
	} {
		top := testSurface(rng, c.w, c.h, c.q, c.holes, c.needles)
		for _, depth := range []float64{0, 0.5, 2, 6} {
			got, want := spikes(top, c.w, c.h, depth), spikesReference(top, c.w, c.h, depth)
			if got != want || math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%dx%d q %d holes %.2f needles %.2f depth %g: spikes %v, reference %v", c.w, c.h, c.q, c.holes, c.needles, depth, got, want)
			}
		}
	}
	// The case must be able to tell: the needles above are found.
	top := testSurface(rng, 97, 61, 0, 0, 0.05)
	if spikesReference(top, 97, 61, 2) == 0 {
		t.Fatal("test surface has no spikes: the comparison shows nothing")
	}
}

func TestRanksMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ n, q int }{{1, 0}, {2, 0}, {3, 1}, {10, 0}, {1000, 0}, {1000, 3}, {70000, 0}, {70000, 255}} {
		v := make([]float32, c.n+5)
		for i := range v {
			x := rng.NormFloat64() * 100
			if c.q > 0 {
				x = math.Round(x/100*float64(c.q)) / float64(c.q)
			}
			if rng.IntN(20) == 0 {
				x = math.Copysign(0, rng.Float64()-0.5)
			}
			v[i] = float32(x)
		}
		idx := make([]int, c.n)
		for i := range idx {
			idx[i] = i + rng.IntN(5)
		}
		got, want := ranks(idx, v), ranksReference(idx, v)
		if !slices.Equal(got, want) {
			t.Errorf("n %d q %d: ranks differ from the reference", c.n, c.q)
		}
	}
	if r := ranks(nil, nil); len(r) != 0 {
		t.Errorf("ranks of nothing: %v", r)
	}
}
