// Package polytri triangulates simple polygons with holes by ear clipping, with holes joined to
// the outer boundary by bridges (Eberly 2002, "Triangulation by Ear Clipping", Geometric Tools).
package polytri

import (
	"cmp"
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
	// to the nearest point of the boundary so far that it sees.
	var hs []hole
	for _, h := range holes {
		first := len(pts)
		pts = append(pts, h...) // numbered even when too small to bridge
		if len(h) < 3 {
			continue
		}
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
		at := bridgeTarget(pts, loop, h.right, hs)
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

// hole is a hole's points pts[first : first+n] and its rightmost point.
type hole struct {
	first, n, right int
}

// bridgeTarget returns the position in loop of the point that hole point m bridges to: the
// nearest loop point that m sees — the segment between them crosses no edge of the loop or of any
// hole — taken at a position whose corner opens towards m, so that of the two copies an earlier
// bridge made of a point, the one on m's side is used (the "locally inside" test of Mapbox's
// earcut; the ray-casting choice of Eberly 2002 picks the wrong copy when two edges tie).
func bridgeTarget(pts []Point, loop []int, m int, holes []hole) int {
	M := pts[m]
	order := make([]int, len(loop))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(dist2(pts[loop[a]], M), dist2(pts[loop[b]], M))
	})
	for _, i := range order {
		if locallyInside(pts, loop, i, M) && sees(pts, loop, holes, pts[loop[i]], M) {
			return i
		}
	}
	return order[0] // not a simple polygon: the nearest point will have to do
}

// locallyInside reports whether the direction from loop position i towards q lies inside the
// polygon's corner there (the loop is counter-clockwise, its inside on the left).
func locallyInside(pts []Point, loop []int, i int, q Point) bool {
	n := len(loop)
	a, b, c := pts[loop[(i+n-1)%n]], pts[loop[i]], pts[loop[(i+1)%n]]
	if cross(a, b, c) >= 0 { // convex corner: q left of both edges
		return cross(b, c, q) >= 0 && cross(a, b, q) >= 0
	}
	return cross(b, c, q) >= 0 || cross(a, b, q) >= 0 // reflex corner: not right of both
}

// sees reports whether the segment pq crosses no edge of the loop or of a hole, other than edges
// that end at p or q.
func sees(pts []Point, loop []int, holes []hole, p, q Point) bool {
	blocked := func(a, b Point) bool {
		if a == p || a == q || b == p || b == q {
			return false
		}
		return segmentsCross(p, q, a, b)
	}
	for i := range loop {
		if blocked(pts[loop[i]], pts[loop[(i+1)%len(loop)]]) {
			return false
		}
	}
	for _, h := range holes {
		for k := range h.n {
			if blocked(pts[h.first+k], pts[h.first+(k+1)%h.n]) {
				return false
			}
		}
	}
	return true
}

// segmentsCross reports whether segments pq and ab share a point (touching or collinear overlap
// counts).
func segmentsCross(p, q, a, b Point) bool {
	d1, d2 := cross(p, q, a), cross(p, q, b)
	d3, d4 := cross(a, b, p), cross(a, b, q)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	on := func(d float64, x, y, z Point) bool { // z on segment xy, given collinear
		return d == 0 && min(x[0], y[0]) <= z[0] && z[0] <= max(x[0], y[0]) && min(x[1], y[1]) <= z[1] && z[1] <= max(x[1], y[1])
	}
	return on(d1, p, q, a) || on(d2, p, q, b) || on(d3, a, b, p) || on(d4, a, b, q)
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
	slack := roundingSlack(pts, loop)
	remaining := n
	cur := 0
	stall := 0
	for remaining > 3 {
		p, c, q := prev[cur], cur, next[cur]
		if isEar(pts, loop, prev, next, p, c, q, remaining, slack) || stall > remaining {
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

func isEar(pts []Point, loop, prev, next []int, p, c, q, remaining int, slack float64) bool {
	a, b, d := pts[loop[p]], pts[loop[c]], pts[loop[q]]
	if !wellShaped(a, b, d, slack) {
		return false
	}
	// No other point of the loop may lie in the triangle, nor within rounding (slack) of it: a
	// point that float32 rounding may put on the ear's edge is as good as on it, and clipping the
	// ear past it would leave a sliver of no height (points at its corners are the duplicates a
	// bridge creates and do not count).
	for i, k := next[q], 0; i != p && k < remaining; i, k = next[i], k+1 {
		x := pts[loop[i]]
		if x == a || x == b || x == d {
			continue
		}
		if nearTriangle(x, a, b, d, slack) {
			return false
		}
	}
	return true
}

// nearTriangle reports whether p is inside the counter-clockwise triangle abc, on its boundary,
// or outside it by at most slack across one of its edges' lines.
func nearTriangle(p, a, b, c Point, slack float64) bool {
	if slack == 0 {
		return inTriangle(p, a, b, c)
	}
	in := func(u, v Point) bool {
		cr := cross(u, v, p) // ≥ 0 on the inner side; |cr| is the distance times |uv|
		return cr >= 0 || cr*cr <= slack*slack*dist2(u, v)
	}
	return in(a, b) && in(b, c) && in(c, a)
}

// FlatRatio is the threshold below which a triangle counts as flat and is not clipped as an
// ear while any other ear remains: twice its area is at most FlatRatio times the square of its
// longest side, i.e. its height is below about FlatRatio of that side. It is five times the
// threshold package mesh uses to call a face degenerate, so an ear clipped here never is one.
const FlatRatio = 1e-6

// RoundingRatio bounds, as a fraction of the largest coordinate magnitude of the polygon, how far
// rounding the points to float32 (as package mesh stores them) may move a triangle's corner off
// its line: 2⁻²⁴ per coordinate, times a margin of about 16. A thin ear far from the origin (an
// outline running along the image border, 500 pixels out) can pass FlatRatio in float64 and still
// be flat once its corners are rounded; its height must also clear this.
const RoundingRatio = 1e-6

// roundingSlack is the height, in the polygon's units, that float32 rounding of the loop's points
// may take off a triangle: RoundingRatio times their largest coordinate magnitude.
func roundingSlack(pts []Point, loop []int) float64 {
	m := 0.0
	for _, i := range loop {
		m = max(m, math.Abs(pts[i][0]), math.Abs(pts[i][1]))
	}
	return RoundingRatio * m
}

// wellShaped reports whether the counter-clockwise triangle abc turns left by more than
// FlatRatio allows and its height over its longest side exceeds slack (see roundingSlack).
func wellShaped(a, b, c Point, slack float64) bool {
	l := max(dist2(a, b), dist2(b, c), dist2(c, a))
	cr := cross(a, b, c)
	return cr > FlatRatio*l && cr*cr > slack*slack*l
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
