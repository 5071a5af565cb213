package cpu

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
)

// mergeTilesSerial is mergeTiles as it was first written: one tile after another, a map from
// grid position to merged index for the seam vertices. The reference the parallel merge must
// equal.
func mergeTilesSerial(g grid, tiles []*tileSurface, xs, ys []int32) *surface {
	s := &surface{Grid: g}
	onSeam := func(x, y int32) bool {
		return slices.Contains(xs[1:len(xs)-1], x) || slices.Contains(ys[1:len(ys)-1], y)
	}
	seam := map[int32]int32{}
	for _, t := range tiles {
		remap := make([]int32, len(t.px))
		for v := range t.px {
			x, y := int32(t.px[v]), int32(t.py[v])
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
		for _, v := range t.tris {
			s.Tris = append(s.Tris, remap[v])
		}
		for _, v := range t.tris32 {
			s.Tris = append(s.Tris, remap[v])
		}
		s.MaxErr = max(s.MaxErr, t.maxErr)
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
			g, err := reliefHeights(context.Background(), tc.in, tc.in.Relief.Defaults(), 2, false)
			if err != nil {
				t.Fatal(err)
			}
			defer func(n int) { packNarrow = n }(packNarrow)
			var ref *surface
			for _, narrow := range []int{1 << 16, 0} { // triangles packed in 16 bits, then in 32
				packNarrow = narrow
				tiles, xs, ys, err := refineTiles(context.Background(), g, tinLimits{tol: 0.02, budget: tc.budget}, runtime.GOMAXPROCS(0), nil)
				if err != nil {
					t.Fatal(err)
				}
				want := mergeTilesSerial(g, tiles, xs, ys)
				if ref == nil {
					ref = want
				}
				for _, workers := range []int{1, 2, 5} {
					got := mergeTiles(g, tiles, xs, ys, workers)
					if !slices.Equal(got.PX, want.PX) || !slices.Equal(got.PY, want.PY) || !slices.Equal(got.Tris, want.Tris) || got.MaxErr != want.MaxErr ||
						!slices.Equal(got.Tris, ref.Tris) || !slices.Equal(got.PX, ref.PX) {
						t.Fatalf("%d×%d tiles, %d workers, packNarrow %d: merged surface differs (%d/%d vertices, %d/%d triangles)", len(xs)-1, len(ys)-1, workers, narrow, len(got.PX), len(want.PX), len(got.Tris)/3, len(want.Tris)/3)
					}
				}
			}
		})
	}
}

// TestTileReuseMatches holds the triangulation with each worker's arrays handed from tile to tile
// (tinBuffers: the no-budget pass and speculate's try) to the same with every tile allocating its
// own: the same surface, index for index, at 1, 2 and 5 workers, decimated or not, on tilings from
// 2×2 to 6×5 tiles, with no budget, a budget the tolerance fits and one that binds.
func TestTileReuseMatches(t *testing.T) {
	cases := []struct {
		name string
		in   *backends.Input
		side int
	}{
		{"camera-5x5", cameraInput(t, 200), 40},
		{"camera-2x2", cameraInput(t, 150), 75},
		{"bump-wide", bumpInput(230, 97), 40},
	}
	for _, tc := range cases {
		for _, dec := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/decimate=%v", tc.name, dec), func(t *testing.T) {
				withTiles(t, tc.side)
				old := decimation
				decimation = dec
				t.Cleanup(func() { decimation, tileReuse = old, true })
				g, err := reliefHeights(context.Background(), tc.in, tc.in.Relief.Defaults(), 2, false)
				if err != nil {
					t.Fatal(err)
				}
				free, err := triangulate(context.Background(), g, tinLimits{tol: 0.01}, 2, nil)
				if err != nil {
					t.Fatal(err)
				}
				// The closed solid's faces (Solid on a copy: it may build them in the Tris).
				closed := *free
				closed.Tris = slices.Clone(free.Tris)
				faces := len(heightfield.Solid(&closed, 1, 1).Faces)
				// No budget; one the tolerance fits (speculate's try is kept); one that binds.
				for _, lim := range []tinLimits{{tol: 0.01}, {tol: 0.01, budget: 2 * faces}, {tol: 0.01, budget: faces * 4 / 5}} {
					for _, workers := range []int{1, 2, 5} {
						tileReuse = false
						want, err := triangulate(context.Background(), g, lim, workers, nil)
						if err != nil {
							t.Fatal(err)
						}
						tileReuse = true
						got, err := triangulate(context.Background(), g, lim, workers, nil)
						if err != nil {
							t.Fatal(err)
						}
						if !slices.Equal(got.PX, want.PX) || !slices.Equal(got.PY, want.PY) || !slices.Equal(got.Tris, want.Tris) || got.MaxErr != want.MaxErr {
							t.Fatalf("budget %d, %d workers: reused arrays give another surface (%d/%d vertices, %d/%d triangles, error %g/%g)",
								lim.budget, workers, len(got.PX), len(want.PX), len(got.Tris)/3, len(want.Tris)/3, got.MaxErr, want.MaxErr)
						}
						if lim.budget == 0 && !slices.Equal(got.Tris, free.Tris) || lim.budget == 2*faces && !slices.Equal(got.Tris, free.Tris) {
							t.Fatalf("budget %d, %d workers: not the unbudgeted surface", lim.budget, workers)
						}
						if lim.budget == faces*4/5 && len(got.Tris)/3 >= len(free.Tris)/3 {
							t.Fatalf("budget %d did not bind (%d triangles)", lim.budget, len(got.Tris)/3)
						}
					}
				}
			})
		}
	}
}

// widened returns a packed tile's vertices and triangles as int32, whichever width it took.
func widened(s *tileSurface) (px, py, tris []int32) {
	for v := range s.px {
		px, py = append(px, int32(s.px[v])), append(py, int32(s.py[v]))
	}
	for _, v := range s.tris {
		tris = append(tris, int32(v))
	}
	return px, py, append(tris, s.tris32...)
}

// TestPackMatchesTin holds a packed tile, its triangles in 16 bits and in 32, to the tin it came
// from: the vertices decimate kept, in order, the live triangles in slot order renumbered among
// them, and the tin's largest error; and a tin refined in arrays another tile left (adopt) to one
// refined in its own.
func TestPackMatchesTin(t *testing.T) {
	in := cameraInput(t, 120)
	g, err := reliefHeights(context.Background(), in, in.Relief.Defaults(), 2, false)
	if err != nil {
		t.Fatal(err)
	}
	build := func(b *tinBuffers) (*tin, *tileSurface) {
		tn := newTin(g, 0, 0, int32(g.W-1), int32(g.H-1), nil, 0.02, 1)
		if b != nil {
			tn.adopt(b)
		}
		if err := tn.run(context.Background(), 0.02, 0); err != nil {
			t.Fatal(err)
		}
		if err := tn.decimate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return tn, tn.pack(b)
	}
	defer func(n int) { packNarrow = n }(packNarrow)
	for _, narrow := range []int{1 << 16, 0} {
		packNarrow = narrow
		tn, s := build(nil)
		if (s.tris32 == nil) != (narrow > 0) {
			t.Fatalf("packNarrow %d: %d 16-bit and %d 32-bit indices", narrow, len(s.tris), len(s.tris32))
		}
		var px, py []int32
		idx := make([]int32, len(tn.px))
		removed := 0
		for v := range tn.px {
			if tn.removed[v] {
				idx[v] = -1
				removed++
				continue
			}
			idx[v] = int32(len(px))
			px, py = append(px, tn.px[v]), append(py, tn.py[v])
		}
		var tris []int32
		for _, v := range tn.triangles() {
			if idx[v] < 0 {
				t.Fatalf("a live triangle uses removed vertex %d", v)
			}
			tris = append(tris, idx[v])
		}
		gx, gy, gt := widened(s)
		if removed == 0 || !slices.Equal(gx, px) || !slices.Equal(gy, py) || !slices.Equal(gt, tris) || s.maxErr != tn.maxError() {
			t.Fatalf("packNarrow %d: packed tile differs from its tin (%d/%d vertices, %d removed, %d/%d triangles, error %g/%g)", narrow, len(gx), len(px), removed, len(gt)/3, len(tris)/3, s.maxErr, tn.maxError())
		}
		// Twice through one set of buffers: the second tile starts in the first one's room.
		b := new(tinBuffers)
		for k := range 2 {
			tb, sb := build(b)
			if tb.verts != nil || cap(b.verts) == 0 {
				t.Fatalf("round %d: pack did not hand the arrays over (tin keeps %d, buffers have room for %d)", k, cap(tb.verts), cap(b.verts))
			}
			bx, by, bt := widened(sb)
			if !slices.Equal(bx, px) || !slices.Equal(by, py) || !slices.Equal(bt, tris) || sb.maxErr != s.maxErr {
				t.Fatalf("packNarrow %d, round %d: a tile refined in reused arrays differs", narrow, k)
			}
		}
	}
}
