package mesh

import (
	"math"
	"testing"
	"unsafe"
)

// TestSimpTriMatchesPointTriangle holds the deviation grid's precomputed triangles to
// simpPointTriangle2 bit for bit, on random triangles, degenerate ones (repeated and collinear
// corners) and points far off.
func TestSimpTriMatchesPointTriangle(t *testing.T) {
	rnd := simpTriTestRand(987654321)
	for i := range 200000 {
		var q [4][3]float32
		for j := range q {
			q[j] = [3]float32{rnd(), rnd(), rnd()}
		}
		switch i % 5 {
		case 1:
			q[2] = q[1] // repeated corner
		case 2:
			for k := range 3 { // collinear corners
				q[3][k] = 2*q[2][k] - q[1][k]
			}
		case 3:
			q[2], q[3] = q[1], q[1] // a point
		}
		tri := newSimpTri(q[1], q[2], q[3])
		got, want := tri.dist2(q[0]), simpPointTriangle2(q[0], q[1], q[2], q[3])
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%v: got %v, want %v", q, got, want)
		}
	}
}

// TestSimpTriFarIsSafe checks far's promise: a triangle it calls far has dist2 ≥ best, here for
// best just under, at and just over each point's true squared distance and at plane distance,
// on random triangles and on points lying (up to rounding) on the triangle's plane.
func TestSimpTriFarIsSafe(t *testing.T) {
	rnd := simpTriTestRand(24680)
	for i := range 200000 {
		var q [4][3]float32
		for j := range q {
			q[j] = [3]float32{rnd(), rnd(), rnd()}
		}
		if i%2 == 1 { // a point on the plane, inside or out
			u, w := float32(i%7)/5-0.2, float32(i%11)/9-0.3
			for k := range 3 {
				q[0][k] = q[1][k] + u*(q[2][k]-q[1][k]) + w*(q[3][k]-q[1][k])
			}
		}
		tri := newSimpTri(q[1], q[2], q[3])
		d := tri.dist2(q[0])
		for _, best := range []float64{d, math.Nextafter(d, 0), math.Nextafter(d, 1), d * (1 - 1e-12), d * 0.5, d * (1 + 1e-12), d * 2, 0} {
			if tri.far(q[0], best) && d < best {
				t.Fatalf("%v: far at best %v, but dist2 %v", q, best, d)
			}
		}
	}
}

// simpPointTriangle2 is the reference simpTri.dist2 is held to: the squared distance from p to
// triangle abc, computed from the corners alone (the distance to the plane where p projects
// inside the triangle, else the least distance to its three edges). It was the deviation
// measure's code before the per-triangle terms were precomputed.
func simpPointTriangle2(p, a, b, c [3]float32) float64 {
	ax, ay, az := float64(a[0]), float64(a[1]), float64(a[2])
	e0x, e0y, e0z := float64(b[0])-ax, float64(b[1])-ay, float64(b[2])-az
	e1x, e1y, e1z := float64(c[0])-ax, float64(c[1])-ay, float64(c[2])-az
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
	// Outside (or degenerate): the nearest point is on an edge.
	seg := func(vx, vy, vz, ex, ey, ez, ee, ve float64) float64 {
		t := 0.0
		if ee > 0 {
			t = min(max(ve/ee, 0), 1)
		}
		rx, ry, rz := vx-t*ex, vy-t*ey, vz-t*ez
		return rx*rx + ry*ry + rz*rz
	}
	bx, by, bz := vx-e0x, vy-e0y, vz-e0z    // p − b
	fx, fy, fz := e1x-e0x, e1y-e0y, e1z-e0z // c − b
	return min(seg(vx, vy, vz, e0x, e0y, e0z, d00, d20), seg(vx, vy, vz, e1x, e1y, e1z, d11, d21),
		seg(bx, by, bz, fx, fy, fz, fx*fx+fy*fy+fz*fz, bx*fx+by*fy+bz*fz))
}

// simpTriTestRand returns a xorshift sequence of coordinates in about ±100, from seed.
func simpTriTestRand(seed uint32) func() float32 {
	x := seed
	return func() float32 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return float32(int32(x%200001)-100000) / 997
	}
}

// TestSimpTriIsOneLine holds simpTri to the 64 bytes of a cache line (see simpTri).
func TestSimpTriIsOneLine(t *testing.T) {
	if n := unsafe.Sizeof(simpTri{}); n != 64 {
		t.Fatalf("simpTri is %d bytes, want 64", n)
	}
}
