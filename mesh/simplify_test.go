package mesh

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orfeas3d/orfeas/internal/cputime"
)

// simpTestIcosphere returns a closed, outward icosphere of radius r with the given number of
// subdivisions (20·4^n faces).
func simpTestIcosphere(r float64, n int) *Mesh {
	t := (1 + math.Sqrt(5)) / 2
	m := &Mesh{}
	for _, p := range [][3]float64{
		{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0}, {0, -1, t}, {0, 1, t},
		{0, -1, -t}, {0, 1, -t}, {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1},
	} {
		l := math.Sqrt(p[0]*p[0] + p[1]*p[1] + p[2]*p[2])
		m.Positions = append(m.Positions, [3]float32{float32(p[0] / l), float32(p[1] / l), float32(p[2] / l)})
	}
	m.Faces = [][3]uint32{
		{0, 11, 5}, {0, 5, 1}, {0, 1, 7}, {0, 7, 10}, {0, 10, 11}, {1, 5, 9}, {5, 11, 4}, {11, 10, 2},
		{10, 7, 6}, {7, 1, 8}, {3, 9, 4}, {3, 4, 2}, {3, 2, 6}, {3, 6, 8}, {3, 8, 9}, {4, 9, 5},
		{2, 4, 11}, {6, 2, 10}, {8, 6, 7}, {9, 8, 1},
	}
	for range n {
		mid := map[[2]uint32]uint32{}
		at := func(a, b uint32) uint32 {
			k := [2]uint32{min(a, b), max(a, b)}
			if v, ok := mid[k]; ok {
				return v
			}
			pa, pb := m.Positions[a], m.Positions[b]
			p := [3]float64{float64(pa[0] + pb[0]), float64(pa[1] + pb[1]), float64(pa[2] + pb[2])}
			l := math.Sqrt(p[0]*p[0] + p[1]*p[1] + p[2]*p[2])
			m.Positions = append(m.Positions, [3]float32{float32(p[0] / l), float32(p[1] / l), float32(p[2] / l)})
			mid[k] = uint32(len(m.Positions) - 1)
			return mid[k]
		}
		var faces [][3]uint32
		for _, f := range m.Faces {
			a, b, c := at(f[0], f[1]), at(f[1], f[2]), at(f[2], f[0])
			faces = append(faces, [3]uint32{f[0], a, c}, [3]uint32{f[1], b, a}, [3]uint32{f[2], c, b}, [3]uint32{a, b, c})
		}
		m.Faces = faces
	}
	for i, p := range m.Positions {
		m.Positions[i] = [3]float32{p[0] * float32(r), p[1] * float32(r), p[2] * float32(r)}
	}
	return m
}

// simpTestRipple displaces every vertex of a sphere-like mesh radially by
// amp·r·sin(k·x/r)·sin(k·y/r), r being the vertex's distance from the origin.
func simpTestRipple(m *Mesh, amp, k float64) *Mesh {
	for i, p := range m.Positions {
		x, y, z := float64(p[0]), float64(p[1]), float64(p[2])
		r := math.Sqrt(x*x + y*y + z*z)
		s := 1 + amp*math.Sin(k*x/r)*math.Sin(k*y/r)
		m.Positions[i] = [3]float32{float32(x * s), float32(y * s), float32(z * s)}
	}
	return m
}

func TestSimplifyClosedStaysClosed(t *testing.T) {
	shapes := []struct {
		name  string
		m     *Mesh
		genus int
	}{
		{"sphere", uvSphere(10, 40, 80), 0},
		{"torus", torus(20, 6, 96, 40), 1},
		{"rippled", simpTestRipple(simpTestIcosphere(30, 5), 0.05, 8), 0},
	}
	for _, sh := range shapes {
		before := sh.m.Clone()
		nf := len(sh.m.Faces)
		for _, target := range []int{nf / 2, nf / 5, nf / 10, nf / 20, nf / 50, 100, 20, 1} {
			t.Run(fmt.Sprintf("%s/%d", sh.name, target), func(t *testing.T) {
				out, rep, err := Simplify(context.Background(), sh.m, SimplifyOptions{TargetFaces: target})
				if err != nil {
					t.Fatal(err)
				}
				topo := out.Topology()
				if !topo.Closed() || !topo.Outward || topo.Genus != sh.genus || topo.Components != 1 {
					t.Fatalf("not closed after simplification to %d faces: %+v", target, topo)
				}
				if rep.FacesAfter != len(out.Faces) || rep.FacesBefore != nf || rep.VerticesAfter != len(out.Positions) {
					t.Errorf("report %+v does not match the meshes", rep)
				}
				switch rep.StoppedBy {
				case "target":
					if len(out.Faces) > target || len(out.Faces) < target-1 {
						t.Errorf("stopped by target with %d faces, target %d", len(out.Faces), target)
					}
				case "no_valid_collapse":
					// Only tiny targets may be out of reach: a closed surface of genus g needs a
					// minimum number of faces (4 for a sphere, 14 for a torus).
					if target >= 100 {
						t.Errorf("stopped with %d faces before the target %d", len(out.Faces), target)
					}
				default:
					t.Errorf("stopped by %q", rep.StoppedBy)
				}
			})
		}
		if diff := cmp.Diff(before, sh.m); diff != "" {
			t.Errorf("%s: input modified: %s", sh.name, diff)
		}
	}
}

func TestSimplifyVolumeAndError(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *Mesh
	}{
		{"sphere", uvSphere(10, 80, 160)},
		{"torus", torus(20, 6, 160, 64)},
		{"icosphere", simpTestIcosphere(25, 5)},
		// Coarse enough that keeping the vertices on the sphere would lose several per cent.
		{"coarse sphere", uvSphere(10, 16, 32)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, rep, err := Simplify(context.Background(), tc.m, SimplifyOptions{TargetRatio: 0.1})
			if err != nil {
				t.Fatal(err)
			}
			v0, v1 := tc.m.Volume(), out.Volume()
			if d := math.Abs(v1-v0) / v0; d > 0.01 {
				t.Errorf("volume %v → %v (%.2f%%)", v0, v1, 100*d)
			}
			t.Logf("%d → %d faces, volume %.4f%%, %+v", len(tc.m.Faces), len(out.Faces), 100*(v1-v0)/v0, rep)
			// The reported max error bounds the distance from every input vertex to the result.
			worst := 0.0
			for i, p := range tc.m.Positions {
				if i%11 != 0 {
					continue
				}
				d := math.Inf(1)
				for _, f := range out.Faces {
					d = min(d, simpPointTriangle2(p, out.Positions[f[0]], out.Positions[f[1]], out.Positions[f[2]]))
				}
				worst = max(worst, math.Sqrt(d))
			}
			if mx, mean := SurfaceDeviation(tc.m, out); mx != rep.MaxError || mean != rep.MeanError {
				t.Errorf("SurfaceDeviation %v %v, report %v %v", mx, mean, rep.MaxError, rep.MeanError)
			}
			if worst > rep.MaxError || rep.MeanError > rep.MaxError || rep.MeanError <= 0 {
				t.Errorf("true max distance %v, reported max %v mean %v", worst, rep.MaxError, rep.MeanError)
			}
			if rep.QuadricError <= 0 || rep.MaxError > 0.05*float64(tc.m.Bounds().Size()[0]) {
				t.Errorf("errors out of range: %+v", rep)
			}
		})
	}
}

// simpTestGrid returns an open, wavy square patch of n×n quads with per-vertex colours and UVs
// that follow x and y.
func simpTestGrid(n int) *Mesh {
	m := &Mesh{}
	for j := 0; j <= n; j++ {
		for i := 0; i <= n; i++ {
			x, y := float64(i)/float64(n)*100, float64(j)/float64(n)*100
			m.Positions = append(m.Positions, [3]float32{float32(x), float32(y), float32(3 * math.Sin(x/15) * math.Cos(y/20))})
			m.Colors = append(m.Colors, [4]uint8{uint8(math.Round(x * 2.55)), uint8(math.Round(y * 2.55)), 128, 255})
			m.UVs = append(m.UVs, [2]float32{float32(x / 100), float32(y / 100)})
		}
	}
	at := func(i, j int) uint32 { return uint32(j*(n+1) + i) }
	for j := range n {
		for i := range n {
			m.Faces = append(m.Faces, [3]uint32{at(i, j), at(i+1, j), at(i+1, j+1)}, [3]uint32{at(i, j), at(i+1, j+1), at(i, j+1)})
		}
	}
	return m
}

func TestSimplifyOpenKeepsBorderAndAttributes(t *testing.T) {
	m := simpTestGrid(60)
	out, rep, err := Simplify(context.Background(), m, SimplifyOptions{TargetRatio: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	t0, t1 := m.Topology(), out.Topology()
	if t1.BoundaryEdges != t0.BoundaryEdges || t1.BoundaryLoops != 1 || !t1.Manifold || !t1.Oriented || t1.DegenerateFaces != 0 || t1.Genus != 0 {
		t.Errorf("border not kept: before %+v after %+v", t0, t1)
	}
	if rep.LockedVertices != 4*60 {
		t.Errorf("%d locked vertices, want the %d on the border", rep.LockedVertices, 4*60)
	}
	have := map[[3]float32]bool{}
	for _, p := range out.Positions {
		have[p] = true
	}
	for _, p := range m.Positions {
		if (p[0] == 0 || p[0] == 100 || p[1] == 0 || p[1] == 100) && !have[p] {
			t.Fatalf("border vertex %v lost", p)
		}
	}
	if len(out.Faces) > len(m.Faces)/10 {
		t.Errorf("%d faces, want at most %d", len(out.Faces), len(m.Faces)/10)
	}
	// Colours and UVs still follow the position they were made from.
	for i, p := range out.Positions {
		c, uv := out.Colors[i], out.UVs[i]
		if math.Abs(float64(c[0])-float64(p[0])*2.55) > 4 || math.Abs(float64(c[1])-float64(p[1])*2.55) > 4 || c[2] != 128 || c[3] != 255 {
			t.Fatalf("vertex %v has colour %v", p, c)
		}
		if math.Abs(float64(uv[0])-float64(p[0])/100) > 0.015 || math.Abs(float64(uv[1])-float64(p[1])/100) > 0.015 {
			t.Fatalf("vertex %v has UV %v", p, uv)
		}
	}
}

func TestSimplifyDeterministic(t *testing.T) {
	m := simpTestRipple(simpTestIcosphere(30, 6), 0.05, 8)
	m.Colors = make([][4]uint8, len(m.Positions))
	for i, p := range m.Positions {
		m.Colors[i] = [4]uint8{uint8(p[2]*4 + 128), 0, 0, 255}
	}
	run := func(procs int) *Mesh {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out, _, err := Simplify(context.Background(), m, SimplifyOptions{TargetRatio: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := run(1), run(4)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("GOMAXPROCS 1 and 4 differ: %s", diff)
	}
}

// TestSimplifySkipDeviation: skipping the deviation measure leaves the mesh and every other
// figure as they were, and says the deviation was not measured.
func TestSimplifySkipDeviation(t *testing.T) {
	m := simpTestRipple(simpTestIcosphere(30, 5), 0.05, 8)
	full, frep, err := Simplify(context.Background(), m, SimplifyOptions{TargetRatio: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	fast, srep, err := Simplify(context.Background(), m, SimplifyOptions{TargetRatio: 0.2, SkipDeviation: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(full, fast); diff != "" {
		t.Errorf("the mesh depends on SkipDeviation: %s", diff)
	}
	if !(frep.MaxError > 0 && frep.MeanError > 0) || frep.DeviationSkipped {
		t.Errorf("measured: max %g, mean %g, skipped %v; want both > 0, not skipped", frep.MaxError, frep.MeanError, frep.DeviationSkipped)
	}
	if srep.MaxError != 0 || srep.MeanError != 0 || srep.DeviationBounded || !srep.DeviationSkipped {
		t.Errorf("skipped: max %g, mean %g, bounded %v, skipped %v; want zeros and skipped", srep.MaxError, srep.MeanError, srep.DeviationBounded, srep.DeviationSkipped)
	}
	frep.MaxError, frep.MeanError, frep.DeviationBounded, frep.DeviationSkipped = 0, 0, false, true
	if diff := cmp.Diff(frep, srep); diff != "" {
		t.Errorf("the other report figures depend on SkipDeviation: %s", diff)
	}
}

func TestSimplifyMaxError(t *testing.T) {
	m := simpTestRipple(simpTestIcosphere(30, 5), 0.05, 8)
	_, full, err := Simplify(context.Background(), m, SimplifyOptions{TargetFaces: 500})
	if err != nil {
		t.Fatal(err)
	}
	limit := full.QuadricError / 4
	out, rep, err := Simplify(context.Background(), m, SimplifyOptions{TargetFaces: 500, MaxError: limit})
	if err != nil {
		t.Fatal(err)
	}
	if rep.StoppedBy != "max_error" || rep.QuadricError > limit || len(out.Faces) <= 500 {
		t.Errorf("limit %v: %+v", limit, rep)
	}
	if !out.Topology().Closed() {
		t.Error("not closed")
	}
	// MaxError alone simplifies as far as the error allows.
	_, only, err := Simplify(context.Background(), m, SimplifyOptions{MaxError: limit})
	if err != nil {
		t.Fatal(err)
	}
	if only.StoppedBy != "max_error" || only.QuadricError > limit || only.FacesAfter > 2*rep.FacesAfter {
		t.Errorf("max error only: %+v, with target: %+v", only, rep)
	}
}

// simpCountingCtx is a context whose Err starts failing after a number of calls.
type simpCountingCtx struct {
	context.Context
	left atomic.Int64
}

func (c *simpCountingCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestSimplifyCancel(t *testing.T) {
	m := simpTestIcosphere(30, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Simplify(ctx, m, SimplifyOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	// Cancelled during the work: it stops there.
	c := &simpCountingCtx{Context: context.Background()}
	c.left.Store(3)
	if _, _, err := Simplify(c, m, SimplifyOptions{TargetRatio: 0.01}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled mid-way: %v", err)
	}
}

func TestSimplifyBadInput(t *testing.T) {
	ctx := context.Background()
	m := uvSphere(1, 8, 16)
	for _, opt := range []SimplifyOptions{{TargetFaces: -1}, {TargetRatio: 1.5}, {TargetRatio: math.NaN()}, {MaxError: -1}, {MaxError: math.Inf(1)}} {
		if _, _, err := Simplify(ctx, m, opt); !errors.Is(err, ErrSimplifyOptions) {
			t.Errorf("%+v: %v", opt, err)
		}
	}
	bad := m.Clone()
	bad.Faces[3][1] = 1000
	if _, _, err := Simplify(ctx, bad, SimplifyOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad index: %v", err)
	}
	// Empty, degenerate and non-manifold inputs are handled without panicking.
	bow := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}).Merge(cuboid([3]float32{1, 1, 0}, [3]float32{2, 2, 1}))
	bow.Weld(0)
	for _, in := range []*Mesh{{}, {Positions: [][3]float32{{0, 0, 0}}, Faces: [][3]uint32{{0, 0, 0}}}, bow} {
		out, rep, err := Simplify(ctx, in, SimplifyOptions{TargetFaces: 1})
		if err != nil || out == nil {
			t.Errorf("%v: %v", in.Faces, err)
		}
		_ = rep
	}
}

func ExampleSimplify() {
	sphere := uvSphere(10, 64, 128)
	out, rep, err := Simplify(context.Background(), sphere, SimplifyOptions{TargetRatio: 0.1})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.FacesBefore, "→", rep.FacesAfter, "faces, closed:", out.Topology().Closed())
	fmt.Printf("max error under 0.1 mm: %v\n", rep.MaxError < 0.1)
	// Output:
	// 16128 → 1612 faces, closed: true
	// max error under 0.1 mm: true
}

// BenchmarkSimplifyRippledSphere955k simplifies the marching-cubes mesh of the 448³ rippled sphere
// (954,628 triangles) to 10% and reports the measured deviation. bench/simplify.sh runs the same
// mesh through meshoptimizer for comparison.
func BenchmarkSimplifyRippledSphere955k(b *testing.B) {
	m, err := Isosurface(context.Background(), isoRippledSphere(448), 0)
	if err != nil {
		b.Fatal(err)
	}
	var rep SimplifyReport
	b.ResetTimer()
	c0 := cputime.Process()
	for b.Loop() {
		if _, rep, err = Simplify(context.Background(), m, SimplifyOptions{TargetRatio: 0.1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	ext := m.Bounds().Size()
	b.ReportMetric(rep.MaxError, "maxerr_mm")
	b.ReportMetric(rep.MaxError/float64(max(ext[0], ext[1], ext[2])), "maxerr_rel")
	b.ReportMetric(float64(rep.FacesBefore), "faces_in")
	b.ReportMetric(float64(rep.FacesAfter), "faces_out")
}

func TestSurfaceDeviation(t *testing.T) {
	// A grid at z = 0.3 over a square at z = 0 that covers it: every vertex is 0.3 mm away.
	from := simpTestGrid(10)
	for i := range from.Positions {
		from.Positions[i][2] = 0.3
	}
	to := &Mesh{Positions: [][3]float32{{-1, -1, 0}, {101, -1, 0}, {101, 101, 0}, {-1, 101, 0}}, Faces: [][3]uint32{{0, 1, 2}, {0, 2, 3}}}
	mx, mean := SurfaceDeviation(from, to)
	if math.Abs(mx-0.3) > 1e-6 || math.Abs(mean-0.3) > 1e-6 {
		t.Errorf("deviation %v %v, want 0.3", mx, mean)
	}
	// Beyond the square's edge, the distance is to the edge.
	from = &Mesh{Positions: [][3]float32{{104, 50, 4}, {0, 0, 0}, {1, 0, 0}}, Faces: [][3]uint32{{0, 1, 2}}}
	if mx, _ := SurfaceDeviation(from, to); math.Abs(mx-5) > 1e-5 {
		t.Errorf("deviation %v, want 5", mx)
	}
	if mx, _ := SurfaceDeviation(from, &Mesh{}); !math.IsInf(mx, 1) {
		t.Errorf("deviation to nothing %v, want +Inf", mx)
	}
}

// simpRandomMesh builds an arbitrary, usually non-manifold, mesh from bytes.
func simpRandomMesh(data []byte) *Mesh {
	m := &Mesh{}
	if len(data) == 0 {
		return m
	}
	nv := int(data[0])%40 + 1
	for i := range nv {
		m.Positions = append(m.Positions, [3]float32{float32(i % 7), float32(i % 5), float32(i % 3)})
	}
	for i := 1; i+2 < len(data); i += 3 {
		m.Faces = append(m.Faces, [3]uint32{uint32(data[i]) % uint32(nv), uint32(data[i+1]) % uint32(nv), uint32(data[i+2]) % uint32(nv)})
	}
	return m
}

func FuzzSimplify(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 0, 1, 2})
	f.Add([]byte{8, 0, 1, 2, 0, 2, 3, 0, 3, 1, 1, 3, 2, 4, 5, 6, 4, 6, 7})
	f.Add([]byte{30, 1, 2, 3, 3, 2, 1, 1, 2, 4, 5, 5, 5, 9, 8, 7, 7, 8, 10, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		m := simpRandomMesh(data)
		for _, target := range []int{0, 1, 4} {
			out, rep, err := Simplify(context.Background(), m, SimplifyOptions{TargetFaces: target})
			if err != nil {
				t.Fatal(err)
			}
			if err := out.Validate(); err != nil || rep.FacesAfter != len(out.Faces) || len(out.Faces) > len(m.Faces) {
				t.Fatalf("invalid result: %v, %+v", err, rep)
			}
		}
	})
}

func TestSimplifyArbitraryMeshes(t *testing.T) {
	// Many small arbitrary meshes (non-manifold, flipped, degenerate) must come back valid; a
	// closed input must come back closed.
	for seed := range 300 {
		data := make([]byte, 4+seed%60)
		x := uint32(seed)*2654435761 + 1
		for i := range data {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			data[i] = byte(x)
		}
		m := simpRandomMesh(data)
		closed := m.Topology().Closed()
		out, _, err := Simplify(context.Background(), m, SimplifyOptions{TargetFaces: 2})
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if closed && !out.Topology().Closed() {
			t.Fatalf("seed %d: closed input came back open", seed)
		}
	}
}

// simpTestPointTriangle2 is the textbook closest point by Voronoi region (Ericson, Real-Time
// Collision Detection, 5.1.5), to check simpPointTriangle2 against.
func simpTestPointTriangle2(p, a, b, c [3]float32) float64 {
	ab, ac, ap := sub64(b, a), sub64(c, a), sub64(p, a)
	at := func(u, v float64) float64 {
		d := [3]float64{ap[0] - u*ab[0] - v*ac[0], ap[1] - u*ab[1] - v*ac[1], ap[2] - u*ab[2] - v*ac[2]}
		return dot64(d, d)
	}
	d1, d2 := dot64(ab, ap), dot64(ac, ap)
	if d1 <= 0 && d2 <= 0 {
		return at(0, 0)
	}
	bp := sub64(p, b)
	d3, d4 := dot64(ab, bp), dot64(ac, bp)
	if d3 >= 0 && d4 <= d3 {
		return at(1, 0)
	}
	vc := d1*d4 - d3*d2
	if vc <= 0 && d1 >= 0 && d3 <= 0 {
		return at(d1/(d1-d3), 0)
	}
	cp := sub64(p, c)
	d5, d6 := dot64(ab, cp), dot64(ac, cp)
	if d6 >= 0 && d5 <= d6 {
		return at(0, 1)
	}
	vb := d5*d2 - d1*d6
	if vb <= 0 && d2 >= 0 && d6 <= 0 {
		return at(0, d2/(d2-d6))
	}
	va := d3*d6 - d5*d4
	if va <= 0 && d4-d3 >= 0 && d5-d6 >= 0 {
		w := (d4 - d3) / ((d4 - d3) + (d5 - d6))
		return at(1-w, w)
	}
	den := va + vb + vc
	return at(vb/den, vc/den)
}

func TestSimpPointTriangle(t *testing.T) {
	x := uint32(12345)
	rnd := func() float32 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return float32(x%2001)/100 - 10
	}
	for range 20000 {
		var q [4][3]float32
		for i := range q {
			q[i] = [3]float32{rnd(), rnd(), rnd()}
		}
		got, want := simpPointTriangle2(q[0], q[1], q[2], q[3]), simpTestPointTriangle2(q[0], q[1], q[2], q[3])
		if math.Abs(got-want) > 1e-9*(1+want) {
			t.Fatalf("%v: got %v, want %v", q, got, want)
		}
	}
	// A point above the middle of a face, and one off a corner.
	a, b, c := [3]float32{0, 0, 0}, [3]float32{2, 0, 0}, [3]float32{0, 2, 0}
	if d := simpPointTriangle2([3]float32{0.5, 0.5, 3}, a, b, c); d != 9 {
		t.Errorf("above: %v", d)
	}
	if d := simpPointTriangle2([3]float32{-3, -4, 0}, a, b, c); d != 25 {
		t.Errorf("corner: %v", d)
	}
}

func ExampleSurfaceDeviation() {
	fine := uvSphere(10, 64, 128)
	coarse, _, err := Simplify(context.Background(), fine, SimplifyOptions{TargetFaces: 500})
	if err != nil {
		panic(err)
	}
	maxDist, meanDist := SurfaceDeviation(fine, coarse)
	fmt.Printf("%d faces: max %.2f mm, mean %.3f mm\n", len(coarse.Faces), maxDist, meanDist)
	// Output:
	// 500 faces: max 0.13 mm, mean 0.022 mm
}

// simpTestMinShape returns the smallest ratio of doubled area to squared longest edge over m's
// faces that have an area (a needle or a cap has a small one).
func simpTestMinShape(m *Mesh) float64 {
	q := math.Inf(1)
	for _, f := range m.Faces {
		a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		l := max(dot64(sub64(b, a), sub64(b, a)), dot64(sub64(c, b), sub64(c, b)), dot64(sub64(a, c), sub64(a, c)))
		if n := norm64(triCross(a, b, c)); l > 0 && n > 0 {
			q = min(q, n/l)
		}
	}
	return q
}

// TestSimplifyMakesNoSlivers: no collapse leaves a face thinner than 1e-3 (doubled area over
// squared longest edge) unless a face was that thin before, so the result's thinnest face is no
// thinner than min(1e-3, the input's thinnest). Marching-cubes meshes are full of thin faces; before
// the rule a 20,000-face Hunyuan repair came out with needles of 3e-7 whose normals admesh
// recomputed differently from the STL's (backends/hunyuan TestReconstructDefective).
func TestSimplifyMakesNoSlivers(t *testing.T) {
	iso, err := Isosurface(context.Background(), isoRippledSphere(96), 0)
	if err != nil {
		t.Fatal(err)
	}
	solid, _, err := Solidify(context.Background(), simpTestRipple(simpTestIcosphere(30, 4), 0.1, 5), SolidifyOptions{Resolution: 96})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		m    *Mesh
		opt  SimplifyOptions
	}{
		{"solid96-20000", solid, SimplifyOptions{TargetFaces: 20000}},
		{"solid96-5000", solid, SimplifyOptions{TargetFaces: 5000}},
		{"iso96-0.1", iso, SimplifyOptions{TargetRatio: 0.1}},
		{"iso96-0.02", iso, SimplifyOptions{TargetRatio: 0.02}},
		{"ripple-0.05", simpTestRipple(simpTestIcosphere(30, 6), 0.05, 8), SimplifyOptions{TargetRatio: 0.05}},
	} {
		out, _, err := Simplify(context.Background(), c.m, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		in, got := simpTestMinShape(c.m), simpTestMinShape(out)
		if floor := min(1e-3, in) * (1 - 1e-9); got < floor {
			t.Errorf("%s: thinnest face %.3g, input's %.3g: a collapse made a sliver", c.name, got, in)
		}
	}
}
