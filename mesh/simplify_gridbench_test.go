package mesh

import (
	"context"
	"testing"

	"github.com/orfeas3d/orfeas/internal/cputime"
)

// BenchmarkSimpGrid955k builds the deviation grid over the 10 % simplification of the 955k-face
// rippled sphere, the grid Simplify's deviation measure searches.
func BenchmarkSimpGrid955k(b *testing.B) {
	_, r := benchSimpSphere10(b)
	b.ResetTimer()
	c0 := cputime.Process()
	for b.Loop() {
		newSimpGrid(context.Background(), r.Positions, r.Faces, 1)
	}
	b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkSimpClassify955k classifies the vertices of the 955k-face rippled sphere, as
// newSimpState does.
func BenchmarkSimpClassify955k(b *testing.B) {
	benchSimpPhase(b, func(s *simpState) { s.classify(context.Background()) })
}

// BenchmarkSimpQuadrics955k sums the plane quadrics of the 955k-face rippled sphere, as
// newSimpState does.
func BenchmarkSimpQuadrics955k(b *testing.B) {
	benchSimpPhase(b, func(s *simpState) { s.computeQuadrics(context.Background()) })
}
