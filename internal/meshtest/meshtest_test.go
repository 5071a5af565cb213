package meshtest

import (
	"testing"

	"github.com/orfeas3d/orfeas/mesh"
)

// TestSolids checks what the tests that use these solids rely on: each is closed, wound outward
// (positive volume), of the stated size and genus.
func TestSolids(t *testing.T) {
	for _, c := range []struct {
		name                   string
		m                      *mesh.Mesh
		vertices, faces, genus int
	}{
		{"cuboid", Cuboid([3]float32{0, 0, 0}, [3]float32{1, 2, 3}), 8, 12, 0},
		{"torus", Torus(3, 1, 16, 8), 128, 256, 1},
		{"sphere", UVSphere(2, 8, 12), 2 + 7*12, 2 * 7 * 12, 0},
	} {
		top := c.m.Topology()
		if !top.Closed() || top.Genus != c.genus || top.Components != 1 {
			t.Errorf("%s: %+v", c.name, top)
		}
		if len(c.m.Positions) != c.vertices || len(c.m.Faces) != c.faces {
			t.Errorf("%s: %d vertices, %d faces, want %d, %d", c.name, len(c.m.Positions), len(c.m.Faces), c.vertices, c.faces)
		}
		if v := c.m.Volume(); v <= 0 {
			t.Errorf("%s: volume %g, want > 0 (outward)", c.name, v)
		}
	}
	if v := Cuboid([3]float32{0, 0, 0}, [3]float32{1, 2, 3}).Volume(); v < 5.999 || v > 6.001 {
		t.Errorf("cuboid volume %g, want 6", v)
	}
}
