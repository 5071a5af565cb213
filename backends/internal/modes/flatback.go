package modes

import (
	"cmp"
	"math"
	"slices"

	"github.com/orfeas3d/orfeas/backends/internal/polytri"
	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/mesh"
)

// FlatBackTile is the side, in voxels, of the tiles in which both backends have FlattenBack
// triangulate an inflation's flat back: a tile's 2·16² faces become about 4·16.
const FlatBackTile = 16

// FlattenBack replaces the faces of the closed mesh m that lie in its lowest plane (all three
// corners at the lowest z, as marching cubes makes an inflation's flat back: a pair of faces per
// voxel) by fewer, larger ones, and drops the vertices that only those faces used. The surface,
// its boundary with the rest of the mesh and so its closedness do not change; every later stage
// (topology, self-check, normals, encoding) is spared the faces.
//
// The plane is cut into square tiles of side tile mm on the lattice whose lines pass through
// (ox, oy) (the marching-cubes grid's, tile a multiple of its voxel, so that every voxel lies in
// one tile), and each tile's part of the back is triangulated from its boundary alone (polytri:
// ear clipping, holes bridged), keeping the vertices on the tile's sides, which its neighbours
// share. A tile of t×t voxels then takes about 4t faces instead of 2t²; the tiles keep every face
// small, which rasterisers that scan a face's bounding box (the self-check, the preview) need.
//
// Each tile is all or nothing: where its boundary is not a set of vertex-disjoint loops (two
// parts touching at a vertex), or where the triangulation does not come out as exactly the tile's
// region (triangle count, area, orientation, no face mesh.Topology would call degenerate), the
// tile keeps its faces as they were. It returns the number of faces removed. m must have no
// colours, UVs or texture yet (they are given afterwards).
func FlattenBack(m *mesh.Mesh, ox, oy, tile float64, workers int) int {
	if len(m.Faces) == 0 || m.Colors != nil || m.UVs != nil || !(tile > 0) {
		return 0
	}
	zb, xmax := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, p := range m.Positions {
		zb, xmax = min(zb, p[2]), max(xmax, p[0])
	}
	ntx := int32(math.Floor((float64(xmax)-ox)/tile)) + 1
	if !(float64(ntx) < 1<<20) {
		return 0
	}
	// tileOf[i] is face i's tile (from its centroid), or -1 when the face is not flat.
	nb := (len(m.Faces) + flatBlock - 1) / flatBlock
	tileOf := make([]int32, len(m.Faces))
	bad := make([]bool, nb)
	par.For(nb, workers, func(blk int) {
		for i := blk * flatBlock; i < min((blk+1)*flatBlock, len(m.Faces)); i++ {
			f := m.Faces[i]
			a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
			tileOf[i] = -1
			if a[2] != zb || b[2] != zb || c[2] != zb {
				continue
			}
			cx := (float64(a[0]) + float64(b[0]) + float64(c[0])) / 3
			cy := (float64(a[1]) + float64(b[1]) + float64(c[1])) / 3
			tx, ty := math.Floor((cx-ox)/tile), math.Floor((cy-oy)/tile)
			if !(tx >= 0 && ty >= 0 && tx < float64(ntx) && ty*float64(ntx) < 1<<30) {
				bad[blk] = true
				return
			}
			tileOf[i] = int32(ty)*ntx + int32(tx)
		}
	})
	if slices.Contains(bad, true) {
		return 0
	}
	// The flat faces around each vertex (CSR), to find the flat face across an edge.
	start := make([]uint32, len(m.Positions)+1)
	nflat := 0
	for i, f := range m.Faces {
		if tileOf[i] >= 0 {
			nflat++
			for _, v := range f {
				start[v+1]++
			}
		}
	}
	if nflat < 4 {
		return 0
	}
	for v := range m.Positions {
		start[v+1] += start[v]
	}
	around := make([]uint32, start[len(m.Positions)])
	fill := slices.Clone(start[:len(m.Positions)])
	for i, f := range m.Faces {
		if tileOf[i] >= 0 {
			for _, v := range f {
				around[fill[v]] = uint32(i)
				fill[v]++
			}
		}
	}
	// A flat face's edge a→b bounds its tile's region when the face with b→a (m is closed, so
	// there is one) is not flat or lies in another tile. Seen from below (the back faces down), a
	// region's outer loops then run counter-clockwise in the faces' winding and its holes
	// clockwise.
	blockEdges := make([][]flatEdge, nb)
	par.For(nb, workers, func(blk int) {
		var es []flatEdge
		for i := blk * flatBlock; i < min((blk+1)*flatBlock, len(m.Faces)); i++ {
			t := tileOf[i]
			if t < 0 {
				continue
			}
			f := m.Faces[i]
			for k := range 3 {
				a, b := f[k], f[(k+1)%3]
				twin := int32(-1)
				for _, g := range around[start[b]:start[b+1]] {
					h := m.Faces[g]
					if (h[0] == b && h[1] == a) || (h[1] == b && h[2] == a) || (h[2] == b && h[0] == a) {
						twin = tileOf[g]
						break
					}
				}
				if twin != t {
					es = append(es, flatEdge{t, a, b})
				}
			}
		}
		blockEdges[blk] = es
	})
	edges := slices.Concat(blockEdges...)
	slices.SortFunc(edges, func(x, y flatEdge) int {
		if c := cmp.Compare(x.tile, y.tile); c != 0 {
			return c
		}
		return cmp.Compare(x.a, y.a)
	})
	// Triangulate tile by tile, in parallel; the faces are kept in tile order.
	var groups [][2]int
	for lo := 0; lo < len(edges); {
		hi := lo
		for hi < len(edges) && edges[hi].tile == edges[lo].tile {
			hi++
		}
		groups = append(groups, [2]int{lo, hi})
		lo = hi
	}
	tris := make([][][3]uint32, len(groups))
	ok := make([]bool, len(groups))
	par.For(len(groups), workers, func(g int) {
		tris[g], ok[g] = flattenTile(m, edges[groups[g][0]:groups[g][1]])
	})
	done := make([]bool, int(ntx)*int(slices.Max(tileOf)/ntx+1))
	var faces [][3]uint32
	for g, gr := range groups {
		if ok[g] {
			done[edges[gr[0]].tile] = true
			faces = append(faces, tris[g]...)
		}
	}
	if len(faces) == 0 {
		return 0
	}
	out := make([][3]uint32, 0, len(m.Faces))
	for i, f := range m.Faces {
		if t := tileOf[i]; t < 0 || !done[t] {
			out = append(out, f)
		}
	}
	removed := len(m.Faces) - len(out) - len(faces)
	out = append(out, faces...)
	// Keep the vertices still used, in order.
	idx := make([]uint32, len(m.Positions))
	for _, f := range out {
		for _, v := range f {
			idx[v] = 1
		}
	}
	pos := m.Positions[:0]
	for v, p := range m.Positions {
		if idx[v] != 0 {
			idx[v] = uint32(len(pos))
			pos = append(pos, p)
		}
	}
	for i, f := range out {
		out[i] = [3]uint32{idx[f[0]], idx[f[1]], idx[f[2]]}
	}
	m.Positions, m.Faces = slices.Clip(pos), slices.Clip(out)
	return removed
}

// flatBlock is the faces one worker of FlattenBack scans at a time.
const flatBlock = 1 << 14

// flatEdge is a boundary half-edge a→b of one tile's part of the flat back.
type flatEdge struct {
	tile int32
	a, b uint32
}

// flatLoop is one boundary loop of a tile's region: its vertices, their points seen from below
// ((x, −y), so that outer loops are counter-clockwise as polytri wants them) and its signed
// doubled area seen from below.
type flatLoop struct {
	idx  []uint32
	pts  []polytri.Point
	area float64
}

// flattenTile triangulates one tile's region from its boundary half-edges (sorted by a) and
// returns the faces, facing down, or false where the region is not as FlattenBack needs it.
func flattenTile(m *mesh.Mesh, edges []flatEdge) ([][3]uint32, bool) {
	next := func(a uint32) (uint32, bool) {
		i, ok := slices.BinarySearchFunc(edges, a, func(e flatEdge, a uint32) int { return cmp.Compare(e.a, a) })
		return edges[min(i, len(edges)-1)].b, ok
	}
	for i := 1; i < len(edges); i++ {
		if edges[i].a == edges[i-1].a {
			return nil, false // two loops touch at a vertex
		}
	}
	seen := make(map[uint32]bool, len(edges))
	var outers, holes []flatLoop
	for _, e := range edges {
		if seen[e.a] {
			continue
		}
		var l flatLoop
		v := e.a
		for !seen[v] {
			seen[v] = true
			l.idx = append(l.idx, v)
			p := m.Positions[v]
			l.pts = append(l.pts, polytri.Point{float64(p[0]), -float64(p[1])})
			w, ok := next(v)
			if !ok {
				return nil, false
			}
			v = w
		}
		if v != e.a || len(l.idx) < 3 {
			return nil, false
		}
		l.area = shoelace(l.pts)
		if l.area > 0 {
			outers = append(outers, l)
		} else {
			holes = append(holes, l)
		}
	}
	// Each hole belongs to the smallest outer loop around it.
	owned := make([][]flatLoop, len(outers))
	for _, h := range holes {
		best := -1
		for i, o := range outers {
			if (best < 0 || o.area < outers[best].area) && insideLoop(h.pts[0], o.pts) {
				best = i
			}
		}
		if best < 0 {
			return nil, false
		}
		owned[best] = append(owned[best], h)
	}
	var faces [][3]uint32
	for i, o := range outers {
		idx := slices.Clone(o.idx)
		hp := make([][]polytri.Point, len(owned[i]))
		area := o.area
		for k, h := range owned[i] {
			idx = append(idx, h.idx...)
			hp[k] = h.pts
			area += h.area
		}
		tris, err := polytri.Triangulate(o.pts, hp)
		if err != nil || len(tris) != len(idx)+2*len(hp)-2 {
			return nil, false
		}
		var got float64
		for _, t := range tris {
			// Counter-clockwise seen from below is the back's winding, facing down.
			f := [3]uint32{idx[t[0]], idx[t[1]], idx[t[2]]}
			a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
			cr := -flatCross(a, b, c)
			l := max(dist2f(a, b), dist2f(b, c), dist2f(c, a))
			if !(cr > 5*mesh.DegenerateRatio*l) {
				return nil, false
			}
			got += cr
			faces = append(faces, f)
		}
		if !closeArea(got, area) {
			return nil, false
		}
	}
	return faces, true
}

// flatCross is twice the signed area of triangle abc projected on the XY plane (positive when
// counter-clockwise seen from above), from float32 corners in float64 as mesh.Topology measures.
func flatCross(a, b, c [3]float32) float64 {
	return (float64(b[0])-float64(a[0]))*(float64(c[1])-float64(a[1])) - (float64(b[1])-float64(a[1]))*(float64(c[0])-float64(a[0]))
}

func dist2f(a, b [3]float32) float64 {
	dx, dy, dz := float64(a[0])-float64(b[0]), float64(a[1])-float64(b[1]), float64(a[2])-float64(b[2])
	return dx*dx + dy*dy + dz*dz
}

// shoelace is twice the signed area of the polygon p.
func shoelace(p []polytri.Point) float64 {
	var s float64
	for i, a := range p {
		b := p[(i+1)%len(p)]
		s += a[0]*b[1] - a[1]*b[0]
	}
	return s
}

// closeArea reports whether two (doubled) areas agree to within rounding.
func closeArea(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6*max(math.Abs(a), math.Abs(b))
}

// insideLoop reports whether p is inside the polygon (crossing parity; p on no edge, as a
// vertex of a loop disjoint from it is).
func insideLoop(p polytri.Point, poly []polytri.Point) bool {
	in := false
	for i, a := range poly {
		b := poly[(i+1)%len(poly)]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
			in = !in
		}
	}
	return in
}
