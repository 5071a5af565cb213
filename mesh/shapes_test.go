package mesh

import "github.com/orfeas3d/orfeas/internal/meshtest/shapes"

// The test solids of internal/meshtest, which the tests in this package cannot import (it imports
// mesh): the same shapes, built from internal/meshtest/shapes.

func cuboid(lo, hi [3]float32) *Mesh { return shapeMesh(shapes.Cuboid(lo, hi)) }

func torus(R, r float64, n, k int) *Mesh { return shapeMesh(shapes.Torus(R, r, n, k)) }

func uvSphere(radius float64, rings, segments int) *Mesh {
	return shapeMesh(shapes.UVSphere(radius, rings, segments))
}

func shapeMesh(positions [][3]float32, faces [][3]uint32) *Mesh {
	return &Mesh{Positions: positions, Faces: faces}
}
