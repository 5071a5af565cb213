package cpu

import (
	"context"
	"fmt"
)

// Greedy insertion never takes a vertex back, yet a vertex inserted early, when the triangles were
// large, is often made redundant by the ones inserted after it. decimate revisits every vertex of
// a finished tile, the latest first, and removes it when the hole it leaves, triangulated again,
// keeps every sample within the tolerance: a refinement pass followed by a decimation pass, as in
// the hybrid methods that Garland and Heckbert (1995, §5) survey. The hole is the vertex's star,
// a polygon seen entirely from the vertex, cut into ears (preferring Delaunay ears); the new
// triangles are scanned exactly like the greedy ones, so the error guarantee is unchanged.

// maxStar bounds the star of a vertex the decimation will try to remove.
const maxStar = 24

// decimate removes redundant interior vertices of t (never one on the tile's border, which its
// neighbours share). It checks ctx every 256 vertices.
func (t *tin) decimate(ctx context.Context) error {
	nv := len(t.px)
	inc := growTo(t.inc[:0], nv)[:nv] // a half-edge leaving each vertex
	t.inc = inc
	for i := range inc {
		inc[i] = -1
	}
	for id, ok := range t.alive {
		if ok {
			for k := range int32(3) {
				inc[t.verts[3*int32(id)+k]] = 3*int32(id) + k
			}
		}
	}
	t.removed = growTo(t.removed[:0], nv)[:nv]
	clear(t.removed)
	var d decimator
	// One pass: a second one removes about 2 % more triangles for 25 % more time.
	for v := int32(nv - 1); v >= 0; v-- {
		if (int32(nv)-v)%256 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("cpu: simplifying: %w", err)
			}
		}
		x, y := t.px[v], t.py[v]
		if x == t.x0 || x == t.x1 || y == t.y0 || y == t.y1 {
			continue
		}
		d.tryRemove(t, v, inc)
	}
	return nil
}

// decimator holds the scratch space of vertex removal.
type decimator struct {
	poly  []int32 // the star's boundary, positively oriented
	twin  []int32 // the outer half-edge across poly[i]→poly[i+1]
	star  []int32 // the star's triangles
	alive []bool
	nt    [][6]int32 // new triangles: a, b, c and the twins of ab, bc, ca (see ref)
	ne    []float64
	nc    []int32
	ids   []int32
}

// A twin reference below -1 names edge 2 (c→a) of new triangle -2-ref, not yet created.
func ref(j int) int32 { return int32(-2 - j) }

func (d *decimator) tryRemove(t *tin, v int32, inc []int32) {
	e0 := inc[v]
	if e0 < 0 {
		return
	}
	d.poly, d.twin, d.star = d.poly[:0], d.twin[:0], d.star[:0]
	for e := e0; ; {
		if len(d.star) == maxStar {
			return
		}
		d.star = append(d.star, e/3)
		ne := next(e)
		d.poly = append(d.poly, t.verts[ne])
		d.twin = append(d.twin, t.opp[ne])
		f := t.opp[prev(e)]
		if f < 0 {
			return // v is on the border
		}
		if e = f; e == e0 {
			break
		}
	}
	if !d.clip(t) {
		return
	}
	// Every new triangle must keep its samples within the tolerance. The one under the removed
	// vertex is the likeliest to fail, so it goes first.
	d.ne, d.nc = d.ne[:0], d.nc[:0]
	first, under := 0, false
	for j, tr := range d.nt {
		d.ne, d.nc = append(d.ne, 0), append(d.nc, 0)
		x, y := t.px[v], t.py[v]
		if t.orient(tr[0], tr[1], x, y) >= 0 && t.orient(tr[1], tr[2], x, y) >= 0 && t.orient(tr[2], tr[0], x, y) >= 0 {
			first, under = j, true
		}
	}
	// The removed vertex's own sample, against the plane of the triangle now over it: most
	// removals fail there, and one sample is cheaper than the rows the scan reads before reaching
	// it. The margin keeps the decision the scan's: an error this far above the tolerance is
	// above it in the scan's arithmetic too.
	if tr := d.nt[first]; under && t.planeError(tr[0], tr[1], tr[2], v) > t.tol*(1+1e-9)+1e-12 {
		return
	}
	for k := range d.nt {
		j := (first + k) % len(d.nt)
		tr := d.nt[j]
		err, at := t.scanTri(tr[0], tr[1], tr[2], t.tol)
		if err > t.tol {
			return
		}
		d.ne[j], d.nc[j] = err, at
	}
	for _, id := range d.star {
		t.removeTri(id)
	}
	d.ids = d.ids[:0]
	for j, tr := range d.nt {
		var tw [3]int32
		for k := range 3 {
			tw[k] = tr[3+k]
			if tw[k] < -1 {
				tw[k] = 3*d.ids[-2-tw[k]] + 2
			}
		}
		e := t.addTri(tr[0], tr[1], tr[2], tw[0], tw[1], tw[2])
		id := e / 3
		d.ids = append(d.ids, id)
		t.err[id], t.cand[id] = d.ne[j], d.nc[j]
		inc[tr[0]], inc[tr[1]], inc[tr[2]] = e, e+1, e+2
	}
	for _, id := range t.pending {
		t.inPend[id] = false
	}
	t.pending = t.pending[:0]
	inc[v] = -1
	t.removed[v] = true
}

// clip cuts the star polygon into ears. It prefers an ear whose circumcircle holds no other
// vertex of the polygon, else takes any ear, and gives up (false) if none is left.
func (d *decimator) clip(t *tin) bool {
	n := len(d.poly)
	d.nt = d.nt[:0]
	d.alive = d.alive[:0]
	for range n {
		d.alive = append(d.alive, true)
	}
	// Edge twins as the polygon shrinks: edgeTwin[i] is the twin of the edge from i to its
	// successor among the living vertices.
	edgeTwin := d.twin
	nextOf := func(i int) int {
		for j := (i + 1) % n; ; j = (j + 1) % n {
			if d.alive[j] {
				return j
			}
		}
	}
	prevOf := func(i int) int {
		for j := (i + n - 1) % n; ; j = (j + n - 1) % n {
			if d.alive[j] {
				return j
			}
		}
	}
	for left := n; left > 3; left-- {
		pick := -1
		for i := range n {
			if !d.alive[i] {
				continue
			}
			p, q := prevOf(i), nextOf(i)
			a, b, c := d.poly[p], d.poly[i], d.poly[q]
			if t.orient(a, b, t.px[c], t.py[c]) <= 0 {
				continue
			}
			ear, delaunay := true, true
			for j := range n {
				if !d.alive[j] || j == p || j == i || j == q {
					continue
				}
				x, y := t.px[d.poly[j]], t.py[d.poly[j]]
				if t.orient(a, b, x, y) >= 0 && t.orient(b, c, x, y) >= 0 && t.orient(c, a, x, y) >= 0 {
					ear = false
					break
				}
				if delaunay && t.inCircle(a, b, c, d.poly[j]) {
					delaunay = false
				}
			}
			if !ear {
				continue
			}
			if pick < 0 {
				pick = i
			}
			if delaunay {
				pick = i
				break
			}
		}
		if pick < 0 {
			return false
		}
		p, q := prevOf(pick), nextOf(pick)
		d.nt = append(d.nt, [6]int32{d.poly[p], d.poly[pick], d.poly[q], edgeTwin[p], edgeTwin[pick], -1})
		d.alive[pick] = false
		edgeTwin[p] = ref(len(d.nt) - 1) // the new edge p→q faces the ear's edge q→p
	}
	i := nextOf(n - 1) // the first living vertex
	p, q := prevOf(i), nextOf(i)
	a, b, c := d.poly[p], d.poly[i], d.poly[q]
	if t.orient(a, b, t.px[c], t.py[c]) <= 0 {
		return false
	}
	d.nt = append(d.nt, [6]int32{a, b, c, edgeTwin[p], edgeTwin[i], edgeTwin[q]})
	return true
}
