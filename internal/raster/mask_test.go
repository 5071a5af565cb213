package raster

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCleanMask(t *testing.T) {
	// A 20×20 square with a 2×2 hole and a large 6×6 hole, plus a 1-pixel speck far away.
	const w, h = 40, 30
	m := make([]float32, w*h)
	for y := 5; y < 25; y++ {
		for x := 5; x < 25; x++ {
			m[y*w+x] = 1
		}
	}
	for y := 8; y < 10; y++ {
		for x := 8; x < 10; x++ {
			m[y*w+x] = 0
		}
	}
	for y := 14; y < 20; y++ {
		for x := 14; x < 20; x++ {
			m[y*w+x] = 0
		}
	}
	m[2*w+35] = 1
	out, st := CleanMask(m, w, h, 0.005, 10)
	if out[2*w+35] != 0 || st.DroppedIslands != 1 {
		t.Errorf("speck kept: %+v", st)
	}
	if out[8*w+8] != 1 || out[16*w+16] != 0 || st.FilledHoles != 1 || st.FilledPixels != 4 {
		t.Errorf("holes: small filled %v, large kept %v, %+v", out[8*w+8], out[16*w+16] == 0, st)
	}
	x0, y0, x1, y1, ok := Bounds(out, w, h)
	if !ok || x0 != 5 || y0 != 5 || x1 != 25 || y1 != 25 {
		t.Errorf("bounds %d,%d..%d,%d", x0, y0, x1, y1)
	}
}

// labelReference is label as first written, a flood fill from each region's first pixel: the
// definition the run-based one must reproduce exactly.
func labelReference(fg []bool, w, h int, want, diag bool) ([]int32, []int) {
	labels := make([]int32, w*h)
	for i := range labels {
		labels[i] = -1
	}
	var sizes []int
	var stack []int
	for start := range fg {
		if fg[start] != want || labels[start] >= 0 {
			continue
		}
		l := int32(len(sizes))
		size := 0
		labels[start] = l
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := i%w, i/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if (dx == 0 && dy == 0) || (!diag && dx != 0 && dy != 0) {
						continue
					}
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					j := yy*w + xx
					if fg[j] == want && labels[j] < 0 {
						labels[j] = l
						stack = append(stack, j)
					}
				}
			}
		}
		sizes = append(sizes, size)
	}
	return labels, sizes
}

// TestLabelMatchesReference compares label with its flood-fill reference on random masks of
// several densities (specks, mazes, solid), both connectivities and both values.
func TestLabelMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 60 {
		w, h := 1+rng.IntN(60), 1+rng.IntN(40)
		p := []float64{0.05, 0.45, 0.6, 0.95}[trial%4]
		fg := make([]bool, w*h)
		for i := range fg {
			fg[i] = rng.Float64() < p
		}
		for _, want := range []bool{true, false} {
			for _, diag := range []bool{true, false} {
				gl, gs := label(fg, w, h, want, diag)
				rl, rs := labelReference(fg, w, h, want, diag)
				if !slices.Equal(gl, rl) || !slices.Equal(gs, rs) {
					t.Fatalf("trial %d (%d×%d, p %.2f, want %v, diag %v): labels differ from the reference", trial, w, h, p, want, diag)
				}
			}
		}
	}
}

func BenchmarkCleanMask512(b *testing.B) {
	const w, h = 512, 512
	rng := rand.New(rand.NewPCG(5, 6))
	mask := make([]float32, w*h)
	for i := range mask {
		x, y := float64(i%w)-256, float64(i/w)-256
		if math.Hypot(x, y) < 200 && rng.IntN(40) != 0 || rng.IntN(500) == 0 {
			mask[i] = 1
		}
	}
	for b.Loop() {
		CleanMask(mask, w, h, 0.01, 64)
	}
}

// TestHolesMatchesReference compares Holes with the per-pixel flood fill it replaced in
// backends/internal/modes (kept here as holesReference) on random masks of several densities.
func TestHolesMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	found := 0
	for trial := range 80 {
		w, h := 1+rng.IntN(70), 1+rng.IntN(50)
		p := []float64{0.3, 0.55, 0.7, 0.9}[trial%4]
		mask := make([]float32, w*h)
		for i := range mask {
			if rng.Float64() < p {
				mask[i] = 0.5 + 0.5*rng.Float32()
			} else {
				mask[i] = 0.49 * rng.Float32()
			}
		}
		got, want := Holes(mask, w, h), holesReference(mask, w, h)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d (%d×%d, p %.2f): holes differ from the reference", trial, w, h, p)
		}
		found += int(slices.Max(want))
	}
	if found < 50 {
		t.Fatalf("only %d holes in all trials: the masks do not test much", found)
	}
}

// holesReference labels (1, 2, …) the 4-connected background regions (mask < 0.5) of a w×h mask that do
// not reach the border, 0 elsewhere.
func holesReference(mask []float32, w, h int) []int32 {
	lab := make([]int32, w*h)
	seen := make([]bool, w*h)
	var stack, region []int
	next := int32(0)
	for s := range mask {
		if mask[s] >= 0.5 || seen[s] {
			continue
		}
		border := false
		region = region[:0]
		seen[s] = true
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			region = append(region, p)
			x, y := p%w, p/w
			if x == 0 || y == 0 || x == w-1 || y == h-1 {
				border = true
			}
			for _, q := range [4][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if q[0] < 0 || q[1] < 0 || q[0] >= w || q[1] >= h {
					continue
				}
				n := q[1]*w + q[0]
				if mask[n] < 0.5 && !seen[n] {
					seen[n] = true
					stack = append(stack, n)
				}
			}
		}
		if !border {
			next++
			for _, p := range region {
				lab[p] = next
			}
		}
	}
	return lab
}
