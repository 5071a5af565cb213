package cpu

import (
	"context"
	"runtime"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
)

// mergeTilesSerial is mergeTiles as it was first written: one tile after another, a map from
// grid position to merged index for the seam vertices. The reference the parallel merge must
// equal.
func mergeTilesSerial(g grid, tiles []*tin, xs, ys []int32) *surface {
	s := &surface{Grid: g}
	onSeam := func(x, y int32) bool {
		return slices.Contains(xs[1:len(xs)-1], x) || slices.Contains(ys[1:len(ys)-1], y)
	}
	seam := map[int32]int32{}
	for _, t := range tiles {
		remap := make([]int32, len(t.px))
		for v := range t.px {
			if t.removed != nil && t.removed[v] {
				remap[v] = -1
				continue
			}
			x, y := t.px[v], t.py[v]
			key := y*int32(g.W) + x
			if onSeam(x, y) {
				if id, ok := seam[key]; ok {
					remap[v] = id
					continue
				}
				seam[key] = int32(len(s.PX))
			}
			remap[v] = int32(len(s.PX))
			s.PX = append(s.PX, x)
			s.PY = append(s.PY, y)
		}
		for _, v := range t.triangles() {
			s.Tris = append(s.Tris, remap[v])
		}
		s.MaxErr = max(s.MaxErr, t.maxError())
	}
	return s
}

// TestMergeTilesMatchesSerial holds the parallel merge to the serial one, index for index, on
// tilings of 1×1 to 5×4 tiles (square and not, decimated, under a budget that binds) at several
// worker counts.
func TestMergeTilesMatchesSerial(t *testing.T) {
	cases := []struct {
		name   string
		in     *backends.Input
		side   int
		budget int
	}{
		{"one-tile", cameraInput(t, 64), 256, 0},
		{"5x5", cameraInput(t, 200), 40, 0},
		{"wide", bumpInput(170, 97), 40, 0},
		{"budget", cameraInput(t, 160), 40, 4000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			withTiles(t, tc.side)
			g, err := reliefHeights(context.Background(), tc.in, tc.in.Relief.Defaults(), 2)
			if err != nil {
				t.Fatal(err)
			}
			tiles, xs, ys, err := refineTiles(context.Background(), g, tinLimits{tol: 0.02, budget: tc.budget}, runtime.GOMAXPROCS(0), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := mergeTilesSerial(g, tiles, xs, ys)
			for _, workers := range []int{1, 2, 5} {
				got := mergeTiles(g, tiles, xs, ys, workers)
				if !slices.Equal(got.PX, want.PX) || !slices.Equal(got.PY, want.PY) || !slices.Equal(got.Tris, want.Tris) || got.MaxErr != want.MaxErr {
					t.Fatalf("%d×%d tiles, %d workers: merged surface differs (%d/%d vertices, %d/%d triangles)", len(xs)-1, len(ys)-1, workers, len(got.PX), len(want.PX), len(got.Tris)/3, len(want.Tris)/3)
				}
			}
		})
	}
}
