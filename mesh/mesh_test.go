package mesh

import (
	"errors"
	"math"
	"testing"
)

func TestKnownShapes(t *testing.T) {
	openBox := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	openBox.Faces = openBox.Faces[2:] // remove the bottom quad
	bowtie := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}).Merge(cuboid([3]float32{1, 1, 0}, [3]float32{2, 2, 1}))
	bowtie.Weld(0) // the cubes now share the edge x=1,y=1
	pinch := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}).Merge(cuboid([3]float32{1, 1, 1}, [3]float32{2, 2, 2}))
	pinch.Weld(0) // the cubes share one corner
	flipped := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	flipped.Faces[5] = [3]uint32{flipped.Faces[5][0], flipped.Faces[5][2], flipped.Faces[5][1]}
	dup := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	dup.Faces = append(dup.Faces, [3]uint32{dup.Faces[3][1], dup.Faces[3][2], dup.Faces[3][0]})
	degen := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	degen.Faces = append(degen.Faces, [3]uint32{0, 0, 1})

	tests := []struct {
		name string
		m    *Mesh
		want func(t *testing.T, r Topology)
	}{
		{"cube", cuboid([3]float32{0, 0, 0}, [3]float32{2, 3, 4}), func(t *testing.T, r Topology) {
			if !r.Closed() || !r.Outward || r.Genus != 0 || r.Components != 1 || r.EulerCharacteristic != 2 {
				t.Errorf("cube: %+v", r)
			}
			if r.Volume != 24 || r.Vertices != 8 || r.Edges != 18 {
				t.Errorf("cube volume %v vertices %d edges %d, want 24, 8, 18", r.Volume, r.Vertices, r.Edges)
			}
		}},
		{"torus", torus(3, 1, 32, 16), func(t *testing.T, r Topology) {
			if !r.Closed() || !r.Outward || r.Genus != 1 || r.EulerCharacteristic != 0 {
				t.Errorf("torus: %+v", r)
			}
		}},
		{"sphere", uvSphere(1, 16, 32), func(t *testing.T, r Topology) {
			if !r.Closed() || !r.Outward || r.Genus != 0 {
				t.Errorf("sphere: %+v", r)
			}
		}},
		{"open box", openBox, func(t *testing.T, r Topology) {
			if r.Closed() || r.Watertight || r.BoundaryEdges != 4 || r.BoundaryLoops != 1 || r.Genus != 0 {
				t.Errorf("open box: %+v", r)
			}
		}},
		{"bowtie edge", bowtie, func(t *testing.T, r Topology) {
			if r.Manifold || r.NonManifoldEdges != 1 || r.Closed() || r.Components != 1 {
				t.Errorf("bowtie: %+v", r)
			}
		}},
		{"pinched vertex", pinch, func(t *testing.T, r Topology) {
			if r.Manifold || r.NonManifoldEdges != 0 || r.NonManifoldVertices != 1 || !r.Watertight || r.Closed() {
				t.Errorf("pinch: %+v", r)
			}
		}},
		{"flipped face", flipped, func(t *testing.T, r Topology) {
			if r.Oriented || r.InconsistentEdges != 3 || r.Closed() {
				t.Errorf("flipped: %+v", r)
			}
		}},
		{"duplicate face", dup, func(t *testing.T, r Topology) {
			if r.DuplicateFaces != 1 || r.Closed() {
				t.Errorf("duplicate: %+v", r)
			}
		}},
		{"degenerate face", degen, func(t *testing.T, r Topology) {
			if r.DegenerateFaces != 1 || r.Closed() {
				t.Errorf("degenerate: %+v", r)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.m.Validate(); err != nil {
				t.Fatal(err)
			}
			tc.want(t, tc.m.Topology())
		})
	}
}

func TestGeometry(t *testing.T) {
	c := cuboid([3]float32{1, 2, 3}, [3]float32{3, 5, 7})
	if a := c.Area(); a != 2*(2*3+3*4+2*4) {
		t.Errorf("area %v", a)
	}
	if got := c.Centroid(); !near3(got, [3]float64{2, 3.5, 5}, 1e-9) {
		t.Errorf("centroid %v", got)
	}
	b := c.Bounds()
	if b.Min != [3]float32{1, 2, 3} || b.Max != [3]float32{3, 5, 7} || b.Size() != [3]float32{2, 3, 4} {
		t.Errorf("bounds %+v", b)
	}
	s := uvSphere(10, 64, 128)
	if v, want := s.Volume(), 4.0/3*math.Pi*1000; math.Abs(v-want)/want > 0.01 {
		t.Errorf("sphere volume %v, want %v within 1%%", v, want)
	}
}

func TestTransform(t *testing.T) {
	c := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	c.Transform(Scale(2, 3, 4).Then(Translate(1, 1, 1)))
	if v := c.Volume(); v != 24 {
		t.Errorf("volume after scale %v", v)
	}
	if b := c.Bounds(); b.Min != [3]float32{1, 1, 1} || b.Max != [3]float32{3, 4, 5} {
		t.Errorf("bounds after transform %+v", b)
	}
	c.Transform(Scale(-1, 1, 1)) // a mirror must keep the mesh outward
	if r := c.Topology(); !r.Closed() || !r.Outward {
		t.Errorf("mirror broke orientation: %+v", r)
	}
	c.Transform(Rotate([3]float64{0, 0, 1}, math.Pi/2))
	if v := c.Volume(); math.Abs(v-24) > 1e-4 {
		t.Errorf("volume after rotation %v", v)
	}
	p := Rotate([3]float64{0, 0, 1}, math.Pi/2).Apply([3]float32{1, 0, 0})
	if math.Abs(float64(p[0])) > 1e-6 || math.Abs(float64(p[1])-1) > 1e-6 {
		t.Errorf("rotation of x axis gave %v, want y axis", p)
	}
}

func TestWeld(t *testing.T) {
	// A triangle soup of a cube: 36 vertices, one per corner of every face.
	c := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	soup := &Mesh{}
	for _, f := range c.Faces {
		base := uint32(len(soup.Positions))
		for _, v := range f {
			p := c.Positions[v]
			p[0] += 1e-5 // jitter within tolerance
			soup.Positions = append(soup.Positions, p)
		}
		soup.Faces = append(soup.Faces, [3]uint32{base, base + 1, base + 2})
	}
	soup.Positions[0][0] -= 2e-5
	rep := soup.Weld(1e-4)
	if len(soup.Positions) != 8 || rep.MergedVertices != 28 || rep.DroppedFaces != 0 {
		t.Fatalf("weld: %d vertices, report %+v", len(soup.Positions), rep)
	}
	if r := soup.Topology(); !r.Closed() || !r.Outward {
		t.Errorf("welded cube not closed: %+v", r)
	}
	// A sliver collapses to a repeated index and is dropped.
	s := &Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 0, 1e-6}}, Faces: [][3]uint32{{0, 1, 2}}}
	if rep := s.Weld(1e-3); rep.DroppedFaces != 1 || len(s.Faces) != 0 || len(s.Positions) != 0 {
		t.Errorf("sliver weld: %+v, %d faces", rep, len(s.Faces))
	}
}

func TestOrientOutward(t *testing.T) {
	c := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	c.FlipFaces()
	c.Faces[3] = [3]uint32{c.Faces[3][0], c.Faces[3][2], c.Faces[3][1]}
	if _, err := c.OrientOutward(); err != nil {
		t.Fatal(err)
	}
	if r := c.Topology(); !r.Closed() || !r.Outward || math.Abs(r.Volume-1) > 1e-9 {
		t.Errorf("cube after orient: %+v", r)
	}
	// A hollow box: the inner shell must face inward (negative volume), so the total is the wall.
	outer := cuboid([3]float32{0, 0, 0}, [3]float32{4, 4, 4})
	inner := cuboid([3]float32{1, 1, 1}, [3]float32{3, 3, 3})
	h := outer.Merge(inner)
	if _, err := h.OrientOutward(); err != nil {
		t.Fatal(err)
	}
	if v := h.Volume(); math.Abs(v-56) > 1e-9 {
		t.Errorf("hollow box volume %v, want 56", v)
	}
	// A Möbius strip is reported.
	mob := &Mesh{}
	const n = 12
	for i := range n {
		a := 2 * math.Pi * float64(i) / n
		w := a / 2
		for _, s := range []float64{-0.3, 0.3} {
			r := 1 + s*math.Cos(w)
			mob.Positions = append(mob.Positions, [3]float32{float32(r * math.Cos(a)), float32(r * math.Sin(a)), float32(s * math.Sin(w))})
		}
	}
	for i := range n {
		a, b := uint32(2*i), uint32(2*i+1)
		c, d := uint32(2*((i+1)%n)), uint32(2*((i+1)%n)+1)
		if i == n-1 {
			c, d = d, c // the half twist
		}
		mob.Faces = append(mob.Faces, [3]uint32{a, c, b}, [3]uint32{b, c, d})
	}
	if _, err := mob.OrientOutward(); !errors.Is(err, ErrNotOrientable) {
		t.Errorf("möbius: err = %v, want ErrNotOrientable", err)
	}
}

func TestVertexNormals(t *testing.T) {
	s := uvSphere(1, 16, 32)
	for _, w := range []NormalWeighting{AngleWeighted, AreaWeighted} {
		for i, n := range s.VertexNormals(w) {
			p := s.Positions[i]
			if d := float64(n[0]*p[0] + n[1]*p[1] + n[2]*p[2]); d < 0.99 {
				t.Fatalf("weighting %d: normal %v at %v points away from the radius (dot %v)", w, n, p, d)
			}
		}
	}
	for i, n := range cuboid([3]float32{}, [3]float32{1, 1, 1}).FaceNormals() {
		if l := n[0]*n[0] + n[1]*n[1] + n[2]*n[2]; math.Abs(float64(l)-1) > 1e-6 {
			t.Errorf("face %d normal %v not unit", i, n)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := []*Mesh{
		{Positions: [][3]float32{{0, 0, 0}}, Faces: [][3]uint32{{0, 0, 1}}},
		{Positions: [][3]float32{{0, 0, 0}}, Colors: [][4]uint8{}},
		{Positions: [][3]float32{{float32(math.NaN()), 0, 0}}},
	}
	for i, m := range bad {
		if err := m.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: %v, want ErrInvalid", i, err)
		}
	}
}

// bigSphere is a closed mesh of about 1,000,000 triangles for the benchmarks.
func bigSphere() *Mesh { return uvSphere(50, 708, 708) }

func BenchmarkTopology1M(b *testing.B) {
	m := bigSphere()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if !m.Topology().Closed() {
			b.Fatal("not closed")
		}
	}
	b.ReportMetric(float64(len(m.Faces)), "faces")
}

func BenchmarkWeld1M(b *testing.B) {
	src := bigSphere()
	// Unweld: one vertex per face corner, as an STL file would give.
	soup := &Mesh{Positions: make([][3]float32, 0, 3*len(src.Faces)), Faces: make([][3]uint32, len(src.Faces))}
	for i, f := range src.Faces {
		for k, v := range f {
			soup.Faces[i][k] = uint32(len(soup.Positions))
			soup.Positions = append(soup.Positions, src.Positions[v])
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		m := soup.Clone()
		b.StartTimer()
		m.Weld(1e-4)
		if len(m.Positions) != len(src.Positions) {
			b.Fatalf("welded to %d vertices, want %d", len(m.Positions), len(src.Positions))
		}
	}
}

func near3(a, b [3]float64, tol float64) bool {
	for i := range 3 {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}
