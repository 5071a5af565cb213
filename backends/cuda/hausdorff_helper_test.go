package cuda

import (
	"math"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

func TestWithinDistance(t *testing.T) {
	a := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	if d, at := withinDistance(a, a, 0.1); d != 0 || at >= 0 {
		t.Fatalf("a mesh against itself: %v at %d", d, at)
	}
	b := a.Clone()
	b.Transform(mesh.Translate(0, 0, 0.05))
	if d, _ := withinDistance(a, b, 0.1); math.Abs(d-0.05) > 1e-6 {
		t.Fatalf("shifted by 0.05: distance %v", d)
	}
	if d, at := withinDistance(a, b, 0.03); !math.IsInf(d, 1) || at < 0 {
		t.Fatalf("shifted by 0.05 with tolerance 0.03: %v at %d, want +Inf", d, at)
	}
	if got := pointTriangle([3]float64{0.25, 0.25, 2}, [3]float64{}, [3]float64{1, 0, 0}, [3]float64{0, 1, 0}); math.Abs(got-2) > 1e-12 {
		t.Fatalf("point above a triangle: %v", got)
	}
	if got := pointTriangle([3]float64{2, 0, 0}, [3]float64{}, [3]float64{1, 0, 0}, [3]float64{0, 1, 0}); math.Abs(got-1) > 1e-12 {
		t.Fatalf("point beyond a vertex: %v", got)
	}
}
