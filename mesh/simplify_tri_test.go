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
