package mesh

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// The hostile inputs of the reliability trials, built in code: Simplify and SurfaceDeviation must
// do bounded work on each and honour a deadline.

// simpTestSoup returns n independent random triangles in a 100 mm box, each on its own three
// vertices: every edge a border, triangles long and crossing, as a random-soup STL decodes.
func simpTestSoup(n int, seed uint64) *Mesh {
	r := rand.New(rand.NewPCG(seed, 1))
	m := &Mesh{Positions: make([][3]float32, 0, 3*n), Faces: make([][3]uint32, 0, n)}
	for i := range n {
		for range 3 {
			m.Positions = append(m.Positions, [3]float32{100 * r.Float32(), 100 * r.Float32(), 100 * r.Float32()})
		}
		v := uint32(3 * i)
		m.Faces = append(m.Faces, [3]uint32{v, v + 1, v + 2})
	}
	return m
}

// simpTestPoolSoup returns n triangles on random indices over a pool of n/2 random vertices:
// edges shared by several faces, non-manifold almost everywhere.
func simpTestPoolSoup(n int, seed uint64) *Mesh {
	r := rand.New(rand.NewPCG(seed, 2))
	nv := max(3, n/2)
	m := &Mesh{Positions: make([][3]float32, nv)}
	for i := range m.Positions {
		m.Positions[i] = [3]float32{100 * r.Float32(), 100 * r.Float32(), 100 * r.Float32()}
	}
	for len(m.Faces) < n {
		a, b, c := r.Uint32N(uint32(nv)), r.Uint32N(uint32(nv)), r.Uint32N(uint32(nv))
		if a != b && b != c && a != c {
			m.Faces = append(m.Faces, [3]uint32{a, b, c})
		}
	}
	return m
}

// simpTestFan returns a k-corner polygon triangulated as a fan from its first corner, as an OBJ
// decoder triangulates one huge face: the corners lie on a wavy circle, so the fan's centre is in
// every triangle and every triangle is a sliver reaching across the polygon.
func simpTestFan(k int) *Mesh {
	m := &Mesh{Positions: make([][3]float32, k)}
	for i := range k {
		a := 2 * math.Pi * float64(i) / float64(k)
		m.Positions[i] = [3]float32{float32(50 * math.Cos(a)), float32(50 * math.Sin(a)), float32(2 * math.Sin(37*a))}
	}
	for i := 1; i+1 < k; i++ {
		m.Faces = append(m.Faces, [3]uint32{0, uint32(i), uint32(i + 1)})
	}
	return m
}

// simpTestDoubleFan returns a closed bipyramid: two apexes each joined to the same ring of k
// points, so the mesh is closed and both apexes have degree k; collapses along the ring touch an
// apex's whole fan.
func simpTestDoubleFan(k int) *Mesh {
	m := &Mesh{Positions: make([][3]float32, k+2)}
	for i := range k {
		a := 2 * math.Pi * float64(i) / float64(k)
		m.Positions[i] = [3]float32{float32(50 * math.Cos(a)), float32(50 * math.Sin(a)), float32(2 * math.Sin(37*a))}
	}
	top, bot := uint32(k), uint32(k+1)
	m.Positions[top] = [3]float32{0, 0, 30}
	m.Positions[bot] = [3]float32{0, 0, -30}
	for i := range k {
		a, b := uint32(i), uint32((i+1)%k)
		m.Faces = append(m.Faces, [3]uint32{top, a, b}, [3]uint32{bot, b, a})
	}
	return m
}

type simpHostileCase struct {
	name string
	m    *Mesh
}

func simpHostileCases() []simpHostileCase {
	return []simpHostileCase{
		{"soup 30k", simpTestSoup(30_000, 1)},
		{"pool soup 30k", simpTestPoolSoup(30_000, 2)},
		{"fan 100k", simpTestFan(100_000)},
		{"double fan 100k", simpTestDoubleFan(100_000)},
	}
}

// TestSimplifyHostileCompletes is the hang regression: each hostile input finishes. The bound is
// generous (tens of times the measured time on a loaded two-core machine), so it fails on a hang,
// not on a slow runner; the measured times are in the benchmark.
func TestSimplifyHostileCompletes(t *testing.T) {
	for _, tc := range simpHostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			out, rep, err := Simplify(ctx, tc.m, SimplifyOptions{})
			if err != nil {
				t.Fatalf("after %v: %v", time.Since(start), err)
			}
			t.Logf("%v: %+v", time.Since(start), rep)
			if err := out.Validate(); err != nil {
				t.Fatal(err)
			}
			if top := out.Topology(); top.DegenerateFaces != 0 {
				t.Errorf("degenerate faces in the result: %+v", top)
			}
			before := tc.m.Topology()
			if after := out.Topology(); before.Closed() && !after.Closed() {
				t.Errorf("closed input, open result: %+v", after)
			}
			if math.IsNaN(rep.MaxError) || rep.MaxError < 0 || rep.MeanError > rep.MaxError {
				t.Errorf("error figures %v, %v", rep.MaxError, rep.MeanError)
			}
		})
	}
}

// TestSimplifyHostileDeadline: a 100 ms deadline is honoured on every hostile input. The bound
// asserted (1 s) is generous so that a loaded CI runner does not flake; the latency measured is
// logged.
func TestSimplifyHostileDeadline(t *testing.T) {
	for _, tc := range simpHostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, _, err := Simplify(ctx, tc.m, SimplifyOptions{TargetFaces: 4})
			el := time.Since(start)
			t.Logf("returned after %v: %v", el, err)
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v does not wrap context.DeadlineExceeded", err)
			}
			if el > time.Second {
				t.Errorf("returned %v after the start, the deadline was 100 ms", el)
			}
		})
	}
}

// TestSurfaceDeviationHostile: SurfaceDeviation between two soups finishes, and what it returns
// is an upper bound of the true figure (here checked against a brute-force search on a sample).
func TestSurfaceDeviationHostile(t *testing.T) {
	from, to := simpTestSoup(20_000, 3), simpTestSoup(20_000, 4)
	start := time.Now()
	mx, mean := SurfaceDeviation(from, to)
	t.Logf("%v: max %v, mean %v", time.Since(start), mx, mean)
	if !(mx >= mean && mean > 0) {
		t.Fatalf("max %v, mean %v", mx, mean)
	}
	truth := 0.0
	for v := 0; v < len(from.Positions); v += 97 {
		best := math.Inf(1)
		for _, f := range to.Faces {
			best = min(best, simpPointTriangle2(from.Positions[v], to.Positions[f[0]], to.Positions[f[1]], to.Positions[f[2]]))
		}
		truth = max(truth, math.Sqrt(best))
	}
	if mx < truth {
		t.Errorf("max %v below the exact max %v over a sample", mx, truth)
	}
}

// BenchmarkSimplifyHostile reports the time and memory of Simplify on the hostile inputs at the
// sizes of the trials. SIMP_HOSTILE_N scales them (a soup of N triangles, a fan of N corners);
// SIMP_HOSTILE_DEADLINE (a duration) runs them under a deadline.
func BenchmarkSimplifyHostile(b *testing.B) {
	n := 30_000
	if s := os.Getenv("SIMP_HOSTILE_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	var deadline time.Duration
	if s := os.Getenv("SIMP_HOSTILE_DEADLINE"); s != "" {
		deadline, _ = time.ParseDuration(s)
	}
	for _, tc := range []simpHostileCase{
		{"soup", simpTestSoup(n, 1)},
		{"fan", simpTestFan(n)},
		{"doublefan", simpTestDoubleFan(n)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				ctx := context.Background()
				if deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, deadline)
					defer cancel()
				}
				if _, _, err := Simplify(ctx, tc.m, SimplifyOptions{}); err != nil && !errors.Is(err, context.DeadlineExceeded) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(tc.m.Faces)), "faces")
		})
	}
}
