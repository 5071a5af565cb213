package mesh_test

import (
	"fmt"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// Build a closed box, check that it bounds a solid, and read its measures.
func ExampleMesh_Topology() {
	m := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{20, 10, 5})
	t := m.Topology()
	fmt.Println("closed:", t.Closed(), "outward:", t.Outward, "genus:", t.Genus)
	fmt.Printf("volume: %.0f mm³, area: %.0f mm²\n", m.Volume(), m.Area())
	// Output:
	// closed: true outward: true genus: 0
	// volume: 1000 mm³, area: 700 mm²
}

// Merge the corners of a triangle soup (as an STL file stores it) into an indexed mesh.
func ExampleMesh_Weld() {
	box := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	soup := &mesh.Mesh{}
	for _, f := range box.Faces {
		n := uint32(len(soup.Positions))
		for _, v := range f {
			soup.Positions = append(soup.Positions, box.Positions[v])
		}
		soup.Faces = append(soup.Faces, [3]uint32{n, n + 1, n + 2})
	}
	fmt.Println("before:", len(soup.Positions), "vertices, closed:", soup.Topology().Closed())
	rep := soup.Weld(1e-6)
	fmt.Println("after:", len(soup.Positions), "vertices, closed:", soup.Topology().Closed(), "merged:", rep.MergedVertices)
	// Output:
	// before: 36 vertices, closed: false
	// after: 8 vertices, closed: true merged: 28
}

// Make the winding of an inside-out mesh consistent and outward.
func ExampleMesh_OrientOutward() {
	m := meshtest.Torus(10, 3, 24, 12)
	m.FlipFaces()
	fmt.Println("outward before:", m.Topology().Outward)
	flipped, err := m.OrientOutward()
	fmt.Println("flipped:", flipped, "err:", err, "outward after:", m.Topology().Outward)
	// Output:
	// outward before: false
	// flipped: 576 err: <nil> outward after: true
}
