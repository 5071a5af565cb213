package mesh

import "math"

// Affine is a 3D affine transform: p' = L·p + T, with L stored row-major in the first three
// columns and T in the fourth. The zero value is not useful; start from Identity.
type Affine [3][4]float64

// Identity returns the transform that leaves every point where it is.
func Identity() Affine {
	return Affine{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}
}

// Scale returns a transform scaling each axis by the given factor.
func Scale(sx, sy, sz float64) Affine {
	return Affine{{sx, 0, 0, 0}, {0, sy, 0, 0}, {0, 0, sz, 0}}
}

// Translate returns a transform moving every point by (dx, dy, dz).
func Translate(dx, dy, dz float64) Affine {
	return Affine{{1, 0, 0, dx}, {0, 1, 0, dy}, {0, 0, 1, dz}}
}

// Rotate returns a rotation by angle radians about axis (which need not be unit length), following
// the right-hand rule. A zero axis gives the identity.
func Rotate(axis [3]float64, angle float64) Affine {
	n := math.Sqrt(axis[0]*axis[0] + axis[1]*axis[1] + axis[2]*axis[2])
	if n == 0 {
		return Identity()
	}
	x, y, z := axis[0]/n, axis[1]/n, axis[2]/n
	s, c := math.Sincos(angle)
	t := 1 - c
	return Affine{
		{t*x*x + c, t*x*y - s*z, t*x*z + s*y, 0},
		{t*x*y + s*z, t*y*y + c, t*y*z - s*x, 0},
		{t*x*z - s*y, t*y*z + s*x, t*z*z + c, 0},
	}
}

// Then returns the transform that applies a first and then b.
func (a Affine) Then(b Affine) Affine {
	var r Affine
	for i := range 3 {
		for j := range 4 {
			var s float64
			for k := range 3 {
				s += b[i][k] * a[k][j]
			}
			if j == 3 {
				s += b[i][3]
			}
			r[i][j] = s
		}
	}
	return r
}

// Apply transforms one point.
func (a Affine) Apply(p [3]float32) [3]float32 {
	x, y, z := float64(p[0]), float64(p[1]), float64(p[2])
	return [3]float32{
		float32(a[0][0]*x + a[0][1]*y + a[0][2]*z + a[0][3]),
		float32(a[1][0]*x + a[1][1]*y + a[1][2]*z + a[1][3]),
		float32(a[2][0]*x + a[2][1]*y + a[2][2]*z + a[2][3]),
	}
}

// Det returns the determinant of the linear part; a negative value means the transform mirrors.
func (a Affine) Det() float64 {
	return a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) -
		a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) +
		a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
}

// Transform applies a to every vertex in place. A mirroring transform (negative determinant) also
// reverses every face's winding, so an outward-oriented mesh stays outward-oriented.
func (m *Mesh) Transform(a Affine) {
	for i, p := range m.Positions {
		m.Positions[i] = a.Apply(p)
	}
	if a.Det() < 0 {
		m.FlipFaces()
	}
}
