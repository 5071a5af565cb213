package mesh

import (
	"math"
	"testing"
)

// TestSimpTriMatchesPointTriangle holds the deviation grid's precomputed triangles to
// simpPointTriangle2 bit for bit, on random triangles, degenerate ones (repeated and collinear
// corners) and points far off.
func TestSimpTriMatchesPointTriangle(t *testing.T) {
	x := uint32(987654321)
	rnd := func() float32 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return float32(int32(x%200001)-100000) / 997
	}
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
	x := uint32(24680)
	rnd := func() float32 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return float32(int32(x%200001)-100000) / 997
	}
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
