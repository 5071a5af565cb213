package mesh

// Self-intersection: pairs of faces that cross each other, which a topology check cannot see (a
// mesh can be watertight, manifold and consistently oriented and still pass through itself, and
// a slicer then fills or empties the wrong regions).
//
// Broad phase: a uniform grid whose cell is about the size of a typical face. Each face is listed
// in every cell its bounding box overlaps, the (cell, face) list is sorted, and the faces that
// share a cell are paired; a pair is tested only in the lowest cell both boxes cover, so it is
// tested once, without a set, and in a deterministic order. Narrow phase: T. Möller, "A Fast
// Triangle-Triangle Intersection Test", Journal of Graphics Tools 2(2), 1997: each triangle is
// tested against the other's plane, then the two intervals where the triangles cut the line
// common to both planes are compared; coplanar triangles are compared in 2D (edges crossing, or a
// vertex inside the other triangle). Touching (a shared point, an edge lying on a face) does not
// count: only overlap of positive extent does, within a tolerance of 1e-9 of the mesh's size.
// Faces that share a vertex are adjacent by construction and are not tested.
//
// Work is bounded: at most selfEntriesPerFace grid entries and selfTestsPerFace pair tests per
// face (plus a constant), after which the search stops and reports itself incomplete; a triangle
// soup of long crossing faces stops there instead of taking quadratic time. Memory is at most
// about 130 bytes per face. The context is checked every 4096 steps.

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// The self-intersection search's bounds, per face: grid entries, and pair tests.
const (
	selfEntriesPerFace = 8
	selfTestsPerFace   = 32
)

// SelfIntersection is what SelfIntersections found.
type SelfIntersection struct {
	// Pairs is the number of pairs of faces found crossing each other (at most MaxPairs are
	// listed in Faces).
	Pairs int `json:"pairs"`
	// Faces lists up to MaxSelfIntersectionPairs of the crossing pairs, by face index, in a
	// deterministic order.
	Faces [][2]int `json:"faces,omitempty"`
	// Complete reports whether every candidate pair was tested; false when the work bound was
	// reached first (a soup of huge crossing faces), in which case Pairs is a lower bound.
	Complete bool `json:"complete"`
}

// MaxSelfIntersectionPairs is how many crossing pairs SelfIntersection.Faces lists.
const MaxSelfIntersectionPairs = 16

// SelfIntersections finds the pairs of faces of m that cross each other (faces sharing a vertex
// are not compared). Its work is bounded by a fixed multiple of the face count; when the bound is
// reached, the result says it is incomplete. It returns an error wrapping ErrInvalid for an
// invalid mesh, or ctx's error when ctx ends first (checked every few thousand steps).
func SelfIntersections(ctx context.Context, m *Mesh) (SelfIntersection, error) {
	var out SelfIntersection
	if m == nil {
		return out, fmt.Errorf("%w: nil mesh", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return out, fmt.Errorf("mesh: self-intersections: %w", err)
	}
	n := len(m.Faces)
	out.Complete = true
	if n < 2 {
		return out, nil
	}
	budget := int64(selfEntriesPerFace)*int64(n) + 1<<16
	boxes := make([][2][3]float64, n)
	var mean float64
	lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for i, f := range m.Faces {
		b := [2][3]float64{{math.Inf(1), math.Inf(1), math.Inf(1)}, {math.Inf(-1), math.Inf(-1), math.Inf(-1)}}
		for _, v := range f {
			for k := range 3 {
				p := float64(m.Positions[v][k])
				b[0][k], b[1][k] = min(b[0][k], p), max(b[1][k], p)
			}
		}
		boxes[i] = b
		ext := 0.0
		for k := range 3 {
			ext = max(ext, b[1][k]-b[0][k])
			lo[k], hi[k] = min(lo[k], b[0][k]), max(hi[k], b[1][k])
		}
		mean += ext
	}
	mean /= float64(n)
	size := 0.0
	for k := range 3 {
		size = max(size, hi[k]-lo[k])
	}
	if !(size > 0) {
		return out, nil
	}
	eps := 1e-9 * size
	// A cell about the size of a typical face, but never so small that the grid has more than
	// about 2^20 cells along an axis (cell coordinates are packed in 21 bits each).
	cell := max(2*mean, size/(1<<20), eps)
	coord := func(x float64, k int) int64 { return int64((x - lo[k]) / cell) }
	key := func(c [3]int64) uint64 { return uint64(c[0])<<42 | uint64(c[1])<<21 | uint64(c[2]) }

	type entry struct {
		key  uint64
		face int32
	}
	entries := make([]entry, 0, n)
	var work int64
	step := func() error {
		work++
		if work&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("mesh: self-intersections: %w", err)
			}
		}
		return nil
	}
	for i, b := range boxes {
		c0 := [3]int64{coord(b[0][0], 0), coord(b[0][1], 1), coord(b[0][2], 2)}
		c1 := [3]int64{coord(b[1][0], 0), coord(b[1][1], 1), coord(b[1][2], 2)}
		for x := c0[0]; x <= c1[0]; x++ {
			for y := c0[1]; y <= c1[1]; y++ {
				for z := c0[2]; z <= c1[2]; z++ {
					if work >= budget {
						out.Complete = false
						goto pairs
					}
					if err := step(); err != nil {
						return out, err
					}
					entries = append(entries, entry{key([3]int64{x, y, z}), int32(i)})
				}
			}
		}
	}
pairs:
	work, budget = 0, int64(selfTestsPerFace)*int64(n)+1<<20
	slices.SortFunc(entries, func(a, b entry) int {
		if a.key != b.key {
			if a.key < b.key {
				return -1
			}
			return 1
		}
		return int(a.face) - int(b.face)
	})
	var found [][2]int
	for s := 0; s < len(entries); {
		e := s
		for e < len(entries) && entries[e].key == entries[s].key {
			e++
		}
		for i := s; i < e; i++ {
			for j := i + 1; j < e; j++ {
				if work >= budget {
					out.Complete = false
					goto done
				}
				if err := step(); err != nil {
					return out, err
				}
				fa, fb := int(entries[i].face), int(entries[j].face)
				ba, bb := boxes[fa], boxes[fb]
				if !boxesOverlap(ba, bb, eps) {
					continue
				}
				// Test the pair only in the lowest cell both boxes cover.
				first := [3]int64{}
				for k := range 3 {
					first[k] = coord(max(ba[0][k], bb[0][k]), k)
				}
				if key(first) != entries[s].key {
					continue
				}
				if shareVertex(m.Faces[fa], m.Faces[fb]) {
					continue
				}
				if trianglesCross(m, m.Faces[fa], m.Faces[fb], eps) {
					out.Pairs++
					if len(found) < MaxSelfIntersectionPairs { // the first in a fixed order
						found = append(found, [2]int{min(fa, fb), max(fa, fb)})
					}
				}
			}
		}
		s = e
	}
done:
	slices.SortFunc(found, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	out.Faces = found
	return out, nil
}

func boxesOverlap(a, b [2][3]float64, eps float64) bool {
	for k := range 3 {
		if a[1][k] < b[0][k]-eps || b[1][k] < a[0][k]-eps {
			return false
		}
	}
	return true
}

func shareVertex(a, b [3]uint32) bool {
	for _, u := range a {
		for _, v := range b {
			if u == v {
				return true
			}
		}
	}
	return false
}

type vec3 = [3]float64

func dot3(a, b vec3) float64 {
	return a[0]*b[0] + a[1]*b[1] + a[2]*b[2]
}
func cross3(a, b vec3) vec3 {
	return vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// trianglesCross is Möller's test: whether triangles fa and fb of m overlap with positive
// extent (touching does not count).
func trianglesCross(m *Mesh, fa, fb [3]uint32, eps float64) bool {
	var a, b [3]vec3
	for i := range 3 {
		for k := range 3 {
			a[i][k] = float64(m.Positions[fa[i]][k])
			b[i][k] = float64(m.Positions[fb[i]][k])
		}
	}
	na, ok1 := unitNormal(a)
	nb, ok2 := unitNormal(b)
	if !ok1 || !ok2 {
		return false // a degenerate face has no plane; topology reports it
	}
	// Distances of a's vertices to b's plane, and b's to a's.
	var da, db [3]float64
	for i := range 3 {
		da[i] = snap(dot3(nb, sub3(a[i], b[0])), eps)
		db[i] = snap(dot3(na, sub3(b[i], a[0])), eps)
	}
	if da == [3]float64{} || db == [3]float64{} {
		return coplanarCross(na, a, b, eps)
	}
	// Crossing needs each triangle to have vertices strictly on both sides of the other's
	// plane; one that only reaches the plane touches the other at most.
	if !straddles(da) || !straddles(db) {
		return false
	}
	d := cross3(na, nb)
	// Project onto the axis where the common line varies most (Möller's simplification).
	ax := 0
	for k := 1; k < 3; k++ {
		if math.Abs(d[k]) > math.Abs(d[ax]) {
			ax = k
		}
	}
	pa := [3]float64{a[0][ax], a[1][ax], a[2][ax]}
	pb := [3]float64{b[0][ax], b[1][ax], b[2][ax]}
	lo1, hi1, ok1 := lineInterval(pa, da)
	lo2, hi2, ok2 := lineInterval(pb, db)
	if !ok1 || !ok2 {
		return false
	}
	return max(lo1, lo2) < min(hi1, hi2)-eps
}

func unitNormal(t [3]vec3) (vec3, bool) {
	n := cross3(sub3(t[1], t[0]), sub3(t[2], t[0]))
	l := math.Sqrt(dot3(n, n))
	if !(l > 0) {
		return n, false
	}
	return vec3{n[0] / l, n[1] / l, n[2] / l}, true
}

func snap(x, eps float64) float64 {
	if math.Abs(x) <= eps {
		return 0
	}
	return x
}

// straddles reports three distances with one strictly on each side of a plane.
func straddles(d [3]float64) bool {
	pos, neg := false, false
	for _, x := range d {
		pos, neg = pos || x > 0, neg || x < 0
	}
	return pos && neg
}

// lineInterval is where a triangle, with projected vertices p and signed distances d to the
// other plane, meets the common line: Möller's compute_intervals, with the vertex alone on its
// side found first.
func lineInterval(p, d [3]float64) (lo, hi float64, ok bool) {
	var a, b, c int
	switch {
	case d[0]*d[1] > 0:
		a, b, c = 2, 0, 1
	case d[0]*d[2] > 0:
		a, b, c = 1, 0, 2
	case d[1]*d[2] > 0 || d[0] != 0:
		a, b, c = 0, 1, 2
	case d[1] != 0:
		a, b, c = 1, 0, 2
	case d[2] != 0:
		a, b, c = 2, 0, 1
	default:
		return 0, 0, false
	}
	t1 := p[a] + (p[b]-p[a])*d[a]/(d[a]-d[b])
	t2 := p[a] + (p[c]-p[a])*d[a]/(d[a]-d[c])
	return min(t1, t2), max(t1, t2), true
}

// coplanarCross compares two triangles in the plane of normal n: an edge of one properly
// crossing an edge of the other, or a vertex strictly inside the other.
func coplanarCross(n vec3, a, b [3]vec3, eps float64) bool {
	// Drop the axis the normal points along most.
	i0, i1 := 1, 2
	switch {
	case math.Abs(n[1]) >= math.Abs(n[0]) && math.Abs(n[1]) >= math.Abs(n[2]):
		i0, i1 = 0, 2
	case math.Abs(n[2]) >= math.Abs(n[0]) && math.Abs(n[2]) >= math.Abs(n[1]):
		i0, i1 = 0, 1
	}
	var p, q [3][2]float64
	for i := range 3 {
		p[i] = [2]float64{a[i][i0], a[i][i1]}
		q[i] = [2]float64{b[i][i0], b[i][i1]}
	}
	e2 := eps * eps
	for i := range 3 {
		for j := range 3 {
			if segmentsCross(p[i], p[(i+1)%3], q[j], q[(j+1)%3], e2) {
				return true
			}
		}
	}
	return insideTri(p[0], q, e2) || insideTri(q[0], p, e2) ||
		insideTri(centroid2(p), q, e2) || insideTri(centroid2(q), p, e2)
}

func centroid2(t [3][2]float64) [2]float64 {
	return [2]float64{(t[0][0] + t[1][0] + t[2][0]) / 3, (t[0][1] + t[1][1] + t[2][1]) / 3}
}

func orient2(a, b, c [2]float64) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// segmentsCross reports a proper crossing of segments ab and cd (each strictly separates the
// other's ends).
func segmentsCross(a, b, c, d [2]float64, e2 float64) bool {
	d1, d2 := orient2(a, b, c), orient2(a, b, d)
	d3, d4 := orient2(c, d, a), orient2(c, d, b)
	return (d1 > e2 && d2 < -e2 || d1 < -e2 && d2 > e2) && (d3 > e2 && d4 < -e2 || d3 < -e2 && d4 > e2)
}

// insideTri reports p strictly inside triangle t.
func insideTri(p [2]float64, t [3][2]float64, e2 float64) bool {
	s := orient2(t[0], t[1], t[2])
	if math.Abs(s) <= e2 {
		return false
	}
	for i := range 3 {
		if orient2(t[i], t[(i+1)%3], p)*math.Copysign(1, s) <= e2 {
			return false
		}
	}
	return true
}
