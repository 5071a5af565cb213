// Package contour traces the sub-pixel outlines of a raster mask (marching squares), nests them
// into outer boundaries and holes, and simplifies them (Douglas–Peucker).
//
// Coordinates: x runs right and y runs up; the raster's row 0 is its top, and pixel (col, row)
// covers [col, col+1] × [h−row−1, h−row], with its sample at the centre. A foreground that touches
// the raster's border is closed along the raster's edge (values outside the raster count as 0, or
// as level−1 when level ≤ 0), so every ring is closed.
package contour

import (
	"math"
	"slices"
)

// Point is a position in pixel units (x right, y up).
type Point = [2]float64

// Ring is a closed polygon; the last point joins the first and is not repeated.
type Ring []Point

// Area returns the signed area of r: positive when counter-clockwise.
func (r Ring) Area() float64 {
	var a float64
	for i, p := range r {
		q := r[(i+1)%len(r)]
		a += p[0]*q[1] - q[0]*p[1]
	}
	return a / 2
}

// Contains reports whether p lies inside r (even–odd rule).
func (r Ring) Contains(p Point) bool {
	in := false
	for i, a := range r {
		b := r[(i+1)%len(r)]
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])/(b[1]-a[1])*(b[0]-a[0])
			if p[0] < x {
				in = !in
			}
		}
	}
	return in
}

// Shape is one connected piece of foreground: a counter-clockwise outer ring and the clockwise
// rings of its holes.
type Shape struct {
	Outer Ring
	Holes []Ring
}

// Area returns the shape's area: the outer ring's less its holes'.
func (s Shape) Area() float64 {
	a := s.Outer.Area()
	for _, h := range s.Holes {
		a += h.Area() // negative
	}
	return a
}

// segments[c] lists, for marching-squares case c, the pairs (from edge, to edge) of the segments
// in the cell, oriented so that the inside lies on the left. Corners v0..v3 run counter-clockwise
// from the bottom-left; edge k joins corner k to corner k+1. Case bit k is set when corner k is
// inside. Saddles (5 and 10) are listed as separated here; connected saddles use saddleJoined.
var segments, saddleJoined [16][][2]int

func init() {
	for c := range 16 {
		segments[c] = runs(c, true)
		saddleJoined[c] = runs(c, false)
	}
}

// runs derives a case's segments: every maximal run of inside corners vk..vm (counter-clockwise)
// is entered through edge k−1 and left through edge m, and its boundary goes from the exit to the
// entry. When insideRuns is false the runs of outside corners are cut off instead, which joins the
// inside corners of a saddle through the cell's centre.
func runs(c int, insideRuns bool) [][2]int {
	in := func(k int) bool { return c>>((k+4)%4)&1 == 1 }
	target := func(k int) bool { return in(k) == insideRuns }
	var out [][2]int
	for k := range 4 {
		if !target(k) || target(k-1) {
			continue // not the start of a run
		}
		m := k
		for target(m+1) && (m+1)%4 != k {
			m++
		}
		if (m+1)%4 == k {
			return nil // all four corners alike: no boundary
		}
		if insideRuns {
			out = append(out, [2]int{m % 4, (k + 3) % 4})
		} else {
			out = append(out, [2]int{(k + 3) % 4, m % 4})
		}
	}
	return out
}

// Trace returns the outlines of the region where field > level, for a w×h raster stored row by
// row from the top. Ambiguous saddle cells are resolved by the cell's mean value, the same way
// for every cell, so rings never cross. Outer rings come out counter-clockwise and hole rings
// clockwise, in a deterministic order.
func Trace(field []float32, w, h int, level float32) []Ring {
	// The padded grid has a ring of outside samples around the raster; sample (i, j) of the
	// padded grid is raster pixel (i−1, h−j) with y up.
	W, H := w+2, h+2
	outside := float32(0)
	if level <= 0 {
		outside = level - 1
	}
	val := func(i, j int) float32 {
		if i <= 0 || j <= 0 || i > w || j > h {
			return outside
		}
		return field[(h-j)*w+(i-1)]
	}
	// Edge ids: horizontal edge from sample (i, j) to (i+1, j) is 2(jW+i); vertical edge from
	// (i, j) to (i, j+1) is 2(jW+i)+1.
	next := make([]int32, 2*W*H)
	for i := range next {
		next[i] = -1
	}
	// Which samples are above the level: the padding never is (outside ≤ level), so a cell's
	// case is four lookups, and only the cells the outline crosses read the field again.
	above := make([]uint8, W*H)
	for j := 1; j <= h; j++ {
		row, a := field[(h-j)*w:(h-j+1)*w], above[j*W+1:j*W+1+w]
		for i, x := range row {
			if x > level {
				a[i] = 1
			}
		}
	}
	var starts []int32
	for j := 0; j < H-1; j++ {
		lo, hi := above[j*W:(j+1)*W], above[(j+1)*W:(j+2)*W]
		for i := 0; i < W-1; i++ {
			c := int(lo[i] | lo[i+1]<<1 | hi[i+1]<<2 | hi[i]<<3)
			if c == 0 || c == 15 {
				continue
			}
			v := [4]float32{val(i, j), val(i+1, j), val(i+1, j+1), val(i, j+1)}
			segs := segments[c]
			if (c == 5 || c == 10) && (v[0]+v[1]+v[2]+v[3])/4 > level {
				segs = saddleJoined[c]
			}
			edge := [4]int32{
				int32(2 * (j*W + i)),
				int32(2*(j*W+i+1) + 1),
				int32(2 * ((j+1)*W + i)),
				int32(2*(j*W+i) + 1),
			}
			for _, s := range segs {
				next[edge[s[0]]] = edge[s[1]]
				starts = append(starts, edge[s[0]])
			}
		}
	}
	point := func(e int32) Point {
		idx := int(e / 2)
		i, j := idx%W, idx/W
		a := val(i, j)
		var b float32
		di, dj := 1, 0
		if e%2 == 1 {
			di, dj = 0, 1
		}
		b = val(i+di, j+dj)
		t := float64((level - a) / (b - a))
		// Keep crossing points off the samples, so that two edges never give the same point.
		t = min(max(t, 1e-3), 1-1e-3)
		// Sample (i, j) sits at pixel centre x = i − 0.5, y = j − 0.5.
		return Point{float64(i) - 0.5 + t*float64(di), float64(j) - 0.5 + t*float64(dj)}
	}
	var rings []Ring
	for _, s := range starts {
		if next[s] < 0 {
			continue // already used
		}
		var r Ring
		for e := s; next[e] >= 0; {
			r = append(r, point(e))
			n := next[e]
			next[e] = -1
			e = n
		}
		if len(r) >= 3 {
			rings = append(rings, r)
		}
	}
	return rings
}

// Nest groups rings into shapes: a ring inside an even number of others is an outer boundary,
// inside an odd number a hole of the smallest outer ring around it. Rings must not cross.
func Nest(rings []Ring) []Shape {
	type node struct {
		ring   Ring
		area   float64
		parent int
		depth  int
	}
	nodes := make([]node, len(rings))
	order := make([]int, len(rings))
	for i, r := range rings {
		nodes[i] = node{ring: r, area: math.Abs(r.Area()), parent: -1}
		order[i] = i
	}
	// Parents are larger, so visiting by decreasing area sets every parent's depth first.
	slices.SortStableFunc(order, func(a, b int) int {
		if nodes[a].area > nodes[b].area {
			return -1
		}
		if nodes[a].area < nodes[b].area {
			return 1
		}
		return 0
	})
	for oi, i := range order {
		p := nodes[i].ring[0]
		best := -1
		for _, j := range order[:oi] { // only larger rings can contain this one
			if nodes[j].ring.Contains(p) && (best < 0 || nodes[j].area < nodes[best].area) {
				best = j
			}
		}
		if best >= 0 {
			nodes[i].parent = best
			nodes[i].depth = nodes[best].depth + 1
		}
	}
	var shapes []Shape
	index := map[int]int{}
	for _, i := range order {
		n := nodes[i]
		if n.depth%2 == 0 {
			r := n.ring
			if r.Area() < 0 {
				r = reversed(r)
			}
			index[i] = len(shapes)
			shapes = append(shapes, Shape{Outer: r})
		}
	}
	for _, i := range order {
		n := nodes[i]
		if n.depth%2 == 1 {
			r := n.ring
			if r.Area() > 0 {
				r = reversed(r)
			}
			s := index[n.parent]
			shapes[s].Holes = append(shapes[s].Holes, r)
		}
	}
	return shapes
}

func reversed(r Ring) Ring {
	o := make(Ring, len(r))
	for i, p := range r {
		o[len(r)-1-i] = p
	}
	return o
}

// Simplify returns r with points removed while every removed point stays within tol of the
// simplified ring (Douglas & Peucker 1973, applied to the two halves of the ring split at its
// two mutually farthest-apart points). It never returns fewer than 3 points.
func Simplify(r Ring, tol float64) Ring {
	n := len(r)
	if n <= 3 || tol <= 0 {
		return append(Ring(nil), r...)
	}
	// Anchor at point 0 and the point farthest from it.
	far, farD := 0, -1.0
	for i, p := range r {
		if d := dist2(p, r[0]); d > farD {
			far, farD = i, d
		}
	}
	keep := make([]bool, n)
	keep[0], keep[far] = true, true
	dpClosed(r, 0, far, tol*tol, keep)
	dpClosed(r, far, n, tol*tol, keep)
	out := make(Ring, 0, n)
	for i, k := range keep {
		if k {
			out = append(out, r[i])
		}
	}
	if len(out) < 3 {
		// Keep the point farthest from the anchor chord so the ring keeps an area.
		best, bestD := -1, -1.0
		for i := range r {
			if !keep[i] {
				if d := segDist2(r[i], r[0], r[far]); d > bestD {
					best, bestD = i, d
				}
			}
		}
		if best >= 0 {
			keep[best] = true
		}
		out = out[:0]
		for i, k := range keep {
			if k {
				out = append(out, r[i])
			}
		}
	}
	return out
}

// dpClosed simplifies the chain r[a..b] (b may be len(r), meaning point 0 again) with an explicit
// stack, so deep recursion on long rings cannot overflow.
func dpClosed(r Ring, a, b int, tol2 float64, keep []bool) {
	at := func(i int) Point { return r[i%len(r)] }
	stack := [][2]int{{a, b}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		best, bestD := -1, tol2
		for i := s[0] + 1; i < s[1]; i++ {
			if d := segDist2(at(i), at(s[0]), at(s[1])); d > bestD {
				best, bestD = i, d
			}
		}
		if best >= 0 {
			keep[best] = true
			stack = append(stack, [2]int{s[0], best}, [2]int{best, s[1]})
		}
	}
}

func dist2(a, b Point) float64 { dx, dy := a[0]-b[0], a[1]-b[1]; return dx*dx + dy*dy }

// segDist2 is the squared distance from p to the segment ab.
func segDist2(p, a, b Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l := dx*dx + dy*dy
	if l == 0 {
		return dist2(p, a)
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l
	t = min(max(t, 0), 1)
	return dist2(p, Point{a[0] + t*dx, a[1] + t*dy})
}

// SimplifyShapes simplifies every ring of shapes within tol (see Simplify) while keeping the
// rings simple and apart: a ring whose simplified form would cross itself or another ring is
// simplified again at half the tolerance, down to tol/64, below which it is kept as traced (the
// traced rings never cross). The result is a new slice.
func SimplifyShapes(shapes []Shape, tol float64) []Shape {
	type ref struct{ shape, hole int } // hole −1: the outer ring
	var refs []ref
	var orig []Ring
	for si, s := range shapes {
		refs = append(refs, ref{si, -1})
		orig = append(orig, s.Outer)
		for hi, h := range s.Holes {
			refs = append(refs, ref{si, hi})
			orig = append(orig, h)
		}
	}
	cur := make([]Ring, len(orig))
	ringTol := make([]float64, len(orig))
	for i, r := range orig {
		ringTol[i] = tol
		cur[i] = Simplify(r, tol)
	}
	for range 7 {
		bad := crossingRings(cur)
		if len(bad) == 0 {
			break
		}
		for _, i := range bad {
			ringTol[i] /= 2
			if ringTol[i] < tol/64 {
				cur[i] = append(Ring(nil), orig[i]...)
			} else {
				cur[i] = Simplify(orig[i], ringTol[i])
			}
		}
	}
	if bad := crossingRings(cur); len(bad) > 0 {
		for _, i := range bad {
			cur[i] = append(Ring(nil), orig[i]...)
		}
	}
	out := make([]Shape, len(shapes))
	for i, r := range refs {
		if r.hole < 0 {
			out[r.shape].Outer = cur[i]
			out[r.shape].Holes = make([]Ring, len(shapes[r.shape].Holes))
		}
	}
	for i, r := range refs {
		if r.hole >= 0 {
			out[r.shape].Holes[r.hole] = cur[i]
		}
	}
	return out
}

// crossingRings returns, in increasing order, the rings that have a segment touching a
// non-adjacent segment of their own or any segment of another ring. Segments are binned into a
// uniform grid so that only nearby pairs are tested.
func crossingRings(rings []Ring) []int {
	type seg struct {
		ring, k int
		a, b    Point
	}
	var segs []seg
	lo := Point{math.Inf(1), math.Inf(1)}
	hi := Point{math.Inf(-1), math.Inf(-1)}
	var total float64
	for ri, r := range rings {
		for k, a := range r {
			b := r[(k+1)%len(r)]
			segs = append(segs, seg{ri, k, a, b})
			lo = Point{min(lo[0], a[0]), min(lo[1], a[1])}
			hi = Point{max(hi[0], a[0]), max(hi[1], a[1])}
			total += math.Hypot(b[0]-a[0], b[1]-a[1])
		}
	}
	if len(segs) == 0 {
		return nil
	}
	cell := math.Max(total/float64(len(segs)), 1e-9) * 2
	nx := int((hi[0]-lo[0])/cell) + 1
	ny := int((hi[1]-lo[1])/cell) + 1
	for nx*ny > 4*len(segs)+16 { // keep the grid proportional to the work
		cell *= 2
		nx, ny = int((hi[0]-lo[0])/cell)+1, int((hi[1]-lo[1])/cell)+1
	}
	bins := make([][]int, nx*ny)
	for i, s := range segs {
		x0, x1 := int((min(s.a[0], s.b[0])-lo[0])/cell), int((max(s.a[0], s.b[0])-lo[0])/cell)
		y0, y1 := int((min(s.a[1], s.b[1])-lo[1])/cell), int((max(s.a[1], s.b[1])-lo[1])/cell)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				bins[y*nx+x] = append(bins[y*nx+x], i)
			}
		}
	}
	bad := make([]bool, len(rings))
	for _, bin := range bins {
		for i := 0; i < len(bin); i++ {
			for j := i + 1; j < len(bin); j++ {
				s, t := segs[bin[i]], segs[bin[j]]
				if bad[s.ring] && bad[t.ring] {
					continue
				}
				if s.ring == t.ring {
					n := len(rings[s.ring])
					if d := (s.k - t.k + n) % n; d == 1 || d == n-1 {
						// Neighbours share an end; they cross only by folding back.
						if !foldsBack(s.a, s.b, t.a, t.b) {
							continue
						}
					}
				}
				if touches(s.a, s.b, t.a, t.b) {
					bad[s.ring], bad[t.ring] = true, true
				}
			}
		}
	}
	var out []int
	for i, b := range bad {
		if b {
			out = append(out, i)
		}
	}
	return out
}

// foldsBack reports whether two segments that share an end overlap along a line.
func foldsBack(a, b, c, d Point) bool {
	if orient(a, b, c) != 0 || orient(a, b, d) != 0 {
		return false
	}
	// Collinear neighbours: they fold back when their directions are opposite.
	return (b[0]-a[0])*(d[0]-c[0])+(b[1]-a[1])*(d[1]-c[1]) < 0
}

// touches reports whether segments ab and cd share a point, not counting a shared end point of
// neighbouring segments (which the caller has excluded by index) — identical end points of
// segments of different rings do count.
func touches(a, b, c, d Point) bool {
	shared := a == c || a == d || b == c || b == d
	d1, d2 := orient(a, b, c), orient(a, b, d)
	d3, d4 := orient(c, d, a), orient(c, d, b)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	if shared {
		// Segments of one ring that meet only at their common end do not cross; anything
		// else collinear and overlapping does.
		return (d1 == 0 && d2 == 0) && foldsBack(a, b, c, d)
	}
	on := func(o float64, x, y, z Point) bool {
		return o == 0 && min(x[0], y[0]) <= z[0] && z[0] <= max(x[0], y[0]) && min(x[1], y[1]) <= z[1] && z[1] <= max(x[1], y[1])
	}
	return on(d1, a, b, c) || on(d2, a, b, d) || on(d3, c, d, a) || on(d4, c, d, b)
}

// orient is the sign of the turn a → b → c: 1 left, −1 right, 0 straight.
func orient(a, b, c Point) float64 {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// DropFlat returns r without the points that lie on the line through their neighbours, within
// ratio of the distance between those neighbours (their turn is flatter than ratio). Such points
// add nothing to the outline and make flat triangles when the ring is triangulated. At least three
// points are kept.
func DropFlat(r Ring, ratio float64) Ring {
	out := append(Ring(nil), r...)
	for changed := true; changed && len(out) > 3; {
		changed = false
		kept := out[:0:0]
		n := len(out)
		for i := 0; i < n; i++ {
			a, b := out[(i+n-1)%n], out[i]
			var c Point
			if len(kept) > 0 {
				a = kept[len(kept)-1]
			}
			c = out[(i+1)%n]
			if n-(i-len(kept)) > 3 && flat(a, b, c, ratio) {
				changed = true
				continue
			}
			kept = append(kept, b)
		}
		out = kept
	}
	return out
}

// flat reports whether b is within ratio·|ac| of the line through a and c.
func flat(a, b, c Point, ratio float64) bool {
	l2 := dist2(a, c)
	cr := (c[0]-a[0])*(b[1]-a[1]) - (c[1]-a[1])*(b[0]-a[0])
	return cr*cr <= ratio*ratio*l2*l2
}
