// Package mctables holds the marching-cubes case table: the triangles each of the 256 corner
// cases of a cell is cut into. mesh.Isosurface walks it on the CPU, and the CUDA backend's
// generator (backends/cuda/internal/gen) writes it out as kernels/mc_table.h, so that both build
// the same surface. It lives here, below both, so that mesh need not export it.
//
// The triangles of case c are the edge triples Cases().Edges[Cases().Start[c]:Cases().Start[c+1]],
// wound counter-clockwise seen from outside. Bit k of a case is set when corner k, at offset
// (k&1, k>>1&1, k>>2&1) in the cell, is inside (below the level); edge e runs along x for
// e = 0..3 at (y, z) = (e&1, e>>1), along y for e = 4..7 at (x, z) = ((e-4)&1, (e-4)>>1), and
// along z for e = 8..11 at (x, y) = ((e-8)&1, (e-8)>>1).
package mctables

import (
	"fmt"
	"math"
	"sync"
)

// The marching-cubes case table, derived here on first use rather than copied from a reference.
//
// Corner c of a cell is at offset (c&1, c>>1&1, c>>2&1); bit c of a case index is set when that
// corner is inside (value below the level). Edge e joins two corners:
//
//	e = 0..3:  along x at (y, z) = (e&1, e>>1)
//	e = 4..7:  along y at (x, z) = (e&1, e>>1)  (with e-4 in place of e)
//	e = 8..11: along z at (x, y) = (e&1, e>>1)  (with e-8 in place of e)
//
// Construction, per case:
//
//  1. On each of the six cell faces, the crossed edges are paired into segments. A face with two
//     crossings has one segment. A face with four (an ambiguous face: diagonal corners share a
//     sign) is resolved by one fixed rule, which depends only on the face's four corners: every
//     outside corner is cut off on its own, so the inside corners are joined across the face.
//     This is the implicit disambiguation of Montani, Scateni and Scopigno, "A modified look-up
//     table for implicit disambiguation of Marching Cubes", The Visual Computer 10(6), 1994. Two
//     cells that share a face therefore draw the same segments on it, so the surface has no cracks.
//  2. Each segment is directed so that, seen from outside the cell, the inside region of the face
//     lies on one fixed side; the neighbouring cell sees the face from the other side and walks
//     the segment the other way, which makes the surface consistently oriented.
//  3. Every crossed edge lies on exactly two faces, so the segments form closed loops. Each loop
//     becomes one polygon, wound counter-clockwise seen from the outside (positive) side.
//  4. Each polygon is triangulated by dynamic programming (shortest total diagonal length, with
//     edge midpoints as vertices), never using a diagonal between two vertices that lie on a
//     common cell face. Such a diagonal could coincide with a segment or diagonal of the
//     neighbouring cell (an edge of three or four triangles), and a triangle with all three
//     vertices on one face would be flat against it. Excluding them makes every edge of the output
//     either a face segment (shared by the two cells of that face) or a diagonal private to one
//     cell: the surface is a closed 2-manifold wherever no segment lies on the grid's outer faces.
//
// build verifies these properties while it builds the table and panics on a violation; the
// table is a pure function of the code, so a violation is a programming error caught by every
// test run.

// Corner returns the offset of corner c.
func Corner(c int) [3]int { return [3]int{c & 1, c >> 1 & 1, c >> 2 & 1} }

// EdgeCorners returns the two corners joined by edge e, lower first.
func EdgeCorners(e int) (int, int) {
	axis, r := e/4, e%4
	// r's two bits are the coordinates on the two other axes, in increasing axis order.
	var lo [3]int
	o := 0
	for a := range 3 {
		if a == axis {
			continue
		}
		lo[a] = r >> o & 1
		o++
	}
	c0 := lo[0] | lo[1]<<1 | lo[2]<<2
	return c0, c0 | 1<<axis
}

// edgeOnFace reports whether edge e lies on the face with the given axis and side.
func edgeOnFace(e, axis, side int) bool {
	a, b := EdgeCorners(e)
	return Corner(a)[axis] == side && Corner(b)[axis] == side
}

// Table is the derived table: the triangles of case c are the edge triples
// Edges[Start[c]:Start[c+1]], three per triangle, wound counter-clockwise seen from outside.
type Table struct {
	Start [257]uint16
	Edges []uint8
}

// Cases returns the table, built on first use (about 2 ms and 15,000 allocations, which every
// process that never extracts a surface, such as a relief, need not pay at start-up). It is
// shared: read it, never write it.
var Cases = sync.OnceValue(build)

func build() *Table {
	t := &Table{}
	for c := range 256 {
		t.Start[c] = uint16(len(t.Edges))
		for _, loop := range loops(c) {
			t.Edges = append(t.Edges, triangulate(loop)...)
		}
	}
	t.Start[256] = uint16(len(t.Edges))
	return t
}

// mid returns the midpoint of edge e in cell coordinates.
func mid(e int) [3]float64 {
	a, b := EdgeCorners(e)
	pa, pb := Corner(a), Corner(b)
	return [3]float64{float64(pa[0]+pb[0]) / 2, float64(pa[1]+pb[1]) / 2, float64(pa[2]+pb[2]) / 2}
}

// loops returns the oriented boundary loops of case c, as lists of edge indices.
func loops(c int) [][]int {
	inside := func(corner int) bool { return c>>corner&1 == 1 }
	crossed := func(e int) bool { a, b := EdgeCorners(e); return inside(a) != inside(b) }
	next := [12]int{}
	prev := [12]int{}
	for e := range 12 {
		next[e], prev[e] = -1, -1
	}
	link := func(from, to int) {
		if next[from] >= 0 || prev[to] >= 0 {
			panic(fmt.Sprintf("mctables: case table case %#x: edge visited twice", c))
		}
		next[from], prev[to] = to, from
	}
	for axis := range 3 {
		for side := range 2 {
			var normal [3]float64
			normal[axis] = float64(2*side - 1)
			var es []int
			for e := range 12 {
				if edgeOnFace(e, axis, side) && crossed(e) {
					es = append(es, e)
				}
			}
			var corners []int
			for k := range 8 {
				if Corner(k)[axis] == side {
					corners = append(corners, k)
				}
			}
			var segs [][2]int
			var outsideAt [][3]float64 // a point on the outside side of each segment
			switch len(es) {
			case 0:
			case 2:
				segs = append(segs, [2]int{es[0], es[1]})
				var p [3]float64
				n := 0.0
				for _, k := range corners {
					if !inside(k) {
						q := Corner(k)
						for a := range 3 {
							p[a] += float64(q[a])
						}
						n++
					}
				}
				for a := range 3 {
					p[a] /= n
				}
				outsideAt = append(outsideAt, p)
			case 4:
				// Ambiguous face: cut off each outside corner on its own.
				for _, k := range corners {
					if inside(k) {
						continue
					}
					var pair []int
					for _, e := range es {
						a, b := EdgeCorners(e)
						if a == k || b == k {
							pair = append(pair, e)
						}
					}
					q := Corner(k)
					segs = append(segs, [2]int{pair[0], pair[1]})
					outsideAt = append(outsideAt, [3]float64{float64(q[0]), float64(q[1]), float64(q[2])})
				}
			default:
				panic(fmt.Sprintf("mctables: case table case %#x: %d crossings on a face", c, len(es)))
			}
			for i, s := range segs {
				// Direct the segment along (outside direction) × (face normal): for a surface whose
				// normal points outside, that walks its boundary counter-clockwise.
				p, q := mid(s[0]), mid(s[1])
				m := [3]float64{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2}
				dir := cross64(sub3(outsideAt[i], m), normal)
				if dot64(sub3(q, p), dir) > 0 {
					link(s[0], s[1])
				} else {
					link(s[1], s[0])
				}
			}
		}
	}
	var loops [][]int
	seen := [12]bool{}
	for e := range 12 {
		if !crossed(e) {
			if next[e] >= 0 || prev[e] >= 0 {
				panic(fmt.Sprintf("mctables: case table case %#x: uncrossed edge %d linked", c, e))
			}
			continue
		}
		if seen[e] {
			continue
		}
		var loop []int
		for x := e; !seen[x]; x = next[x] {
			if next[x] < 0 {
				panic(fmt.Sprintf("mctables: case table case %#x: open loop at edge %d", c, x))
			}
			seen[x] = true
			loop = append(loop, x)
		}
		if len(loop) < 3 {
			panic(fmt.Sprintf("mctables: case table case %#x: loop of %d edges", c, len(loop)))
		}
		loops = append(loops, loop)
	}
	return loops
}

// shareFace reports whether edges a and b lie on a common cell face.
func shareFace(a, b int) bool {
	for axis := range 3 {
		for side := range 2 {
			if edgeOnFace(a, axis, side) && edgeOnFace(b, axis, side) {
				return true
			}
		}
	}
	return false
}

// triangulate triangulates a polygon of edge indices (see step 4 above) and returns its
// triangles as edge triples in the polygon's winding.
func triangulate(poly []int) []uint8 {
	n := len(poly)
	chord := func(i, j int) float64 { // cost of diagonal i–j, 0 for a polygon side
		if j == i+1 || (i == 0 && j == n-1) {
			return 0
		}
		if shareFace(poly[i], poly[j]) {
			return math.Inf(1)
		}
		return norm64(sub3(mid(poly[i]), mid(poly[j])))
	}
	// cost[i][j]: cheapest triangulation of the sub-polygon i..j (j > i+1) with split k.
	cost := make([][]float64, n)
	split := make([][]int, n)
	for i := range n {
		cost[i] = make([]float64, n)
		split[i] = make([]int, n)
	}
	for length := 2; length < n; length++ {
		for i := 0; i+length < n; i++ {
			j := i + length
			cost[i][j] = math.Inf(1)
			for k := i + 1; k < j; k++ {
				c := cost[i][k] + cost[k][j] + chord(i, k) + chord(k, j)
				if c < cost[i][j] {
					cost[i][j], split[i][j] = c, k
				}
			}
		}
	}
	if math.IsInf(cost[0][n-1], 1) {
		panic(fmt.Sprintf("mctables: case table: polygon %v has no admissible triangulation", poly))
	}
	var out []uint8
	var walk func(i, j int)
	walk = func(i, j int) {
		if j-i < 2 {
			return
		}
		k := split[i][j]
		out = append(out, uint8(poly[i]), uint8(poly[k]), uint8(poly[j]))
		walk(i, k)
		walk(k, j)
	}
	walk(0, n-1)
	return out
}

func sub3(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

func dot64(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func norm64(a [3]float64) float64 { return math.Sqrt(dot64(a, a)) }

func cross64(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
