// Package meshtest holds the closed, outward-oriented solids that tests across the module build
// their meshes from: boxes, tori and UV spheres. It is a test tool, not API: it lives under
// internal so that no user depends on it.
package meshtest

import (
	"github.com/orfeas3d/orfeas/internal/meshtest/shapes"
	"github.com/orfeas3d/orfeas/mesh"
)

// Cuboid returns a closed, outward-oriented box spanning lo to hi: 8 vertices, 12 faces.
func Cuboid(lo, hi [3]float32) *mesh.Mesh { return build(shapes.Cuboid(lo, hi)) }

// Torus returns a closed, outward-oriented torus around the Z axis with major radius R and minor
// radius r, sampled with n segments around the axis and k around the tube.
func Torus(R, r float64, n, k int) *mesh.Mesh { return build(shapes.Torus(R, r, n, k)) }

// UVSphere returns a closed, outward-oriented sphere of the given radius centred on the origin,
// with the given number of latitude rings (at least 2) and longitude segments (at least 3).
func UVSphere(radius float64, rings, segments int) *mesh.Mesh {
	return build(shapes.UVSphere(radius, rings, segments))
}

func build(positions [][3]float32, faces [][3]uint32) *mesh.Mesh {
	return &mesh.Mesh{Positions: positions, Faces: faces}
}
