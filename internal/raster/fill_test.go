package raster

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFillOutward: a red subject (with an anti-aliased, white-mixed edge) on white: every pixel
// outside the core turns red, the core keeps its colour, and the input is not modified.
func TestFillOutward(t *testing.T) {
	const w, h = 9, 7
	mask := make([]float32, w*h)
	col := make([]float32, 3*w*h)
	for i := range col {
		col[i] = 1 // white background
	}
	for y := 2; y <= 4; y++ {
		for x := 3; x <= 5; x++ {
			i := y*w + x
			mask[i] = 1
			col[3*i], col[3*i+1], col[3*i+2] = 0.8, 0, 0
		}
	}
	mask[3*w+6] = 0.6 // an edge pixel, half white
	col[3*(3*w+6)+1], col[3*(3*w+6)+2] = 0.5, 0.5
	orig := append([]float32(nil), col...)
	out := FillOutward(col, mask, w, h)
	for i := range w * h {
		if out[3*i] != 0.8 || out[3*i+1] != 0 || out[3*i+2] != 0 {
			t.Fatalf("pixel (%d, %d) = %v, want the subject's red", i%w, i/w, out[3*i:3*i+3])
		}
	}
	for i := range col {
		if col[i] != orig[i] {
			t.Fatal("the input plane was modified")
		}
	}
	// Nothing to push from: the plane comes back unchanged.
	if got := FillOutward(col, make([]float32, w*h), w, h); &got[0] != &col[0] {
		t.Error("an empty mask should return the plane itself")
	}
	// A subject only partly covering its pixels (a thin line) still counts.
	thin := make([]float32, w*h)
	thin[10] = 0.6
	if got := FillOutward(orig, thin, w, h); got[0] != orig[30] {
		t.Errorf("thin subject: %v, want %v", got[0], orig[30])
	}
}

// fillOutwardReference is FillOutward as first written, bounds tests and all: the definition
// the faster one must reproduce bit for bit.
func fillOutwardReference(colour, mask []float32, w, h int) []float32 {
	n := w * h
	if len(colour) != 3*n || len(mask) != n || n == 0 {
		return colour
	}
	out := append([]float32(nil), colour...)
	filled := make([]bool, n)
	var ring []int32
	for _, core := range []float32{FillCore, 0.5} {
		for i, a := range mask {
			if a >= core {
				filled[i] = true
				ring = append(ring, int32(i))
			}
		}
		if len(ring) > 0 {
			break
		}
	}
	if len(ring) == 0 {
		return colour
	}
	queued := append([]bool(nil), filled...)
	var next []int32
	for len(ring) > 0 {
		next = next[:0]
		for _, p := range ring {
			x, y := int(p)%w, int(p)/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					if q := ny*w + nx; !queued[q] {
						queued[q] = true
						next = append(next, int32(q))
					}
				}
			}
		}
		for _, q := range next {
			x, y := int(q)%w, int(q)/w
			var s [3]float32
			var cnt float32
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h || !filled[ny*w+nx] {
						continue
					}
					o := 3 * (ny*w + nx)
					s[0] += out[o]
					s[1] += out[o+1]
					s[2] += out[o+2]
					cnt++
				}
			}
			o := 3 * int(q)
			out[o], out[o+1], out[o+2] = s[0]/cnt, s[1]/cnt, s[2]/cnt
		}
		for _, q := range next {
			filled[q] = true
		}
		ring, next = next, ring
	}
	return out
}

// TestFillOutwardMatchesReference compares FillOutward with its reference on random planes and
// masks (blobs, specks, a thin line only, nothing), bit for bit.
func TestFillOutwardMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 40 {
		w, h := 1+rng.IntN(70), 1+rng.IntN(50)
		col := make([]float32, 3*w*h)
		for i := range col {
			col[i] = rng.Float32()
		}
		mask := make([]float32, w*h)
		cx, cy, r := rng.Float64()*float64(w), rng.Float64()*float64(h), rng.Float64()*20
		for i := range mask {
			x, y := float64(i%w), float64(i/w)
			switch trial % 4 {
			case 0, 1: // a blob with an anti-aliased rim, and specks
				d := math.Hypot(x-cx, y-cy)
				mask[i] = float32(min(max(r-d, 0), 1))
				if rng.IntN(50) == 0 {
					mask[i] = 1
				}
			case 2: // faint only: the 0.5 fallback
				if rng.IntN(9) == 0 {
					mask[i] = 0.6
				}
			case 3: // nearly all subject, a few translucent pixels (the queue's rings)
				mask[i] = 1
				if trial%8 == 7 && rng.IntN(40) == 0 {
					mask[i] = rng.Float32()
				}
			}
		}
		got, want := FillOutward(col, mask, w, h), fillOutwardReference(col, mask, w, h)
		inPlace := slices.Clone(col)
		FillOutwardInPlace(inPlace, mask, w, h)
		if len(got) != len(want) {
			t.Fatalf("trial %d (%d×%d): %d values, want %d", trial, w, h, len(got), len(want))
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("trial %d (%d×%d): value %d is %v, reference %v", trial, w, h, i, got[i], want[i])
			}
			if math.Float32bits(inPlace[i]) != math.Float32bits(want[i]) {
				t.Fatalf("trial %d (%d×%d): in place, value %d is %v, reference %v", trial, w, h, i, inPlace[i], want[i])
			}
		}
	}
}

// TestFillRingsAgree: the chamfer scans and the queue find the same ring for every pixel, and list
// the same pixels ring after ring (in their own orders within a ring).
func TestFillRingsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 30 {
		w, h := 1+rng.IntN(60), 1+rng.IntN(40)
		W := w + 2
		grid := func() ([]int32, int) {
			r := rand.New(rand.NewPCG(uint64(trial), 9))
			d := make([]int32, W*(h+2))
			for i := range d {
				d[i] = fillPad
			}
			open, share := 0, 1+r.IntN(60)
			for y := 1; y <= h; y++ {
				for x := 1; x <= w; x++ {
					d[y*W+x] = 0
					if r.IntN(share) != 0 {
						d[y*W+x] = int32(w*h + 1)
						open++
					}
				}
			}
			if open == w*h { // no subject: one pixel is
				d[W+1] = 0
				open--
			}
			return d, open
		}
		dc, open := grid()
		dq, _ := grid()
		oc, oq := ringsByChamfer(dc, w, h, open), ringsByQueue(dq, w, h, open)
		if !slices.Equal(dc, dq) {
			t.Fatalf("trial %d (%d×%d): the distances differ", trial, w, h)
		}
		if len(oc) != 2*open || len(oq) != 2*open {
			t.Fatalf("trial %d: %d and %d entries, want %d", trial, len(oc), len(oq), 2*open)
		}
		ring := func(o []int32) [][2]int32 {
			var r [][2]int32
			for j := 0; j < len(o); j += 2 {
				r = append(r, [2]int32{dc[o[j]], o[j]})
				if want := (o[j]/int32(W)-1)*int32(w) + o[j]%int32(W) - 1; o[j+1] != want {
					t.Fatalf("trial %d: plane index %d for padded %d, want %d", trial, o[j+1], o[j], want)
				}
				if j > 0 && dc[o[j]] < dc[o[j-2]] {
					t.Fatalf("trial %d: rings out of order", trial)
				}
			}
			slices.SortFunc(r, func(a, b [2]int32) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
			return r
		}
		if !slices.Equal(ring(oc), ring(oq)) {
			t.Fatalf("trial %d: the rings hold different pixels", trial)
		}
	}
}

func BenchmarkFillOutward512(b *testing.B) {
	const w, h = 512, 512
	col := make([]float32, 3*w*h)
	mask := make([]float32, w*h)
	for i := range mask {
		x, y := float64(i%w)-256, float64(i/w)-256
		mask[i] = float32(min(max(120-math.Hypot(x, y), 0), 1))
		col[3*i] = float32(x)
	}
	for b.Loop() {
		FillOutward(col, mask, w, h)
	}
}

func BenchmarkFillOutwardReference512(b *testing.B) {
	const w, h = 512, 512
	col := make([]float32, 3*w*h)
	mask := make([]float32, w*h)
	for i := range mask {
		x, y := float64(i%w)-256, float64(i/w)-256
		mask[i] = float32(min(max(120-math.Hypot(x, y), 0), 1))
		col[3*i] = float32(x)
	}
	for b.Loop() {
		fillOutwardReference(col, mask, w, h)
	}
}
