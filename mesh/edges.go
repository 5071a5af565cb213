package mesh

import (
	"runtime"
	"slices"

	"github.com/orfeas3d/orfeas/internal/par"
)

// halfEdge is one face's use of an undirected edge {lo, hi}: face f walks it from lo to hi when
// fwd is true, else from hi to lo; k is the index (0..2) of the edge in the face, which runs from
// corner k to corner k+1.
type halfEdge struct {
	lo, hi, face uint32
	k            uint8
	fwd          bool
	// repeats is set when face repeats an index (a collapsed edge elsewhere in it), where a
	// vertex's corner cannot be told from k and fwd (see corners).
	repeats bool
}

// corners returns the corners (3·face + 0..2) at which h's face uses h.lo and h.hi: from k and
// fwd (edge k runs from corner k to corner k+1) without reading the face, except for a face
// that repeats an index, where it is cornerOf's first corner using the vertex, as before.
func (h halfEdge) corners(m *Mesh) (lo, hi uint32) {
	if h.repeats {
		return cornerOf(m, h.face, h.lo), cornerOf(m, h.face, h.hi)
	}
	a, b := uint32(h.k), uint32(h.k+1)
	if b == 3 {
		b = 0
	}
	if !h.fwd {
		a, b = b, a
	}
	return 3*h.face + a, 3*h.face + b
}

// edgeTable groups the half-edges of a mesh by undirected edge: group i is
// he[start[i]:start[i+1]], ordered by (lo, hi) and then by face index. It is built with a counting
// sort on lo, so it costs O(F + V) time plus a small sort per vertex, and does not depend on map
// iteration order.
type edgeTable struct {
	he    []halfEdge
	start []uint32
}

// newEdgeTable builds the table. Faces with a repeated index contribute no half-edges for the
// edges that collapse to a point.
func newEdgeTable(m *Mesh) *edgeTable {
	nv, nf := len(m.Positions), len(m.Faces)
	runs := 1
	if 3*nf >= edgeParallelHalfEdges {
		runs = min(runtime.GOMAXPROCS(0), edgeMaxRuns)
	}
	// A counting sort of the half-edges on lo: each run of faces counts its own (runCounts[r]),
	// then places them from where its share of each bucket starts, the runs' shares in run order,
	// so the buckets hold their entries in face order whatever the split (one serial pass when
	// runs is 1).
	runCounts := make([][]uint32, runs)
	par.For(runs, runs, func(r int) {
		c := make([]uint32, nv)
		for _, f := range m.Faces[nf*r/runs : nf*(r+1)/runs] {
			for k := range 3 {
				a, b := f[k], f[(k+1)%3]
				if a != b {
					c[min(a, b)]++
				}
			}
		}
		runCounts[r] = c
	})
	count := make([]uint32, nv+1)
	var total uint32
	for v := range nv {
		count[v] = total
		for _, c := range runCounts {
			n := c[v]
			c[v] = total
			total += n
		}
	}
	count[nv] = total
	he := make([]halfEdge, total)
	par.For(runs, runs, func(r int) {
		next := runCounts[r]
		f0 := nf * r / runs
		for fi, f := range m.Faces[f0 : nf*(r+1)/runs] {
			repeats := f[0] == f[1] || f[1] == f[2] || f[0] == f[2]
			for k := range 3 {
				a, b := f[k], f[(k+1)%3]
				if a == b {
					continue
				}
				lo, hi := min(a, b), max(a, b)
				he[next[lo]] = halfEdge{lo: lo, hi: hi, face: uint32(f0 + fi), k: uint8(k), fwd: a == lo, repeats: repeats}
				next[lo]++
			}
		}
	})
	// Within one lo bucket the entries are in face order; a stable sort by hi keeps that order.
	// Buckets hold a vertex's few edges (about three on a closed mesh), where an insertion sort
	// beats the library's. Each bucket's group starts are found as it is sorted, on up to
	// GOMAXPROCS goroutines over runs of vertices; the runs' starts, concatenated in order, are
	// those of one pass over the whole table.
	runStarts := make([][]uint32, runs)
	par.For(runs, runs, func(r int) {
		v0, v1 := nv*r/runs, nv*(r+1)/runs
		starts := make([]uint32, 0, int(count[v1]-count[v0])/2+2)
		for v := v0; v < v1; v++ {
			b := he[count[v]:count[v+1]]
			switch {
			case len(b) <= 1:
			case len(b) <= 24:
				for i := 1; i < len(b); i++ {
					x := b[i]
					j := i
					for ; j > 0 && b[j-1].hi > x.hi; j-- {
						b[j] = b[j-1]
					}
					b[j] = x
				}
			default:
				slices.SortStableFunc(b, func(x, y halfEdge) int { return int(x.hi) - int(y.hi) })
			}
			// Groups never span buckets (a bucket is one lo), so a group starts at the bucket's
			// first entry and wherever hi changes within it.
			for i := range b {
				if i == 0 || b[i].hi != b[i-1].hi {
					starts = append(starts, count[v]+uint32(i))
				}
			}
		}
		runStarts[r] = starts
	})
	n := 1
	for _, s := range runStarts {
		n += len(s)
	}
	starts := make([]uint32, 0, n)
	for _, s := range runStarts {
		starts = append(starts, s...)
	}
	starts = append(starts, total)
	return &edgeTable{he: he, start: starts}
}

// edgeParallelHalfEdges is the half-edge count (three a face) from which newEdgeTable works on
// several goroutines; edgeMaxRuns bounds how many.
const (
	edgeParallelHalfEdges = 1 << 16
	edgeMaxRuns           = 8
)

// edges returns the number of undirected edges.
func (t *edgeTable) edges() int { return len(t.start) - 1 }

// group returns the half-edges of undirected edge i.
func (t *edgeTable) group(i int) []halfEdge { return t.he[t.start[i]:t.start[i+1]] }

// faceAdjacency returns, for each face f and edge k, the face across that edge when the edge is
// shared by exactly two faces, or -1 (boundary, non-manifold, or collapsed edge).
func (t *edgeTable) faceAdjacency(nf int) []int32 {
	adj := make([]int32, 3*nf)
	for i := range adj {
		adj[i] = -1
	}
	for i := range t.edges() {
		g := t.group(i)
		if len(g) != 2 {
			continue
		}
		adj[3*int(g[0].face)+int(g[0].k)] = int32(g[1].face)
		adj[3*int(g[1].face)+int(g[1].k)] = int32(g[0].face)
	}
	return adj
}

// dsu is a disjoint-set forest with path halving and union by index (the smaller root wins), so
// that roots are deterministic.
type dsu []uint32

func newDSU(n int) dsu {
	d := make(dsu, n)
	for i := range d {
		d[i] = uint32(i)
	}
	return d
}

func (d dsu) find(x uint32) uint32 {
	for d[x] != x {
		d[x] = d[d[x]]
		x = d[x]
	}
	return x
}

func (d dsu) union(a, b uint32) {
	ra, rb := d.find(a), d.find(b)
	if ra == rb {
		return
	}
	if ra < rb {
		d[rb] = ra
	} else {
		d[ra] = rb
	}
}
