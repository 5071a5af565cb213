package grabcut

import "context"

// The minimum cut is found with the augmenting-path algorithm of Y. Boykov and V. Kolmogorov,
// "An experimental comparison of min-cut/max-flow algorithms for energy minimization in vision",
// IEEE TPAMI 26(9), 2004. Two search trees grow from the source and the sink over edges with
// residual capacity; where they touch, the path through them is augmented; nodes cut off from
// their tree by a saturated edge (orphans) look for a new parent in the same tree or become
// free. The trees are kept between augmentations, which is what makes it fast on the short,
// many-path grids of vision problems.
//
// The graph here is an 8-connected pixel grid with one pixel of padding on every side: padding
// nodes have no capacity in or out, so they never join a tree and no neighbour needs a bounds
// check. Edge capacities live in rc[8*p+d] (p → p+off[d]); the reverse of direction d is 7-d.
// A node's terminal capacities are folded into one number tr[p] (> 0: from the source, < 0: to
// the sink), the common part min(source, sink) being a constant of the energy.

const (
	free   = 0
	source = 1
	sink   = 2

	noParent = -1
	terminal = 8
	orphan   = 9
)

// grid is one max-flow problem on a padded w×h pixel grid, or on a view of one: the w×h
// pixels from (x0, y0) of a larger grid whose arrays it shares, with queues of its own
// (splitMaxflow's halves).
type grid struct {
	w, h   int // unpadded size
	x0, y0 int // a view's first pixel in the shared arrays
	stride int // the shared arrays' row length (the whole grid's w + 2)
	off    [8]int
	rc     []float32
	tr     []float32
	tree   []uint8
	parent []int8
	up     []int32 // the parent node, beside parent's direction: the walks up a tree chase it
	ts     []int32
	dist   []int32
	inq    []bool
	active []int32
	head   int
	orph   []int32
	path   []pathEdge
	time   int32
	flow   float64
	bands  [2]*grid // splitMaxflow's halves, kept between rounds
}

func newGrid(w, h int) *grid {
	g := &grid{w: w, h: h, stride: w + 2}
	n := (w + 2) * (h + 2)
	s := g.stride
	g.off = [8]int{-s - 1, -s, -s + 1, -1, 1, s - 1, s, s + 1}
	g.rc = make([]float32, 8*n)
	g.tr = make([]float32, n)
	g.tree = make([]uint8, n)
	g.parent = make([]int8, n)
	g.up = make([]int32, n)
	g.ts = make([]int32, n)
	g.dist = make([]int32, n)
	g.inq = make([]bool, n)
	for i := range g.parent {
		g.parent[i] = noParent
	}
	g.queues(n)
	return g
}

// queues allocates the queues at their usual peaks on photos for n nodes, so that they seldom
// grow.
func (g *grid) queues(n int) {
	g.active = make([]int32, 0, 2*n)
	g.orph = make([]int32, 0, n/2)
}

// view returns the w×h pixels from (x0, y0) of g (a view itself, or not) as a grid sharing its
// arrays.
func (g *grid) view(x0, y0, w, h int) *grid {
	v := *g
	v.x0, v.y0, v.w, v.h = g.x0+x0, g.y0+y0, w, h
	v.bands = [2]*grid{}
	v.queues(w * h)
	v.path = nil
	return &v
}

// node is the padded index of pixel (x, y).
func (g *grid) node(x, y int) int { return (g.y0+y+1)*g.stride + g.x0 + x + 1 }

// reset clears the trees and flow (capacities are set by the caller): of the whole arrays for
// a whole grid, of its own pixels for a view (padding nodes are never touched).
func (g *grid) reset() {
	if g.w+2 == g.stride && g.h+2 == len(g.tr)/g.stride {
		clear(g.tree)
		clear(g.ts)
		clear(g.dist)
		clear(g.inq)
		for i := range g.parent {
			g.parent[i] = noParent
		}
	} else {
		for y := range g.h {
			p := g.node(0, y)
			clear(g.tree[p : p+g.w])
			clear(g.ts[p : p+g.w])
			clear(g.dist[p : p+g.w])
			clear(g.inq[p : p+g.w])
			for i := p; i < p+g.w; i++ {
				g.parent[i] = noParent
			}
		}
	}
	g.active = g.active[:0]
	g.head = 0
	g.orph = g.orph[:0]
	g.time = 0
	g.flow = 0
}

func (g *grid) push(p int) {
	if !g.inq[p] {
		g.inq[p] = true
		g.active = append(g.active, int32(p))
	}
}

func (g *grid) setOrphan(p int) {
	g.parent[p] = orphan
	g.orph = append(g.orph, int32(p))
}

// maxflow runs the algorithm to completion; afterwards inSource tells each node's side.
func (g *grid) maxflow(ctx context.Context) error {
	g.reset()
	for y := 0; y < g.h; y++ {
		for x := 0; x < g.w; x++ {
			p := g.node(x, y)
			switch {
			case g.tr[p] > 0:
				g.tree[p], g.parent[p], g.dist[p] = source, terminal, 1
				g.push(p)
			case g.tr[p] < 0:
				g.tree[p], g.parent[p], g.dist[p] = sink, terminal, 1
				g.push(p)
			}
		}
	}
	return g.run(ctx)
}

// run grows the trees from the active nodes and augments until no path is left.
func (g *grid) run(ctx context.Context) error {
	steps := 0
	for {
		steps++
		if steps&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// The front active node (freed nodes are dropped as they surface).
		p := -1
		for g.head < len(g.active) {
			c := int(g.active[g.head])
			if g.tree[c] != free {
				p = c
				break
			}
			g.inq[c] = false
			g.head++
		}
		if p < 0 {
			return nil
		}
		if g.head > 4096 && g.head > len(g.active)/2 {
			g.active = g.active[:copy(g.active, g.active[g.head:])]
			g.head = 0
		}
		t := g.tree[p]
		found := false
		var ps, pt, dd int
		for d := 0; d < 8; d++ {
			q := p + g.off[d]
			var c float32
			if t == source {
				c = g.rc[8*p+d]
			} else {
				c = g.rc[8*q+7-d]
			}
			if c <= 0 {
				continue
			}
			switch tq := g.tree[q]; {
			case tq == free:
				g.tree[q] = t
				g.parent[q], g.up[q] = int8(7-d), int32(p)
				g.ts[q] = g.ts[p]
				g.dist[q] = g.dist[p] + 1
				g.push(q)
			case tq != t:
				found = true
				if t == source {
					ps, pt, dd = p, q, d
				} else {
					ps, pt, dd = q, p, 7-d
				}
			case g.ts[q] <= g.ts[p] && g.dist[q] > g.dist[p]:
				// A shorter way to the terminal through p: take it (keeps trees shallow).
				g.parent[q], g.up[q] = int8(7-d), int32(p)
				g.ts[q] = g.ts[p]
				g.dist[q] = g.dist[p] + 1
			}
			if found {
				break
			}
		}
		if !found {
			g.inq[p] = false
			g.head++
			continue
		}
		g.time++
		g.augment(ps, pt, dd)
		if err := g.adopt(ctx); err != nil {
			return err
		}
	}
}

// augment pushes the bottleneck flow along source → … → ps → pt → … → sink. The first walk
// records the path's edges (as the index in rc of each edge's forward capacity, and of its
// reverse), so the second walk updates them without chasing parents again.
func (g *grid) augment(ps, pt, dd int) {
	b := g.rc[8*ps+dd]
	path := g.path[:0]
	x := ps
	for {
		pd := int(g.parent[x])
		if pd == terminal {
			break
		}
		y := int(g.up[x])
		path = append(path, pathEdge{fwd: int32(8*y + 7 - pd), rev: int32(8*x + pd), child: int32(x)})
		if c := g.rc[8*y+7-pd]; c < b {
			b = c
		}
		x = y
	}
	sRoot := x
	if c := g.tr[x]; c < b {
		b = c
	}
	nS := len(path)
	for x = pt; ; {
		pd := int(g.parent[x])
		if pd == terminal {
			break
		}
		y := int(g.up[x])
		path = append(path, pathEdge{fwd: int32(8*x + pd), rev: int32(8*y + 7 - pd), child: int32(x)})
		if c := g.rc[8*x+pd]; c < b {
			b = c
		}
		x = y
	}
	tRoot := x
	if c := -g.tr[x]; c < b {
		b = c
	}
	g.rc[8*ps+dd] -= b
	g.rc[8*pt+7-dd] += b
	// Orphans in the order the two walks from the cut edge meet them.
	for _, e := range path[:nS] {
		g.rc[e.fwd] -= b
		g.rc[e.rev] += b
		if g.rc[e.fwd] <= 0 {
			g.setOrphan(int(e.child))
		}
	}
	g.tr[sRoot] -= b
	if g.tr[sRoot] <= 0 {
		g.setOrphan(sRoot)
	}
	for _, e := range path[nS:] {
		g.rc[e.fwd] -= b
		g.rc[e.rev] += b
		if g.rc[e.fwd] <= 0 {
			g.setOrphan(int(e.child))
		}
	}
	g.tr[tRoot] += b
	if g.tr[tRoot] >= 0 {
		g.setOrphan(tRoot)
	}
	g.flow += float64(b)
	g.path = path
}

// pathEdge is one edge of an augmenting path: rc[fwd] is its capacity along the path, rc[rev]
// the reverse's, child the node below it in its tree.
type pathEdge struct{ fwd, rev, child int32 }

// adopt finds every orphan a new parent in its tree, or frees it.
func (g *grid) adopt(ctx context.Context) error {
	for i := 0; i < len(g.orph); i++ {
		if i&4095 == 4095 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		p := int(g.orph[i])
		t := g.tree[p]
		best, bestDist := -1, int32(1<<30)
		for d := 0; d < 8; d++ {
			q := p + g.off[d]
			// The capacity first: a view's neighbour across a seam (no capacity either way)
			// belongs to the search on the other side, whose tree is not read.
			if !g.open(t, p, q, d) || g.tree[q] != t {
				continue
			}
			// Walk up from q to a terminal (valid) or an orphan (not), using the marks of
			// walks made since the last augmentation.
			j, n, ok := q, int32(0), false
			for {
				if g.ts[j] == g.time {
					n += g.dist[j]
					ok = true
					break
				}
				n++
				pj := int(g.parent[j])
				if pj == terminal {
					g.ts[j], g.dist[j] = g.time, 1
					ok = true
					break
				}
				if pj == orphan || pj == noParent {
					break
				}
				j = int(g.up[j])
			}
			if !ok {
				continue
			}
			if n < bestDist {
				best, bestDist = d, n
			}
			for j, m := q, n; g.ts[j] != g.time; j = int(g.up[j]) {
				g.ts[j], g.dist[j] = g.time, m
				m--
			}
		}
		if best >= 0 {
			g.parent[p], g.up[p] = int8(best), int32(p+g.off[best])
			g.ts[p] = g.time
			g.dist[p] = bestDist + 1
			continue
		}
		for d := 0; d < 8; d++ {
			q := p + g.off[d]
			// With no capacity either way, q is neither a parent to come (open) nor a child
			// (a tree edge has capacity from the terminal's side): skipped unread, as above.
			if !(g.rc[8*p+d] > 0 || g.rc[8*q+7-d] > 0) || g.tree[q] != t {
				continue
			}
			if g.open(t, p, q, d) {
				g.push(q)
			}
			if int(g.parent[q]) == 7-d {
				g.setOrphan(q)
			}
		}
		g.tree[p] = free
		g.parent[p] = noParent
	}
	g.orph = g.orph[:0]
	return nil
}

// open reports whether q could be p's parent in tree t: the edge on the way from the terminal
// (q → p in the source tree, p → q in the sink tree) has residual capacity.
func (g *grid) open(t uint8, p, q, d int) bool {
	if t == source {
		return g.rc[8*q+7-d] > 0
	}
	return g.rc[8*p+d] > 0
}

// inSource reports whether node p ends on the source side of the minimum cut.
func (g *grid) inSource(p int) bool { return g.tree[p] == source }
