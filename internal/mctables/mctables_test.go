package mctables

import (
	"slices"
	"testing"
)

// testFaceSegments returns, independently of the table builder, the segments that the
// disambiguation rule draws on one face of case c: pairs of crossed edges, each sorted.
func testFaceSegments(c, axis, side int) [][2]int {
	in := func(k int) bool { return c>>k&1 == 1 }
	var es []int
	for e := range 12 {
		a, b := EdgeCorners(e)
		if edgeOnFace(e, axis, side) && in(a) != in(b) {
			es = append(es, e)
		}
	}
	if len(es) == 2 {
		return [][2]int{{es[0], es[1]}}
	}
	var segs [][2]int
	if len(es) == 4 {
		// Each outside corner is cut off with the two crossed edges that meet at it.
		for k := range 8 {
			if Corner(k)[axis] != side || in(k) {
				continue
			}
			var p []int
			for _, e := range es {
				if a, b := EdgeCorners(e); a == k || b == k {
					p = append(p, e)
				}
			}
			segs = append(segs, [2]int{p[0], p[1]})
		}
	}
	slices.SortFunc(segs, func(x, y [2]int) int { return x[0] - y[0] })
	return segs
}

// testCaseEdges returns case c's directed triangle edges (from, to) as edge-index pairs.
func testCaseEdges(c int) [][2]int {
	es := Cases().Edges[Cases().Start[c]:Cases().Start[c+1]]
	var out [][2]int
	for t := 0; t < len(es); t += 3 {
		for k := range 3 {
			out = append(out, [2]int{int(es[t+k]), int(es[t+(k+1)%3])})
		}
	}
	return out
}

// TestIsoTableConsistent checks the derived table case by case: triangles use only crossed
// edges; within a cell every triangle edge is either interior (used twice, in opposite directions)
// or lies on a cell face and is exactly one of the segments the face's own rule draws; every
// crossed edge is used; and two cells sharing a face walk its segments in opposite directions.
func TestIsoTableConsistent(t *testing.T) {
	// boundary[c][axis][side]: case c's directed boundary segments on that face.
	var boundary [256][3][2][][2]int
	for c := range 256 {
		in := func(k int) bool { return c>>k&1 == 1 }
		used := map[int]bool{}
		count := map[[2]int]int{}
		for _, d := range testCaseEdges(c) {
			for _, e := range d {
				a, b := EdgeCorners(e)
				if in(a) == in(b) {
					t.Fatalf("case %#x uses uncrossed edge %d", c, e)
				}
				used[e] = true
			}
			count[d]++
		}
		for e := range 12 {
			a, b := EdgeCorners(e)
			if in(a) != in(b) && !used[e] {
				t.Errorf("case %#x leaves crossed edge %d without a triangle", c, e)
			}
		}
		var tris [][3]int
		es := Cases().Edges[Cases().Start[c]:Cases().Start[c+1]]
		for i := 0; i < len(es); i += 3 {
			tris = append(tris, [3]int{int(es[i]), int(es[i+1]), int(es[i+2])})
		}
		for _, tr := range tris {
			for axis := range 3 {
				for side := range 2 {
					if edgeOnFace(tr[0], axis, side) && edgeOnFace(tr[1], axis, side) && edgeOnFace(tr[2], axis, side) {
						t.Errorf("case %#x: triangle %v lies on a cell face", c, tr)
					}
				}
			}
		}
		for d, n := range count {
			rev := count[[2]int{d[1], d[0]}]
			switch {
			case n > 1:
				t.Errorf("case %#x: directed edge %v used %d times", c, d, n)
			case rev == 1:
				if shareFace(d[0], d[1]) {
					t.Errorf("case %#x: interior diagonal %v joins two edges of one face", c, d)
				}
			case rev == 0:
				found := false
				for axis := range 3 {
					for side := range 2 {
						if edgeOnFace(d[0], axis, side) && edgeOnFace(d[1], axis, side) {
							boundary[c][axis][side] = append(boundary[c][axis][side], d)
							found = true
						}
					}
				}
				if !found {
					t.Errorf("case %#x: boundary edge %v is on no cell face", c, d)
				}
			}
		}
		for axis := range 3 {
			for side := range 2 {
				var got [][2]int
				for _, d := range boundary[c][axis][side] {
					got = append(got, [2]int{min(d[0], d[1]), max(d[0], d[1])})
				}
				slices.SortFunc(got, func(x, y [2]int) int { return x[0] - y[0] })
				if want := testFaceSegments(c, axis, side); !slices.Equal(got, want) {
					t.Errorf("case %#x face %d/%d: boundary %v, face rule says %v", c, axis, side, got, want)
				}
			}
		}
	}
	// Across a face: cell A's side-1 face is cell B's side-0 face. Map A's edges on it to B's.
	for axis := range 3 {
		shift := func(e int) int { // the same lattice edge, seen from the cell one step along axis
			a, b := EdgeCorners(e)
			a, b = a&^(1<<axis), b&^(1<<axis)
			for f := range 12 {
				if x, y := EdgeCorners(f); x == a && y == b {
					return f
				}
			}
			panic("no edge")
		}
		for ca := range 256 {
			for cb := range 256 {
				agree := true
				for k := range 8 {
					if Corner(k)[axis] == 1 && ca>>k&1 != cb>>(k&^(1<<axis))&1 {
						agree = false
					}
				}
				if !agree {
					continue
				}
				for _, d := range boundary[ca][axis][1] {
					rev := [2]int{shift(d[1]), shift(d[0])}
					if !slices.Contains(boundary[cb][axis][0], rev) {
						t.Fatalf("cases %#x|%#x along axis %d: segment %v not walked back as %v", ca, cb, axis, d, rev)
					}
				}
				if len(boundary[ca][axis][1]) != len(boundary[cb][axis][0]) {
					t.Fatalf("cases %#x|%#x along axis %d: %d vs %d segments", ca, cb, axis, len(boundary[ca][axis][1]), len(boundary[cb][axis][0]))
				}
			}
		}
	}
}
