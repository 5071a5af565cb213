package mesh

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// topologyEdgeTable is topologyEdges as Topology computed it before, from the table of all
// half-edges sorted by edge and a disjoint-set forest over all corners: the reference that
// TestTopologyEdgesMatchTable holds topologyEdges to.
func topologyEdgeTable(m *Mesh) (edges, boundary, nonManifold, inconsistent, duplicates, pinched, loops int) {
	var t Topology
	nv, nf := len(m.Positions), len(m.Faces)
	et := newEdgeTable(m)
	t.Edges = et.edges()
	corners := newDSU(3 * nf)
	bset := newDSU(nv)
	onBoundary := make([]bool, nv)
	var thirds []uint32
	for i := range t.Edges {
		g := et.group(i)
		switch {
		case len(g) == 1:
			t.BoundaryEdges++
			bset.union(g[0].lo, g[0].hi)
			onBoundary[g[0].lo], onBoundary[g[0].hi] = true, true
		case len(g) > 2:
			t.NonManifoldEdges++
		default:
			if g[0].fwd == g[1].fwd {
				t.InconsistentEdges++
			}
			// The two faces are neighbours in the fans of both endpoints.
			lo0, hi0 := g[0].corners(m)
			lo1, hi1 := g[1].corners(m)
			corners.union(lo0, lo1)
			corners.union(hi0, hi1)
		}
		// Duplicates: a face is counted in the group of its two smallest vertices, against the
		// earlier faces of that group with the same largest vertex.
		thirds = thirds[:0]
		for _, h := range g {
			if c := thirdVertex(m.Faces[h.face], h.lo, h.hi); c > h.hi {
				thirds = append(thirds, c)
			}
		}
		if len(thirds) > 1 {
			slices.Sort(thirds)
			for j := 1; j < len(thirds); j++ {
				if thirds[j] == thirds[j-1] {
					t.DuplicateFaces++
				}
			}
		}
	}
	// A vertex is a pinch point when its corners fall into more than one fan.
	fans := make([]uint8, nv)
	for fi, f := range m.Faces {
		if f[0] == f[1] || f[1] == f[2] || f[0] == f[2] {
			continue
		}
		for k := range 3 {
			c := uint32(3*fi + k)
			if corners.find(c) == c && fans[f[k]] < 2 {
				fans[f[k]]++
			}
		}
	}
	for _, n := range fans {
		if n > 1 {
			t.NonManifoldVertices++
		}
	}
	for v := range nv {
		if onBoundary[v] && bset.find(uint32(v)) == uint32(v) {
			t.BoundaryLoops++
		}
	}
	return t.Edges, t.BoundaryEdges, t.NonManifoldEdges, t.InconsistentEdges, t.DuplicateFaces, t.NonManifoldVertices, t.BoundaryLoops
}

// TestTopologyEdgesMatchTable holds the ring-based counts to the edge table's on meshes that
// break every rule: random faces over few vertices (repeated indices, duplicates in every order,
// edges of one, two and many faces, pinch points, open chains), closed shapes, shapes with faces
// removed, flipped or doubled, two cubes sharing a corner, and a sphere large enough for the
// parallel runs; on 1, 2 and 5 goroutines.
func TestTopologyEdgesMatchTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 12))
	var cases []*Mesh
	for range 400 {
		nv := 3 + rng.IntN(30)
		m := &Mesh{Positions: make([][3]float32, nv)}
		for i := range m.Positions {
			m.Positions[i] = [3]float32{rng.Float32(), rng.Float32(), rng.Float32()}
		}
		for range rng.IntN(120) {
			f := [3]uint32{uint32(rng.IntN(nv)), uint32(rng.IntN(nv)), uint32(rng.IntN(nv))}
			m.Faces = append(m.Faces, f)
			if rng.IntN(8) == 0 { // the same face again, rotated or reversed
				if rng.IntN(2) == 0 {
					m.Faces = append(m.Faces, [3]uint32{f[1], f[2], f[0]})
				} else {
					m.Faces = append(m.Faces, [3]uint32{f[2], f[1], f[0]})
				}
			}
		}
		cases = append(cases, m)
	}
	sphere := uvSphere(10, 300, 300) // more half-edges than edgeParallelHalfEdges
	cases = append(cases, cuboid([3]float32{0, 0, 0}, [3]float32{1, 2, 3}), torus(10, 3, 24, 12), sphere)
	for _, base := range []*Mesh{cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}), torus(10, 3, 16, 8), uvSphere(5, 40, 40)} {
		open := base.Clone()
		open.Faces = open.Faces[:len(open.Faces)-3]
		flipped := base.Clone()
		flipped.Faces[1] = [3]uint32{flipped.Faces[1][0], flipped.Faces[1][2], flipped.Faces[1][1]}
		doubled := base.Clone()
		doubled.Faces = append(doubled.Faces, doubled.Faces[:5]...)
		cases = append(cases, open, flipped, doubled)
	}
	// Two cubes sharing one corner: a pinch point.
	a := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	b := cuboid([3]float32{1, 1, 1}, [3]float32{2, 2, 2})
	pinch := &Mesh{Positions: append(append([][3]float32(nil), a.Positions...), b.Positions...)}
	pinch.Faces = append(pinch.Faces, a.Faces...)
	n := uint32(len(a.Positions))
	for _, f := range b.Faces {
		pinch.Faces = append(pinch.Faces, [3]uint32{f[0] + n, f[1] + n, f[2] + n})
	}
	pinch.Weld(1e-6)
	cases = append(cases, pinch)

	for _, procs := range []int{1, 2, 5} {
		prev := runtime.GOMAXPROCS(procs)
		for i, m := range cases {
			var got, want [7]int
			got[0], got[1], got[2], got[3], got[4], got[5], got[6] = topologyEdges(m)
			want[0], want[1], want[2], want[3], want[4], want[5], want[6] = topologyEdgeTable(m)
			if got != want {
				t.Errorf("GOMAXPROCS %d, case %d (%d vertices, %d faces): edges, boundary, non-manifold, inconsistent, duplicates, pinched, loops %v, want %v",
					procs, i, len(m.Positions), len(m.Faces), got, want)
			}
		}
		runtime.GOMAXPROCS(prev)
	}
	// The cases reach every count: a test whose cases had none would hold nothing.
	var seen [7]bool
	for _, m := range cases {
		var w [7]int
		w[0], w[1], w[2], w[3], w[4], w[5], w[6] = topologyEdgeTable(m)
		for k, x := range w {
			seen[k] = seen[k] || x > 0
		}
	}
	if seen != [7]bool{true, true, true, true, true, true, true} {
		t.Errorf("the cases reach the counts %v, want all", seen)
	}
}
