package cpu

import (
	"context"
	"errors"
	"fmt"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
)

func TestReliefParams(t *testing.T) {
	const w, h = 60, 40
	mask := make([]float32, w*h)
	for i := range mask {
		if x, y := i%w, i/w; x >= 20 && x < 40 && y >= 10 && y < 30 {
			mask[i] = 1
		}
	}
	depth := make([]float32, w*h)
	for i := range depth {
		depth[i] = float32(i%w) / (w - 1)
	}
	cases := []struct {
		name  string
		setup func(in *backends.Input)
		check func(t *testing.T, g grid)
	}{
		{"invert", func(in *backends.Input) { in.Relief.Invert = true }, func(t *testing.T, g grid) {
			ref := bumpInput(w, h)
			iMax := 0
			for i, v := range ref.Luminance {
				if v > ref.Luminance[iMax] {
					iMax = i
				}
			}
			if g.Z[iMax] != 2 {
				t.Errorf("brightest pixel at %v mm, want the base (2)", g.Z[iMax])
			}
		}},
		{"gamma", func(in *backends.Input) { in.Relief.Gamma = 2 }, func(t *testing.T, g grid) {
			ref, _ := reliefHeights(context.Background(), bumpInput(w, h), backends.ReliefParams{}.Defaults(), 4, false)
			for i := range g.Z {
				lin := (float64(ref.Z[i]) - 2) / 5
				if math.Abs(float64(g.Z[i])-(2+5*lin*lin)) > 1e-5 {
					t.Fatalf("pixel %d: %v, want %v", i, g.Z[i], 2+5*lin*lin)
				}
			}
		}},
		{"smooth", func(in *backends.Input) { addNoise(in); in.Relief.Smooth = 2 }, func(t *testing.T, g grid) {
			in := bumpInput(w, h)
			addNoise(in)
			ref, _ := reliefHeights(context.Background(), in, backends.ReliefParams{}.Defaults(), 4, false)
			if roughness(g) >= roughness(ref)/2 {
				t.Errorf("smoothing left roughness %v of %v", roughness(g), roughness(ref))
			}
		}},
		{"mask", func(in *backends.Input) { in.Relief.UseMask = true; in.Mask = mask }, func(t *testing.T, g grid) {
			lo, hi := float32(99), float32(0)
			for i, v := range g.Z {
				if mask[i] < 0.5 && v != 2 {
					t.Fatalf("background pixel %d at %v mm, want the base", i, v)
				}
				if mask[i] >= 0.5 {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
			if lo != 2 || math.Abs(float64(hi)-7) > 1e-6 {
				t.Errorf("foreground spans %v…%v, want 2…7", lo, hi)
			}
		}},
		{"frame", func(in *backends.Input) { in.Relief.FrameWidth = 1; in.Relief.FrameHeight = 6 }, func(t *testing.T, g grid) {
			// 0.25 mm pixels: samples 0…3 from each edge are within 1 mm.
			for _, k := range []int{0, 3, w - 1, 2*w + 5, (h-1)*w + 7} {
				if g.Z[k] != 8 {
					t.Errorf("frame sample %d at %v mm, want 8", k, g.Z[k])
				}
			}
			if g.Z[10*w+10] == 8 {
				t.Errorf("inner sample raised to the frame")
			}
		}},
		{"depth-map", func(in *backends.Input) { in.Depth = depth; in.Relief.Depth = 3; in.Relief.Base = 1 }, func(t *testing.T, g grid) {
			for i, v := range g.Z {
				if want := 1 + 3*float64(i%w)/(w-1); math.Abs(float64(v)-want) > 1e-5 {
					t.Fatalf("pixel %d at %v mm, want %v from the depth map", i, v, want)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := bumpInput(w, h)
			tc.setup(in)
			p := in.Relief.Defaults()
			g, err := reliefHeights(context.Background(), in, p, 4, false)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, g)
			m, rep, err := New(Options{}).Reconstruct(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			zmax := p.Base + max(p.Depth, p.FrameHeight*float64(min(p.FrameWidth, 1)))
			checkSolid(t, m, [3]float64{0, 0, 0}, [3]float64{w * 0.25, h * 0.25, zmax}, 1e-4)
			got := sampleError(t, m, w, h, g.Z, w*0.25, h*0.25)
			if got > rep.Tolerance*(1+1e-9) {
				t.Errorf("max error %g above tolerance %g", got, rep.Tolerance)
			}
		})
	}
}

// addNoise adds a ±0.05 checkerboard to the luminance.
func addNoise(in *backends.Input) {
	for i := range in.Luminance {
		if (i%in.Width+i/in.Width)%2 == 0 {
			in.Luminance[i] += 0.05
		} else {
			in.Luminance[i] -= 0.05
		}
	}
}

// roughness is the mean absolute difference between horizontal neighbours.
func roughness(g grid) float64 {
	var s float64
	for y := range g.H {
		for x := 1; x < g.W; x++ {
			s += math.Abs(float64(g.Z[y*g.W+x] - g.Z[y*g.W+x-1]))
		}
	}
	return s / float64(g.H*(g.W-1))
}

func TestFaceBudget(t *testing.T) {
	for _, budget := range []int{1, 500, 3000, 9000, 15000} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			withTiles(t, 40) // 3×3 tiles
			in := cameraInput(t, 96)
			in.Tolerance = 0.001
			in.FaceBudget = budget
			m, rep, err := New(Options{}).Reconstruct(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			zmax := float64(m.Bounds().Max[2])
			checkSolid(t, m, [3]float64{0, 0, 0}, [3]float64{100, 100, zmax}, 1e-3)
			if zmax > 7 {
				t.Errorf("top at %v mm, above base + depth", zmax)
			}
			if minFaces := 2 + heightfield.ClosingFaces(4); len(m.Faces) > max(budget, minFaces) {
				t.Errorf("%d faces over budget %d", len(m.Faces), budget)
			}
			if budget >= 9000 && len(m.Faces) < budget*9/10 {
				t.Errorf("%d faces: budget %d poorly used", len(m.Faces), budget)
			}
			if !rep.BudgetReached || rep.MaxError <= rep.Tolerance {
				t.Errorf("report %+v: the budget should have stopped refinement", rep)
			}
			got := sampleError(t, m, 96, 96, expectedRelief(in, 2, 5), 100, 100)
			if math.Abs(got-rep.MaxError) > 1e-6 {
				t.Errorf("reported max error %g, measured %g", rep.MaxError, got)
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	withTiles(t, 90)
	ins := map[string]*backends.Input{"relief": cameraInput(t, 200), "lithophane": cameraInput(t, 120)}
	ins["lithophane"].Mode = backends.Lithophane
	ins["ring"] = cameraInput(t, 80)
	ins["ring"].Mode = backends.Lithophane
	ins["ring"].Lithophane.Shape = backends.Cylinder
	ins["budget"] = cameraInput(t, 200)
	ins["budget"].FaceBudget = 20000
	for _, name := range []string{"relief", "lithophane", "ring", "budget"} {
		t.Run(name, func(t *testing.T) {
			var ref *mesh.Mesh
			for _, procs := range []int{1, 4, 2} {
				prev := runtime.GOMAXPROCS(procs)
				m, _, err := New(Options{}).Reconstruct(context.Background(), ins[name], nil)
				runtime.GOMAXPROCS(prev)
				if err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					ref = m
					continue
				}
				if !slices.Equal(m.Positions, ref.Positions) || !slices.Equal(m.Faces, ref.Faces) {
					t.Fatalf("GOMAXPROCS=%d changed the mesh", procs)
				}
			}
		})
	}
}

func TestCancellation(t *testing.T) {
	before := runtime.NumGoroutine()
	in := cameraInput(t, 512)
	in.Tolerance = 0.001
	in.Relief.Smooth = 1

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := New(Options{}).Reconstruct(ctx, in, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}

	for _, stage := range []string{"height", "triangulate"} {
		ctx, cancel := context.WithCancel(context.Background())
		var cancelledAt time.Time
		progress := func(s string, f float64) {
			if s == stage && cancelledAt.IsZero() {
				cancelledAt = time.Now()
				cancel()
			}
		}
		_, _, err := New(Options{}).Reconstruct(ctx, in, progress)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled during %s: %v", stage, err)
		}
		// Not a timing assertion: a generous bound that only a missing check would break.
		if d := time.Since(cancelledAt); d > 2*time.Second {
			t.Errorf("cancellation during %s took %v", stage, d)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left behind", n-before)
	}
}

func TestInputErrors(t *testing.T) {
	good := func() *backends.Input { return bumpInput(8, 8) }
	cases := []struct {
		name string
		in   *backends.Input
		want error
	}{
		{"nil", nil, backends.ErrInvalidInput},
		{"short plane", func() *backends.Input { in := good(); in.Luminance = in.Luminance[:10]; return in }(), backends.ErrInvalidInput},
		{"no pixel size", func() *backends.Input { in := good(); in.PixelSize = 0; return in }(), backends.ErrInvalidInput},
		{"bad depth", func() *backends.Input { in := good(); in.Relief.Depth = -1; return in }(), backends.ErrInvalidInput},
		{"bad shape", func() *backends.Input {
			in := good()
			in.Mode = backends.Lithophane
			in.Lithophane.Shape = "cone"
			return in
		}(), backends.ErrInvalidInput},
		{"sunken frame", func() *backends.Input {
			in := good()
			in.Relief.FrameWidth = 1
			in.Relief.FrameHeight = -5
			return in
		}(), backends.ErrInvalidInput},
		{"unknown mode", func() *backends.Input { in := good(); in.Mode = "sculpt"; return in }(), backends.ErrInvalidInput},
		{"extrude without foreground", func() *backends.Input {
			in := good()
			in.Mode = backends.Extrude
			in.Mask = make([]float32, in.Width*in.Height)
			return in
		}(), backends.ErrInvalidInput},
		{"inflate without foreground", func() *backends.Input {
			in := good()
			in.Mode = backends.Inflate
			in.Mask = make([]float32, in.Width*in.Height)
			return in
		}(), backends.ErrInvalidInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := New(Options{}).Reconstruct(context.Background(), tc.in, nil)
			if !errors.Is(err, tc.want) || m != nil {
				t.Errorf("got %v, %v; want %v", m, err, tc.want)
			}
		})
	}

	b := New(Options{})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := b.Reconstruct(context.Background(), good(), nil); !errors.Is(err, backends.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if b.Name() != "cpu" {
		t.Errorf("Name() = %q", b.Name())
	}
}

// TestHostileValues feeds planes full of NaN, infinities and out-of-range values: the result must
// still be a valid closed mesh.
func TestHostileValues(t *testing.T) {
	in := bumpInput(16, 12)
	vals := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -3, 7, 0.5}
	for i := range in.Luminance {
		in.Luminance[i] = vals[i%len(vals)]
	}
	for _, mode := range []backends.Mode{backends.Relief, backends.Lithophane} {
		in.Mode = mode
		in.Relief.Smooth = 1e9 // far wider than the image: clamped to it
		m, _, err := New(Options{}).Reconstruct(context.Background(), in, nil)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		checkSolid(t, m, [3]float64{0, 0, 0}, [3]float64{4, 3, float64(m.Bounds().Max[2])}, 1e-4)
	}
}

func TestProgress(t *testing.T) {
	var stages []string
	last := map[string]float64{}
	progress := func(s string, f float64) {
		if f < last[s] || f < 0 || f > 1 {
			t.Errorf("stage %s went from %v to %v", s, last[s], f)
		}
		last[s] = f
		if len(stages) == 0 || stages[len(stages)-1] != s {
			stages = append(stages, s)
		}
	}
	withTiles(t, 30)
	for _, shape := range []backends.LithophaneShape{"", backends.Flat, backends.Cylinder} {
		stages, last = nil, map[string]float64{}
		in := cameraInput(t, 64)
		if shape != "" {
			in.Mode = backends.Lithophane
			in.Lithophane.Shape = shape
		}
		if _, _, err := New(Options{}).Reconstruct(context.Background(), in, progress); err != nil {
			t.Fatal(err)
		}
		if want := []string{"height", "triangulate", "walls"}; !slices.Equal(stages, want) {
			t.Errorf("%q: stages %v, want %v", shape, stages, want)
		}
		for s, f := range last {
			if f != 1 {
				t.Errorf("%q: stage %s ended at %v", shape, s, f)
			}
		}
	}
}

func TestTinyImages(t *testing.T) {
	for _, size := range [][2]int{{2, 2}, {2, 50}, {50, 2}, {3, 3}} {
		for _, mode := range []string{"relief", "flat", "arc", "ring"} {
			in := bumpInput(size[0], size[1])
			switch mode {
			case "flat", "arc", "ring":
				in.Mode = backends.Lithophane
			}
			if mode == "arc" || mode == "ring" {
				in.Lithophane.Shape = backends.Cylinder
				in.Lithophane.Arc = map[string]float64{"arc": 120, "ring": 360}[mode]
			}
			m, _, err := New(Options{}).Reconstruct(context.Background(), in, nil)
			if err != nil {
				t.Fatalf("%v %s: %v", size, mode, err)
			}
			top := m.Topology()
			if !top.Closed() || !top.Outward {
				t.Errorf("%v %s: %+v", size, mode, top)
			}
		}
	}
}

// TestSpeculationChangesNothing checks that runBudget's speculative first try (the tolerance
// alone on all tiles at once) gives the very mesh of the epochs and greedy finish, both where the
// tolerance fits in the budget (the speculation is kept) and where the budget binds (it is thrown
// away), on every GOMAXPROCS.
func TestSpeculationChangesNothing(t *testing.T) {
	withTiles(t, 40) // 3×3 tiles
	in := cameraInput(t, 96)
	in.Tolerance = 0.05
	open, _, err := New(Options{}).Reconstruct(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int{len(open.Faces) + 40, len(open.Faces) * 2, len(open.Faces) - 50, 3000} {
		in.FaceBudget = budget
		var ref *mesh.Mesh
		for _, spec := range []bool{false, true} {
			for _, procs := range []int{1, 2, 4} {
				speculation = spec
				prev := runtime.GOMAXPROCS(procs)
				m, rep, err := New(Options{}).Reconstruct(context.Background(), in, nil)
				runtime.GOMAXPROCS(prev)
				speculation = true
				if err != nil {
					t.Fatal(err)
				}
				if budget == 2*len(open.Faces) && (rep.BudgetReached || len(m.Faces) != len(open.Faces)) {
					t.Errorf("budget %d: %d faces, budget reached %v; without a budget %d faces", budget, len(m.Faces), rep.BudgetReached, len(open.Faces))
				}
				if ref == nil {
					ref = m
					continue
				}
				if !slices.Equal(m.Positions, ref.Positions) || !slices.Equal(m.Faces, ref.Faces) {
					t.Fatalf("budget %d: speculation %v at GOMAXPROCS=%d changed the mesh (%d faces, %d without)", budget, spec, procs, len(m.Faces), len(ref.Faces))
				}
			}
		}
	}
}
