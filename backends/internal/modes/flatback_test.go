package modes

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/mesh"
)

// flatBackField meshes, as the inflate backends do, a flat-backed solid over a w×w image whose
// signed distance (pixels, positive inside) is sd: the grid of InflateGrid, the field of
// InflateValue with height 1 + 0.05·sd mm.
func flatBackField(t *testing.T, w int, px float64, sd func(x, y float64) float64) (*mesh.Mesh, *mesh.Grid) {
	t.Helper()
	g, err := InflateGrid(w, w, px, 1+0.05*float64(w), true)
	if err != nil {
		t.Fatal(err)
	}
	g.Values = make([]float32, g.NX*g.NY*g.NZ)
	for l := range g.NZ {
		z := float32(g.Origin[2] + float64(l)*px)
		for j := range g.NY {
			for i := range g.NX {
				v := InflateOutside(px)
				if i > 0 && j > 0 && i <= w && j <= w {
					d := sd(float64(i-1)+0.5, float64(w-j)+0.5)
					v = InflateValue(z, float32(max(1+0.05*d, 0)), float32(d), px, true)
				}
				g.Values[(l*g.NY+j)*g.NX+i] = v
			}
		}
	}
	m, err := mesh.Isosurface(context.Background(), g, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, g
}

// TestFlattenBack checks that the flat back of inflation-like solids (an annulus and a disc
// apart, two squares touching at a corner, a comb of thin teeth) is re-triangulated with far
// fewer faces and nothing else changes: still closed and outward, the same shells and genus, the
// same volume and bed area, the same bounds, no degenerate face.
func TestFlattenBack(t *testing.T) {
	const w, px = 120, 0.5
	disc := func(x, y, cx, cy, r float64) float64 { return r - math.Hypot(x-cx, y-cy) }
	box := func(x, y, x0, y0, x1, y1 float64) float64 { return min(x-x0, x1-x, y-y0, y1-y) }
	for _, c := range []struct {
		name string
		sd   func(x, y float64) float64
	}{
		{"annulus and disc", func(x, y float64) float64 {
			ring := min(disc(x, y, 50, 60, 40), -disc(x, y, 50, 60, 15))
			return max(ring, disc(x, y, 105, 20, 10))
		}},
		{"squares touching at a corner", func(x, y float64) float64 {
			return max(box(x, y, 10, 10, 60, 60), box(x, y, 60, 60, 110, 110))
		}},
		{"comb", func(x, y float64) float64 {
			d := box(x, y, 10, 10, 110, 30)
			for k := range 10 {
				d = max(d, box(x, y, 12+10*float64(k), 30, 15.5+10*float64(k), 105))
			}
			return d
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, g := flatBackField(t, w, px, c.sd)
			before := m.Topology()
			if !before.Closed() {
				t.Fatalf("marching cubes' mesh not closed: %+v", before)
			}
			f := &mesh.Mesh{Positions: slices.Clone(m.Positions), Faces: slices.Clone(m.Faces)}
			removed := FlattenBack(f, g.Origin[0], g.Origin[1], FlatBackTile*px, 3)
			after := f.Topology()
			if !after.Closed() || !after.Outward || after.Components != before.Components || after.Genus != before.Genus {
				t.Fatalf("after: %+v, before: %+v", after, before)
			}
			if n0, n1 := bedFaces(m), bedFaces(f); removed != len(m.Faces)-len(f.Faces) || n1 > n0/2 {
				t.Errorf("%d faces → %d (removed %d), on the bed %d → %d: the back was not re-triangulated", len(m.Faces), len(f.Faces), removed, n0, n1)
			}
			if v0, v1 := m.Volume(), f.Volume(); math.Abs(v1-v0) > 1e-6*v0 {
				t.Errorf("volume %v, was %v", v1, v0)
			}
			if b0, b1 := bedArea(m), bedArea(f); math.Abs(b1-b0) > 1e-6*b0 || b0 == 0 {
				t.Errorf("bed area %v, was %v", b1, b0)
			}
			if f.Bounds() != m.Bounds() {
				t.Errorf("bounds %v, were %v", f.Bounds(), m.Bounds())
			}
			// Deterministic, whatever the workers.
			f1 := &mesh.Mesh{Positions: slices.Clone(m.Positions), Faces: slices.Clone(m.Faces)}
			FlattenBack(f1, g.Origin[0], g.Origin[1], FlatBackTile*px, 1)
			if !slices.Equal(f1.Faces, f.Faces) || !slices.Equal(f1.Positions, f.Positions) {
				t.Error("the result depends on the workers")
			}
		})
	}
}

// bedFaces counts the faces whose corners are all at the mesh's lowest z.
func bedFaces(m *mesh.Mesh) int {
	zb := float32(math.Inf(1))
	for _, p := range m.Positions {
		zb = min(zb, p[2])
	}
	n := 0
	for _, f := range m.Faces {
		if m.Positions[f[0]][2] == zb && m.Positions[f[1]][2] == zb && m.Positions[f[2]][2] == zb {
			n++
		}
	}
	return n
}

// bedArea is the area of the faces whose corners are all at the mesh's lowest z.
func bedArea(m *mesh.Mesh) float64 {
	zb := float32(math.Inf(1))
	for _, p := range m.Positions {
		zb = min(zb, p[2])
	}
	var s float64
	for _, f := range m.Faces {
		a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		if a[2] == zb && b[2] == zb && c[2] == zb {
			s += math.Abs(flatCross(a, b, c)) / 2
		}
	}
	return s
}
