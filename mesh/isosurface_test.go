package mesh

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/orfeas3d/orfeas/internal/cputime"
	"github.com/orfeas3d/orfeas/internal/mctables"
)

// TestIsoTableNoFlatTriangle measures every table triangle with its vertices at many clamped
// positions along their edges, including the extremes: the flattest one must stay far above
// DegenerateRatio, which is what makes clamping a sufficient guard against degenerate faces.
func TestIsoTableNoFlatTriangle(t *testing.T) {
	ts := []float64{isoEps, 2 * isoEps, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 2*isoEps, 1 - isoEps}
	pt := func(e int, s float64) [3]float32 {
		a, b := mctables.EdgeCorners(e)
		pa, pb := mctables.Corner(a), mctables.Corner(b)
		var p [3]float32
		for i := range 3 {
			p[i] = float32(float64(pa[i]) + s*float64(pb[i]-pa[i]))
		}
		return p
	}
	worst := math.Inf(1)
	es := mctables.Cases().Edges
	for i := 0; i < len(es); i += 3 {
		for _, s0 := range ts {
			for _, s1 := range ts {
				for _, s2 := range ts {
					a, b, c := pt(int(es[i]), s0), pt(int(es[i+1]), s1), pt(int(es[i+2]), s2)
					l := max(dot64(sub64(b, a), sub64(b, a)), dot64(sub64(c, b), sub64(c, b)), dot64(sub64(a, c), sub64(a, c)))
					worst = min(worst, norm64(triCross(a, b, c))/l)
				}
			}
		}
	}
	t.Logf("flattest table triangle: |cross|/longest² = %.3g (degenerate below %.g)", worst, DegenerateRatio)
	if worst < 100*DegenerateRatio {
		t.Errorf("flattest table triangle %.3g is too close to DegenerateRatio", worst)
	}
}

// isoTestCheck asserts the guarantee: closed and outward, or empty.
func isoTestCheck(t *testing.T, name string, m *Mesh) Topology {
	t.Helper()
	if err := m.Validate(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	top := m.Topology()
	if len(m.Faces) == 0 {
		if len(m.Positions) != 0 {
			t.Errorf("%s: %d vertices without faces", name, len(m.Positions))
		}
		return top
	}
	if !top.Closed() || !top.Outward || top.DegenerateFaces != 0 || top.NonManifoldVertices != 0 || top.Vertices != len(m.Positions) {
		t.Errorf("%s: not closed and outward: %+v (positions %d)", name, top, len(m.Positions))
	}
	return top
}

// isoTestField builds a random field of one of several families on an n³ grid with the outer
// layer forced positive.
func isoTestField(seed uint64, n int) (*Grid, string) {
	r := rand.New(rand.NewPCG(seed, 0x15050))
	g := &Grid{NX: n, NY: n + 1 + int(seed%3), NZ: n - 1 - int(seed%4), Voxel: 0.5, Origin: [3]float64{-3, 1, 2}}
	g.Values = make([]float32, g.NX*g.NY*g.NZ)
	type blob struct {
		c    [3]float64
		r, w float64
	}
	var blobs []blob
	for range 2 + r.IntN(8) {
		blobs = append(blobs, blob{
			c: [3]float64{r.Float64() * float64(g.NX), r.Float64() * float64(g.NY), r.Float64() * float64(g.NZ)},
			r: 2 + r.Float64()*float64(n)/4, w: 0.5 + r.Float64(),
		})
	}
	noise := r.Float64() * 0.3
	freq := 0.3 + r.Float64()
	family := int(seed % 5)
	names := []string{"spheres", "metaballs", "gyroid", "noise", "quantised"}
	for k := range g.NZ {
		for j := range g.NY {
			for i := range g.NX {
				p := [3]float64{float64(i), float64(j), float64(k)}
				var v float64
				switch family {
				case 0, 4: // union of spheres plus noise
					v = math.Inf(1)
					for _, b := range blobs {
						v = min(v, math.Sqrt(sq3(p, b.c))-b.r)
					}
					v += noise * 4 * (r.Float64() - 0.5)
					if family == 4 {
						v = math.Round(v*4) / 4 // many samples exactly at the level
					}
				case 1: // metaballs
					v = 0.5
					for _, b := range blobs {
						v -= b.w * math.Exp(-sq3(p, b.c)/(b.r*b.r))
					}
					v += noise * (r.Float64() - 0.5)
				case 2: // gyroid sheet inside a ball: many handles, many ambiguous faces
					x, y, z := p[0]*freq, p[1]*freq, p[2]*freq
					gy := math.Sin(x)*math.Cos(y) + math.Sin(y)*math.Cos(z) + math.Sin(z)*math.Cos(x)
					ball := math.Sqrt(sq3(p, [3]float64{float64(g.NX) / 2, float64(g.NY) / 2, float64(g.NZ) / 2})) - float64(n)*0.4
					v = max(math.Abs(gy)-0.4, ball)
				case 3: // white noise: every case, ambiguous faces everywhere
					v = r.Float64()*2 - 1
				}
				if i == 0 || j == 0 || k == 0 || i == g.NX-1 || j == g.NY-1 || k == g.NZ-1 {
					v = math.Abs(v) + 1 // above both test levels
				}
				g.Values[i+g.NX*(j+g.NY*k)] = float32(v)
			}
		}
	}
	return g, names[family]
}

func sq3(a, b [3]float64) float64 {
	d := sub3(a, b)
	return dot64(d, d)
}

// TestIsosurfaceClosedRandomFields is the property test of the closedness guarantee.
func TestIsosurfaceClosedRandomFields(t *testing.T) {
	fields := 60
	if testing.Short() {
		fields = 25
	}
	for seed := range uint64(fields) {
		n := 24 + int(seed*7%17)
		if isoRaceEnabled {
			n = 16 + int(seed*7%10) // the race detector makes the topology checks slow
		}
		g, family := isoTestField(seed, n)
		for _, level := range []float32{0, 0.25} {
			m, err := Isosurface(context.Background(), g, level)
			if err != nil {
				t.Fatal(err)
			}
			isoTestCheck(t, fmt.Sprintf("seed %d (%s, %d³, level %g)", seed, family, n, level), m)
		}
	}
}

// TestIsosurfaceAllSignPatterns is exhaustive over a 3×2×2 block of interior samples inside a
// positive border: all 4096 sign patterns, so every case meets every neighbour case it can meet
// along x, y and z. Inside samples are random negatives, outside ones random non-negatives with
// a third of them exactly at the level.
func TestIsosurfaceAllSignPatterns(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	g := &Grid{NX: 5, NY: 4, NZ: 4, Voxel: 1, Values: make([]float32, 80)}
	for pattern := range 1 << 12 {
		for i := range g.Values {
			g.Values[i] = 1
		}
		for b := range 12 {
			x, y, z := 1+b%3, 1+b/3%2, 1+b/6
			v := float32(r.Float64())
			if pattern>>b&1 == 1 {
				v = -v - 1e-3
			} else if r.IntN(3) == 0 {
				v = 0
			}
			g.Values[x+5*(y+4*z)] = v
		}
		m, err := Isosurface(context.Background(), g, 0)
		if err != nil {
			t.Fatal(err)
		}
		isoTestCheck(t, fmt.Sprintf("pattern %#x", pattern), m)
		if t.Failed() {
			return
		}
	}
}

// TestIsosurfaceExactLevel uses fields whose samples are all exactly at the level or a whole step
// away, so that every crossing vertex is clamped next to a sample.
func TestIsosurfaceExactLevel(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 7))
		n := 12
		g := &Grid{NX: n, NY: n, NZ: n, Voxel: 1, Values: make([]float32, n*n*n)}
		if seed%2 == 1 {
			// Far from the coordinate origin float32 resolves less of a voxel.
			g.Voxel = 0.05
			g.Origin = [3]float64{400, -400, 400 - float64(seed)} // 8000 voxels out
		}
		for k := range n {
			for j := range n {
				for i := range n {
					v := float32(r.IntN(3) - 1) // −1, 0 (= level, counts as outside), 1
					if i == 0 || j == 0 || k == 0 || i == n-1 || j == n-1 || k == n-1 {
						v = float32(r.IntN(2))
					}
					g.Values[i+n*(j+n*k)] = v
				}
			}
		}
		m, err := Isosurface(context.Background(), g, 0)
		if err != nil {
			t.Fatal(err)
		}
		isoTestCheck(t, fmt.Sprintf("seed %d", seed), m)
	}
	// A field that is zero (at the level) everywhere but one sample: the level counts as outside,
	// so the surface is one small closed shell around the negative sample.
	g := &Grid{NX: 3, NY: 3, NZ: 3, Voxel: 1, Values: make([]float32, 27)}
	g.Values[13] = -1
	m, err := Isosurface(context.Background(), g, 0)
	if err != nil {
		t.Fatal(err)
	}
	top := isoTestCheck(t, "single sample", m)
	if top.Vertices != 6 || top.Faces != 8 || top.Genus != 0 {
		t.Errorf("single negative sample: %+v, want an octahedron", top)
	}
}

// TestIsoClassify checks the branch-free inside test against v < level, on rows with a full
// 64-sample word and a tail, for awkward values: signed zeros, the level itself and its float
// neighbours, infinities.
func TestIsoClassify(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, level := range []float32{0, float32(math.Copysign(0, -1)), 0.5, -1e-30, 3e38} {
		g := &Grid{NX: 131, NY: 3, NZ: 2, Voxel: 1, Values: make([]float32, 131*6)}
		special := []float32{0, float32(math.Copysign(0, -1)), level, math.Nextafter32(level, 1e9), math.Nextafter32(level, -1e9),
			float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32}
		for i := range g.Values {
			if r.IntN(2) == 0 {
				g.Values[i] = special[r.IntN(len(special))]
			} else {
				g.Values[i] = float32(r.NormFloat64())
			}
		}
		w := newIsoWorker(g, level)
		for k := range 2 {
			if err := w.classify(k, k); err != nil {
				t.Fatal(err)
			}
			for j := range 3 {
				for i := range 131 {
					v := g.Values[i+131*(j+3*k)]
					got := w.inside[k][j*w.words+i/64]>>(i%64)&1 == 1
					if got != (v < level) {
						t.Fatalf("level %g: sample %g classified inside=%v", level, v, got)
					}
				}
			}
		}
		for _, at := range []int{100, 130} { // in the full word, in the tail
			g.Values[131+at] = float32(math.NaN())
			if err := w.classify(0, 0); !errors.Is(err, ErrInvalidGrid) {
				t.Errorf("NaN at x=%d: %v", at, err)
			}
			g.Values[131+at] = 0
		}
	}
}

// TestIsosurfaceGolden pins the counts, topology and volume of a sphere and a torus field.
func TestIsosurfaceGolden(t *testing.T) {
	ctx := context.Background()
	const r, R, rt = 10.0, 12.0, 4.0
	sphere, err := SampleGrid(ctx, 48, 48, 48, 0.5, [3]float64{-12, -12, -12}, func(x, y, z float64) float32 {
		return float32(math.Sqrt(x*x+y*y+z*z) - r)
	})
	if err != nil {
		t.Fatal(err)
	}
	torus, err := SampleGrid(ctx, 86, 86, 24, 0.4, [3]float64{-17, -17, -4.6}, func(x, y, z float64) float32 {
		q := math.Hypot(x, y) - R
		return float32(math.Hypot(q, z) - rt)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		g             *Grid
		verts, faces  int
		genus         int
		volume, tolPc float64
	}{
		{"sphere", sphere, 7470, 14936, 0, 4.0 / 3 * math.Pi * r * r * r, 1},
		{"torus", torus, 17104, 34208, 1, 2 * math.Pi * math.Pi * R * rt * rt, 1},
	} {
		m, err := Isosurface(ctx, tc.g, 0)
		if err != nil {
			t.Fatal(err)
		}
		top := isoTestCheck(t, tc.name, m)
		t.Logf("%s: %d vertices, %d faces, genus %d, volume %.2f (exact %.2f)", tc.name, top.Vertices, top.Faces, top.Genus, top.Volume, tc.volume)
		if top.Vertices != tc.verts || top.Faces != tc.faces || top.Genus != tc.genus || top.Components != 1 {
			t.Errorf("%s: %d vertices, %d faces, genus %d, %d components; want %d, %d, %d, 1",
				tc.name, top.Vertices, top.Faces, top.Genus, top.Components, tc.verts, tc.faces, tc.genus)
		}
		if d := math.Abs(top.Volume-tc.volume) / tc.volume * 100; d > tc.tolPc {
			t.Errorf("%s: volume %.2f is %.2f%% off %.2f", tc.name, top.Volume, d, tc.volume)
		}
	}
}

// TestIsosurfaceDeterministic compares the output for GOMAXPROCS 1 and 4, and 3 for good measure.
func TestIsosurfaceDeterministic(t *testing.T) {
	g, _ := isoTestField(2, 40)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref *Mesh
	for _, procs := range []int{1, 4, 3} {
		runtime.GOMAXPROCS(procs)
		m, err := Isosurface(context.Background(), g, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = m
			continue
		}
		if !slices.Equal(m.Positions, ref.Positions) || !slices.Equal(m.Faces, ref.Faces) {
			t.Errorf("GOMAXPROCS %d: output differs from GOMAXPROCS 1", procs)
		}
	}
	if len(ref.Faces) == 0 {
		t.Fatal("empty test surface")
	}
}

// TestIsosurfaceCancel checks that a cancelled context stops the extraction with its error.
func TestIsosurfaceCancel(t *testing.T) {
	g, _ := isoTestField(1, 24)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Isosurface(ctx, g, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Isosurface with a cancelled context: %v", err)
	}
	if _, err := SampleGrid(ctx, 8, 8, 8, 1, [3]float64{}, func(x, y, z float64) float32 { return 1 }); !errors.Is(err, context.Canceled) {
		t.Errorf("SampleGrid with a cancelled context: %v", err)
	}
	// Cancel from inside the sampling function, mid-way: the call must stop and say so.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	_, err := SampleGrid(ctx, 16, 16, 64, 1, [3]float64{}, func(x, y, z float64) float32 {
		if z == 5 && x == 0 && y == 0 {
			cancel()
		}
		return 1
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("SampleGrid cancelled mid-way: %v", err)
	}
}

// isoCountdownCtx reports cancellation from its n-th Err call on, so a test can cancel in the
// middle of a run deterministically.
type isoCountdownCtx struct {
	context.Context
	n atomic.Int32
}

func (c *isoCountdownCtx) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestIsosurfaceCancelMidway cancels after a few checks: the extraction must notice inside its
// loops, not only at the start or the end.
func TestIsosurfaceCancelMidway(t *testing.T) {
	g, _ := isoTestField(1, 40)
	for _, after := range []int32{1, 3, 10} {
		ctx := &isoCountdownCtx{Context: context.Background()}
		ctx.n.Store(after)
		m, err := Isosurface(ctx, g, 0)
		if !errors.Is(err, context.Canceled) || m != nil {
			t.Errorf("cancelled after %d checks: %v, mesh %v", after, err, m != nil)
		}
	}
}

// TestIsosurfaceInvalid checks the typed errors for bad input.
func TestIsosurfaceInvalid(t *testing.T) {
	ok := func() *Grid { return &Grid{NX: 2, NY: 2, NZ: 2, Voxel: 1, Values: make([]float32, 8)} }
	nan := ok()
	nan.Values[5] = float32(math.NaN())
	cases := map[string]*Grid{
		"nil":          nil,
		"flat":         {NX: 1, NY: 2, NZ: 2, Voxel: 1, Values: make([]float32, 4)},
		"short values": {NX: 2, NY: 2, NZ: 2, Voxel: 1, Values: make([]float32, 7)},
		"zero voxel":   {NX: 2, NY: 2, NZ: 2, Values: make([]float32, 8)},
		"nan voxel":    {NX: 2, NY: 2, NZ: 2, Voxel: math.NaN(), Values: make([]float32, 8)},
		"huge":         {NX: math.MaxInt / 2, NY: 4, NZ: 2, Voxel: 1},
		"far origin":   {NX: 2, NY: 2, NZ: 2, Voxel: 1, Origin: [3]float64{0, 1e39, 0}, Values: make([]float32, 8)},
		"nan origin":   {NX: 2, NY: 2, NZ: 2, Voxel: 1, Origin: [3]float64{math.NaN(), 0, 0}, Values: make([]float32, 8)},
		"nan sample":   nan,
	}
	for name, g := range cases {
		_, err := Isosurface(context.Background(), g, 0)
		if !errors.Is(err, ErrInvalidGrid) {
			t.Errorf("%s: %v, want ErrInvalidGrid", name, err)
		}
	}
	if _, err := Isosurface(context.Background(), ok(), float32(math.Inf(1))); !errors.Is(err, ErrInvalidGrid) {
		t.Errorf("infinite level: %v", err)
	}
	if _, err := SampleGrid(context.Background(), 2, 0, 2, 1, [3]float64{}, func(x, y, z float64) float32 { return 0 }); !errors.Is(err, ErrInvalidGrid) {
		t.Errorf("SampleGrid with a zero dimension: %v", err)
	}
	if _, err := SampleGrid(context.Background(), 2, 2, 2, 1, [3]float64{}, nil); !errors.Is(err, ErrInvalidGrid) {
		t.Errorf("SampleGrid without a function: %v", err)
	}
	// Infinite samples are allowed and still give a closed surface.
	g := &Grid{NX: 4, NY: 4, NZ: 4, Voxel: 1, Values: make([]float32, 64)}
	for i := range g.Values {
		g.Values[i] = float32(math.Inf(1))
	}
	g.Values[1+4*(1+4*1)] = float32(math.Inf(-1))
	g.Values[2+4*(1+4*1)] = -1
	m, err := Isosurface(context.Background(), g, 0)
	if err != nil {
		t.Fatal(err)
	}
	isoTestCheck(t, "infinite samples", m)
}

// TestIsosurfaceOpenAtBorder: a field negative on the border gives an open but still manifold,
// consistently oriented surface (the guarantee needs a positive border).
func TestIsosurfaceOpenAtBorder(t *testing.T) {
	g, err := SampleGrid(context.Background(), 20, 20, 20, 1, [3]float64{}, func(x, y, z float64) float32 {
		return float32(z - 9.5)
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Isosurface(context.Background(), g, 0)
	if err != nil {
		t.Fatal(err)
	}
	top := m.Topology()
	if top.Watertight || !top.Manifold || !top.Oriented || top.BoundaryLoops != 1 || top.DegenerateFaces != 0 {
		t.Errorf("half-space field: %+v, want one open, oriented sheet", top)
	}
	for _, f := range m.Faces {
		if n := triCross(m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]); n[2] <= 0 {
			t.Fatalf("face %v faces down; outside is up", f)
		}
	}
}

// TestIsosurfaceEmpty: a field with nothing inside gives an empty mesh, not an error.
func TestIsosurfaceEmpty(t *testing.T) {
	g := &Grid{NX: 70, NY: 3, NZ: 3, Voxel: 1, Values: make([]float32, 70*9)}
	m, err := Isosurface(context.Background(), g, -1)
	if err != nil || len(m.Faces) != 0 || len(m.Positions) != 0 {
		t.Errorf("empty field: %v, %d faces, %d vertices", err, len(m.Faces), len(m.Positions))
	}
}

// ExampleIsosurface samples a sphere of radius 5 mm and extracts its surface.
func ExampleIsosurface() {
	ctx := context.Background()
	g, err := SampleGrid(ctx, 16, 16, 16, 1, [3]float64{-7.5, -7.5, -7.5}, func(x, y, z float64) float32 {
		return float32(math.Sqrt(x*x+y*y+z*z) - 5)
	})
	if err != nil {
		panic(err)
	}
	m, err := Isosurface(ctx, g, 0)
	if err != nil {
		panic(err)
	}
	top := m.Topology()
	fmt.Printf("closed %v, outward %v, genus %d\n", top.Closed(), top.Outward, top.Genus)
	fmt.Printf("volume %.0f mm³ (exact %.0f)\n", top.Volume, 4.0/3*math.Pi*125)
	// Output:
	// closed true, outward true, genus 0
	// volume 511 mm³ (exact 524)
}

// isoRippledSphere is the benchmark field on [−1, 1]³: |p| − 0.7 + 0.05·sin 8x·sin 8y.
func isoRippledSphere(n int) *Grid {
	v := 2 / float64(n-1)
	g, err := SampleGrid(context.Background(), n, n, n, v, [3]float64{-1, -1, -1}, func(x, y, z float64) float32 {
		return float32(math.Sqrt(x*x+y*y+z*z) - 0.7 + 0.05*math.Sin(8*x)*math.Sin(8*y))
	})
	if err != nil {
		panic(err)
	}
	return g
}

// BenchmarkIsosurface256 extracts the rippled sphere from a 256³ grid and reports Mvoxel/s (wall
// clock) and Mvoxel/CPU-s (per second of CPU time used by the process, all threads and GC
// included), which stays meaningful when other work shares the machine.
func BenchmarkIsosurface256(b *testing.B) {
	g := isoRippledSphere(256)
	ctx := context.Background()
	var m *Mesh
	b.ResetTimer()
	cpu := cputime.Process()
	for b.Loop() {
		var err error
		if m, err = Isosurface(ctx, g, 0); err != nil {
			b.Fatal(err)
		}
	}
	cpu = cputime.Process() - cpu
	voxels := float64(len(g.Values)) * float64(b.N)
	b.ReportMetric(voxels/b.Elapsed().Seconds()/1e6, "Mvoxel/s")
	if cpu > 0 {
		b.ReportMetric(voxels/cpu.Seconds()/1e6, "Mvoxel/CPU-s")
	}
	b.ReportMetric(float64(len(m.Faces)), "faces")
}

// BenchmarkIsosurfaceFieldRead256 is the floor under BenchmarkIsosurface256: one pass over the
// same 256³ field that only counts the samples below the level, split over GOMAXPROCS goroutines
// by z planes — the least any extraction must do, since every sample's sign can matter. Its
// Mvoxel/s and Mvoxel/CPU-s bound what Isosurface can reach on the machine it runs on.
func BenchmarkIsosurfaceFieldRead256(b *testing.B) {
	g := isoRippledSphere(256)
	plane := g.NX * g.NY
	workers := runtime.GOMAXPROCS(0)
	counts := make([]int, workers)
	b.ResetTimer()
	cpu := cputime.Process()
	for b.Loop() {
		var next atomic.Int64
		done := make(chan struct{}, workers)
		for w := range workers {
			go func() {
				n := 0
				for {
					k := int(next.Add(1) - 1)
					if k >= g.NZ {
						break
					}
					for _, v := range g.Values[k*plane : (k+1)*plane] {
						n += int(math.Float32bits(v) >> 31)
					}
				}
				counts[w] = n
				done <- struct{}{}
			}()
		}
		for range workers {
			<-done
		}
	}
	cpu = cputime.Process() - cpu
	voxels := float64(len(g.Values)) * float64(b.N)
	b.ReportMetric(voxels/b.Elapsed().Seconds()/1e6, "Mvoxel/s")
	if cpu > 0 {
		b.ReportMetric(voxels/cpu.Seconds()/1e6, "Mvoxel/CPU-s")
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	b.ReportMetric(float64(total), "inside")
}

// BenchmarkMemoryStream256 measures the machine's read bandwidth on the same 256³ field's
// 64 MiB: the samples read as 64-bit words, four independent XOR accumulators a goroutine,
// GOMAXPROCS goroutines over z planes, no arithmetic to speak of. It reports GB/s and the
// equivalent Mvoxel/s (4 bytes a sample): what any extraction that reads every sample once can
// reach here, the honest ceiling for BenchmarkIsosurface256.
func BenchmarkMemoryStream256(b *testing.B) {
	g := isoRippledSphere(256)
	words := unsafe.Slice((*uint64)(unsafe.Pointer(&g.Values[0])), len(g.Values)/2)
	plane := g.NX * g.NY / 2
	workers := runtime.GOMAXPROCS(0)
	sums := make([]uint64, workers)
	b.ResetTimer()
	cpu := cputime.Process()
	for b.Loop() {
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				var a0, a1, a2, a3 uint64
				for {
					k := int(next.Add(1) - 1)
					if k >= g.NZ {
						break
					}
					p := words[k*plane : (k+1)*plane]
					for i := 0; i+3 < len(p); i += 4 {
						q := (*[4]uint64)(p[i:])
						a0 ^= q[0]
						a1 ^= q[1]
						a2 ^= q[2]
						a3 ^= q[3]
					}
				}
				sums[w] = a0 ^ a1 ^ a2 ^ a3
			})
		}
		wg.Wait()
	}
	cpu = cputime.Process() - cpu
	bytes := float64(len(g.Values)) * 4 * float64(b.N)
	b.ReportMetric(bytes/b.Elapsed().Seconds()/1e9, "GB/s")
	b.ReportMetric(bytes/4/b.Elapsed().Seconds()/1e6, "Mvoxel/s")
	if cpu > 0 {
		b.ReportMetric(bytes/4/cpu.Seconds()/1e6, "Mvoxel/CPU-s")
	}
}

// TestIsosurfaceBenchmarkField checks the guarantee on the benchmark field itself (smaller grid
// under -short or -race).
func TestIsosurfaceBenchmarkField(t *testing.T) {
	n := 256
	if testing.Short() || isoRaceEnabled {
		n = 97 // one full 64-sample word and a tail per row
	}
	m, err := Isosurface(context.Background(), isoRippledSphere(n), 0)
	if err != nil {
		t.Fatal(err)
	}
	top := isoTestCheck(t, "rippled sphere", m)
	t.Logf("rippled sphere %d³: %+v", n, top)
}

// ExampleSampleGrid samples a plane field z − 1 and reads one value back: samples are stored with
// x fastest, at Values[i + NX·(j + NY·k)].
func ExampleSampleGrid() {
	g, err := SampleGrid(context.Background(), 4, 3, 2, 0.5, [3]float64{0, 0, 1}, func(x, y, z float64) float32 {
		return float32(x + 10*y + 100*(z-1))
	})
	if err != nil {
		panic(err)
	}
	i, j, k := 3, 2, 1
	fmt.Println(len(g.Values), g.Values[i+g.NX*(j+g.NY*k)])
	// Output: 24 61.5
}

// isoSignSpecials are the samples where a sign kernel could go wrong: signed zeros, denormals,
// infinities, the largest floats, NaNs of both signs.
func isoSignSpecials() []float32 {
	return []float32{0, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		math.Float32frombits(0x007fffff), math.Float32frombits(0x807fffff), math.Float32frombits(0x00800000),
		float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1, -1, 0.5,
		float32(math.NaN()), math.Float32frombits(0xffc00001), math.Float32frombits(0x7f800001)}
}

// isoSignsCheck compares isoSigns (the assembly kernel on amd64) with isoSignsGeneric on v at
// level, for every word count up to len(v)/64 + 1, and the tail and classify's whole-row result
// with the plain comparison v < level.
func isoSignsCheck(t *testing.T, v []float32, level float32) {
	t.Helper()
	nan := false
	for _, x := range v {
		nan = nan || x != x
	}
	for words := 0; words <= len(v)/64+1; words++ {
		n := min(words, len(v)/64)
		want := make([]uint64, n)
		wantNaN := isoSignsGeneric(v, level, want)
		for name, kernel := range isoSignsKernels() {
			got := make([]uint64, words)
			for i := range got {
				got[i] = 0xdeadbeefcafef00d
			}
			gotNaN := kernel(v, level, got)
			if gotNaN != wantNaN {
				t.Fatalf("%s: len %d, %d words, level %g: NaN %v, generic %v", name, len(v), words, level, gotNaN, wantNaN)
			}
			for i := range n {
				if got[i] != want[i] {
					t.Fatalf("%s: len %d, level %g: word %d = %#x, generic %#x", name, len(v), level, i, got[i], want[i])
				}
			}
			if words > n && got[n] != 0xdeadbeefcafef00d {
				t.Fatalf("%s: len %d: %d words written past v", name, len(v), words)
			}
		}
	}
	// Through classify, with the −0 level substitution and the tail, against v < level.
	g := &Grid{NX: len(v), NY: 1, NZ: 2, Voxel: 1, Values: append(slices.Clone(v), v...)}
	w := newIsoWorker(g, level)
	err := w.classify(1, 0)
	if nan {
		if !errors.Is(err, ErrInvalidGrid) {
			t.Fatalf("len %d: NaN not reported: %v", len(v), err)
		}
		first := slices.IndexFunc(v, func(x float32) bool { return x != x })
		if want := fmt.Sprintf("sample (%d, 0, 1) is NaN", first); !strings.Contains(err.Error(), want) {
			t.Fatalf("len %d: %v, want %q", len(v), err, want)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range v {
		if got := w.inside[0][i/64]>>(i%64)&1 == 1; got != (x < level) {
			t.Fatalf("len %d, level %g: sample %d = %g inside=%v", len(v), level, i, x, got)
		}
	}
	if n := len(v) % 64; n != 0 && w.inside[0][len(v)/64]>>n != 0 {
		t.Fatalf("len %d: bits set past the row's end", len(v))
	}
}

// TestIsoSignsKernel proves the sign kernel (assembly on amd64) bit-identical to the pure-Go loop
// on random rows of every length 1..300 mixing ordinary and special samples, at levels that
// include ±0, denormals and the samples themselves, and with a NaN at every position.
func TestIsoSignsKernel(t *testing.T) {
	for name := range isoSignsKernels() {
		t.Log("kernel", name)
	}
	r := rand.New(rand.NewPCG(20, 26))
	specials := isoSignSpecials()
	finite := func() float32 {
		for {
			if x := specials[r.IntN(len(specials))]; x == x && !math.IsInf(float64(x), 0) {
				return x
			}
		}
	}
	for n := 1; n <= 300; n++ {
		v := make([]float32, n)
		for i := range v {
			switch r.IntN(3) {
			case 0:
				v[i] = specials[r.IntN(len(specials))]
			default:
				v[i] = float32(r.NormFloat64())
			}
			if v[i] != v[i] && r.IntN(4) != 0 {
				v[i] = 0
			}
		}
		levels := []float32{0, float32(math.Copysign(0, -1)), finite(), v[r.IntN(n)], 0.25}
		for _, level := range levels {
			if level != level || math.IsInf(float64(level), 0) {
				continue
			}
			clean := slices.Clone(v)
			for i := range clean {
				if clean[i] != clean[i] {
					clean[i] = level
				}
			}
			isoSignsCheck(t, clean, level)
			isoSignsCheck(t, v, level)
			if n <= 140 || n%37 == 0 {
				for at := range n {
					c := slices.Clone(clean)
					c[at] = float32(math.NaN())
					isoSignsCheck(t, c, level)
				}
			}
		}
	}
}

// FuzzIsoSigns compares the sign kernel with the pure-Go loop on arbitrary sample bits.
func FuzzIsoSigns(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0x80, 1, 0, 0, 0}, uint32(0))
	f.Add(make([]byte, 4*130), uint32(0x80000000))
	f.Add(make([]byte, 4*64), uint32(0x00000001))
	f.Fuzz(func(t *testing.T, data []byte, levelBits uint32) {
		level := math.Float32frombits(levelBits)
		if level != level || math.IsInf(float64(level), 0) || len(data) < 4 {
			return
		}
		v := make([]float32, len(data)/4)
		for i := range v {
			v[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
		}
		isoSignsCheck(t, v, level)
	})
}

// badField breaks Field's contract: every real sample is outside, but on even planes and odd
// rows and the last row every bit past the row's end is set, so only those bits change between
// planes and rows (without the tail cleared, the last row's z edges index past the lattice).
type badField struct{}

func (badField) InsideRow(j, k int, mask []uint64) {
	clear(mask)
	if k%2 == 0 && (j%2 == 1 || j == 4) {
		all := ^uint64(0)
		mask[len(mask)-1] = all << 6
	}
}
func (badField) Value(i, j, k int) float32 { return 1 }

// TestIsosurfaceFieldBrokenContract: a Field that sets bits past the row's end (70 samples a
// row: one word and a 6-bit tail) gets a mesh or an error, never a panic from an index past the
// lattice.
func TestIsosurfaceFieldBrokenContract(t *testing.T) {
	g := &Grid{NX: 70, NY: 5, NZ: 4, Voxel: 1}
	m, err := IsosurfaceField(t.Context(), g, badField{}, 0)
	if err != nil {
		t.Logf("error (allowed): %v", err)
		return
	}
	for _, f := range m.Faces {
		for _, v := range f {
			if int(v) >= len(m.Positions) {
				t.Fatalf("face %v indexes past %d vertices", f, len(m.Positions))
			}
		}
	}
}

// sphereField is a sphere of radius r about the origin, in closed form: a row's inside samples
// are one run of x, so InsideRow sets bits without evaluating every sample.
type sphereField struct {
	g *Grid
	r float64
}

func (s sphereField) at(i, j, k int) (x, y, z float64) {
	v, o := s.g.Voxel, s.g.Origin
	return o[0] + float64(i)*v, o[1] + float64(j)*v, o[2] + float64(k)*v
}

func (s sphereField) Value(i, j, k int) float32 {
	x, y, z := s.at(i, j, k)
	return float32(math.Sqrt(x*x+y*y+z*z) - s.r)
}

func (s sphereField) InsideRow(j, k int, mask []uint64) {
	clear(mask)
	for i := range s.g.NX {
		if s.Value(i, j, k) < 0 {
			mask[i/64] |= 1 << (i % 64)
		}
	}
}

// ExampleIsosurfaceField extracts a sphere from a Field instead of a filled grid: the same mesh
// as Isosurface on the grid sampled from the same values.
func ExampleIsosurfaceField() {
	ctx := context.Background()
	lattice := &Grid{NX: 16, NY: 16, NZ: 16, Voxel: 1, Origin: [3]float64{-7.5, -7.5, -7.5}}
	f := sphereField{g: lattice, r: 5}
	m, err := IsosurfaceField(ctx, lattice, f, 0)
	if err != nil {
		panic(err)
	}
	dense, err := SampleGrid(ctx, 16, 16, 16, 1, lattice.Origin, func(x, y, z float64) float32 {
		return float32(math.Sqrt(x*x+y*y+z*z) - 5)
	})
	if err != nil {
		panic(err)
	}
	d, err := Isosurface(ctx, dense, 0)
	if err != nil {
		panic(err)
	}
	top := m.Topology()
	fmt.Printf("closed %v, genus %d, %d faces, same faces as the dense grid: %v\n",
		top.Closed(), top.Genus, len(m.Faces), slices.Equal(m.Faces, d.Faces))
	// Output:
	// closed true, genus 0, 956 faces, same faces as the dense grid: true
}
