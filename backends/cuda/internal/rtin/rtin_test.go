package rtin

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
)

// field returns a w×h grid of smooth waves plus noise and a cliff: a mix of flat, curved and
// sharp regions.
func field(w, h int, seed uint64) heightfield.Grid {
	r := rand.New(rand.NewPCG(seed, 7))
	z := make([]float32, w*h)
	for y := range h {
		for x := range w {
			v := 2 + math.Sin(float64(x)/7)*math.Cos(float64(y)/5) + 0.05*r.Float64()
			if x > w/2 {
				v += 1.5
			}
			z[y*w+x] = float32(v)
		}
	}
	return heightfield.Grid{W: w, H: h, Z: z}
}

// checkSurface asserts that s tiles the grid's rectangle with positively oriented lattice
// triangles, that every sample lies within s.MaxErr of the triangle over it, and that the closed
// solid is watertight and outward.
func checkSurface(t *testing.T, s *heightfield.Surface) {
	t.Helper()
	g := s.Grid
	var area2 int64
	used := make([]bool, len(s.PX))
	for _, v := range s.Tris {
		used[v] = true
	}
	for v, u := range used {
		if !u {
			t.Fatalf("vertex %d (%d, %d) is in no triangle", v, s.PX[v], s.PY[v])
		}
	}
	for i := 0; i < len(s.Tris); i += 3 {
		a, b, c := s.Tris[i], s.Tris[i+1], s.Tris[i+2]
		ax, ay, bx, by, cx, cy := int64(s.PX[a]), int64(s.PY[a]), int64(s.PX[b]), int64(s.PY[b]), int64(s.PX[c]), int64(s.PY[c])
		o := (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
		if o <= 0 {
			t.Fatalf("triangle %d is not positively oriented (%d)", i/3, o)
		}
		area2 += o
		za, zb, zc := float64(g.Z[ay*int64(g.W)+ax]), float64(g.Z[by*int64(g.W)+bx]), float64(g.Z[cy*int64(g.W)+cx])
		for y := min(ay, by, cy); y <= max(ay, by, cy); y++ {
			for x := min(ax, bx, cx); x <= max(ax, bx, cx); x++ {
				w0 := (bx-x)*(cy-y) - (by-y)*(cx-x)
				w1 := (cx-x)*(ay-y) - (cy-y)*(ax-x)
				w2 := (ax-x)*(by-y) - (ay-y)*(bx-x)
				if w0 < 0 || w1 < 0 || w2 < 0 {
					continue
				}
				zp := (float64(w0)*za + float64(w1)*zb + float64(w2)*zc) / float64(o)
				if d := math.Abs(zp - float64(g.Z[y*int64(g.W)+x])); d > s.MaxErr+1e-9 {
					t.Fatalf("sample (%d, %d) is %g from triangle %d, above the bound %g", x, y, d, i/3, s.MaxErr)
				}
			}
		}
	}
	if want := 2 * int64(g.W-1) * int64(g.H-1); area2 != want {
		t.Fatalf("triangles cover %d half-units, the rectangle %d", area2, want)
	}
	// Conforming: every directed edge once, and its twin present unless it lies on R's border
	// (a T-junction leaves an edge with no twin inside R).
	type edge struct{ a, b int32 }
	edges := make(map[edge]bool, len(s.Tris))
	for i := 0; i < len(s.Tris); i += 3 {
		for k := range 3 {
			e := edge{s.Tris[i+k], s.Tris[i+(k+1)%3]}
			if edges[e] {
				t.Fatalf("edge %d→%d in two triangles", e.a, e.b)
			}
			edges[e] = true
		}
	}
	wm, hm := int32(g.W-1), int32(g.H-1)
	for e := range edges {
		x0, y0, x1, y1 := s.PX[e.a], s.PY[e.a], s.PX[e.b], s.PY[e.b]
		if !edges[edge{e.b, e.a}] && !((x0 == 0 && x1 == 0) || (x0 == wm && x1 == wm) || (y0 == 0 && y1 == 0) || (y0 == hm && y1 == hm)) {
			t.Fatalf("edge (%d, %d)–(%d, %d) has no twin inside the rectangle: a T-junction", x0, y0, x1, y1)
		}
	}
	m := heightfield.Solid(s, float64(g.W-1), float64(g.H-1))
	topo := m.Topology()
	if !topo.Closed() || !topo.Outward {
		t.Fatalf("solid not closed and outward: %+v", topo)
	}
}

func TestTriangulateWithinTolerance(t *testing.T) {
	ctx := context.Background()
	for _, sz := range [][2]int{{2, 2}, {3, 2}, {2, 5}, {3, 3}, {5, 5}, {17, 9}, {33, 33}, {64, 65}, {100, 37}, {129, 200}} {
		for _, tol := range []float64{0, 0.01, 0.1, 1, 100} {
			t.Run(fmt.Sprintf("%dx%d/%g", sz[0], sz[1], tol), func(t *testing.T) {
				g := field(sz[0], sz[1], uint64(sz[0]*1000+sz[1]))
				s, err := Triangulate(ctx, g, tol, 0)
				if err != nil {
					t.Fatal(err)
				}
				if s.MaxErr > tol {
					t.Fatalf("max error %g above the tolerance %g", s.MaxErr, tol)
				}
				checkSurface(t, s)
				if tol == 0 && len(s.Tris)/3 != 2*(g.W-1)*(g.H-1) {
					// Noise everywhere: every sample is a vertex.
					t.Errorf("%d triangles at tolerance 0, want all %d", len(s.Tris)/3, 2*(g.W-1)*(g.H-1))
				}
			})
		}
	}
}

func TestTriangulateFlatIsCoarse(t *testing.T) {
	// A plane on a 2^k+1 grid is two triangles; on any other size the refinement only follows the
	// sides that are not on the lattice.
	for _, sz := range [][2]int{{65, 65}, {64, 64}, {40, 65}} {
		g := heightfield.Grid{W: sz[0], H: sz[1], Z: make([]float32, sz[0]*sz[1])}
		for y := range g.H {
			for x := range g.W {
				g.Z[y*g.W+x] = float32(1 + 0.25*float64(x) + 0.5*float64(y))
			}
		}
		s, err := Triangulate(context.Background(), g, 1e-6, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkSurface(t, s)
		border := 2 * (g.W + g.H)
		t.Logf("%dx%d plane: %d triangles, %d vertices", g.W, g.H, len(s.Tris)/3, len(s.PX))
		if sz[0] == 65 && sz[1] == 65 && len(s.Tris)/3 != 2 {
			t.Errorf("a plane on 65×65 has %d triangles, want 2", len(s.Tris)/3)
		}
		if len(s.Tris)/3 > 4*border {
			t.Errorf("a plane on %dx%d has %d triangles, more than 4 per border sample", g.W, g.H, len(s.Tris)/3)
		}
	}
}

func TestTriangulateBudget(t *testing.T) {
	g := field(120, 90, 3)
	ctx := context.Background()
	free, err := Triangulate(ctx, g, 0.001, 0)
	if err != nil {
		t.Fatal(err)
	}
	full := len(free.Tris)/3 + heightfield.ClosingFaces(0)
	prevErr := free.MaxErr
	for _, budget := range []int{full * 3 / 4, full / 2, full / 4, full / 10, 10} {
		s, err := Triangulate(ctx, g, 0.001, budget)
		if err != nil {
			t.Fatal(err)
		}
		checkSurface(t, s)
		faces := len(heightfield.Solid(s, 1, 1).Faces)
		t.Logf("budget %d: %d faces, max error %g", budget, faces, s.MaxErr)
		if faces > budget && budget > 1000 {
			t.Errorf("budget %d: %d faces", budget, faces)
		}
		if s.MaxErr < prevErr {
			t.Errorf("budget %d: max error %g below the larger budget's %g", budget, s.MaxErr, prevErr)
		}
		prevErr = s.MaxErr
	}
}

func TestTriangulateCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Triangulate(ctx, field(300, 300, 1), 0.01, 0); err == nil {
		t.Fatal("no error from a cancelled context")
	}
}

// cutCost counts the faces of the closed solid of the cut at t: its triangles plus the closing
// faces of its border edges (one per border vertex on a closed border).
func cutCost(l Lattice, g heightfield.Grid, e []float32, t float64) int {
	s := l.Emit(g, e, t)
	wm, hm := int32(l.W-1), int32(l.H-1)
	onBorder := func(a, b int32) bool {
		x0, y0, x1, y1 := s.PX[a], s.PY[a], s.PX[b], s.PY[b]
		return (x0 == 0 && x1 == 0) || (x0 == wm && x1 == wm) || (y0 == 0 && y1 == 0) || (y0 == hm && y1 == hm)
	}
	border := 0
	for i := 0; i < len(s.Tris); i += 3 {
		for k := range 3 {
			if onBorder(s.Tris[i+k], s.Tris[i+(k+1)%3]) {
				border++
			}
		}
	}
	return len(s.Tris)/3 + heightfield.ClosingFaces(border)
}

// TestThresholdIsExact checks Threshold's counting against cuts walked one by one: the cut at the
// threshold fits the budget and the next finer one (the float32 just below) does not.
func TestThresholdIsExact(t *testing.T) {
	ctx := context.Background()
	for _, sz := range [][2]int{{2, 2}, {9, 5}, {33, 33}, {64, 64}, {65, 65}, {100, 37}} {
		g := field(sz[0], sz[1], uint64(sz[0]+sz[1]))
		l, _ := NewLattice(g.W, g.H)
		e, err := OwnErrors(ctx, g, l)
		if err != nil {
			t.Fatal(err)
		}
		w := make([]uint8, l.Points())
		Saturate(l, e, w)
		const tol = 0.002
		full := cutCost(l, g, e, tol)
		coarsest := cutCost(l, g, e, math.MaxFloat32)
		for _, budget := range []int{full + 1, full, full - 1, full * 2 / 3, full / 3, full / 10, coarsest, coarsest - 1, 1} {
			th := l.Threshold(e, w, tol, budget)
			c := cutCost(l, g, e, th)
			if cc := l.CutCost(e, w, th); cc != int64(c) {
				t.Errorf("%v: CutCost %d, the walked cut %d", sz, cc, c)
			}
			switch {
			case budget >= full:
				if th != tol {
					t.Errorf("%v budget %d ≥ %d: threshold %v, want the tolerance", sz, budget, full, th)
				}
			case budget < coarsest:
				if c != coarsest {
					t.Errorf("%v budget %d below the coarsest cut %d: threshold %v costs %d", sz, budget, coarsest, th, c)
				}
			default:
				finer := float64(math.Nextafter32(float32(th), 0))
				if c > budget || (finer > tol && cutCost(l, g, e, finer) <= budget) {
					t.Errorf("%v budget %d: threshold %v costs %d, the next finer cut %d", sz, budget, th, c, cutCost(l, g, e, finer))
				}
			}
		}
	}
}

// TestInfiniteTolerance checks that an infinite tolerance gives the coarsest surface R allows,
// not an empty one: the triangles straddling R's sides must still split.
func TestInfiniteTolerance(t *testing.T) {
	for _, sz := range [][2]int{{5, 3}, {40, 30}, {33, 33}} {
		for _, budget := range []int{0, 100} {
			s, err := Triangulate(context.Background(), field(sz[0], sz[1], 4), math.Inf(1), budget)
			if err != nil {
				t.Fatal(err)
			}
			checkSurface(t, s)
		}
	}
}

// TestSmallGridsSweep runs every grid size up to 20×20 with noise and a cliff, at tolerances from
// 0 to practically infinite, with and without a binding budget: the surface is always a closed,
// conforming triangulation within its bound, and a feasible budget is met.
func TestSmallGridsSweep(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(8, 9))
	for w := 2; w <= 20; w++ {
		for h := 2; h <= 20; h++ {
			for kind := range 2 {
				g := heightfield.Grid{W: w, H: h, Z: make([]float32, w*h)}
				for i := range g.Z {
					if kind == 0 {
						g.Z[i] = float32(1 + r.Float64())
					} else {
						g.Z[i] = float32(1 + 0.3*math.Sin(float64(i%w)/2))
						if i%w > w/2 {
							g.Z[i] += 2
						}
					}
				}
				l, _ := NewLattice(w, h)
				e, err := OwnErrors(ctx, g, l)
				if err != nil {
					t.Fatal(err)
				}
				wt := make([]uint8, l.Points())
				Saturate(l, e, wt)
				coarsest := cutCost(l, g, e, math.MaxFloat64)
				for _, tol := range []float64{0, 0.05, 1e30} {
					full := cutCost(l, g, e, tol)
					for _, budget := range []int{0, coarsest, (coarsest + full) / 2} {
						th := l.Threshold(e, wt, tol, budget)
						s := l.Emit(g, e, th)
						checkSurface(t, s)
						if budget == 0 && s.MaxErr > tol {
							t.Fatalf("%dx%d tol %g: bound %g", w, h, tol, s.MaxErr)
						}
						if budget > 0 && len(heightfield.Solid(s, 1, 1).Faces) > budget {
							t.Fatalf("%dx%d tol %g budget %d: %d faces", w, h, tol, budget, len(heightfield.Solid(s, 1, 1).Faces))
						}
					}
				}
			}
		}
	}
}
