package mesh_test

import (
	"fmt"

	"github.com/orfeas3d/orfeas/mesh"
)

// Shade a box with sharp edges: its 8 corners split into 24 vertices, each with its side's normal.
func ExampleMesh_CreaseNormals() {
	m := &mesh.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {2, 0, 0}, {2, 1, 0}, {0, 1, 0}, {0, 0, 1}, {2, 0, 1}, {2, 1, 1}, {0, 1, 1}},
		Faces: [][3]uint32{
			{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
			{3, 7, 6}, {3, 6, 2}, {0, 4, 7}, {0, 7, 3}, {1, 2, 6}, {1, 6, 5},
		},
	}
	split, normals := m.CreaseNormals(0) // 0: the default crease angle, 40°
	fmt.Println(len(m.Positions), "→", len(split.Positions), "vertices")
	fmt.Println("top corner:", normals[split.Faces[2][0]])
	// Output:
	// 8 → 24 vertices
	// top corner: [0 0 1]
}
