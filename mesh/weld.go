package mesh

import "math"

// WeldReport says what Weld changed.
type WeldReport struct {
	// MergedVertices is how many vertices were merged into an earlier one within the tolerance.
	MergedVertices int `json:"merged_vertices"`
	// RemovedVertices is how many vertices are gone: the merged ones and those no face used.
	RemovedVertices int `json:"removed_vertices"`
	// DroppedFaces is how many faces were dropped because merging made them repeat an index.
	DroppedFaces int `json:"dropped_faces"`
	// VerticesAfterWeld is the vertex count of the welded mesh.
	VerticesAfterWeld int `json:"vertices"`
	// FacesAfterWeld is the face count of the welded mesh.
	FacesAfterWeld int `json:"faces"`
	// ToleranceMillimetre is the tolerance the weld used, in millimetres.
	ToleranceMillimetre float64 `json:"tolerance_mm"`
}

// Weld merges vertices that lie within tolerance (mm, per axis and in Euclidean distance) of an
// earlier vertex, rebuilds the faces on the merged vertices, drops faces that now repeat an index,
// and removes vertices no face uses. A tolerance of 0 merges exactly coincident positions only.
//
// Vertices are visited in index order and each joins the first earlier representative within
// tolerance, found through a spatial hash with cells of the tolerance's size, so the result is
// deterministic. The surviving vertices keep their relative order and their own colour and UV.
func (m *Mesh) Weld(tolerance float64) WeldReport {
	rep := WeldReport{ToleranceMillimetre: tolerance}
	nv := len(m.Positions)
	remap := make([]uint32, nv)
	weldSpatial(m.Positions, tolerance, remap)
	for i := range remap {
		if remap[i] != uint32(i) {
			rep.MergedVertices++
		}
	}
	faces := m.Faces[:0]
	for _, f := range m.Faces {
		g := [3]uint32{remap[f[0]], remap[f[1]], remap[f[2]]}
		if g[0] == g[1] || g[1] == g[2] || g[0] == g[2] {
			rep.DroppedFaces++
			continue
		}
		faces = append(faces, g)
	}
	m.Faces = faces
	rep.RemovedVertices = m.compact()
	rep.VerticesAfterWeld, rep.FacesAfterWeld = len(m.Positions), len(m.Faces)
	return rep
}

// weldSpatial fills remap with each vertex's representative: the earliest vertex within tol that
// is itself a representative. Cells are 16·tol wide and a neighbouring cell is searched only when
// the point lies within tol of the face between them, so most points probe one cell. With tol = 0
// a cell is one exact position.
func weldSpatial(pos [][3]float32, tol float64, remap []uint32) {
	exact := !(tol > 0) || math.IsInf(tol, 0)
	const cellTols = 16
	inv := 1 / (cellTols * tol)
	tab := newCellTable(1024)
	next := make([]int32, len(pos)) // chain of representatives in the same cell
	tol2 := tol * tol
	for i, p := range pos {
		var c, o [3]int64 // cell, and the neighbour to search per axis (0 for none)
		for a := range 3 {
			if exact {
				c[a] = int64(posBits(p[a]))
				continue
			}
			x := float64(p[a]) * inv
			f := math.Floor(x)
			c[a] = int64(f)
			if x-f < 1.0/cellTols {
				o[a] = -1
			} else if f+1-x < 1.0/cellTols {
				o[a] = 1
			}
		}
		found := int32(-1)
	neighbours:
		for n := range 8 {
			q := c
			for a := range 3 {
				if n>>a&1 == 1 {
					if o[a] == 0 {
						continue neighbours
					}
					q[a] += o[a]
				}
			}
			for j := tab.get(q); j >= 0; j = next[j] {
				if found >= 0 && j >= found {
					continue
				}
				if exact {
					if posBits(pos[j][0]) == posBits(p[0]) && posBits(pos[j][1]) == posBits(p[1]) && posBits(pos[j][2]) == posBits(p[2]) {
						found = j
					}
				} else if d := sub64(p, pos[j]); dot64(d, d) <= tol2 {
					found = j
				}
			}
		}
		if found >= 0 {
			remap[i] = uint32(found)
			continue
		}
		remap[i] = uint32(i)
		next[i] = tab.put(c, int32(i))
	}
}

// cellTable is an open-addressing hash table from a grid cell to the head of a chain of vertex
// indices; it is several times faster than a Go map for this one job.
type cellTable struct {
	keys  [][3]int64
	heads []int32
	mask  uint64
	used  int
}

func newCellTable(size int) *cellTable {
	t := &cellTable{keys: make([][3]int64, size), heads: make([]int32, size), mask: uint64(size - 1)}
	for i := range t.heads {
		t.heads[i] = -1
	}
	return t
}

func (t *cellTable) slot(c [3]int64) uint64 {
	h := uint64(c[0])*0x9E3779B97F4A7C15 ^ uint64(c[1])*0xC2B2AE3D27D4EB4F ^ uint64(c[2])*0x165667B19E3779F9
	h ^= h >> 29
	i := h & t.mask
	for t.heads[i] >= 0 && t.keys[i] != c {
		i = (i + 1) & t.mask
	}
	return i
}

// get returns the head of the chain in cell c, or -1.
func (t *cellTable) get(c [3]int64) int32 { return t.heads[t.slot(c)] }

// put makes v the head of cell c's chain and returns the previous head (or -1). The table doubles
// when it is half full.
func (t *cellTable) put(c [3]int64, v int32) int32 {
	i := t.slot(c)
	prev := t.heads[i]
	if prev < 0 {
		t.used++
	}
	t.keys[i], t.heads[i] = c, v
	if 2*t.used > len(t.heads) {
		old := *t
		*t = *newCellTable(2 * len(old.heads))
		t.used = old.used
		for j, h := range old.heads {
			if h >= 0 {
				k := t.slot(old.keys[j])
				t.keys[k], t.heads[k] = old.keys[j], h
			}
		}
	}
	return prev
}

// compact removes vertices that no face references, keeping the order of the others, and returns
// how many it removed.
func (m *Mesh) compact() int {
	nv := len(m.Positions)
	const unused = math.MaxUint32
	newIdx := make([]uint32, nv)
	for i := range newIdx {
		newIdx[i] = unused
	}
	for _, f := range m.Faces {
		newIdx[f[0]], newIdx[f[1]], newIdx[f[2]] = 0, 0, 0
	}
	n := uint32(0)
	for i := range newIdx {
		if newIdx[i] == unused {
			continue
		}
		newIdx[i] = n
		m.Positions[n] = m.Positions[i]
		if m.Colors != nil {
			m.Colors[n] = m.Colors[i]
		}
		if m.UVs != nil {
			m.UVs[n] = m.UVs[i]
		}
		n++
	}
	m.Positions = m.Positions[:n]
	if m.Colors != nil {
		m.Colors = m.Colors[:n]
	}
	if m.UVs != nil {
		m.UVs = m.UVs[:n]
	}
	for i, f := range m.Faces {
		m.Faces[i] = [3]uint32{newIdx[f[0]], newIdx[f[1]], newIdx[f[2]]}
	}
	return nv - int(n)
}

// posBits returns the bits of a coordinate with −0 folded onto +0.
func posBits(x float32) uint32 {
	if x == 0 {
		return 0
	}
	return math.Float32bits(x)
}
