package mesh_test

import (
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// creaseWorst returns the largest angle, in degrees, between a face's normal and the stored
// normal at one of its corners.
func creaseWorst(m *mesh.Mesh, normals [][3]float32) float64 {
	worst := 0.0
	for i, f := range m.Faces {
		fnorm := m.FaceNormal(i)
		if fnorm == ([3]float32{}) {
			continue
		}
		for _, v := range f {
			n := normals[v]
			d := float64(n[0])*float64(fnorm[0]) + float64(n[1])*float64(fnorm[1]) + float64(n[2])*float64(fnorm[2])
			worst = max(worst, math.Acos(min(max(d, -1), 1))*180/math.Pi)
		}
	}
	return worst
}

func TestCreaseNormalsBox(t *testing.T) {
	box := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{30, 20, 10})
	box.Colors = make([][4]uint8, len(box.Positions))
	s, n := box.CreaseNormals(0)
	if len(s.Positions) != 24 || len(n) != 24 || len(s.Colors) != 24 {
		t.Fatalf("box: %d vertices, %d normals, %d colours; want 24", len(s.Positions), len(n), len(s.Colors))
	}
	if w := creaseWorst(s, n); w != 0 {
		t.Errorf("box: a corner normal is %.3g° off its face; flat faces must get their face normal exactly", w)
	}
	if tp := s.Topology(); tp.Faces != 12 || s.Volume() != box.Volume() {
		t.Errorf("box: the split changed the geometry: %d faces, volume %v", tp.Faces, s.Volume())
	}
	// Smoothing everything gives back one vertex per position.
	if s, _ := box.CreaseNormals(180); len(s.Positions) != 8 {
		t.Errorf("crease 180: %d vertices, want 8", len(s.Positions))
	}
}

func TestCreaseNormalsSmoothAndSharp(t *testing.T) {
	for _, c := range []struct {
		name     string
		m        *mesh.Mesh
		crease   float64
		splitsOK bool
	}{
		{"sphere", meshtest.UVSphere(10, 32, 64), 40, false},
		{"torus", meshtest.Torus(20, 5, 96, 48), 30, false},
		{"coarse torus", meshtest.Torus(20, 5, 8, 5), 30, true},
		{"coarse sphere", meshtest.UVSphere(10, 4, 5), 35, true},
	} {
		s, n := c.m.CreaseNormals(c.crease)
		if w := creaseWorst(s, n); w > c.crease+1e-3 {
			t.Errorf("%s: a corner normal is %.4g° off its face, beyond the %g° crease", c.name, w, c.crease)
		}
		if !c.splitsOK && len(s.Positions) != len(c.m.Positions) {
			t.Errorf("%s: smooth surface split from %d to %d vertices", c.name, len(c.m.Positions), len(s.Positions))
		}
		// The split mesh is the same surface: the same faces over the same positions.
		for i, f := range s.Faces {
			g := c.m.Faces[i]
			for k := range 3 {
				if s.Positions[f[k]] != c.m.Positions[g[k]] {
					t.Fatalf("%s: face %d corner %d moved", c.name, i, k)
				}
			}
		}
	}
}

// TestCreaseNormalsCloseToVertexNormals: on a fine smooth surface the crease normals are the
// vertex normals.
func TestCreaseNormalsCloseToVertexNormals(t *testing.T) {
	m := meshtest.UVSphere(10, 32, 64)
	_, n := m.CreaseNormals(0)
	vn := m.VertexNormals(mesh.AngleWeighted)
	for i := range n {
		for a := range 3 {
			if math.Abs(float64(n[i][a]-vn[i][a])) > 1e-5 {
				t.Fatalf("vertex %d: %v, vertex normal %v", i, n[i], vn[i])
			}
		}
	}
}

func BenchmarkCreaseNormals1M(b *testing.B) {
	m := meshtest.UVSphere(50, 708, 708)
	for b.Loop() {
		m.CreaseNormals(0)
	}
}

// TestCreaseDeterministic: the split does not depend on how many goroutines do it.
func TestCreaseDeterministic(t *testing.T) {
	// 6 segments around the tube: 60° creases along its length; 48k faces: several runs.
	m := meshtest.Torus(20, 5, 4000, 6)
	prev := runtime.GOMAXPROCS(1)
	a := m.Crease(0)
	runtime.GOMAXPROCS(4)
	b := m.Crease(0)
	runtime.GOMAXPROCS(prev)
	if !slices.Equal(a.Normals, b.Normals) || !slices.Equal(a.Origin, b.Origin) || !slices.Equal(a.Faces, b.Faces) {
		t.Fatal("Crease depends on GOMAXPROCS")
	}
	if len(a.Normals) <= len(m.Positions) {
		t.Fatalf("the faceted torus did not split (%d normals)", len(a.Normals))
	}
	if w := creaseWorst(&mesh.Mesh{Positions: func() [][3]float32 {
		p := make([][3]float32, len(a.Origin))
		for k, v := range a.Origin {
			p[k] = m.Positions[v]
		}
		return p
	}(), Faces: a.Faces}, a.Normals); w > mesh.DefaultCreaseAngle+1e-3 {
		t.Errorf("a corner is %.3g° off its face", w)
	}
}
