package polytri_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orfeas3d/orfeas/backends/internal/contour"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/backends/internal/polytri"
)

// TestTracedShapes triangulates the outlines of random noisy masks, as extrusion does: every
// shape's triangles must be counter-clockwise and cover exactly its area, and no triangle edge
// may be used more than twice.
func TestTracedShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 200 {
		w, h := 20+rng.IntN(60), 20+rng.IntN(60)
		m := make([]float32, w*h)
		for i := range m {
			m[i] = rng.Float32()
		}
		if err := modes.GaussianBlur(context.Background(), m, w, h, 0.5+2*rng.Float64()); err != nil {
			t.Fatal(err)
		}
		rings := contour.Trace(m, w, h, 0.5)
		tol := []float64{0, 0.05, 0.3, 1}[trial%4]
		for si, s := range contour.SimplifyShapes(contour.Nest(rings), tol) {
			outer := s.Outer
			var holes [][]polytri.Point
			all := append([]polytri.Point(nil), outer...)
			want := contour.Ring(outer).Area()
			for _, hr := range s.Holes {
				hs := hr
				holes = append(holes, hs)
				all = append(all, hs...)
				want += contour.Ring(hs).Area()
			}
			tris, err := polytri.Triangulate(outer, holes)
			if err != nil {
				t.Fatal(err)
			}
			var got float64
			edges := map[[2]int]int{}
			for _, tr := range tris {
				a, b, c := all[tr[0]], all[tr[1]], all[tr[2]]
				ar := ((b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])) / 2
				if ar <= 0 {
					t.Errorf("trial %d shape %d (tol %v, %d holes): triangle %v has area %v", trial, si, tol, len(holes), tr, ar)
				}
				got += ar
				for k := range 3 {
					e := [2]int{min(tr[k], tr[(k+1)%3]), max(tr[k], tr[(k+1)%3])}
					edges[e]++
				}
			}
			for e, n := range edges {
				if n > 2 {
					t.Errorf("trial %d shape %d: edge %v used %d times", trial, si, e, n)
				}
			}
			if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("trial %d shape %d (tol %v, %d holes): area %v, want %v", trial, si, tol, len(holes), got, want)
			}
			if t.Failed() {
				return
			}
		}
	}
}
