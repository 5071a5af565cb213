package cpu

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
)

// This file holds the adaptive heightfield triangulator: greedy insertion with Delaunay
// legalisation, Algorithm III of M. Garland and P. S. Heckbert, "Fast Polygonal Approximation of
// Terrains and Height Fields", CMU-CS-95-181, 1995. Michael Fogleman's hmm
// (github.com/fogleman/hmm) showed how plainly it can be written with flat half-edge arrays; this
// is an independent Go implementation of the same idea.
//
// The triangulation starts with the two triangles of the sample rectangle (of one tile: see
// tiles.go). Every triangle knows
// the sample it covers with the largest vertical error (found by scan-converting the triangle over
// the sample grid) and sits in a max-heap keyed by that error. Each step pops the worst triangle,
// inserts its worst sample as a vertex, splits the triangle (or the two triangles sharing the edge
// the sample lies on), restores the Delaunay property by edge flips, and rescans only the triangles
// that changed. It stops when the worst error is within the tolerance or when the next step could
// exceed the face budget.
//
// decimate.go then takes redundant vertices out again, and tiles.go runs large grids in parallel
// tiles.
//
// Errors are measured at the samples: after triangulation every sample of the grid lies within
// the tolerance of the surface above it. Triangles whose error is already within tolerance are
// never queued, so the heap holds only the work left to do.

// maxGridSide bounds the sample grid so the exact int64 in-circle test cannot overflow
// (coordinates up to 2^15 give terms below 2^62).
const maxGridSide = 1 << 15

// grid is a row-major field of samples, row 0 first; surface a triangulated top surface over one.
type (
	grid    = heightfield.Grid
	surface = heightfield.Surface
)

// tin is a triangulated irregular network over a grid, in half-edge form: triangle t has vertices
// verts[3t..3t+2] in positive orientation (orient > 0 in grid coordinates); half-edge 3t+i runs
// from verts[3t+i] to verts[3t+(i+1)%3] and opp holds its twin, or -1 on the tile's border.
type tin struct {
	g   grid
	tol float64

	px, py []int32 // vertex grid coordinates

	verts []int32
	opp   []int32
	err   []float64 // worst error inside each triangle
	cand  []int32   // the sample with that error (index into g.Z)
	alive []bool
	hpos  []int32 // position in heap, -1 when not queued

	free    []int32 // dead triangle slots for reuse
	pending []int32 // triangles to scan before the next step
	inPend  []bool
	heap    []heapItem
	live    int // live triangles
	border  int // vertices on the grid's outer border

	x0, y0, x1, y1 int32   // the tile's rectangle
	removed        []bool  // vertices taken out again by decimate
	inc            []int32 // scratch of decimate and pack: one entry per vertex

	workers  int
	scanned  []int32       // scratch for the parallel scan
	progress atomic.Uint64 // the top error's bits, for progress reports from another goroutine
}

// newTin triangulates the rectangle [x0, x1]×[y0, y1] of g with the given points on its sides
// (grid coordinates, each strictly between two corners) and scans every triangle.
func newTin(g grid, x0, y0, x1, y1 int32, side [][2]int32, tol float64, workers int) *tin {
	t := &tin{g: g, tol: tol, workers: max(workers, 1), x0: x0, y0: y0, x1: x1, y1: y1}
	// A triangulation with every sample a vertex has about 2·w·h triangles, but a tile within a
	// useful tolerance keeps a few per cent of them: start with room for the initial triangles
	// (two, and one more for each side point) and let the arrays double. (Room for all 2·w·h, up
	// to 2^16, cost 1.5 MB a tile: 384 MB of heap for the 256 tiles of a 4096² relief, which also
	// put off every garbage collection until the heap was twice that; room for 1,024 still cost
	// 11 MB there, all of it waiting while the first tiles were refined.)
	t.growTris(min(2*int(x1-x0+1)*int(y1-y0+1), len(side)+2))
	p0 := t.addPoint(x0, y0)
	p1 := t.addPoint(x1, y0)
	p2 := t.addPoint(x1, y1)
	p3 := t.addPoint(x0, y1)
	for _, p := range []int32{p0, p1, p2, p3} {
		if t.outer(t.px[p], t.py[p]) {
			t.border++
		}
	}
	a := t.addTri(p0, p1, p2, -1, -1, -1)
	t.addTri(p0, p2, p3, a+2, -1, -1)
	for _, p := range side {
		t.insertOnHull(p[0], p[1])
	}
	t.flush()
	return t
}

// clone returns a deep copy of t (sharing only the read-only grid), for speculate to go back to.
func (t *tin) clone() *tin {
	c := &tin{
		g: t.g, tol: t.tol,
		px: slices.Clone(t.px), py: slices.Clone(t.py),
		verts: slices.Clone(t.verts), opp: slices.Clone(t.opp),
		err: slices.Clone(t.err), cand: slices.Clone(t.cand),
		alive: slices.Clone(t.alive), hpos: slices.Clone(t.hpos),
		free: slices.Clone(t.free), pending: slices.Clone(t.pending), inPend: slices.Clone(t.inPend),
		heap: slices.Clone(t.heap), live: t.live, border: t.border,
		x0: t.x0, y0: t.y0, x1: t.x1, y1: t.y1, removed: slices.Clone(t.removed),
		workers: t.workers,
	}
	c.progress.Store(t.progress.Load())
	return c
}

// tinBuffers are a tin's working arrays, which a worker hands from each tile it has finished to the
// next one it refines (adopt, pack): every tile after the first grows into the room the ones
// before it left rather than allocating arrays of its own and leaving them to the collector.
type tinBuffers struct {
	px, py, verts, opp, cand, hpos, free, pending, scanned, inc []int32
	err                                                         []float64
	alive, inPend, removed                                      []bool
	heap                                                        []heapItem
}

// moveInto returns src copied into *dst's room (growing it only when src is longer) and takes
// the room from *dst.
func moveInto[E any](dst *[]E, src []E) []E {
	d := append((*dst)[:0], src...)
	*dst = nil
	return d
}

// adopt moves t's arrays into b's room, and t takes that room over until pack gives it back. Only
// the arrays' capacity changes: t's state, and so everything it computes, is the same.
func (t *tin) adopt(b *tinBuffers) {
	t.px, t.py = moveInto(&b.px, t.px), moveInto(&b.py, t.py)
	t.verts, t.opp = moveInto(&b.verts, t.verts), moveInto(&b.opp, t.opp)
	t.cand, t.hpos = moveInto(&b.cand, t.cand), moveInto(&b.hpos, t.hpos)
	t.free, t.pending = moveInto(&b.free, t.free), moveInto(&b.pending, t.pending)
	t.scanned, t.inc = moveInto(&b.scanned, t.scanned), moveInto(&b.inc, t.inc)
	t.err = moveInto(&b.err, t.err)
	t.alive, t.inPend = moveInto(&b.alive, t.alive), moveInto(&b.inPend, t.inPend)
	t.removed = moveInto(&b.removed, t.removed)
	t.heap = moveInto(&b.heap, t.heap)
}

// tileSurface is a finished tile as mergeTiles takes it: the vertices it kept (those decimate did
// not remove), in order, its live triangles in slot order, three indices into those vertices each,
// and the largest error of any of them. Grid coordinates are below maxGridSide, 2^15, and so fit
// 16 bits; so do the indices of a tile that kept at most packNarrow vertices (tris), the others'
// taking 32 (tris32). A tile of 256² samples keeps fewer than that unless its tolerance is near
// zero.
type tileSurface struct {
	px, py []uint16
	tris   []uint16
	tris32 []int32
	maxErr float64
}

// packNarrow is the most vertices a tile may keep for pack to index them in 16 bits; a variable so
// that tests can take the 32-bit path.
var packNarrow = 1 << 16

// triangleCount returns how many triangles s holds.
func (s *tileSurface) triangleCount() int { return (len(s.tris) + len(s.tris32)) / 3 }

// pack returns t's surface (see tileSurface), in arrays of its exact size. With b not nil it then
// gives t's working arrays to b, emptied, for the next tile, and t keeps none of them: a finished
// tile holds 6 bytes a triangle and 4 a vertex rather than its whole working state.
func (t *tin) pack(b *tinBuffers) *tileSurface {
	nv := len(t.px)
	idx := growTo(t.inc[:0], nv)[:nv]
	n := int32(0)
	for v := range nv {
		if v < len(t.removed) && t.removed[v] {
			idx[v] = -1
			continue
		}
		idx[v] = n
		n++
	}
	s := &tileSurface{px: make([]uint16, n), py: make([]uint16, n), maxErr: t.maxError()}
	for v := range nv {
		if k := idx[v]; k >= 0 {
			s.px[k], s.py[k] = uint16(t.px[v]), uint16(t.py[v])
		}
	}
	if int(n) <= packNarrow {
		s.tris = make([]uint16, 0, 3*t.live)
		for id, ok := range t.alive {
			if ok {
				e := 3 * id
				s.tris = append(s.tris, uint16(idx[t.verts[e]]), uint16(idx[t.verts[e+1]]), uint16(idx[t.verts[e+2]]))
			}
		}
	} else {
		s.tris32 = make([]int32, 0, 3*t.live)
		for id, ok := range t.alive {
			if ok {
				e := 3 * id
				s.tris32 = append(s.tris32, idx[t.verts[e]], idx[t.verts[e+1]], idx[t.verts[e+2]])
			}
		}
	}
	t.inc = idx
	if b != nil {
		b.px, b.py, b.verts, b.opp = t.px[:0], t.py[:0], t.verts[:0], t.opp[:0]
		b.cand, b.hpos, b.free, b.pending = t.cand[:0], t.hpos[:0], t.free[:0], t.pending[:0]
		b.scanned, b.inc, b.err = t.scanned[:0], t.inc[:0], t.err[:0]
		b.alive, b.inPend, b.removed, b.heap = t.alive[:0], t.inPend[:0], t.removed[:0], t.heap[:0]
		t.px, t.py, t.verts, t.opp = nil, nil, nil, nil
		t.cand, t.hpos, t.free, t.pending = nil, nil, nil, nil
		t.scanned, t.inc, t.err = nil, nil, nil
		t.alive, t.inPend, t.removed, t.heap = nil, nil, nil, nil
	}
	return s
}

// insertOnHull inserts a point lying strictly inside a hull edge.
func (t *tin) insertOnHull(x, y int32) {
	for e := range int32(len(t.opp)) {
		if t.opp[e] >= 0 || !t.alive[e/3] {
			continue
		}
		u, v := t.verts[e], t.verts[next(e)]
		if t.orient(u, v, x, y) != 0 {
			continue
		}
		if (x-t.px[u])*(x-t.px[v]) <= 0 && (y-t.py[u])*(y-t.py[v]) <= 0 && !(x == t.px[u] && y == t.py[u]) && !(x == t.px[v] && y == t.py[v]) {
			t.splitEdge(e, x, y)
			return
		}
	}
}

// outer reports whether (x, y) lies on the grid's outer border.
func (t *tin) outer(x, y int32) bool {
	return x == 0 || y == 0 || int(x) == t.g.W-1 || int(y) == t.g.H-1
}

// cost is the tile's share of the closed solid's face bound: its triangles plus the closing faces
// of its outer border vertices.
func (t *tin) cost() int { return t.live + 3*t.border }

// run inserts points until the worst error is at most tau or another step could take the tile's
// cost above limit (no limit when limit <= 0).
func (t *tin) run(ctx context.Context, tau float64, limit int) error {
	next := func() *tin {
		if len(t.heap) > 0 && t.heap[0].err > tau {
			return t
		}
		return nil
	}
	err := refine(ctx, next, t.cost, limit, 1024, func(t *tin) { t.progress.Store(math.Float64bits(t.topError())) })
	if err != nil {
		return err
	}
	t.progress.Store(math.Float64bits(t.topError()))
	return nil
}

// refine is the greedy loop: it inserts the worst sample of the tile next returns, one step at a
// time, until next returns nil or another step could take cost above limit (no limit when limit
// <= 0). It checks ctx every 64 steps, and calls tick with the tile every `every` steps (a
// multiple of 64), for progress.
func refine(ctx context.Context, next func() *tin, cost func() int, limit, every int, tick func(*tin)) error {
	for step := 1; ; step++ {
		t := next()
		if t == nil || limit > 0 && cost()+heightfield.ClosingGrowth > limit {
			return nil
		}
		if step%64 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("cpu: triangulating: %w", err)
			}
			if step%every == 0 {
				tick(t)
			}
		}
		t.step()
	}
}

// growTris makes room for n triangle slots in every per-triangle array. The arrays grow
// together, and by doubling: append's own growth, by a quarter at these sizes, allocated about
// five times the final arrays over a refinement (and copied as often), where doubling allocates
// about twice.
func (t *tin) growTris(n int) {
	t.verts = growTo(t.verts, 3*n)
	t.opp = growTo(t.opp, 3*n)
	t.err = growTo(t.err, n)
	t.cand = growTo(t.cand, n)
	t.alive = growTo(t.alive, n)
	t.hpos = growTo(t.hpos, n)
	t.inPend = growTo(t.inPend, n)
}

// growTo returns s with room for at least n elements, reallocated to exactly n when it has less.
func growTo[E any](s []E, n int) []E {
	if cap(s) >= n {
		return s
	}
	g := make([]E, len(s), n)
	copy(g, s)
	return g
}

func (t *tin) addPoint(x, y int32) int32 {
	if len(t.px) == cap(t.px) {
		n := max(2*cap(t.px), 512)
		t.px, t.py = growTo(t.px, n), growTo(t.py, n)
	}
	t.px = append(t.px, x)
	t.py = append(t.py, y)
	return int32(len(t.px) - 1)
}

// addTri adds triangle (a, b, c) with twins ab, bc, ca for its half-edges, links the twins back,
// and queues it for scanning. It returns the triangle's first half-edge.
func (t *tin) addTri(a, b, c, ab, bc, ca int32) int32 {
	var id int32
	if n := len(t.free); n > 0 {
		id = t.free[n-1]
		t.free = t.free[:n-1]
		e := 3 * id
		t.verts[e], t.verts[e+1], t.verts[e+2] = a, b, c
		t.opp[e], t.opp[e+1], t.opp[e+2] = ab, bc, ca
		t.alive[id] = true
	} else {
		id = int32(len(t.alive))
		if len(t.alive) == cap(t.alive) {
			t.growTris(max(2*cap(t.alive), 64))
		}
		t.verts = append(t.verts, a, b, c)
		t.opp = append(t.opp, ab, bc, ca)
		t.err = append(t.err, 0)
		t.cand = append(t.cand, 0)
		t.alive = append(t.alive, true)
		t.hpos = append(t.hpos, -1)
		t.inPend = append(t.inPend, false)
	}
	e := 3 * id
	if ab >= 0 {
		t.opp[ab] = e
	}
	if bc >= 0 {
		t.opp[bc] = e + 1
	}
	if ca >= 0 {
		t.opp[ca] = e + 2
	}
	t.live++
	if !t.inPend[id] {
		t.inPend[id] = true
		t.pending = append(t.pending, id)
	}
	return e
}

// removeTri retires triangle id; its slot is reused by a later addTri.
func (t *tin) removeTri(id int32) {
	if t.hpos[id] >= 0 {
		t.heapRemove(id)
	}
	t.alive[id] = false
	t.live--
	t.free = append(t.free, id)
}

// step inserts the worst sample of the worst triangle.
func (t *tin) step() {
	id := t.heapPop()
	e := 3 * id
	p := t.cand[id]
	x, y := int32(int(p)%t.g.W), int32(int(p)/t.g.W)
	a, b, c := t.verts[e], t.verts[e+1], t.verts[e+2]
	// The sample lies inside the triangle or on one of its edges (never on a vertex, whose error
	// is zero).
	switch {
	case t.orient(a, b, x, y) == 0:
		t.splitEdge(e, x, y)
	case t.orient(b, c, x, y) == 0:
		t.splitEdge(e+1, x, y)
	case t.orient(c, a, x, y) == 0:
		t.splitEdge(e+2, x, y)
	default:
		pn := t.addPoint(x, y)
		h0, h1, h2 := t.opp[e], t.opp[e+1], t.opp[e+2]
		t.removeTri(id)
		t0 := t.addTri(a, b, pn, h0, -1, -1)
		t1 := t.addTri(b, c, pn, h1, -1, t0+1)
		t2 := t.addTri(c, a, pn, h2, t0+2, t1+1)
		t.legalize(t0)
		t.legalize(t1)
		t.legalize(t2)
	}
	t.flush()
}

// splitEdge inserts sample (x, y), which lies on half-edge e (u→v) of triangle (u, v, w), splitting
// that triangle and the one across e, if any.
func (t *tin) splitEdge(e int32, x, y int32) {
	tri := e / 3
	en, ep := next(e), prev(e)
	u, v, w := t.verts[e], t.verts[en], t.verts[ep]
	hvw, hwu := t.opp[en], t.opp[ep]
	f := t.opp[e]
	pn := t.addPoint(x, y)
	if f < 0 {
		if t.outer(x, y) {
			t.border++
		}
		t.removeTri(tri)
		a := t.addTri(u, pn, w, -1, -1, hwu)
		b := t.addTri(pn, v, w, -1, hvw, a+1)
		t.legalize(a + 2)
		t.legalize(b + 1)
		return
	}
	fn, fp := next(f), prev(f)
	xv := t.verts[fp]
	hux, hxv := t.opp[fn], t.opp[fp]
	t.removeTri(tri)
	t.removeTri(f / 3)
	a := t.addTri(u, pn, w, -1, -1, hwu)
	b := t.addTri(pn, v, w, -1, hvw, a+1)
	c := t.addTri(v, pn, xv, b, -1, hxv)
	d := t.addTri(pn, u, xv, a, hux, c+1)
	t.legalize(a + 2)
	t.legalize(b + 1)
	t.legalize(c + 2)
	t.legalize(d + 1)
}

// legalize restores the Delaunay property across half-edge e (u→v) of triangle (u, v, w), where w
// is the newly inserted vertex: if the vertex x across e lies inside the circumcircle of (u, v, w),
// the edge is flipped to w–x and the two edges facing w are checked in turn.
func (t *tin) legalize(e int32) {
	f := t.opp[e]
	if f < 0 {
		return
	}
	en, ep := next(e), prev(e)
	fn, fp := next(f), prev(f)
	u, v, w := t.verts[e], t.verts[en], t.verts[ep]
	x := t.verts[fp]
	if !t.inCircle(u, v, w, x) {
		return
	}
	hvw, hwu := t.opp[en], t.opp[ep]
	hux, hxv := t.opp[fn], t.opp[fp]
	t.removeTri(e / 3)
	t.removeTri(f / 3)
	a := t.addTri(u, x, w, hux, -1, hwu)
	b := t.addTri(x, v, w, hxv, hvw, a+1)
	t.legalize(a)
	t.legalize(b)
}

func next(e int32) int32 {
	if e%3 == 2 {
		return e - 2
	}
	return e + 1
}

func prev(e int32) int32 {
	if e%3 == 0 {
		return e + 2
	}
	return e - 1
}

// orient returns twice the signed area of (a, b, (x, y)).
func (t *tin) orient(a, b int32, x, y int32) int64 {
	ax, ay := int64(t.px[a]), int64(t.py[a])
	bx, by := int64(t.px[b]), int64(t.py[b])
	return (bx-ax)*(int64(y)-ay) - (by-ay)*(int64(x)-ax)
}

// inCircle reports whether d lies strictly inside the circumcircle of the positively oriented
// triangle (a, b, c). Exact in int64 for coordinates below 2^15.
func (t *tin) inCircle(a, b, c, d int32) bool {
	dx, dy := int64(t.px[d]), int64(t.py[d])
	ax, ay := int64(t.px[a])-dx, int64(t.py[a])-dy
	bx, by := int64(t.px[b])-dx, int64(t.py[b])-dy
	cx, cy := int64(t.px[c])-dx, int64(t.py[c])-dy
	a2, b2, c2 := ax*ax+ay*ay, bx*bx+by*by, cx*cx+cy*cy
	return ax*(by*c2-b2*cy)-ay*(bx*c2-b2*cx)+a2*(bx*cy-by*cx) > 0
}

// flush scans every pending triangle and queues those whose error exceeds the tolerance. Large
// triangles are scanned in parallel; each scan writes only its own triangle's slots, so the result
// does not depend on scheduling.
func (t *tin) flush() {
	live := t.scanned[:0]
	big := 0
	for _, id := range t.pending {
		t.inPend[id] = false
		if t.alive[id] {
			live = append(live, id)
			if t.workers > 1 && t.boxArea(id) >= parallelScanArea {
				big++
			}
		}
	}
	t.pending = t.pending[:0]
	if big > 0 && len(live) > 1 {
		var wg sync.WaitGroup
		for _, id := range live[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.scan(id)
			}()
		}
		t.scan(live[0])
		wg.Wait()
	} else {
		for _, id := range live {
			t.scan(id)
		}
	}
	for _, id := range live {
		if t.err[id] > t.tol {
			t.heapPush(id)
		}
	}
	t.scanned = live
}

// parallelScanArea is the bounding-box area in samples above which a triangle's scan is worth a
// goroutine.
const parallelScanArea = 1 << 14

func (t *tin) boxArea(id int32) int {
	e := 3 * id
	a, b, c := t.verts[e], t.verts[e+1], t.verts[e+2]
	w := max(t.px[a], t.px[b], t.px[c]) - min(t.px[a], t.px[b], t.px[c]) + 1
	h := max(t.py[a], t.py[b], t.py[c]) - min(t.py[a], t.py[b], t.py[c]) + 1
	return int(w) * int(h)
}

// scan finds the sample of triangle id (edges included) farthest, vertically, from the
// triangle's plane, and stores it with its error.
func (t *tin) scan(id int32) {
	e := 3 * id
	t.err[id], t.cand[id] = t.scanTri(t.verts[e], t.verts[e+1], t.verts[e+2], math.Inf(1))
}

// scanTri returns the largest vertical distance between the samples of the positively oriented
// triangle (a, b, c), edges included, and its plane, with the sample where it occurs. It stops
// early, with some error above limit, once it has found one.
func (t *tin) scanTri(a, b, c int32, limit float64) (float64, int32) {
	ax, ay := int64(t.px[a]), int64(t.py[a])
	bx, by := int64(t.px[b]), int64(t.py[b])
	cx, cy := int64(t.px[c]), int64(t.py[c])
	w := t.g.W
	za := float64(t.g.Z[int(ay)*w+int(ax)])
	zb := float64(t.g.Z[int(by)*w+int(bx)])
	zc := float64(t.g.Z[int(cy)*w+int(cx)])
	area := float64((bx-ax)*(cy-ay) - (by-ay)*(cx-ax))
	// The plane z = za + gx·(x−ax) + gy·(y−ay).
	gx := ((zb-za)*float64(cy-ay) - (zc-za)*float64(by-ay)) / area
	gy := ((zc-za)*float64(bx-ax) - (zb-za)*float64(cx-ax)) / area

	// Rows are spanned between the long edge (from the lowest to the highest vertex in y) and
	// one of the two short edges. A row's bound x = p.x + (d.x/d.y)·(y − p.y) is computed in
	// float64 and rounded inwards with a margin of 1e-7: that is exact, because a bound that is
	// not an integer is at least 1/|d.y| ≥ 2^-15 away from one, and the rounding error is below
	// 2^-35.
	const eps = 1e-7
	v := [3][2]int64{{ax, ay}, {bx, by}, {cx, cy}}
	if v[1][1] < v[0][1] {
		v[0], v[1] = v[1], v[0]
	}
	if v[2][1] < v[1][1] {
		v[1], v[2] = v[2], v[1]
	}
	if v[1][1] < v[0][1] {
		v[0], v[1] = v[1], v[0]
	}
	y0, ym, y2 := v[0][1], v[1][1], v[2][1]
	slope := func(p, q [2]int64) float64 {
		if q[1] == p[1] {
			return 0
		}
		return float64(q[0]-p[0]) / float64(q[1]-p[1])
	}
	longSlope, upSlope, downSlope := slope(v[0], v[2]), slope(v[0], v[1]), slope(v[1], v[2])
	// The long edge is on the right when the middle vertex lies left of it.
	longRight := (v[2][0]-v[0][0])*(v[1][1]-v[0][1])-(v[2][1]-v[0][1])*(v[1][0]-v[0][0]) > 0
	lx0, ly0 := float64(v[0][0]), float64(v[0][1])
	mx, my := float64(v[1][0]), float64(v[1][1])
	best := -1.0
	bestAt := 0
	for y := y0; y <= y2; y++ {
		fy := float64(y)
		xl := lx0 + longSlope*(fy-ly0)
		var xs float64
		if y < ym || (y == ym && ym > y0) {
			xs = lx0 + upSlope*(fy-ly0)
		} else {
			xs = mx + downSlope*(fy-my)
		}
		var il, ih int
		if longRight {
			il, ih = ceilInt(xs-eps), int(xl+eps)
		} else {
			il, ih = ceilInt(xl-eps), int(xs+eps)
		}
		if il > ih {
			continue
		}
		start := int(y)*w + il
		row := t.g.Z[start : start+ih-il+1]
		zp := za + gx*(float64(il)-float64(ax)) + gy*(fy-float64(ay))
		for i, h := range row {
			d := math.Abs(zp - float64(h))
			if d > best {
				best = d
				bestAt = start + i
			}
			zp += gx
		}
		if best > limit {
			break
		}
	}
	return max(best, 0), int32(bestAt)
}

// ceilInt is math.Ceil(x) as an int for x > −1, where scanTri's bounds lie (a row's bound is at
// least 0 less its margin): int truncates towards zero, which is the ceiling there for x ≤ 0 and
// one below it for a positive non-integer. The row bounds' floors are int(x) for the same reason
// (x > 0). Both avoid math.Ceil's and math.Floor's calls, which amd64 does not inline.
func ceilInt(x float64) int {
	i := int(x)
	if float64(i) < x {
		i++
	}
	return i
}

// planeError is the vertical distance between vertex v's sample and the plane through the
// samples of triangle (a, b, c), positively oriented.
func (t *tin) planeError(a, b, c, v int32) float64 {
	w := t.g.W
	ax, ay := int64(t.px[a]), int64(t.py[a])
	bx, by := int64(t.px[b]), int64(t.py[b])
	cx, cy := int64(t.px[c]), int64(t.py[c])
	vx, vy := int64(t.px[v]), int64(t.py[v])
	za := float64(t.g.Z[int(ay)*w+int(ax)])
	zb := float64(t.g.Z[int(by)*w+int(bx)])
	zc := float64(t.g.Z[int(cy)*w+int(cx)])
	area := float64((bx-ax)*(cy-ay) - (by-ay)*(cx-ax))
	gx := ((zb-za)*float64(cy-ay) - (zc-za)*float64(by-ay)) / area
	gy := ((zc-za)*float64(bx-ax) - (zb-za)*float64(cx-ax)) / area
	return math.Abs(za + gx*float64(vx-ax) + gy*float64(vy-ay) - float64(t.g.Z[int(vy)*w+int(vx)]))
}

// maxError returns the largest error of any live triangle.
func (t *tin) maxError() float64 {
	var m float64
	for id, ok := range t.alive {
		if ok {
			m = max(m, t.err[id])
		}
	}
	return m
}

func (t *tin) topError() float64 {
	if len(t.heap) == 0 {
		return 0
	}
	return t.heap[0].err
}

// triangles returns the live triangles' vertices, three per triangle, in slot order.
func (t *tin) triangles() []int32 {
	out := make([]int32, 0, 3*t.live)
	for id, ok := range t.alive {
		if ok {
			out = append(out, t.verts[3*id:3*id+3]...)
		}
	}
	return out
}

// The heap is a binary max-heap of triangles by error, with each triangle's position in hpos so
// that retired triangles can be removed. Items carry their error so that sifting touches only the
// heap's own memory. Equal errors are ordered by id.

type heapItem struct {
	err float64
	id  int32
}

func (a heapItem) before(b heapItem) bool {
	return a.err > b.err || (a.err == b.err && a.id < b.id)
}

func (t *tin) heapUp(j int) {
	h := t.heap
	it := h[j]
	for j > 0 {
		i := (j - 1) / 2
		if !it.before(h[i]) {
			break
		}
		h[j] = h[i]
		t.hpos[h[j].id] = int32(j)
		j = i
	}
	h[j] = it
	t.hpos[it.id] = int32(j)
}

func (t *tin) heapDown(i int) bool {
	h := t.heap
	i0, n := i, len(h)
	it := h[i]
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if k := j + 1; k < n && h[k].before(h[j]) {
			j = k
		}
		if !h[j].before(it) {
			break
		}
		h[i] = h[j]
		t.hpos[h[i].id] = int32(i)
		i = j
	}
	h[i] = it
	t.hpos[it.id] = int32(i)
	return i > i0
}

func (t *tin) heapPush(id int32) {
	if len(t.heap) == cap(t.heap) {
		t.heap = growTo(t.heap, max(2*cap(t.heap), 256))
	}
	t.heap = append(t.heap, heapItem{t.err[id], id})
	t.heapUp(len(t.heap) - 1)
}

func (t *tin) heapPop() int32 {
	id := t.heap[0].id
	t.heapRemove(id)
	return id
}

func (t *tin) heapRemove(id int32) {
	i := int(t.hpos[id])
	n := len(t.heap) - 1
	t.hpos[id] = -1
	if i == n {
		t.heap = t.heap[:n]
		return
	}
	t.heap[i] = t.heap[n]
	t.heap = t.heap[:n]
	if !t.heapDown(i) {
		t.heapUp(i)
	}
}
