package mesh

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/cputime"
)

// BenchmarkSimpDeviation955k measures SurfaceDeviation of the 955k-face rippled sphere from its
// simplification to 10 %, the measure Simplify reports.
func BenchmarkSimpDeviation955k(b *testing.B) {
	m, r := benchSimpSphere10(b)
	var mx, mean float64
	b.ResetTimer()
	c0 := cputime.Process()
	for b.Loop() {
		mx, mean = SurfaceDeviation(m, r)
	}
	b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(mx, "max")
	b.ReportMetric(mean, "mean")
}

// benchSimpSphere10 returns the 955k-face rippled sphere and its simplification to 10 %.
func benchSimpSphere10(b *testing.B) (m, r *Mesh) {
	m, err := Isosurface(context.Background(), isoRippledSphere(448), 0)
	if err != nil {
		b.Fatal(err)
	}
	r, _, err = Simplify(context.Background(), m, SimplifyOptions{TargetRatio: 0.1})
	if err != nil {
		b.Fatal(err)
	}
	return m, r
}

// BenchmarkSimpAdjacency955k rebuilds the vertex→face lists of the 955k-face rippled sphere.
func BenchmarkSimpAdjacency955k(b *testing.B) {
	benchSimpPhase(b, func(s *simpState) { s.buildAdjacency(context.Background()) })
}

// benchSimpPhase times run on the collapse state of the 955k-face rippled sphere, reporting its
// process CPU time per call beside the wall time.
func benchSimpPhase(b *testing.B, run func(s *simpState)) {
	m, err := Isosurface(context.Background(), isoRippledSphere(448), 0)
	if err != nil {
		b.Fatal(err)
	}
	s := newSimpState(context.Background(), m)
	b.ResetTimer()
	c0 := cputime.Process()
	for b.Loop() {
		run(s)
	}
	b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkSimpState955k builds the collapse state (adjacency, vertex classes, quadrics) of the
// 955k-face rippled sphere.
func BenchmarkSimpState955k(b *testing.B) {
	m, err := Isosurface(context.Background(), isoRippledSphere(448), 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	c0 := cputime.Process()
	for b.Loop() {
		newSimpState(context.Background(), m)
	}
	b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkSimpRun955k runs the collapse passes (candidates, sort, sweeps, adjacency rebuilds)
// that take the 955k-face rippled sphere to 10 %, on a fresh copy of its collapse state each
// time; cpu-ms/op counts only the passes.
func BenchmarkSimpRun955k(b *testing.B) {
	m, err := Isosurface(context.Background(), isoRippledSphere(448), 0)
	if err != nil {
		b.Fatal(err)
	}
	s0 := newSimpState(context.Background(), m)
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s := *s0
		s.pos = slices.Clone(s0.pos)
		s.faces = slices.Clone(s0.faces)
		s.q = slices.Clone(s0.q)
		s.flags = slices.Clone(s0.flags)
		s.adj = slices.Clone(s0.adj)
		s.adjStart = slices.Clone(s0.adjStart)
		s.spare, s.adjCnt = nil, nil
		var rep SimplifyReport
		b.StartTimer()
		c0 := cputime.Process()
		if err := s.run(context.Background(), len(s0.faces)/10, math.Inf(1), &rep); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Process() - c0
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkSimpCandidates955k lists and ranks the candidate collapses of the 955k-face rippled
// sphere, as the first pass does.
func BenchmarkSimpCandidates955k(b *testing.B) {
	benchSimpPhase(b, func(s *simpState) { s.candidates(context.Background()) })
}

// BenchmarkSimpDeviationFloor955k times, on the same meshes as BenchmarkSimpDeviation955k, the
// least that any exact nearest-face search of the deviation grid must do per input vertex: find
// its level-0 cell, test the cell's faces' balls for the nearest centre, and measure that one
// face (sub-benchmark "seed"); and the whole search for comparison ("search"). With the grid's
// build (BenchmarkSimpGrid955k) the seed pass is a floor of the measure's cost: a certified
// nearest point needs at least the cell's faces looked at and one distance.
func BenchmarkSimpDeviationFloor955k(b *testing.B) {
	m, r := benchSimpSphere10(b)
	g := newSimpGrid(context.Background(), r.Positions, r.Faces, 1)
	lv0 := &g.levels[0]
	var sink float64
	run := func(name string, query func(p [3]float32) float64) {
		b.Run(name, func(b *testing.B) {
			c0 := cputime.Process()
			for b.Loop() {
				for _, p := range m.Positions {
					sink += query(p)
				}
			}
			b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(m.Positions)), "ns/query")
		})
	}
	run("seed", func(p [3]float32) float64 {
		c := lv0.cell(p)
		home := c[0] + lv0.n[0]*(c[1]+lv0.n[1]*c[2])
		items := lv0.items[lv0.start[home]:lv0.start[home+1]]
		if len(items) == 0 {
			return 0
		}
		px, py, pz := float64(p[0]), float64(p[1]), float64(p[2])
		seed, sd := items[0], math.Inf(1)
		for _, fi := range items {
			c := &g.balls[fi]
			dx, dy, dz := px-float64(c[0]), py-float64(c[1]), pz-float64(c[2])
			if d := dx*dx + dy*dy + dz*dz; d < sd {
				seed, sd = fi, d
			}
		}
		return g.tris[seed].dist2(p)
	})
	run("search", func(p [3]float32) float64 {
		d, _, _ := g.nearest2(r.Positions, r.Faces, p, math.Inf(1), simpQueryWork)
		return d
	})
	if math.IsNaN(sink) {
		b.Fatal("NaN distance")
	}
}
