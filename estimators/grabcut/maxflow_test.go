package grabcut

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// The max-flow equals the minimum cut energy found by trying every labelling, on small grids
// with random capacities.
func TestMaxflowMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dirs := [8][2]int{{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}}
	for trial := 0; trial < 60; trial++ {
		w, h := 1+r.IntN(4), 1+r.IntN(4)
		g := newGrid(w, h)
		tr := make([]float32, w*h)
		caps := make([]float32, 8*w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				i := y*w + x
				tr[i] = float32(r.IntN(21) - 10)
				p := g.node(x, y)
				g.tr[p] = tr[i]
				for d := 0; d < 8; d++ {
					xx, yy := x+dirs[d][0], y+dirs[d][1]
					if xx < 0 || xx >= w || yy < 0 || yy >= h || r.IntN(3) == 0 {
						continue
					}
					c := float32(r.IntN(8))
					caps[8*i+d] = c
					g.rc[8*p+d] = c
				}
			}
		}
		if err := g.maxflow(context.Background()); err != nil {
			t.Fatal(err)
		}
		// Energy of a labelling S (source side): Σ over sink-side nodes of source capacity
		// (tr > 0) + Σ over source-side nodes of sink capacity (tr < 0) + Σ cut edges S → T.
		energy := func(s func(int) bool) float64 {
			e := 0.0
			for i := 0; i < w*h; i++ {
				if s(i) && tr[i] < 0 {
					e -= float64(tr[i])
				}
				if !s(i) && tr[i] > 0 {
					e += float64(tr[i])
				}
				x, y := i%w, i/w
				for d := 0; d < 8; d++ {
					xx, yy := x+dirs[d][0], y+dirs[d][1]
					if xx < 0 || xx >= w || yy < 0 || yy >= h {
						continue
					}
					if s(i) && !s(yy*w+xx) {
						e += float64(caps[8*i+d])
					}
				}
			}
			return e
		}
		best := math.Inf(1)
		for m := 0; m < 1<<(w*h); m++ {
			best = math.Min(best, energy(func(i int) bool { return m>>i&1 == 1 }))
		}
		got := energy(func(i int) bool { return g.inSource(g.node(i%w, i/w)) })
		if math.Abs(g.flow-best) > 1e-6 || math.Abs(got-best) > 1e-6 {
			t.Fatalf("trial %d (%d×%d): flow %v, cut energy %v, brute-force minimum %v", trial, w, h, g.flow, got, best)
		}
	}
}

// The max-flow by halves (split.go) gives the whole grid's search's cut and flow, on grids
// large enough to be split once and twice, with integer capacities (so that every float sum is
// exact and the two must agree to the bit).
func TestSplitMaxflowMatchesWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	dirs := [8][2]int{{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}}
	for _, sz := range [][2]int{{130, 40}, {40, 131}, {200, 150}, {256, 256}} {
		w, h := sz[0], sz[1]
		whole, split := newGrid(w, h), newGrid(w, h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := whole.node(x, y)
				// Smooth blobs of each sign, as a photo's data term gives.
				v := 40*math.Sin(float64(x)/9)*math.Cos(float64(y)/7) + float64(r.IntN(41)-20)
				whole.tr[p] = float32(math.Round(v))
				for d := 0; d < 8; d++ {
					xx, yy := x+dirs[d][0], y+dirs[d][1]
					if xx < 0 || xx >= w || yy < 0 || yy >= h {
						continue
					}
					whole.rc[8*p+d] = float32(r.IntN(30))
				}
			}
		}
		copy(split.tr, whole.tr)
		copy(split.rc, whole.rc)
		if err := whole.maxflow(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := split.splitMaxflow(context.Background()); err != nil {
			t.Fatal(err)
		}
		if split.bands[0] == nil && max(w, h) >= 2*minSplitSide {
			t.Fatalf("%d×%d: not split", w, h)
		}
		if whole.flow != split.flow {
			t.Errorf("%d×%d: flow %v whole, %v by halves", w, h, whole.flow, split.flow)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if p := whole.node(x, y); whole.inSource(p) != split.inSource(p) {
					t.Fatalf("%d×%d: (%d, %d) on the source side %v whole, %v by halves", w, h, x, y, whole.inSource(p), split.inSource(p))
				}
			}
		}
	}
}
