package mesh

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrInvalidOptions is wrapped by every error that reports an option or profile value out of its
// documented range, such as a NaN tolerance or a negative build volume.
var ErrInvalidOptions = errors.New("mesh: invalid options")

// Defaults used by Repair for the zero value of RepairOptions.
const (
	// DefaultWeldToleranceRatio times the bounding-box diagonal is the weld tolerance used when
	// RepairOptions.WeldTolerance is 0.
	DefaultWeldToleranceRatio = 1e-5
	// DefaultMinComponentRatio is the share of the largest component's faces below which a
	// component counts as a floater.
	DefaultMinComponentRatio = 0.005
	// DefaultMaxHoleEdges is the largest hole, in boundary edges, that Repair fills.
	DefaultMaxHoleEdges = 100
)

// repairEarClipLimit bounds the loops triangulated by ear clipping, which costs O(n³) in the worst
// case; larger loops (possible only with a raised MaxHoleEdges) are filled with a fan.
const repairEarClipLimit = 512

// RepairOptions tunes Repair. The zero value means the documented defaults.
type RepairOptions struct {
	// WeldTolerance is the distance in mm within which vertices are merged. 0 means
	// DefaultWeldToleranceRatio times the bounding-box diagonal; a negative value disables
	// welding (exactly coincident vertices then stay separate).
	WeldTolerance float64
	// MinComponentRatio removes every vertex-connected component with fewer faces than this share
	// of the largest component's faces. 0 means DefaultMinComponentRatio (0.5 %); a negative value
	// disables floater removal.
	MinComponentRatio float64
	// MaxHoleEdges is the largest hole, counted in boundary edges, that is filled. 0 means
	// DefaultMaxHoleEdges; a negative value disables hole filling.
	MaxHoleEdges int
}

// RepairReport says what Repair found and changed.
type RepairReport struct {
	// Before is the topology of the input, After that of the result.
	Before Topology `json:"before"`
	After  Topology `json:"after"`

	// WeldTolerance is the tolerance used, in mm; negative when welding was disabled.
	WeldTolerance float64 `json:"weld_tolerance_mm"`
	// WeldedVertices were merged into an earlier vertex within the tolerance.
	WeldedVertices int `json:"welded_vertices"`
	// DroppedDegenerateFaces repeated an index (before or after welding) or had zero area.
	DroppedDegenerateFaces int `json:"dropped_degenerate_faces"`
	// DroppedDuplicateFaces used the same three vertices as an earlier face, in any order.
	DroppedDuplicateFaces int `json:"dropped_duplicate_faces"`
	// FlippedFaces are kept input faces whose winding was reversed.
	FlippedFaces int `json:"flipped_faces"`
	// NotOrientable is set when some patch could not be oriented consistently (a Möbius strip).
	NotOrientable bool `json:"not_orientable"`
	// RemovedComponents and RemovedComponentFaces count the floaters removed.
	RemovedComponents     int `json:"removed_components"`
	RemovedComponentFaces int `json:"removed_component_faces"`
	// HolesFilled counts the boundary loops closed; AddedFaces and AddedVertices what it took.
	HolesFilled   int `json:"holes_filled"`
	AddedFaces    int `json:"added_faces"`
	AddedVertices int `json:"added_vertices"`
	// SplitFaces counts zero-area slivers mended by splitting the face across their long edge
	// (a T-junction repair) instead of filling the 3-edge hole their removal leaves.
	SplitFaces int `json:"split_faces"`
	// HolesLeft counts boundary loops left open: longer than MaxHoleEdges, not closed (a boundary
	// chain broken by inconsistent winding), or with no non-degenerate, manifold triangulation.
	HolesLeft int `json:"holes_left"`
	// NonManifoldEdgesLeft are edges still shared by three or more faces; Repair does not guess
	// which of their faces to drop.
	NonManifoldEdgesLeft int `json:"non_manifold_edges_left"`
	// Changed reports whether the result differs from the input.
	Changed bool `json:"changed"`
}

// Repair returns a repaired copy of a mesh that comes from outside (an upload, another tool),
// and a report of what it changed. The input is not modified.
//
// A mesh that is already closed (Topology.Closed) keeps its positions and faces: Repair only turns
// whole shells outward (OrientOutward) and removes floaters, so a closed mesh whose shells face
// outward and that has no floater comes back identical, byte for byte, unreferenced vertices
// included. Any other mesh goes through these steps, in order:
//
//  1. weld vertices within the tolerance (Mesh.Weld);
//  2. drop faces that repeat an index or have zero area (see DegenerateRatio), then faces that
//     repeat the vertex set of an earlier face;
//  3. make the winding consistent within each patch (OrientOutward), so hole boundaries chain;
//  4. fill each hole bounded by at most MaxHoleEdges edges: ear clipping of the loop projected
//     onto its Newell-normal plane, best-shaped ear first, falling back to a fan around a new
//     vertex at the mean of the loop's vertices (its colour and UV are their means too). Fill
//     triangles are wound against the boundary edges, so they agree with their neighbours, and
//     never create a non-manifold edge, a duplicate or a degenerate face. A 3-edge hole left by
//     a zero-area sliver is closed by splitting the face across its longest edge instead;
//  5. orient again, now across the filled holes, and turn each shell outward;
//  6. remove components with fewer than MinComponentRatio of the largest component's faces;
//  7. remove unreferenced vertices.
//
// Edges shared by three or more faces are left as they are and counted in the report: which face
// is the extra one is a guess Repair does not make. Self-intersections are neither detected nor
// removed, and a shell that encloses no volume (a flat, double-sided sheet) has no defined
// outside: a closed one keeps the winding it comes with. Repair is deterministic and idempotent
// on its closed results: repairing one again changes nothing. It returns an error
// wrapping ErrInvalid for an invalid mesh, ErrInvalidOptions for a NaN or infinite tolerance or
// ratio, and the context's error when ctx is cancelled; cancellation is checked between the steps
// and inside hole filling.
func Repair(ctx context.Context, m *Mesh, opt RepairOptions) (*Mesh, RepairReport, error) {
	var rep RepairReport
	if m == nil {
		return nil, rep, fmt.Errorf("%w: nil mesh", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return nil, rep, fmt.Errorf("mesh: repair: %w", err)
	}
	if badFloat(opt.WeldTolerance) || badFloat(opt.MinComponentRatio) {
		return nil, rep, fmt.Errorf("%w: repair tolerance %v, component ratio %v", ErrInvalidOptions, opt.WeldTolerance, opt.MinComponentRatio)
	}
	ratio := opt.MinComponentRatio
	if ratio == 0 {
		ratio = DefaultMinComponentRatio
	}
	maxHole := opt.MaxHoleEdges
	if maxHole == 0 {
		maxHole = DefaultMaxHoleEdges
	}
	if err := ctx.Err(); err != nil {
		return nil, rep, fmt.Errorf("mesh: repair: %w", err)
	}
	rep.Before = m.Topology()
	rep.WeldTolerance = -1
	work := m.Clone()

	if rep.Before.Closed() {
		n, err := work.OrientOutward()
		n -= repairKeepFlatShells(m, work)
		rep.FlippedFaces = n
		rep.NotOrientable = err != nil
		if ratio > 0 {
			rep.RemovedComponents, rep.RemovedComponentFaces = repairRemoveFloaters(work, ratio)
		}
		if rep.RemovedComponents > 0 {
			work.compact()
		}
		rep.After = work.Topology()
		rep.NonManifoldEdgesLeft = rep.After.NonManifoldEdges
		rep.Changed = n > 0 || rep.RemovedComponents > 0
		return work, rep, nil
	}

	// 1. Weld.
	if opt.WeldTolerance >= 0 {
		tol := opt.WeldTolerance
		if tol == 0 {
			s := work.Bounds().Size()
			tol = DefaultWeldToleranceRatio * norm64([3]float64{float64(s[0]), float64(s[1]), float64(s[2])})
		}
		rep.WeldTolerance = tol
		wr := work.Weld(tol)
		rep.WeldedVertices = wr.MergedVertices
		rep.DroppedDegenerateFaces = wr.DroppedFaces
	}
	if err := ctx.Err(); err != nil {
		return nil, rep, fmt.Errorf("mesh: repair: %w", err)
	}

	// 2. Degenerate and duplicate faces.
	deg, dup := repairDropBadFaces(work)
	rep.DroppedDegenerateFaces += deg
	rep.DroppedDuplicateFaces = dup
	cleaned := append([][3]uint32(nil), work.Faces...)
	if err := ctx.Err(); err != nil {
		return nil, rep, fmt.Errorf("mesh: repair: %w", err)
	}

	// 3. Consistent winding, so that the boundary half-edges of a hole chain head to tail.
	if _, err := work.OrientOutward(); err != nil {
		rep.NotOrientable = true
	}

	// 4. Holes.
	if maxHole > 0 {
		if err := repairFillHoles(ctx, work, maxHole, &rep); err != nil {
			return nil, rep, fmt.Errorf("mesh: repair: %w", err)
		}
	}

	// 5. Orient across the filled holes and outward.
	if _, err := work.OrientOutward(); err != nil {
		rep.NotOrientable = true
	} else {
		rep.NotOrientable = false
	}
	for i, f := range cleaned {
		if g := work.Faces[i]; g == [3]uint32{f[0], f[2], f[1]} || g == [3]uint32{f[2], f[1], f[0]} || g == [3]uint32{f[1], f[0], f[2]} {
			rep.FlippedFaces++
		}
	}

	// 6, 7. Floaters, then unreferenced vertices.
	if ratio > 0 {
		rep.RemovedComponents, rep.RemovedComponentFaces = repairRemoveFloaters(work, ratio)
	}
	work.compact()
	rep.After = work.Topology()
	rep.NonManifoldEdgesLeft = rep.After.NonManifoldEdges
	rep.Changed = !slices.Equal(work.Positions, m.Positions) || !slices.Equal(work.Faces, m.Faces)
	return work, rep, nil
}

// repairKeepFlatShells gives back their input winding to the shells of work that enclose no
// volume, and returns how many faces it turned back. m is closed and work is m after
// OrientOutward, which turns a shell by the sign of its volume: for a shell that encloses none
// (a flat, doubly covered sheet; four coplanar corners of a tetrahedron) that sign is rounding
// noise, and it changes when the shell is turned, so repairing the result would turn it back and
// forth. Such a shell has no outside, so the winding it came with stands, and Repair of its own
// result changes nothing.
//
// A shell is flat when its volume, summed about its own box centre (so that the figure does not
// grow with the distance from the origin), is within flatShellTolerance of zero.
func repairKeepFlatShells(m, work *Mesh) (restored int) {
	if len(m.Faces) == 0 {
		return 0
	}
	// A closed mesh is manifold, so its vertex-connected components are its shells.
	d := newDSU(len(m.Positions))
	for _, f := range m.Faces {
		d.union(f[0], f[1])
		d.union(f[1], f[2])
	}
	boxes := map[uint32]*Box{}
	var roots []uint32 // in order of first face, for a deterministic walk
	for _, f := range m.Faces {
		r := d.find(f[0])
		b := boxes[r]
		if b == nil {
			e := emptyBox()
			b = &e
			boxes[r] = b
			roots = append(roots, r)
		}
		for _, v := range f {
			b.grow(m.Positions[v])
		}
	}
	type shell struct {
		c     [3]float64
		vol   float64
		scale float64 // the shell's box diagonal, cubed
		faces int
	}
	shells := make(map[uint32]*shell, len(roots))
	for _, r := range roots {
		b := boxes[r]
		var c [3]float64
		for i := range 3 {
			c[i] = (float64(b.Min[i]) + float64(b.Max[i])) / 2
		}
		sz := b.Size()
		dg := norm64([3]float64{float64(sz[0]), float64(sz[1]), float64(sz[2])})
		shells[r] = &shell{c: c, scale: dg * dg * dg}
	}
	for _, f := range m.Faces {
		sh := shells[d.find(f[0])]
		var q [3][3]float64
		for k, v := range f {
			for i := range 3 {
				q[k][i] = float64(m.Positions[v][i]) - sh.c[i]
			}
		}
		sh.vol += dot64(q[0], cross64(q[1], q[2])) / 6
		sh.faces++
	}
	for fi, f := range m.Faces {
		sh := shells[d.find(f[0])]
		if math.Abs(sh.vol) > flatShellTolerance*float64(sh.faces)*sh.scale {
			continue
		}
		if work.Faces[fi] != f {
			work.Faces[fi] = f
			restored++
		}
	}
	return restored
}

// flatShellTolerance, times a shell's face count and its box diagonal cubed, bounds the volume
// that rounding can give a shell enclosing none: each face's term is exact to a few units of
// 2⁻⁵³ of the diagonal cubed, and the sum adds one such error per face. It is set a thousand
// times above that; a solid shell's volume is a sizeable fraction of its diagonal cubed, far
// above it for any face count a mesh can have in memory.
const flatShellTolerance = 1e-12

func badFloat(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }

// repairDegenerate reports whether the triangle is flat within float32 rounding, by the same
// rule as Topology (see DegenerateRatio).
func repairDegenerate(a, b, c [3]float32) bool {
	l := max(dot64(sub64(b, a), sub64(b, a)), dot64(sub64(c, b), sub64(c, b)), dot64(sub64(a, c), sub64(a, c)))
	n := norm64(triCross(a, b, c))
	return l == 0 || !(n > DegenerateRatio*l) || math.IsInf(l, 0)
}

// repairDropBadFaces removes degenerate faces, then faces whose vertex set repeats an earlier
// face's (the first is kept), preserving the order of the rest.
func repairDropBadFaces(m *Mesh) (degenerate, duplicate int) {
	faces := m.Faces[:0]
	for _, f := range m.Faces {
		if f[0] == f[1] || f[1] == f[2] || f[0] == f[2] || repairDegenerate(m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]) {
			degenerate++
			continue
		}
		faces = append(faces, f)
	}
	m.Faces = faces
	key := func(f [3]uint32) [3]uint32 {
		a, b, c := f[0], f[1], f[2]
		if a > b {
			a, b = b, a
		}
		if b > c {
			b, c = c, b
		}
		if a > b {
			a, b = b, a
		}
		return [3]uint32{a, b, c}
	}
	order := make([]uint32, len(faces))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(x, y uint32) int {
		kx, ky := key(faces[x]), key(faces[y])
		for i := range 3 {
			if kx[i] != ky[i] {
				if kx[i] < ky[i] {
					return -1
				}
				return 1
			}
		}
		return int(x) - int(y)
	})
	drop := make([]bool, len(faces))
	for i := 1; i < len(order); i++ {
		if key(faces[order[i]]) == key(faces[order[i-1]]) {
			drop[order[i]] = true
			duplicate++
		}
	}
	if duplicate == 0 {
		return degenerate, 0
	}
	kept := faces[:0]
	for i, f := range faces {
		if !drop[i] {
			kept = append(kept, f)
		}
	}
	m.Faces = kept
	return degenerate, duplicate
}

// repairRemoveFloaters removes the faces of every vertex-connected component with fewer than
// ratio times the faces of the largest one, and returns how many components and faces it removed.
// Vertices are left for compact.
func repairRemoveFloaters(m *Mesh, ratio float64) (components, faces int) {
	if len(m.Faces) == 0 {
		return 0, 0
	}
	d := newDSU(len(m.Positions))
	for _, f := range m.Faces {
		d.union(f[0], f[1])
		d.union(f[1], f[2])
	}
	count := make([]int, len(m.Positions))
	largest := 0
	for _, f := range m.Faces {
		r := d.find(f[0])
		count[r]++
		largest = max(largest, count[r])
	}
	limit := ratio * float64(largest)
	for _, c := range count {
		if c > 0 && float64(c) < limit {
			components++
		}
	}
	if components == 0 {
		return 0, 0
	}
	kept := m.Faces[:0]
	for _, f := range m.Faces {
		if float64(count[d.find(f[0])]) < limit {
			faces++
			continue
		}
		kept = append(kept, f)
	}
	m.Faces = kept
	return components, faces
}

// repairEdgeKey is the key of the undirected edge {a, b}.
func repairEdgeKey(a, b uint32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

// has reports whether the table holds the undirected edge {a, b}; the half-edges are sorted by
// (lo, hi), so this is a binary search.
func (t *edgeTable) has(a, b uint32) bool {
	lo, hi := min(a, b), max(a, b)
	_, ok := slices.BinarySearchFunc(t.he, [2]uint32{lo, hi}, func(h halfEdge, k [2]uint32) int {
		if h.lo != k[0] {
			if h.lo < k[0] {
				return -1
			}
			return 1
		}
		if h.hi != k[1] {
			if h.hi < k[1] {
				return -1
			}
			return 1
		}
		return 0
	})
	return ok
}

// repairFiller holds the state shared by the hole fills of one mesh: the edge table of the
// mesh before filling, the edges added since, and the face on each boundary edge.
type repairFiller struct {
	m     *Mesh
	et    *edgeTable
	added map[uint64]struct{}
	bface map[uint64]uint32
}

func (r *repairFiller) hasEdge(a, b uint32) bool {
	if _, ok := r.added[repairEdgeKey(a, b)]; ok {
		return true
	}
	return r.et.has(a, b)
}

// repairFillHoles finds the boundary loops of m and fills those of at most maxEdges edges.
func repairFillHoles(ctx context.Context, m *Mesh, maxEdges int, rep *RepairReport) error {
	et := newEdgeTable(m)
	// Boundary half-edges, directed as their face walks them, in edge-table order.
	var from, to []uint32
	r := &repairFiller{m: m, et: et, added: map[uint64]struct{}{}, bface: map[uint64]uint32{}}
	for i := range et.edges() {
		g := et.group(i)
		if len(g) != 1 {
			continue
		}
		h := g[0]
		a, b := h.lo, h.hi
		if !h.fwd {
			a, b = b, a
		}
		from, to = append(from, a), append(to, b)
		r.bface[repairEdgeKey(a, b)] = h.face
	}
	loops, broken, err := repairBoundaryLoops(ctx, len(m.Positions), from, to)
	if err != nil {
		return err
	}
	rep.HolesLeft += broken
	for i, loop := range loops {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if len(loop) > maxEdges || !r.fill(loop, rep) {
			rep.HolesLeft++
			continue
		}
		rep.HolesFilled++
	}
	return nil
}

// repairBoundaryLoops chains the directed boundary edges from[i]→to[i] into simple closed loops,
// returned as vertex lists in the direction the faces walk them. Where several boundary edges
// leave one vertex, the walk takes the first unused one and cuts a loop off whenever it comes
// back to a vertex already on its path, so every loop visits a vertex once. Each step consumes
// one edge, so the walk ends after at most len(from) steps. Chains that cannot be closed (the
// winding of their faces disagrees) are counted in broken.
func repairBoundaryLoops(ctx context.Context, nv int, from, to []uint32) (loops [][]uint32, broken int, err error) {
	n := len(from)
	start := make([]uint32, nv+1)
	for _, a := range from {
		start[a+1]++
	}
	for i := 1; i <= nv; i++ {
		start[i] += start[i-1]
	}
	out := make([]uint32, n) // edge indices grouped by start vertex, in input order
	fill := append([]uint32(nil), start[:nv]...)
	for i, a := range from {
		out[fill[a]] = uint32(i)
		fill[a]++
	}
	cursor := append([]uint32(nil), start[:nv]...)
	used := make([]bool, n)
	nextEdge := func(v uint32) int {
		for cursor[v] < start[v+1] {
			e := out[cursor[v]]
			cursor[v]++
			if !used[e] {
				return int(e)
			}
		}
		return -1
	}
	pos := make([]int32, nv)
	for i := range pos {
		pos[i] = -1
	}
	var path []uint32
	for s := range n {
		if used[s] {
			continue
		}
		if s%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
		}
		used[s] = true
		path = append(path[:0], from[s])
		pos[from[s]] = 0
		cur := to[s]
		for {
			if p := pos[cur]; p >= 0 {
				loops = append(loops, append([]uint32(nil), path[p:]...))
				for _, v := range path[p+1:] {
					pos[v] = -1
				}
				path = path[:p+1]
			} else {
				pos[cur] = int32(len(path))
				path = append(path, cur)
			}
			e := nextEdge(cur)
			if e < 0 {
				if len(path) > 1 {
					broken++
				}
				break
			}
			used[e] = true
			cur = to[e]
		}
		for _, v := range path {
			pos[v] = -1
		}
	}
	return loops, broken, nil
}

// fill closes one boundary loop (vertices in the direction its faces walk it) and reports
// whether it did. The fill walks the loop the other way, so it agrees with the neighbours.
func (r *repairFiller) fill(loop []uint32, rep *RepairReport) bool {
	k := len(loop)
	if k < 3 {
		return false
	}
	poly := make([]uint32, k)
	for i, v := range loop {
		poly[k-1-i] = v
	}
	pos := r.m.Positions
	if k == 3 {
		a, b, c := poly[0], poly[1], poly[2]
		if repairDegenerate(pos[a], pos[b], pos[c]) {
			if r.splitSliver(loop) {
				rep.SplitFaces++
				rep.AddedFaces++
				return true
			}
			return false
		}
		if r.duplicatesNeighbour(a, b, c) {
			return false
		}
		r.m.Faces = append(r.m.Faces, [3]uint32{a, b, c})
		rep.AddedFaces++
		return true
	}
	if k <= repairEarClipLimit {
		if tris := r.earClip(poly); tris != nil {
			r.m.Faces = append(r.m.Faces, tris...)
			rep.AddedFaces += len(tris)
			return true
		}
	}
	return r.fan(poly, rep)
}

// duplicatesNeighbour reports whether the triangle (a, b, c), made of boundary edges, repeats
// the vertex set of the face on one of them.
func (r *repairFiller) duplicatesNeighbour(a, b, c uint32) bool {
	for _, e := range [3][3]uint32{{a, b, c}, {b, c, a}, {c, a, b}} {
		if f, ok := r.bface[repairEdgeKey(e[0], e[1])]; ok && thirdVertex(r.m.Faces[f], e[0], e[1]) == e[2] {
			return true
		}
	}
	return false
}

// earClip triangulates the polygon poly (in fill order) by ear clipping (Meisters 1975, "Polygons
// have ears") in the plane of its Newell normal (Sutherland, Sproull & Schumacker 1974), clipping
// the best-shaped ear first. An ear
// is accepted only when it is convex, holds no other polygon vertex, is not degenerate in 3D and
// its diagonal is not an edge of the mesh already, so the fill stays 2-manifold. It returns nil
// when it finds no such triangulation; the edges it added are then withdrawn.
func (r *repairFiller) earClip(poly []uint32) [][3]uint32 {
	pos := r.m.Positions
	k := len(poly)
	var n [3]float64
	var c [3]float64
	for i := range k {
		p, q := f64(pos[poly[i]]), f64(pos[poly[(i+1)%k]])
		n[0] += (p[1] - q[1]) * (p[2] + q[2])
		n[1] += (p[2] - q[2]) * (p[0] + q[0])
		n[2] += (p[0] - q[0]) * (p[1] + q[1])
		for j := range 3 {
			c[j] += p[j] / float64(k)
		}
	}
	ln := norm64(n)
	if !(ln > 0) || math.IsInf(ln, 0) {
		return nil
	}
	for j := range 3 {
		n[j] /= ln
	}
	// u, v span the plane with u × v = n, so the polygon runs counter-clockwise in (u, v).
	u := [3]float64{1, 0, 0}
	if math.Abs(n[0]) > 0.9 {
		u = [3]float64{0, 1, 0}
	}
	u = cross64(u, n)
	lu := norm64(u)
	for j := range 3 {
		u[j] /= lu
	}
	v := cross64(n, u)
	pt := make([][2]float64, k)
	var scale float64
	for i, x := range poly {
		d := sub3(f64(pos[x]), c)
		pt[i] = [2]float64{dot64(d, u), dot64(d, v)}
		scale = max(scale, math.Abs(pt[i][0]), math.Abs(pt[i][1]))
	}
	eps := 1e-12 * scale * scale
	cross2 := func(a, b, c [2]float64) float64 {
		return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	}
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	var tris [][3]uint32
	var added []uint64
	fail := func() [][3]uint32 {
		for _, e := range added {
			delete(r.added, e)
		}
		return nil
	}
	type ear struct {
		q float64
		j int
	}
	var ears []ear
	for len(idx) > 3 {
		m := len(idx)
		// Try the convex ears best first, by the shape of the triangle in 3D, so a fill is not a
		// fan of slivers from one corner.
		ears = ears[:0]
		for j := range m {
			ia, ib, ic := idx[(j+m-1)%m], idx[j], idx[(j+1)%m]
			if cross2(pt[ia], pt[ib], pt[ic]) > eps {
				ears = append(ears, ear{repairTriQuality(pos[poly[ia]], pos[poly[ib]], pos[poly[ic]]), j})
			}
		}
		slices.SortFunc(ears, func(x, y ear) int {
			if x.q != y.q {
				if x.q > y.q {
					return -1
				}
				return 1
			}
			return x.j - y.j
		})
		found := false
		for _, e := range ears {
			j := e.j
			ia, ib, ic := idx[(j+m-1)%m], idx[j], idx[(j+1)%m]
			a, b, cc := pt[ia], pt[ib], pt[ic]
			inside := false
			for _, io := range idx {
				if io == ia || io == ib || io == ic {
					continue
				}
				p := pt[io]
				if cross2(a, b, p) >= 0 && cross2(b, cc, p) >= 0 && cross2(cc, a, p) >= 0 {
					inside = true
					break
				}
			}
			if inside {
				continue
			}
			va, vb, vc := poly[ia], poly[ib], poly[ic]
			if repairDegenerate(pos[va], pos[vb], pos[vc]) || r.hasEdge(va, vc) {
				continue
			}
			key := repairEdgeKey(va, vc)
			r.added[key] = struct{}{}
			added = append(added, key)
			tris = append(tris, [3]uint32{va, vb, vc})
			idx = slices.Delete(idx, j, j+1)
			found = true
			break
		}
		if !found {
			return fail()
		}
	}
	va, vb, vc := poly[idx[0]], poly[idx[1]], poly[idx[2]]
	if repairDegenerate(pos[va], pos[vb], pos[vc]) || r.duplicatesNeighbour(va, vb, vc) {
		return fail()
	}
	return append(tris, [3]uint32{va, vb, vc})
}

// repairTriQuality is 4√3·area over the sum of the squared edge lengths: 1 for an equilateral
// triangle, 0 for a flat one.
func repairTriQuality(a, b, c [3]float32) float64 {
	l := dot64(sub64(b, a), sub64(b, a)) + dot64(sub64(c, b), sub64(c, b)) + dot64(sub64(a, c), sub64(a, c))
	if !(l > 0) {
		return 0
	}
	return 2 * math.Sqrt(3) * norm64(triCross(a, b, c)) / l
}

// fan fills the polygon with triangles around a new vertex at the mean of its vertices. Its
// edges are all new, so it cannot create a non-manifold edge; it gives up when a triangle would
// be degenerate.
func (r *repairFiller) fan(poly []uint32, rep *RepairReport) bool {
	pos := r.m.Positions
	var c [3]float64
	var col [4]float64
	var uv [2]float64
	k := float64(len(poly))
	for _, x := range poly {
		for j := range 3 {
			c[j] += float64(pos[x][j]) / k
		}
		if r.m.Colors != nil {
			for j := range 4 {
				col[j] += float64(r.m.Colors[x][j]) / k
			}
		}
		if r.m.UVs != nil {
			for j := range 2 {
				uv[j] += float64(r.m.UVs[x][j]) / k
			}
		}
	}
	p := [3]float32{float32(c[0]), float32(c[1]), float32(c[2])}
	for i := range poly {
		if repairDegenerate(p, pos[poly[i]], pos[poly[(i+1)%len(poly)]]) {
			return false
		}
	}
	if uint64(len(r.m.Positions)) >= math.MaxUint32 {
		return false
	}
	nv := uint32(len(r.m.Positions))
	r.m.Positions = append(r.m.Positions, p)
	if r.m.Colors != nil {
		var c8 [4]uint8
		for j := range 4 {
			c8[j] = uint8(math.Round(col[j]))
		}
		r.m.Colors = append(r.m.Colors, c8)
	}
	if r.m.UVs != nil {
		r.m.UVs = append(r.m.UVs, [2]float32{float32(uv[0]), float32(uv[1])})
	}
	for i := range poly {
		r.m.Faces = append(r.m.Faces, [3]uint32{nv, poly[i], poly[(i+1)%len(poly)]})
	}
	rep.AddedVertices++
	rep.AddedFaces += len(poly)
	return true
}

// splitSliver closes the 3-edge hole that a dropped zero-area sliver leaves, whose vertex w lies
// on the line of its longest edge a–b: the face F beyond a–b is split at w into two faces, which
// is the edge flip that removes a T-junction. It reports whether the split was possible without
// a degenerate face or a non-manifold edge.
func (r *repairFiller) splitSliver(loop []uint32) bool {
	pos := r.m.Positions
	best, bestLen := 0, -1.0
	for i := range 3 {
		d := sub64(pos[loop[(i+1)%3]], pos[loop[i]])
		if l := dot64(d, d); l > bestLen {
			best, bestLen = i, l
		}
	}
	a, b, w := loop[best], loop[(best+1)%3], loop[(best+2)%3]
	fi, ok := r.bface[repairEdgeKey(a, b)]
	if !ok {
		return false
	}
	f := r.m.Faces[fi]
	x := thirdVertex(f, a, b)
	// F walks a→b (its boundary edge, as the loop does), then b→x, x→a.
	if x == a || x == b || x == w || r.hasEdge(w, x) {
		return false
	}
	f1, f2 := [3]uint32{a, w, x}, [3]uint32{w, b, x}
	if repairDegenerate(pos[a], pos[w], pos[x]) || repairDegenerate(pos[w], pos[b], pos[x]) {
		return false
	}
	r.m.Faces[fi] = f1
	r.m.Faces = append(r.m.Faces, f2)
	r.added[repairEdgeKey(w, x)] = struct{}{}
	nf := uint32(len(r.m.Faces) - 1)
	if g, ok := r.bface[repairEdgeKey(b, x)]; ok && g == fi {
		r.bface[repairEdgeKey(b, x)] = nf
	}
	delete(r.bface, repairEdgeKey(a, b))
	return true
}
