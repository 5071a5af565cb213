package mesh

import "math"

// simpTri is one face of the deviation grid: its corners and, for far's lower bound, its unit
// normal, in 64 bytes, one cache line (the grid's faces are met in no memory order, so a query
// pays a miss per face it measures, and one line is half the misses of the 128 bytes that also
// held the edges and their Gram matrix). dist2 derives the edges e0 = b − a, e1 = c − a, their
// Gram matrix and its determinant from the corners with the same arithmetic in the same order as
// the corners-only reference simpPointTriangle2 (in the test), so it returns that value bit for
// bit (TestSimpTriMatchesPointTriangle).
type simpTri struct {
	// The unit normal, or zero for a sliver (sin² of its angle at a under 10⁻⁶).
	nx, ny, nz float64
	a, b, c    [3]float32
}

func newSimpTri(a, b, c [3]float32) simpTri {
	t := simpTri{a: a, b: b, c: c}
	ax, ay, az := float64(a[0]), float64(a[1]), float64(a[2])
	e0x, e0y, e0z := float64(b[0])-ax, float64(b[1])-ay, float64(b[2])-az
	e1x, e1y, e1z := float64(c[0])-ax, float64(c[1])-ay, float64(c[2])-az
	d00 := e0x*e0x + e0y*e0y + e0z*e0z
	d01 := e0x*e1x + e0y*e1y + e0z*e1z
	d11 := e1x*e1x + e1y*e1y + e1z*e1z
	if den := d00*d11 - d01*d01; den > 1e-6*d00*d11 {
		nx := e0y*e1z - e0z*e1y
		ny := e0z*e1x - e0x*e1z
		nz := e0x*e1y - e0y*e1x
		if l := math.Sqrt(nx*nx + ny*ny + nz*nz); l > 0 {
			t.nx, t.ny, t.nz = nx/l, ny/l, nz/l
		}
	}
	return t
}

// far reports that dist2(p) cannot be below best: p's distance from the triangle's plane, a
// lower bound on its distance from the triangle, less a slack of 10⁻⁹·|p − a|₁, exceeds √best
// by a relative 10⁻⁹. The slack covers the rounding of the normal (a relative 10⁻¹² at most
// away from slivers, which are never called far) and of dist2's own arithmetic (a few ulps of
// |p − a|), so a triangle called far would not have lowered best: skipping it changes no
// result, bit for bit.
func (t *simpTri) far(p [3]float32, best float64) bool {
	vx, vy, vz := float64(p[0])-float64(t.a[0]), float64(p[1])-float64(t.a[1]), float64(p[2])-float64(t.a[2])
	d := math.Abs(t.nx*vx+t.ny*vy+t.nz*vz) - 1e-9*(math.Abs(vx)+math.Abs(vy)+math.Abs(vz))
	return d > 0 && d*d > best*(1+1e-9)
}

// dist2 returns the squared distance from p to the triangle, as simpPointTriangle2 does.
func (t *simpTri) dist2(p [3]float32) float64 {
	ax, ay, az := float64(t.a[0]), float64(t.a[1]), float64(t.a[2])
	e0x, e0y, e0z := float64(t.b[0])-ax, float64(t.b[1])-ay, float64(t.b[2])-az
	e1x, e1y, e1z := float64(t.c[0])-ax, float64(t.c[1])-ay, float64(t.c[2])-az
	vx, vy, vz := float64(p[0])-ax, float64(p[1])-ay, float64(p[2])-az
	d00 := e0x*e0x + e0y*e0y + e0z*e0z
	d01 := e0x*e1x + e0y*e1y + e0z*e1z
	d11 := e1x*e1x + e1y*e1y + e1z*e1z
	d20 := vx*e0x + vy*e0y + vz*e0z
	d21 := vx*e1x + vy*e1y + vz*e1z
	den := d00*d11 - d01*d01
	u := d11*d20 - d01*d21
	w := d00*d21 - d01*d20
	if den > 0 && u >= 0 && w >= 0 && u+w <= den {
		u, w = u/den, w/den
		rx, ry, rz := vx-u*e0x-w*e1x, vy-u*e0y-w*e1y, vz-u*e0z-w*e1z
		return rx*rx + ry*ry + rz*rz
	}
	bx, by, bz := vx-e0x, vy-e0y, vz-e0z    // p − b
	fx, fy, fz := e1x-e0x, e1y-e0y, e1z-e0z // c − b
	return min(simpSeg2(vx, vy, vz, e0x, e0y, e0z, d00, d20), simpSeg2(vx, vy, vz, e1x, e1y, e1z, d11, d21),
		simpSeg2(bx, by, bz, fx, fy, fz, fx*fx+fy*fy+fz*fz, bx*fx+by*fy+bz*fz))
}

// simpSeg2 is the squared distance from v to the segment from the origin along e, given
// ee = e·e and ve = v·e.
func simpSeg2(vx, vy, vz, ex, ey, ez, ee, ve float64) float64 {
	t := 0.0
	if ee > 0 {
		t = min(max(ve/ee, 0), 1)
	}
	rx, ry, rz := vx-t*ex, vy-t*ey, vz-t*ez
	return rx*rx + ry*ry + rz*rz
}
