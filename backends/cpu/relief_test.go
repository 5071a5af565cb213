package cpu

import (
	"context"
	"errors"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends"
)

// expectedRelief computes the default relief heights (no smoothing, gamma 1, no mask or frame)
// directly from the definition: z = base + depth·(v − min)/(max − min).
func expectedRelief(in *backends.Input, base, depth float64) []float32 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range in.Luminance {
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
	}
	z := make([]float32, len(in.Luminance))
	for i, v := range in.Luminance {
		z[i] = float32(base + depth*(float64(v)-lo)/(hi-lo))
	}
	return z
}

func TestReliefErrorBound(t *testing.T) {
	cases := []struct {
		name string
		in   *backends.Input
		tol  float64
	}{
		{"bump", bumpInput(97, 61), 0.02},
		{"bump-fine", bumpInput(64, 80), 0.002},
		{"camera", cameraInput(t, 192), 0.05},
		{"camera-default-tolerance", cameraInput(t, 128), 0},
		{"camera-tiled", cameraInput(t, 200), 0.03},
		{"bump-tiled", bumpInput(150, 97), 0.01},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasSuffix(tc.name, "-tiled") {
				withTiles(t, 60)
			}
			in := tc.in
			in.Tolerance = tc.tol
			m, rep, err := New(Options{}).Reconstruct(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			wmm, hmm := float64(in.Width)*in.PixelSize, float64(in.Height)*in.PixelSize
			checkSolid(t, m, [3]float64{0, 0, 0}, [3]float64{wmm, hmm, 7}, 1e-3)
			tol := tc.tol
			if tol == 0 {
				tol = 0.05 // 1 % of the default 5 mm depth
			}
			if rep.Tolerance != tol || rep.BudgetReached {
				t.Errorf("report %+v, want tolerance %g met", rep, tol)
			}
			got := sampleError(t, m, in.Width, in.Height, expectedRelief(in, 2, 5), wmm, hmm)
			if got > tol*(1+1e-9) {
				t.Errorf("max vertical error %g mm exceeds tolerance %g", got, tol)
			}
			if math.Abs(got-rep.MaxError) > 1e-6 {
				t.Errorf("reported max error %g, measured %g", rep.MaxError, got)
			}
			if full := 2 * (in.Width - 1) * (in.Height - 1); len(m.Faces) >= full {
				t.Errorf("%d faces: no better than the full grid's %d", len(m.Faces), full)
			}
			t.Logf("%d×%d: %d faces, max error %.4g mm", in.Width, in.Height, len(m.Faces), got)
		})
	}
}

// TestTinInvariants checks the half-edge structure after refinement and after decimation: twins
// are mutual and walk the same edge backwards, every triangle is positively oriented, and no live
// triangle uses a removed vertex.
func TestTinInvariants(t *testing.T) {
	in := cameraInput(t, 120)
	g, err := reliefHeights(context.Background(), in, in.Relief.Defaults(), 4, false)
	if err != nil {
		t.Fatal(err)
	}
	tn := newTin(g, 0, 0, int32(g.W-1), int32(g.H-1), nil, 0.02, 1)
	if err := tn.run(context.Background(), 0.02, 0); err != nil {
		t.Fatal(err)
	}
	check := func(stage string) {
		for id, ok := range tn.alive {
			if !ok {
				continue
			}
			e := int32(3 * id)
			if tn.orient(tn.verts[e], tn.verts[e+1], tn.px[tn.verts[e+2]], tn.py[tn.verts[e+2]]) <= 0 {
				t.Fatalf("%s: triangle %d not positively oriented", stage, id)
			}
			for k := range int32(3) {
				h := e + k
				if tn.removed != nil && tn.removed[tn.verts[h]] {
					t.Fatalf("%s: triangle %d uses a removed vertex", stage, id)
				}
				f := tn.opp[h]
				if f < 0 {
					continue
				}
				if !tn.alive[f/3] || tn.opp[f] != h || tn.verts[f] != tn.verts[next(h)] || tn.verts[next(f)] != tn.verts[h] {
					t.Fatalf("%s: half-edge %d and its twin %d disagree", stage, h, f)
				}
			}
		}
	}
	check("refined")
	before := tn.live
	if err := tn.decimate(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("decimated")
	if tn.live >= before || tn.maxError() > 0.02 {
		t.Errorf("decimation: %d → %d triangles, max error %g", before, tn.live, tn.maxError())
	}
}

// TestReliefLetsGoOfInput checks that a relief without colour holds neither its Input nor the
// Input's planes once the heights are computed: a caller that keeps no reference of its own gets
// the luminance plane collected while the grid is still being triangulated.
func TestReliefLetsGoOfInput(t *testing.T) {
	freed := make(chan struct{})
	input := func() *backends.Input {
		in := cameraInput(t, 300)
		runtime.AddCleanup(&in.Luminance[0], func(ch chan struct{}) { close(ch) }, freed)
		return in
	}
	seen := false
	progress := backends.Progress(func(stage string, _ float64) {
		if stage != "triangulate" || seen {
			return
		}
		seen = true
		for range 20 {
			runtime.GC()
			select {
			case <-freed:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		t.Error("the luminance plane was still reachable during the triangulation")
	})
	if _, _, err := New(Options{}).Reconstruct(context.Background(), input(), progress); err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Fatal("no triangulate stage reported")
	}
}

// TestReconstructInPlace holds ReconstructInPlace to Reconstruct: the same mesh, vertex for vertex
// and face for face, and the same report, for plain, smoothed, inverted, coloured and depth-map
// reliefs and for another mode, with the relief's heights written over its source plane.
func TestReconstructInPlace(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*backends.Input)
	}{
		{"plain", func(*backends.Input) {}},
		{"smooth", func(in *backends.Input) { in.Relief.Smooth = 1.5 }},
		{"invert-gamma", func(in *backends.Input) { in.Relief.Invert, in.Relief.Gamma = true, 1.6 }},
		{"colour", func(in *backends.Input) {
			in.Color = make([]float32, 3*len(in.Luminance))
			for i, v := range in.Luminance {
				in.Color[3*i], in.Color[3*i+1], in.Color[3*i+2] = v, 1-v, 0.5
			}
		}},
		{"depth-map", func(in *backends.Input) { in.Depth = slices.Clone(bumpInput(in.Width, in.Height).Luminance) }},
		{"lithophane", func(in *backends.Input) { in.Mode = backends.Lithophane }},
	}
	withTiles(t, 70)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := cameraInput(t, 150)
			in.Tolerance = 0.03
			tc.setup(in)
			want, wantRep, err := New(Options{}).Reconstruct(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			src := in.Luminance
			if in.Depth != nil {
				src = in.Depth
			}
			before := slices.Clone(src)
			got, gotRep, err := New(Options{}).ReconstructInPlace(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) || !slices.Equal(got.Colors, want.Colors) || !slices.Equal(got.UVs, want.UVs) {
				t.Fatalf("in place: %d/%d vertices, %d/%d faces: another mesh", len(got.Positions), len(want.Positions), len(got.Faces), len(want.Faces))
			}
			if !reflect.DeepEqual(gotRep, wantRep) {
				t.Errorf("in place: report %+v, want %+v", gotRep, wantRep)
			}
			if overwritten := !slices.Equal(src, before); overwritten != (in.Mode == backends.Relief) {
				t.Errorf("source plane overwritten: %v, want %v (mode %v)", overwritten, in.Mode == backends.Relief, in.Mode)
			}
		})
	}
	if _, _, err := New(Options{}).ReconstructInPlace(context.Background(), &backends.Input{Mode: backends.Relief}, nil); !errors.Is(err, backends.ErrInvalidInput) {
		t.Errorf("empty input: error %v, want ErrInvalidInput", err)
	}
}
