package mesh

import (
	"context"
	"testing"

	"github.com/orfeas3d/orfeas/internal/cputime"
)

// BenchmarkSimpDeviation955k measures SurfaceDeviation of the 955k-face rippled sphere from its
// simplification to 10 %, the measure Simplify reports.
func BenchmarkSimpDeviation955k(b *testing.B) {
	m, err := Isosurface(context.Background(), isoRippledSphere(448), 0)
	if err != nil {
		b.Fatal(err)
	}
	r, _, err := Simplify(context.Background(), m, SimplifyOptions{TargetRatio: 0.1})
	if err != nil {
		b.Fatal(err)
	}
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

// BenchmarkSimpAdjacency955k rebuilds the vertex→face lists of the 955k-face rippled sphere.
func BenchmarkSimpAdjacency955k(b *testing.B) {
	m, err := Isosurface(context.Background(), isoRippledSphere(448), 0)
	if err != nil {
		b.Fatal(err)
	}
	s := newSimpState(context.Background(), m)
	b.ResetTimer()
	c0 := cputime.Process()
	for b.Loop() {
		s.buildAdjacency(context.Background())
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
