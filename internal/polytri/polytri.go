// Package polytri triangulates simple polygons with holes by ear clipping, with holes joined to
// the outer boundary by bridges (Eberly 2002, "Triangulation by Ear Clipping", Geometric Tools).
package polytri

import (
	"errors"
	"math"
	"slices"
)

// ErrDegenerate is returned for a polygon with fewer than three points.
var ErrDegenerate = errors.New("polytri: polygon has fewer than 3 points")

// Point is a 2D position.
type Point = [2]float64

// Triangulate triangulates the polygon whose boundary is outer (counter-clockwise) with the given
// holes (clockwise). Points are numbered in order: outer first, then each hole in turn; the
// triangles refer to those numbers and are counter-clockwise. For a polygon of n points with h
// holes it returns n + 2h − 2 triangles. It never fails on a bad (self-touching) input: it then
// returns a triangulation of the boundary sequence that covers the polygon as well as it can.
func Triangulate(outer []Point, holes [][]Point) ([][3]int, error) {
	if len(outer) < 3 {
		return nil, ErrDegenerate
	}
	pts := append([]Point(nil), outer...)
	loop := make([]int, len(outer))
	for i := range loop {
		loop[i] = i
	}
	// Join the holes from the rightmost leftwards: each bridge goes from the hole's rightmost point
	// to a visible point of the boundary so far.
	type hole struct {
		first, n, right int
	}
	var hs []hole
	for _, h := range holes {
		if len(h) < 3 {
			continue
		}
		first := len(pts)
		pts = append(pts, h...)
		r := first
		for i := first; i < len(pts); i++ {
			if pts[i][0] > pts[r][0] || (pts[i][0] == pts[r][0] && pts[i][1] < pts[r][1]) {
				r = i
			}
		}
		hs = append(hs, hole{first, len(h), r})
	}
	slices.SortStableFunc(hs, func(a, b hole) int {
		switch {
		case pts[a.right][0] > pts[b.right][0]:
			return -1
		case pts[a.right][0] < pts[b.right][0]:
			return 1
		}
		return 0
	})
	for _, h := range hs {
		at := bridgeTarget(pts, loop, h.right)
		// loop[..at] + hole from right around + right + loop[at] + loop[at+1..]
		seq := make([]int, 0, len(loop)+h.n+2)
		seq = append(seq, loop[:at+1]...)
		for k := range h.n + 1 {
			seq = append(seq, h.first+(h.right-h.first+k)%h.n)
		}
		seq = append(seq, loop[at])
		seq = append(seq, loop[at+1:]...)
		loop = seq
	}
	return clip(pts, loop), nil
}

// bridgeTarget returns the position in loop of a boundary point visible from hole point m
// (Eberly, section 3): cast a ray to +x, take the nearest edge hit, and choose its endpoint, or
// the reflex point inside the triangle it spans that makes the smallest angle with the ray.
func bridgeTarget(pts []Point, loop []int, m int) int {
	M := pts[m]
	best, bestX := -1, math.Inf(1)
	n := len(loop)
	for i := range n {
		a, b := pts[loop[i]], pts[loop[(i+1)%n]]
		if (a[1] > M[1]) == (b[1] > M[1]) && a[1] != M[1] && b[1] != M[1] {
			continue
		}
		if a[1] == b[1] {
			continue
		}
		t := (M[1] - a[1]) / (b[1] - a[1])
		if t < 0 || t > 1 {
			continue
		}
		x := a[0] + t*(b[0]-a[0])
		if x < M[0] || x >= bestX {
			continue
		}
		// Prefer the endpoint with the larger x.
		bestX = x
		if a[0] > b[0] {
			best = i
		} else {
			best = (i + 1) % n
		}
	}
	if best < 0 {
		// No hit (degenerate input): take the nearest boundary point.
		bd := math.Inf(1)
		for i := range n {
			if d := dist2(pts[loop[i]], M); d < bd {
				best, bd = i, d
			}
		}
		return best
	}
	P := pts[loop[best]]
	I := Point{bestX, M[1]}
	// Reflex points inside triangle (M, I, P) may block the view; pick the one closest in angle.
	cand, candAng, candD := best, math.Inf(1), math.Inf(1)
	for i := range n {
		q := pts[loop[i]]
		if i == best || q == P {
			continue
		}
		if !isReflex(pts, loop, i) || !inTriangle(q, M, I, P) {
			continue
		}
		ang := math.Abs(math.Atan2(q[1]-M[1], q[0]-M[0]))
		d := dist2(q, M)
		if ang < candAng || (ang == candAng && d < candD) {
			cand, candAng, candD = i, ang, d
		}
	}
	return cand
}

func isReflex(pts []Point, loop []int, i int) bool {
	n := len(loop)
	return cross(pts[loop[(i+n-1)%n]], pts[loop[i]], pts[loop[(i+1)%n]]) < 0
}

// clip removes ears from the loop until a triangle remains.
func clip(pts []Point, loop []int) [][3]int {
	n := len(loop)
	prev := make([]int, n)
	next := make([]int, n)
	for i := range n {
		prev[i], next[i] = (i+n-1)%n, (i+1)%n
	}
	tris := make([][3]int, 0, n-2)
	remaining := n
	cur := 0
	stall := 0
	for remaining > 3 {
		p, c, q := prev[cur], cur, next[cur]
		if isEar(pts, loop, prev, next, p, c, q, remaining) || stall > remaining {
			// When no ear can be found in a full pass the input is not simple; cut the
			// flattest convex corner (or any corner) so the loop still shrinks.
			if stall > remaining {
				c = fallbackEar(pts, loop, prev, next, cur, remaining)
				p, q = prev[c], next[c]
			}
			if !(loop[p] == loop[q]) { // a zero-width sliver between a bridge's two sides is skipped
				tris = append(tris, [3]int{loop[p], loop[c], loop[q]})
			}
			next[p], prev[q] = q, p
			remaining--
			cur = p
			stall = 0
			continue
		}
		cur = next[cur]
		stall++
	}
	if remaining == 3 {
		p, c, q := prev[cur], cur, next[cur]
		if loop[p] != loop[c] && loop[c] != loop[q] && loop[p] != loop[q] {
			tris = append(tris, [3]int{loop[p], loop[c], loop[q]})
		}
	}
	return tris
}

func isEar(pts []Point, loop, prev, next []int, p, c, q, remaining int) bool {
	a, b, d := pts[loop[p]], pts[loop[c]], pts[loop[q]]
	if cross(a, b, d) <= 0 {
		return false
	}
	// No other point of the loop may lie in the triangle (points at its corners are the
	// duplicates a bridge creates and do not count).
	for i, k := next[q], 0; i != p && k < remaining; i, k = next[i], k+1 {
		x := pts[loop[i]]
		if x == a || x == b || x == d {
			continue
		}
		if inTriangle(x, a, b, d) {
			return false
		}
	}
	return true
}

// fallbackEar picks the corner with the largest signed turn, preferring convex ones.
func fallbackEar(pts []Point, loop, prev, next []int, start, remaining int) int {
	best, bestV := start, math.Inf(-1)
	for i, k := start, 0; k < remaining; i, k = next[i], k+1 {
		v := cross(pts[loop[prev[i]]], pts[loop[i]], pts[loop[next[i]]])
		if v > bestV {
			best, bestV = i, v
		}
	}
	return best
}

// cross is twice the signed area of triangle abc: positive when counter-clockwise.
func cross(a, b, c Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// inTriangle reports whether p is inside or on the boundary of the counter-clockwise triangle abc.
func inTriangle(p, a, b, c Point) bool {
	if cross(a, b, c) < 0 {
		b, c = c, b
	}
	return cross(a, b, p) >= 0 && cross(b, c, p) >= 0 && cross(c, a, p) >= 0
}

func dist2(a, b Point) float64 { dx, dy := a[0]-b[0], a[1]-b[1]; return dx*dx + dy*dy }
