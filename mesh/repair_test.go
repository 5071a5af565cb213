package mesh

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// repairTestSoup returns m as a triangle soup: three fresh vertices per face.
func repairTestSoup(m *Mesh) *Mesh {
	s := &Mesh{}
	for _, f := range m.Faces {
		n := uint32(len(s.Positions))
		for _, v := range f {
			s.Positions = append(s.Positions, m.Positions[v])
		}
		s.Faces = append(s.Faces, [3]uint32{n, n + 1, n + 2})
	}
	return s
}

func repairTestDropFaces(m *Mesh, idx ...int) *Mesh {
	c := m.Clone()
	c.Faces = slices.DeleteFunc(c.Faces, func(f [3]uint32) bool {
		for _, i := range idx {
			if f == m.Faces[i] {
				return true
			}
		}
		return false
	})
	return c
}

func repairTestFlip(m *Mesh, idx ...int) *Mesh {
	c := m.Clone()
	for _, i := range idx {
		f := c.Faces[i]
		c.Faces[i] = [3]uint32{f[0], f[2], f[1]}
	}
	return c
}

// repairTestTJunction returns a unit cube whose top face has an extra vertex w in the middle of
// the edge it shares with the y = 0 side, which still spans the whole edge: a T-junction that
// leaves a 3-edge hole with collinear corners. With sliver set, the zero-area face that closes it
// in many exported files is added too.
func repairTestTJunction(sliver bool) *Mesh {
	c := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	// Top quad {4, 5, 7, 6} is faces 2 and 3: (4, 5, 7) and (4, 7, 6); edge 4–5 lies on y = 0.
	w := uint32(len(c.Positions))
	c.Positions = append(c.Positions, [3]float32{0.5, 0, 1})
	c.Faces[2] = [3]uint32{4, w, 7}
	c.Faces = append(c.Faces, [3]uint32{w, 5, 7})
	if sliver {
		c.Faces = append(c.Faces, [3]uint32{5, w, 4})
	}
	return c
}

func TestRepairBroken(t *testing.T) {
	sphere := uvSphere(50, 64, 64) // 8064 faces: a 12-face floater is under 0.5 %
	sphere.Transform(Translate(0, 0, 50))
	torus := torus(30, 10, 64, 32) // 4096 faces
	floater := cuboid([3]float32{200, 200, 0}, [3]float32{201, 201, 1})

	dups := sphere.Clone()
	for _, i := range []int{3, 700, 4000} {
		f := dups.Faces[i]
		dups.Faces = append(dups.Faces, [3]uint32{f[1], f[2], f[0]})
	}
	dups.Faces = append(dups.Faces, [3]uint32{dups.Faces[9][0], dups.Faces[9][2], dups.Faces[9][1]}) // reversed copy
	inside := sphere.Clone()
	inside.FlipFaces()
	polar := repairTestDropFaces(sphere, slices.Collect(func(yield func(int) bool) {
		for i := range 64 {
			if !yield(2 * i) { // the bottom fan: a planar 64-edge hole
				return
			}
		}
	})...)
	combined := repairTestSoup(repairTestFlip(repairTestDropFaces(torus.Merge(floater), 10, 11, 500, 1200, 1201, 1202), 7, 100, 2000))
	combined.Faces = append(combined.Faces, combined.Faces[40], [3]uint32{combined.Faces[41][2], combined.Faces[41][0], combined.Faces[41][1]})
	combined.Faces = append(combined.Faces, [3]uint32{0, 0, 1}) // repeated index

	tests := []struct {
		name  string
		m     *Mesh
		opt   RepairOptions
		check func(t *testing.T, r RepairReport)
	}{
		{"one face missing", repairTestDropFaces(sphere, 1000), RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.HolesFilled != 1 || r.AddedFaces != 1 || r.AddedVertices != 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"quad and a triangle missing", repairTestDropFaces(sphere, 500, 501, 3000), RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.HolesFilled != 2 || r.AddedFaces != 3 {
				t.Errorf("%+v", r)
			}
		}},
		{"non-planar hole in a torus", repairTestDropFaces(torus, 100, 101, 102, 103, 164, 165, 166, 167), RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.HolesFilled != 1 || r.Before.BoundaryLoops != 1 {
				t.Errorf("%+v", r)
			}
			if math.Abs(r.After.Volume-r.Before.Volume) > 0.02*r.Before.Volume {
				t.Errorf("volume %v after filling, %v before", r.After.Volume, r.Before.Volume)
			}
		}},
		{"polar cap missing", polar, RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.HolesFilled != 1 || r.AddedFaces != 62 || r.Before.BoundaryEdges != 64 {
				t.Errorf("ear clipping of a 64-gon: %+v", r)
			}
		}},
		{"flipped faces", repairTestFlip(sphere, 0, 1, 2, 77, 5000), RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.FlippedFaces != 5 || r.Before.InconsistentEdges == 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"inside out", inside, RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.FlippedFaces != len(sphere.Faces) || r.Before.Outward {
				t.Errorf("%+v", r)
			}
		}},
		{"duplicate faces", dups, RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.DroppedDuplicateFaces != 4 || r.After.Faces != len(sphere.Faces) {
				t.Errorf("%+v", r)
			}
		}},
		{"floater", sphere.Merge(floater), RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.RemovedComponents != 1 || r.RemovedComponentFaces != 12 || r.After.Components != 1 || r.After.Vertices != len(sphere.Positions) {
				t.Errorf("%+v", r)
			}
		}},
		{"floater kept when disabled", sphere.Merge(floater), RepairOptions{MinComponentRatio: -1}, func(t *testing.T, r RepairReport) {
			if r.RemovedComponents != 0 || r.After.Components != 2 || r.Changed {
				t.Errorf("%+v", r)
			}
		}},
		{"unwelded cube", repairTestSoup(cuboid([3]float32{0, 0, 0}, [3]float32{10, 10, 10})), RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.Before.Vertices != 36 || r.WeldedVertices != 28 || r.After.Vertices != 8 || math.Abs(r.After.Volume-1000) > 1e-9 {
				t.Errorf("%+v", r)
			}
		}},
		{"T-junction", repairTestTJunction(false), RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.SplitFaces != 1 || r.HolesFilled != 1 || math.Abs(r.After.Volume-1) > 1e-12 {
				t.Errorf("%+v", r)
			}
		}},
		{"T-junction with sliver", repairTestTJunction(true), RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.DroppedDegenerateFaces != 1 || r.SplitFaces != 1 || r.After.Faces != 14 {
				t.Errorf("%+v", r)
			}
		}},
		{"everything at once", combined, RepairOptions{}, func(t *testing.T, r RepairReport) {
			if r.HolesFilled != 3 || r.DroppedDuplicateFaces != 2 || r.DroppedDegenerateFaces != 1 || r.RemovedComponents != 1 || r.After.Genus != 1 {
				t.Errorf("%+v", r)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.m.Clone()
			out, r, err := Repair(context.Background(), tt.m, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(in.Positions, tt.m.Positions) || !slices.Equal(in.Faces, tt.m.Faces) {
				t.Fatal("Repair modified its input")
			}
			got := out.Topology()
			if got != r.After {
				t.Errorf("report After %+v, topology of the result %+v", r.After, got)
			}
			if !got.Closed() || !got.Outward {
				t.Errorf("result not closed and outward: %+v", got)
			}
			if r.Before != tt.m.Topology() {
				t.Errorf("report Before %+v differs from the input's topology", r.Before)
			}
			tt.check(t, r)
			// Repairing the result changes nothing.
			again, r2, err := Repair(context.Background(), out, tt.opt)
			if err != nil || r2.Changed || !slices.Equal(again.Positions, out.Positions) || !slices.Equal(again.Faces, out.Faces) {
				t.Errorf("second repair changed the mesh: %+v, %v", r2, err)
			}
		})
	}
}

func TestRepairKeepsValidMeshes(t *testing.T) {
	hollow := cuboid([3]float32{0, 0, 0}, [3]float32{40, 40, 40})
	inner := cuboid([3]float32{10, 10, 10}, [3]float32{30, 30, 30})
	inner.FlipFaces()
	hollow = hollow.Merge(inner)
	unused := cuboid([3]float32{0, 0, 0}, [3]float32{1, 2, 3})
	unused.Positions = append(unused.Positions, [3]float32{9, 9, 9}) // referenced by no face
	for name, m := range map[string]*Mesh{
		"sphere":     uvSphere(20, 48, 96),
		"torus":      torus(20, 5, 64, 32),
		"cube":       cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}),
		"hollow box": hollow,
		"two cubes":  cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}).Merge(cuboid([3]float32{3, 0, 0}, [3]float32{4, 1, 1})),
		"unused":     unused,
	} {
		out, r, err := Repair(context.Background(), m, RepairOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Changed || !slices.Equal(out.Positions, m.Positions) || !slices.Equal(out.Faces, m.Faces) {
			t.Errorf("%s: a valid mesh changed: %+v", name, r)
		}
		if out == m || (len(m.Faces) > 0 && &out.Faces[0] == &m.Faces[0]) {
			t.Errorf("%s: result shares memory with the input", name)
		}
	}
}

func TestRepairOptions(t *testing.T) {
	sphere := uvSphere(10, 32, 32)
	polar := repairTestDropFaces(sphere, slices.Collect(func(yield func(int) bool) {
		for i := range 32 {
			if !yield(2 * i) {
				return
			}
		}
	})...)
	// A hole larger than MaxHoleEdges is left open and counted.
	out, r, err := Repair(context.Background(), polar, RepairOptions{MaxHoleEdges: 31})
	if err != nil {
		t.Fatal(err)
	}
	if r.HolesLeft != 1 || r.HolesFilled != 0 || r.After.BoundaryEdges != 32 || len(out.Faces) != len(polar.Faces) {
		t.Errorf("MaxHoleEdges 31: %+v", r)
	}
	if _, r, _ := Repair(context.Background(), polar, RepairOptions{MaxHoleEdges: 32}); r.HolesFilled != 1 || !r.After.Closed() {
		t.Errorf("MaxHoleEdges 32: %+v", r)
	}
	if _, r, _ := Repair(context.Background(), polar, RepairOptions{MaxHoleEdges: -1}); r.HolesFilled != 0 || r.HolesLeft != 0 || r.After.BoundaryEdges != 32 {
		t.Errorf("MaxHoleEdges -1: %+v", r)
	}
	// A loop longer than the ear-clipping limit is filled with a fan.
	wide := repairTestDropFaces(uvSphere(10, 4, repairEarClipLimit+88), slices.Collect(func(yield func(int) bool) {
		for i := range repairEarClipLimit + 88 {
			if !yield(2 * i) {
				return
			}
		}
	})...)
	if _, r, _ := Repair(context.Background(), wide, RepairOptions{MaxHoleEdges: 1000}); r.HolesFilled != 1 || r.AddedVertices != 1 || r.AddedFaces != repairEarClipLimit+88 || !r.After.Closed() {
		t.Errorf("600-edge hole: %+v", r)
	}
	// Welding: a soup whose corners are 0.01 mm apart welds only with a tolerance that covers it.
	soup := repairTestSoup(cuboid([3]float32{0, 0, 0}, [3]float32{10, 10, 10}))
	for i := range soup.Positions {
		soup.Positions[i][0] += 0.01 * float32(i%3)
	}
	if _, r, _ := Repair(context.Background(), soup, RepairOptions{WeldTolerance: 0.05}); !r.After.Closed() || r.WeldTolerance != 0.05 {
		t.Errorf("tolerance 0.05: %+v", r)
	}
	if _, r, _ := Repair(context.Background(), soup, RepairOptions{WeldTolerance: -1}); r.WeldedVertices != 0 || r.WeldTolerance != -1 || r.After.Closed() {
		t.Errorf("welding disabled: %+v", r)
	}
}

func TestRepairNonManifold(t *testing.T) {
	// Two cubes sharing an edge: Repair leaves the non-manifold edge and says so.
	bowtie := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}).Merge(cuboid([3]float32{1, 1, 0}, [3]float32{2, 2, 1}))
	bowtie.Weld(0)
	out, r, err := Repair(context.Background(), bowtie, RepairOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.NonManifoldEdgesLeft != 1 || r.After.Faces != 24 || out.Topology().NonManifoldEdges != 1 {
		t.Errorf("%+v", r)
	}
	// A single triangle: its only "hole" would be filled by its own reverse, which is refused.
	tri := &Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, Faces: [][3]uint32{{0, 1, 2}}}
	if _, r, err := Repair(context.Background(), tri, RepairOptions{}); err != nil || r.HolesLeft != 1 || r.After.Faces != 1 || r.After.DuplicateFaces != 0 {
		t.Errorf("triangle: %+v, %v", r, err)
	}
}

func TestRepairErrors(t *testing.T) {
	if _, _, err := Repair(context.Background(), nil, RepairOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil mesh: %v", err)
	}
	bad := &Mesh{Positions: [][3]float32{{0, 0, 0}}, Faces: [][3]uint32{{0, 1, 2}}}
	if _, _, err := Repair(context.Background(), bad, RepairOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("index out of range: %v", err)
	}
	c := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	if _, _, err := Repair(context.Background(), c, RepairOptions{WeldTolerance: math.NaN()}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("NaN tolerance: %v", err)
	}
	if _, _, err := Repair(context.Background(), c, RepairOptions{MinComponentRatio: math.Inf(1)}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("infinite ratio: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Repair(ctx, repairTestSoup(c), RepairOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestRepairBoundaryLoopsPinch(t *testing.T) {
	// Two triangular holes that touch at vertex 0 (a figure eight), and an open chain.
	from := []uint32{0, 1, 2, 0, 3, 4, 5, 6}
	to := []uint32{1, 2, 0, 3, 4, 0, 6, 7}
	loops, broken, err := repairBoundaryLoops(context.Background(), 8, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(loops) != 2 || broken != 1 {
		t.Fatalf("loops %v, broken %d", loops, broken)
	}
	for _, l := range loops {
		if len(l) != 3 {
			t.Errorf("loop %v is not simple", l)
		}
	}
	// The same with the walk forced through the pinch: 0→1→2→0 is entered through 0→3 first.
	from = []uint32{0, 3, 4, 0, 1, 2}
	to = []uint32{3, 4, 0, 1, 2, 0}
	loops, broken, _ = repairBoundaryLoops(context.Background(), 5, from, to)
	if len(loops) != 2 || broken != 0 || len(loops[0]) != 3 || len(loops[1]) != 3 {
		t.Errorf("loops %v, broken %d", loops, broken)
	}
}

func TestRepairDeterministic(t *testing.T) {
	m := repairTestSoup(repairTestFlip(repairTestDropFaces(torus(30, 10, 48, 24), 10, 11, 500, 1200, 1201), 7, 100))
	a, ra, _ := Repair(context.Background(), m, RepairOptions{})
	for range 3 {
		b, rb, _ := Repair(context.Background(), m, RepairOptions{})
		if ra != rb || !slices.Equal(a.Positions, b.Positions) || !slices.Equal(a.Faces, b.Faces) {
			t.Fatal("two repairs of the same mesh differ")
		}
	}
}

// repairFuzzMesh builds a small mesh from fuzz bytes: a vertex count, coordinates on a coarse
// grid (so that coincidences, slivers and shared edges are common) or a finer one, and up to 200
// faces indexing them at random.
func repairFuzzMesh(data []byte) *Mesh {
	if len(data) == 0 {
		return &Mesh{}
	}
	nv := int(data[0])%40 + 3
	// A first byte of 128 or more selects a finer grid of 256 steps per axis.
	coord := func(b byte) float32 { return float32(b%16) / 4 }
	if data[0] >= 128 {
		coord = func(b byte) float32 { return (float32(b) - 128) / 7.3 }
	}
	data = data[1:]
	m := &Mesh{}
	for i := 0; i < nv && len(data) >= 3; i++ {
		m.Positions = append(m.Positions, [3]float32{coord(data[0]), coord(data[1]), coord(data[2])})
		data = data[3:]
	}
	if len(m.Positions) == 0 {
		return m
	}
	n := uint32(len(m.Positions))
	for len(data) >= 3 && len(m.Faces) < 200 {
		m.Faces = append(m.Faces, [3]uint32{uint32(data[0]) % n, uint32(data[1]) % n, uint32(data[2]) % n})
		data = data[3:]
	}
	return m
}

func repairFuzzSeed(m *Mesh) []byte {
	out := []byte{byte(len(m.Positions) - 3)}
	for _, p := range m.Positions {
		for _, c := range p {
			out = append(out, byte(int(c*4)&15))
		}
	}
	for _, f := range m.Faces {
		out = append(out, byte(f[0]), byte(f[1]), byte(f[2]))
	}
	return out
}

func FuzzRepair(f *testing.F) {
	f.Add([]byte{})
	f.Add(repairFuzzSeed(cuboid([3]float32{0, 0, 0}, [3]float32{3, 3, 3})))
	f.Add(repairFuzzSeed(repairTestDropFaces(cuboid([3]float32{0, 0, 0}, [3]float32{2, 1, 3}), 0, 5)))
	f.Add(repairFuzzSeed(repairTestFlip(cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}).Merge(cuboid([3]float32{1, 1, 1}, [3]float32{2, 2, 2})), 3)))
	// Two intersecting tetrahedra (TestOrientOutwardIgnoresNumbering), after an unused vertex and
	// with a degenerate face: the repair compacts them, and the result must repair to itself.
	tets := orientTwoTets([8][3]float32{{0.75, 0.25, 0.25}, {0.75, 0.75, 0.75}, {0.25, 0, 0.5}, {1, 0, 0.25}, {0.25, 0, 0.25}, {1, 0.25, 1}, {0.75, 0.25, 0.5}, {0.75, 1, 0.25}})
	tets = (&Mesh{Positions: [][3]float32{{3, 3, 3}}, Faces: [][3]uint32{{1, 1, 2}}}).Merge(tets)
	f.Add(repairFuzzSeed(tets))
	b := make([]byte, 0, 64)
	for i := range 60 {
		b = binary.LittleEndian.AppendUint32(b, uint32(i)*2654435761)
	}
	f.Add(b)
	f.Add(append([]byte{200}, b...))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := repairFuzzMesh(data)
		// Repair is near-linear; a fuzzed mesh that keeps it busy for 10 s has found a blow-up.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, r, err := Repair(ctx, m, RepairOptions{})
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Repair of %d vertices, %d faces ran past 10 s", len(m.Positions), len(m.Faces))
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Validate(); err != nil {
			t.Fatal(err)
		}
		got := out.Topology()
		if got != r.After {
			t.Fatalf("report After %+v, result %+v", r.After, got)
		}
		if got.DegenerateFaces != 0 || got.DuplicateFaces != 0 {
			t.Fatalf("degenerate or duplicate faces left: %+v", got)
		}
		// Filling, orienting and removing floaters never add boundary or non-manifold edges to
		// the welded, cleaned mesh.
		if !r.Before.Closed() {
			c := m.Clone()
			if r.WeldTolerance >= 0 {
				c.Weld(r.WeldTolerance)
			}
			repairDropBadFaces(c)
			ct := c.Topology()
			if got.BoundaryEdges > ct.BoundaryEdges || got.NonManifoldEdges > ct.NonManifoldEdges {
				t.Fatalf("repair made the cleaned mesh worse: %+v, cleaned %+v", got, ct)
			}
		}
		// Repair is idempotent: repairing a closed result changes nothing, flat shells (which
		// enclose no volume, so that the sign of their volume is rounding noise) included.
		if got.Closed() {
			again, r2, err := Repair(context.Background(), out, RepairOptions{})
			if err != nil || r2.Changed || !slices.Equal(again.Faces, out.Faces) || !slices.Equal(again.Positions, out.Positions) {
				t.Fatalf("repairing a closed result changed it: %+v, %v", r2, err)
			}
		}
	})
}

func BenchmarkRepair(b *testing.B) {
	// About 200k faces, as a soup with holes, flips and a floater.
	s := uvSphere(50, 317, 317)
	m := repairTestSoup(repairTestFlip(repairTestDropFaces(s, 1000, 1001, 50000, 120000), 5, 6, 7)).Merge(cuboid([3]float32{200, 0, 0}, [3]float32{201, 1, 1}))
	b.ResetTimer()
	for range b.N {
		if _, r, err := Repair(context.Background(), m, RepairOptions{}); err != nil || !r.After.Closed() {
			b.Fatal(err, r)
		}
	}
	b.ReportMetric(float64(len(m.Faces)), "faces")
}

func TestRepairFillAvoidsExistingEdges(t *testing.T) {
	// A unit cube without its top (the loop 4, 5, 7, 6), with a thin fin standing on each
	// diagonal of the opening: both diagonals are edges already, so no ear may be cut and the
	// hole gets a fan around a new vertex, which averages the loop's colours.
	c := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	c.Faces = slices.Delete(c.Faces, 2, 4)
	c.Colors = make([][4]uint8, len(c.Positions))
	for i := range c.Colors {
		c.Colors[i] = [4]uint8{uint8(10 * i), 0, 0, 255}
	}
	c.UVs = make([][2]float32, len(c.Positions))
	for i := range c.UVs {
		c.UVs[i] = [2]float32{float32(i) / 8, 0.5}
	}
	add := func(p [3]float32) uint32 {
		c.Positions = append(c.Positions, p)
		c.Colors = append(c.Colors, [4]uint8{0, 0, 0, 255})
		c.UVs = append(c.UVs, [2]float32{})
		return uint32(len(c.Positions) - 1)
	}
	p, q := add([3]float32{0.5, 0.5, 2}), add([3]float32{0.5, 0.6, 2.5})
	c.Faces = append(c.Faces, [3]uint32{4, 7, p}, [3]uint32{7, 4, q})
	p, q = add([3]float32{0.4, 0.5, 3}), add([3]float32{0.5, 0.4, 3.5})
	c.Faces = append(c.Faces, [3]uint32{5, 6, p}, [3]uint32{6, 5, q})

	out, r, err := Repair(context.Background(), c, RepairOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.HolesFilled != 3 || r.AddedVertices != 1 || r.After.NonManifoldEdges != 0 || r.After.BoundaryEdges != 0 || r.After.DuplicateFaces != 0 {
		t.Fatalf("%+v", r)
	}
	// The fan's centre is the last vertex: the middle of the opening, coloured with the mean of
	// vertices 4, 5, 6, 7.
	last := len(out.Positions) - 1
	if out.Positions[last] != [3]float32{0.5, 0.5, 1} || out.Colors[last] != [4]uint8{55, 0, 0, 255} || out.UVs[last] != [2]float32{5.5 / 8, 0.5} {
		t.Errorf("fan centre %v colour %v UV %v", out.Positions[last], out.Colors[last], out.UVs[last])
	}
}

func TestOrientOutwardOpenPatchContainsNothing(t *testing.T) {
	// A closed cube inside a box with no lid: the open box is not a shell, so the cube is not a
	// cavity and must face outward.
	box := cuboid([3]float32{0, 0, 0}, [3]float32{10, 10, 10})
	box.Faces = slices.Delete(box.Faces, 2, 4)
	inner := cuboid([3]float32{4, 4, 4}, [3]float32{6, 6, 6})
	m := box.Merge(inner)
	if _, err := m.OrientOutward(); err != nil {
		t.Fatal(err)
	}
	cube := &Mesh{Positions: m.Positions, Faces: m.Faces[len(box.Faces):]}
	if v := cube.Volume(); math.Abs(v-8) > 1e-9 {
		t.Errorf("inner cube volume %v, want 8", v)
	}
}

// repairBenchSoup returns n small disjoint triangles scattered in a 100 mm cube: the worst case
// for anything quadratic in the number of components.
func repairBenchSoup(n int) *Mesh {
	m := &Mesh{}
	x := uint32(12345)
	rnd := func() float32 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return float32(x%100000) / 1000
	}
	for i := range n {
		c := [3]float32{rnd(), rnd(), rnd()}
		for range 3 {
			m.Positions = append(m.Positions, [3]float32{c[0] + rnd()/100, c[1] + rnd()/100, c[2] + rnd()/100})
		}
		m.Faces = append(m.Faces, [3]uint32{uint32(3 * i), uint32(3*i + 1), uint32(3*i + 2)})
	}
	return m
}

func BenchmarkRepairSoup100k(b *testing.B) {
	m := repairBenchSoup(100000)
	b.ResetTimer()
	for range b.N {
		if _, _, err := Repair(context.Background(), m, RepairOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRepairIdempotent: repair(repair(m)) == repair(m), on closed meshes with a shell that
// encloses no volume beside a solid one. Before the fix, OrientOutward turned the flat shell by
// the sign of its volume, rounding noise that changes sign when the shell is turned, so each
// repair flipped it again (FuzzRepair's crasher 1a4b94d4c205d2db flipped 12 faces every time).
func TestRepairIdempotent(t *testing.T) {
	// The fuzz crasher's repaired result: a tetrahedron (vertices 0–3) and a closed 12-face shell
	// of zero volume (4–11).
	crasher := &Mesh{
		Positions: [][3]float32{{0, 0, 0}, {0, 1.75, 2.25}, {2.25, 2, 1.75}, {0, 0.25, 0}, {0, 0.5, 0}, {1, 0, 1},
			{2, 2, 0.5}, {1, 1, 2}, {2, 1, 2}, {1, 2, 2}, {2, 0.25, 0}, {0, 0.5, 0.25}},
		Faces: [][3]uint32{{1, 3, 0}, {1, 0, 2}, {4, 7, 6}, {4, 5, 7}, {8, 11, 9}, {4, 9, 5}, {4, 8, 9}, {6, 11, 10},
			{6, 7, 11}, {4, 10, 8}, {3, 1, 2}, {3, 2, 0}, {10, 4, 6}, {11, 5, 9}, {11, 7, 5}, {11, 8, 10}},
	}
	// A flat tetrahedron, its four corners on a tilted plane (so that float32 rounding leaves its
	// volume a little off zero), beside a cube; in both windings.
	flat := func(flip bool) *Mesh {
		pl := func(x, y float64) [3]float32 { return [3]float32{float32(x), float32(y), float32(0.3*x + 0.7*y + 0.1)} }
		m := &Mesh{Positions: [][3]float32{pl(0, 0), pl(2.1, 0), pl(0, 1.9), pl(0.55, 0.45)},
			Faces: [][3]uint32{{0, 2, 1}, {0, 1, 3}, {1, 2, 3}, {2, 0, 3}}}
		if flip {
			for i, f := range m.Faces {
				m.Faces[i] = [3]uint32{f[0], f[2], f[1]}
			}
		}
		return m.Merge(cuboid([3]float32{5, 5, 5}, [3]float32{7, 8, 9}))
	}
	for _, tc := range []struct {
		name string
		m    *Mesh
	}{
		{"fuzz crasher", crasher},
		{"flat tetrahedron and cube", flat(false)},
		{"flat tetrahedron turned and cube", flat(true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if top := tc.m.Topology(); !top.Closed() || top.Components != 2 {
				t.Fatalf("test mesh not two closed shells: %+v", top)
			}
			once, r1, err := Repair(context.Background(), tc.m, RepairOptions{})
			if err != nil {
				t.Fatal(err)
			}
			twice, r2, err := Repair(context.Background(), once, RepairOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if r2.Changed || r2.FlippedFaces != 0 || !slices.Equal(twice.Faces, once.Faces) || !slices.Equal(twice.Positions, once.Positions) {
				t.Errorf("second repair changed the first's result: flipped %d faces (first repair flipped %d)", r2.FlippedFaces, r1.FlippedFaces)
			}
		})
	}
}

// orientTwoTets returns two tetrahedra with corners at the given positions, vertices 0–3 and 4–7,
// each wound one way.
func orientTwoTets(p [8][3]float32) *Mesh {
	m := &Mesh{Positions: p[:]}
	for k := range uint32(2) {
		a, b, c, d := 4*k, 4*k+1, 4*k+2, 4*k+3
		m.Faces = append(m.Faces, [3]uint32{a, b, c}, [3]uint32{a, c, d}, [3]uint32{a, d, b}, [3]uint32{b, d, c})
	}
	return m
}

func TestOrientOutwardIgnoresNumbering(t *testing.T) {
	// Tetrahedra on a grid of five steps intersect often, and where the probe of one lies on a
	// face of the other the inside test is rounding noise: its outcome may depend on neither the
	// winding nor the vertex numbering, or orienting a renumbered copy (Repair compacts its
	// vertices) turns a shell back. The first case is one such pair, found by this search.
	x := uint64(0x9e3779b97f4a7c15)
	next := func() float32 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return float32(x%5) / 4
	}
	cases := [][8][3]float32{{{0.25, 0.75, 0.25}, {1, 1, 0.75}, {0.75, 0.5, 1}, {0, 0.25, 0}, {0.75, 0.5, 0.5}, {0.5, 1, 1}, {1, 1, 0.5}, {1, 0.5, 0.5}}}
	for range 20000 {
		var p [8][3]float32
		for i := range p {
			p[i] = [3]float32{next(), next(), next()}
		}
		cases = append(cases, p)
	}
	bad := 0
	for ci, p := range cases {
		m := orientTwoTets(p)
		if !m.Topology().Closed() {
			continue
		}
		if _, err := m.OrientOutward(); err != nil {
			t.Fatal(err)
		}
		// Renumber: reverse the vertex order. A flat tetrahedron (four coplanar corners) has no
		// outside and OrientOutward turns it by rounding noise; Repair keeps its winding, below.
		r := &Mesh{Positions: slices.Clone(m.Positions)}
		slices.Reverse(r.Positions)
		for _, f := range m.Faces {
			r.Faces = append(r.Faces, [3]uint32{7 - f[0], 7 - f[1], 7 - f[2]})
		}
		flat := false
		for k := 0; k < 8; k += 4 {
			a, b, c := sub3(f64(p[k+1]), f64(p[k])), sub3(f64(p[k+2]), f64(p[k])), sub3(f64(p[k+3]), f64(p[k]))
			flat = flat || dot64(a, cross64(b, c)) == 0 // exact on this grid
		}
		if n, _ := r.OrientOutward(); n != 0 && !flat {
			bad++
			if bad <= 3 {
				t.Errorf("case %d %v: oriented, renumbered and oriented again flips %d faces", ci, p, n)
			}
		}
		// Through Repair: an unused vertex in front makes compact renumber the result, which
		// must then repair to itself.
		in := &Mesh{Positions: append([][3]float32{{9, 9, 9}}, p[:]...)}
		for _, f := range m.Faces {
			in.Faces = append(in.Faces, [3]uint32{f[0] + 1, f[2] + 1, f[1] + 1})
		}
		in.Faces = append(in.Faces, [3]uint32{1, 1, 2}) // degenerate: not closed, so the full path runs
		out, _, err := Repair(context.Background(), in, RepairOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !out.Topology().Closed() {
			continue
		}
		if again, r2, err := Repair(context.Background(), out, RepairOptions{}); err != nil || r2.Changed || !slices.Equal(again.Faces, out.Faces) {
			bad++
			if bad <= 3 {
				t.Errorf("case %d %v: repairing the repaired pair changed it (%d faces flipped)", ci, p, r2.FlippedFaces)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d cases depend on the numbering", bad, len(cases))
	}
}
