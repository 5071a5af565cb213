//go:build cgo

package cuda

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/rtin"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
)

// rtinGrid returns a w×h field with smooth waves, noise, a cliff and flat plateaus.
func rtinGrid(r *rand.Rand, w, h int) heightfield.Grid {
	g := heightfield.Grid{W: w, H: h, Z: make([]float32, w*h)}
	fx, fy := 1+r.Float64()*8, 1+r.Float64()*8
	for y := range h {
		for x := range w {
			v := 3 + math.Sin(float64(x)/fx)*math.Cos(float64(y)/fy)
			switch {
			case x > w/2 && y < h/3:
				v += 2 // a cliff
			case x < w/4 && y > h/2:
				v = 1 // a plateau
			default:
				v += 0.02 * r.Float64()
			}
			g.Z[y*w+x] = float32(v)
		}
	}
	return g
}

// TestRTINMatchesReference runs rtin.cu's kernels on the emulator and compares the error bounds
// with backends/cuda/internal/rtin's OwnErrors and Saturate, bit for bit, and the cut with its Emit.
func TestRTINMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	for _, sz := range [][3]int{{2, 2}, {3, 2}, {2, 9}, {5, 5}, {17, 9}, {33, 33}, {64, 65}, {100, 37}, {129, 70}, {17, 17, 1}, {20, 17, 1}, {300, 270}, {600, 3}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			g := rtinGrid(r, sz[0], sz[1])
			if sz[2] == 1 { // a plane: nothing splits but what R forces
				for i := range g.Z {
					g.Z[i] = float32(i%g.W) * 0.25
				}
			}
			l, err := rtin.NewLattice(g.W, g.H)
			if err != nil {
				t.Fatal(err)
			}
			want, err := rtin.OwnErrors(ctx, g, l)
			if err != nil {
				t.Fatal(err)
			}
			wantW := make([]uint8, l.Points())
			rtin.Saturate(l, want, wantW)
			// Each device run is one call as the backend makes it: the bounds, then the budget
			// check and one cut.
			run := func(f func(s gpu.Stream, e, wt gpu.Ptr) error) {
				err := emuRunner(t)(ctx, rtinBytes(l), func(s gpu.Stream) error {
					e, wt, err := rtinErrors(s, g, l)
					if err != nil {
						return err
					}
					return f(s, e, wt)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			var got []float32
			var gotW []uint8
			run(func(s gpu.Stream, e, wt gpu.Ptr) error {
				var err error
				if got, err = download[float32](s, e, l.Points()); err != nil {
					return err
				}
				gotW, err = download[uint8](s, wt, l.Points())
				return err
			})
			var cuts [3]*heightfield.Surface
			// The third threshold is one Threshold picks: a value of E.
			tols := [3]float64{0.01, 1e9, l.Threshold(got, gotW, 0.01, int(l.CutCost(got, gotW, 0.01)/2))}
			for k, tol := range tols {
				run(func(s gpu.Stream, e, wt gpu.Ptr) error {
					// rtin_wsum against CutCost: the cut fits a budget of its own cost, not one less.
					c := l.CutCost(got, gotW, tol)
					for _, budget := range []int64{c, c - 1} {
						fits, err := rtinFits(s, l, e, wt, tol, int(budget))
						if err != nil {
							return err
						}
						if fits != (budget == c) {
							t.Errorf("threshold %v: fits a budget of %d: %v (cost %d)", tol, budget, fits, c)
						}
					}
					var err error
					cuts[k], err = rtinCut(s, g, l, e, tol)
					return err
				})
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) || gotW[i] != wantW[i] {
					t.Fatalf("lattice point %d: kernel %v (weight %d), reference %v (weight %d)", i, got[i], gotW[i], want[i], wantW[i])
				}
			}
			for k, tol := range tols {
				cut, ref := cuts[k], l.Emit(g, want, tol)
				if !slices.Equal(cut.PX, ref.PX) || !slices.Equal(cut.PY, ref.PY) || !slices.Equal(cut.Tris, ref.Tris) || cut.MaxErr != ref.MaxErr {
					t.Fatalf("cut at %v: %d vertices, %d triangles, bound %v; reference %d, %d, %v", tol, len(cut.PX), len(cut.Tris)/3, cut.MaxErr, len(ref.PX), len(ref.Tris)/3, ref.MaxErr)
				}
			}
		})
	}
}

// TestHeightfieldModesMatchRTIN checks the CUDA backend's reliefs and flat lithophanes, run on the
// emulator, against the CPU's RTIN of the same heights: the same mesh, vertex for vertex, with
// and without a binding face budget; and the report's error bound against the tolerance.
func TestHeightfieldModesMatchRTIN(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	for _, mode := range []backends.Mode{backends.Relief, backends.Lithophane} {
		for _, c := range []struct {
			budget int
			tol    float64
		}{{0, 0}, {3000, 0}, {1_000_000, 0}, {0, math.Inf(1)}, {3000, math.Inf(1)}} {
			budget := c.budget
			t.Run(fmt.Sprintf("%s/%d/%v", mode, budget, c.tol), func(t *testing.T) {
				w, h := 90, 61
				in := &backends.Input{Mode: mode, Width: w, Height: h, PixelSize: 0.5, FaceBudget: budget, Tolerance: c.tol, Luminance: make([]float32, w*h)}
				for i := range in.Luminance {
					x, y := float64(i%w), float64(i/w)
					in.Luminance[i] = float32(0.5 + 0.4*math.Sin(x/6)*math.Cos(y/4) + 0.05*r.Float64())
				}
				in.Relief.Smooth = 1
				in.Relief.FrameWidth = 2
				var g heightfield.Grid
				if mode == backends.Relief {
					p := in.Relief.Defaults()
					f := modes.ReliefPrepare(modes.ReliefSource(in), p.Invert)
					if err := modes.GaussianBlur(ctx, f, w, h, p.Smooth); err != nil {
						t.Fatal(err)
					}
					g = modes.ReliefHeights(in, p, f)
				} else {
					g = modes.LithophaneThickness(in, in.Lithophane.Defaults())
				}
				tol := modes.HeightfieldTolerance(in)
				ref, err := rtin.Triangulate(ctx, g, tol, budget)
				if err != nil {
					t.Fatal(err)
				}
				want := heightfield.Solid(ref, float64(w)*in.PixelSize, float64(h)*in.PixelSize)
				got, rep, err := dispatch(ctx, in, nil, emuRunner(t), nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
					t.Fatalf("mesh (%d v, %d f) differs from the reference RTIN's (%d v, %d f)", len(got.Positions), len(got.Faces), len(want.Positions), len(want.Faces))
				}
				if topo := got.Topology(); !topo.Closed() || !topo.Outward {
					t.Fatalf("not closed and outward: %+v", topo)
				}
				if rep.MaxError != ref.MaxErr || rep.Tolerance != tol || rep.Faces != len(got.Faces) {
					t.Errorf("report %+v, want max error %v, tolerance %v", rep, ref.MaxErr, tol)
				}
				if budget == 0 && !(rep.MaxError <= tol) {
					t.Errorf("max error %v above the tolerance %v without a budget", rep.MaxError, tol)
				}
				if budget > 0 && len(got.Faces) > budget {
					t.Errorf("%d faces, budget %d", len(got.Faces), budget)
				}
			})
		}
	}
}

// TestHeightfieldOnDevice checks which reliefs and lithophanes stay on the device: flat ones
// whose lattice exists and whose device memory, as the pool rounds it, fits the budget.
func TestHeightfieldOnDevice(t *testing.T) {
	in := &backends.Input{Mode: backends.Relief, Width: 300, Height: 200}
	l, err := rtin.NewLattice(300, 200)
	if err != nil {
		t.Fatal(err)
	}
	need := reserve(max(rtinBytes(l), reliefBytes(in)))
	for _, c := range []struct {
		budget uint64
		want   bool
	}{{0, true}, {need, true}, {need - 1, false}} {
		if got := heightfieldOnDevice(in, c.budget); got != c.want {
			t.Errorf("budget %d (need %d): on device %v, want %v", c.budget, need, got, c.want)
		}
	}
	cyl := &backends.Input{Mode: backends.Lithophane, Width: 300, Height: 200, Lithophane: backends.LithophaneParams{Shape: backends.Cylinder}}
	if heightfieldOnDevice(cyl, 0) {
		t.Error("a cylinder lithophane on the device")
	}
	huge := &backends.Input{Mode: backends.Lithophane, Width: rtin.MaxLatticeSide + 2, Height: 2}
	if heightfieldOnDevice(huge, 0) {
		t.Error("a grid beyond the largest lattice on the device")
	}
}
