package mesh

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrNotOrientable is wrapped by OrientOutward when a component cannot be oriented consistently,
// as on a Möbius strip.
var ErrNotOrientable = errors.New("mesh: surface is not orientable")

// OrientOutward makes the winding consistent within every patch of faces connected through
// manifold edges, then turns each patch so that it faces outward: a shell that is not inside any
// other gets a positive volume, a shell nested inside an odd number of others (a cavity) a
// negative one; only patches without boundary edges count as containers. It returns how many faces
// it flipped.
//
// Patches are grown breadth-first from their lowest-numbered face, so the result is
// deterministic. On a non-orientable patch it still orients as much as it can and returns an
// error wrapping ErrNotOrientable.
func (m *Mesh) OrientOutward() (int, error) {
	nf := len(m.Faces)
	if nf == 0 {
		return 0, nil
	}
	et := newEdgeTable(m)
	adj := et.faceAdjacency(nf)
	// fwd[3f+k]: does face f walk its edge k from the lower to the higher vertex index?
	fwd := func(f int32, k int) bool {
		face := m.Faces[f]
		return face[k] < face[(k+1)%3]
	}
	comp := make([]int32, nf)
	for i := range comp {
		comp[i] = -1
	}
	flip := make([]bool, nf)
	conflicts := 0
	var patches [][]int32
	queue := make([]int32, 0, 64)
	for seed := range nf {
		if comp[seed] >= 0 {
			continue
		}
		id := int32(len(patches))
		comp[seed] = id
		queue = append(queue[:0], int32(seed))
		members := []int32{int32(seed)}
		for len(queue) > 0 {
			f := queue[0]
			queue = queue[1:]
			for k := range 3 {
				g := adj[3*int(f)+k]
				if g < 0 {
					continue
				}
				// Find which edge of g is shared with f.
				kg := sharedEdge(m.Faces[g], m.Faces[f][k], m.Faces[f][(k+1)%3])
				// Consistent when the two faces walk the edge in opposite directions.
				wantFlipG := (fwd(f, k) != flip[f]) == fwd(g, kg)
				if comp[g] < 0 {
					comp[g] = id
					flip[g] = wantFlipG
					queue = append(queue, g)
					members = append(members, g)
				} else if comp[g] == id && flip[g] != wantFlipG {
					conflicts++
				}
			}
		}
		patches = append(patches, members)
	}
	flipped := 0
	for f := range nf {
		if flip[f] {
			a := m.Faces[f]
			m.Faces[f] = [3]uint32{a[0], a[2], a[1]}
			flipped++
		}
	}
	// Outward: each patch's volume sign should match the parity of how many other patches contain
	// it.
	type shell struct {
		box Box
		vol float64
	}
	// The volumes are summed in face order, not in the patches' breadth-first order, which
	// follows the winding: turning a shell then negates its volume exactly, and two shells of
	// equal volume (neither can contain the other) compare equal whichever way they are wound.
	shells := make([]shell, len(patches))
	for i := range shells {
		shells[i].box = emptyBox()
	}
	for f, face := range m.Faces {
		s := &shells[comp[f]]
		for _, v := range face {
			s.box.grow(m.Positions[v])
		}
		s.vol += signedTetVolume(m.Positions[face[0]], m.Positions[face[1]], m.Positions[face[2]])
	}
	// Only a patch without boundary edges encloses anything, so only those are tested as
	// containers, largest volume first: a triangle soup of n patches then costs O(n), not O(n²).
	open := make([]bool, len(patches))
	for i := range et.edges() {
		if g := et.group(i); len(g) == 1 {
			open[comp[g[0].face]] = true
		}
	}
	var containers []int
	for j := range patches {
		if !open[j] && shells[j].vol != 0 {
			containers = append(containers, j)
		}
	}
	slices.SortStableFunc(containers, func(a, b int) int {
		return cmp.Compare(math.Abs(shells[b].vol), math.Abs(shells[a].vol))
	})
	for i, p := range patches {
		depth := 0
		probe := m.probePoint(p)
		for _, j := range containers {
			if math.Abs(shells[j].vol) <= math.Abs(shells[i].vol) {
				break
			}
			if i == j || !shells[j].box.containsBox(shells[i].box) {
				continue
			}
			if m.rayParity(probe, patches[j]) {
				depth++
			}
		}
		wantPositive := depth%2 == 0
		if (shells[i].vol > 0) != wantPositive && shells[i].vol != 0 {
			for _, f := range p {
				a := m.Faces[f]
				m.Faces[f] = [3]uint32{a[0], a[2], a[1]}
				if flip[f] {
					flipped--
				} else {
					flipped++
				}
			}
		}
	}
	if conflicts > 0 {
		return flipped, fmt.Errorf("%w: %d edges could not be made consistent", ErrNotOrientable, conflicts)
	}
	return flipped, nil
}

// sharedEdge returns the index k of the edge of f joining a and b (in either direction).
func sharedEdge(f [3]uint32, a, b uint32) int {
	for k := range 3 {
		u, v := f[k], f[(k+1)%3]
		if (u == a && v == b) || (u == b && v == a) {
			return k
		}
	}
	return 0
}

func emptyBox() Box {
	return Box{
		Min: [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32},
		Max: [3]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32},
	}
}

func (b *Box) grow(p [3]float32) {
	for i := range 3 {
		b.Min[i] = min(b.Min[i], p[i])
		b.Max[i] = max(b.Max[i], p[i])
	}
}

func (b Box) containsBox(c Box) bool {
	for i := range 3 {
		if c.Min[i] < b.Min[i] || c.Max[i] > b.Max[i] {
			return false
		}
	}
	return true
}

// probePoint returns the centroid of the largest face of a patch (the lowest-numbered of equals):
// a point on the shell that is well away from its edges, used to test whether the shell lies
// inside another.
func (m *Mesh) probePoint(patch []int32) [3]float64 {
	best, bestArea := patch[0], -1.0
	for _, f := range patch {
		face := m.unwound(m.Faces[f])
		// Ties go to the lowest face index, not the first in the patch: the patch's order is its
		// breadth-first walk, which follows each face's winding.
		if a := triArea(m.Positions[face[0]], m.Positions[face[1]], m.Positions[face[2]]); a > bestArea || a == bestArea && f < best {
			best, bestArea = f, a
		}
	}
	face := m.unwound(m.Faces[best])
	var c [3]float64
	for _, v := range face {
		for i := range 3 {
			c[i] += float64(m.Positions[v][i]) / 3
		}
	}
	return c
}

// unwound returns f's corners ordered by position (by x, then y, then z; by index where two
// corners share a position, which then changes no figure). The probe and the ray test compute
// with it, so that their rounding, and with it every decision OrientOutward takes on them, is the
// same whichever way a face is wound and however its vertices are numbered: where a probe lies on
// another shell's surface (shells that intersect), an orientation that depended on either would
// flip again on the next call. Repair was not idempotent on such pairs of tetrahedra, first by
// winding (FuzzRepair 059133f33b72bdcc), then by the numbering that compact changes and
// by the breadth-first order that follows the winding (a failure CI's FuzzRepair found,
// dc6d2257db92d607; TestOrientOutwardIgnoresNumbering and its seed in FuzzRepair).
func (m *Mesh) unwound(f [3]uint32) [3]uint32 {
	less := func(a, b uint32) bool {
		p, q := m.Positions[a], m.Positions[b]
		for i := range 3 {
			if p[i] != q[i] {
				return p[i] < q[i]
			}
		}
		return a < b
	}
	if less(f[1], f[0]) {
		f[0], f[1] = f[1], f[0]
	}
	if less(f[2], f[1]) {
		f[1], f[2] = f[2], f[1]
	}
	if less(f[1], f[0]) {
		f[0], f[1] = f[1], f[0]
	}
	return f
}

// rayParity reports whether a ray from p crosses the faces of patch an odd number of times, i.e.
// whether p lies inside the closed shell the patch forms (Möller & Trumbore 1997 ray–triangle
// test). The direction is fixed and deliberately not axis-aligned, so grazing hits on edges of
// axis-aligned geometry are unlikely.
func (m *Mesh) rayParity(p [3]float64, patch []int32) bool {
	d := [3]float64{0.5773502691896258, 0.5773502691896257 + 1.3e-3, 0.5773502691896259 + 2.9e-3}
	hits := 0
	for _, f := range patch {
		face := m.unwound(m.Faces[f])
		v0 := f64(m.Positions[face[0]])
		e1 := sub3(f64(m.Positions[face[1]]), v0)
		e2 := sub3(f64(m.Positions[face[2]]), v0)
		h := cross64(d, e2)
		a := dot64(e1, h)
		if math.Abs(a) < 1e-18 {
			continue
		}
		s := sub3(p, v0)
		u := dot64(s, h) / a
		if u < 0 || u > 1 {
			continue
		}
		q := cross64(s, e1)
		v := dot64(d, q) / a
		if v < 0 || u+v > 1 {
			continue
		}
		if dot64(e2, q)/a > 0 {
			hits++
		}
	}
	return hits%2 == 1
}

func f64(p [3]float32) [3]float64 { return [3]float64{float64(p[0]), float64(p[1]), float64(p[2])} }

func sub3(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
