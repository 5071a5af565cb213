package render_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/render"
)

// Render a mesh to a 256 × 256 PNG thumbnail.
func ExampleEncodePNG() {
	// A tetrahedron, wound counter-clockwise seen from outside.
	m := &mesh.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {20, 0, 0}, {0, 20, 0}, {0, 0, 20}},
		Faces:     [][3]uint32{{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}},
	}
	var b bytes.Buffer
	if err := render.EncodePNG(context.Background(), &b, m, render.Options{Width: 256, Height: 256}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.HasPrefix(b.Bytes(), []byte("\x89PNG")))
	// Output: true
}
