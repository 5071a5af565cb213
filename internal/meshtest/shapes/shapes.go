// Package shapes builds the closed test solids of package meshtest as plain vertex and face
// slices, so that the tests inside package mesh, which cannot import meshtest (it imports mesh),
// use the same solids. Faces are wound counter-clockwise seen from outside.
package shapes

import "math"

// Cuboid returns the vertices and faces of a closed, outward-oriented box spanning lo
// to hi: 8 vertices, 12 faces.
func Cuboid(lo, hi [3]float32) (positions [][3]float32, faces [][3]uint32) {
	positions = make([][3]float32, 8)
	for i := range 8 {
		for a := range 3 {
			if i>>a&1 == 1 {
				positions[i][a] = hi[a]
			} else {
				positions[i][a] = lo[a]
			}
		}
	}
	// Vertex i has x from bit 0, y from bit 1, z from bit 2. Each quad is listed CCW seen from
	// outside.
	quads := [6][4]uint32{
		{0, 2, 3, 1}, // z = lo (bottom, facing −Z)
		{4, 5, 7, 6}, // z = hi
		{0, 1, 5, 4}, // y = lo
		{2, 6, 7, 3}, // y = hi
		{0, 4, 6, 2}, // x = lo
		{1, 3, 7, 5}, // x = hi
	}
	for _, q := range quads {
		faces = append(faces, [3]uint32{q[0], q[1], q[2]}, [3]uint32{q[0], q[2], q[3]})
	}
	return positions, faces
}

// Torus returns the vertices and faces of a closed, outward-oriented torus around the Z axis with major radius R and minor
// radius r, sampled with n segments around the axis and k around the tube.
func Torus(R, r float64, n, k int) (positions [][3]float32, faces [][3]uint32) {
	for i := range n {
		u := 2 * math.Pi * float64(i) / float64(n)
		for j := range k {
			v := 2 * math.Pi * float64(j) / float64(k)
			positions = append(positions, [3]float32{
				float32((R + r*math.Cos(v)) * math.Cos(u)),
				float32((R + r*math.Cos(v)) * math.Sin(u)),
				float32(r * math.Sin(v)),
			})
		}
	}
	idx := func(i, j int) uint32 { return uint32((i%n)*k + j%k) }
	for i := range n {
		for j := range k {
			a, b, c, d := idx(i, j), idx(i+1, j), idx(i+1, j+1), idx(i, j+1)
			faces = append(faces, [3]uint32{a, b, c}, [3]uint32{a, c, d})
		}
	}
	return positions, faces
}

// UVSphere returns the vertices and faces of a closed, outward-oriented sphere of the given radius centred on the origin,
// with the given number of latitude rings (at least 2) and longitude segments (at least 3).
func UVSphere(radius float64, rings, segments int) (positions [][3]float32, faces [][3]uint32) {
	rings, segments = max(rings, 2), max(segments, 3)
	positions = append(positions, [3]float32{0, 0, float32(-radius)})
	for i := 1; i < rings; i++ {
		th := math.Pi * float64(i) / float64(rings)
		z, s := -math.Cos(th)*radius, math.Sin(th)*radius
		for j := range segments {
			ph := 2 * math.Pi * float64(j) / float64(segments)
			positions = append(positions, [3]float32{float32(s * math.Cos(ph)), float32(s * math.Sin(ph)), float32(z)})
		}
	}
	top := uint32(len(positions))
	positions = append(positions, [3]float32{0, 0, float32(radius)})
	ring := func(i, j int) uint32 { return uint32(1 + (i-1)*segments + j%segments) }
	for j := range segments {
		faces = append(faces, [3]uint32{0, ring(1, j+1), ring(1, j)})
		faces = append(faces, [3]uint32{top, ring(rings-1, j), ring(rings-1, j+1)})
	}
	for i := 1; i < rings-1; i++ {
		for j := range segments {
			a, b, c, d := ring(i, j), ring(i, j+1), ring(i+1, j+1), ring(i+1, j)
			faces = append(faces, [3]uint32{a, b, c}, [3]uint32{a, c, d})
		}
	}
	return positions, faces
}
