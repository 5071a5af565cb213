package mesh

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// ErrSimplifyOptions is wrapped by the error Simplify returns for options it cannot honour (a
// negative target or error, a ratio outside [0, 1]).
var ErrSimplifyOptions = errors.New("mesh: invalid simplify options")

// SimplifyOptions controls Simplify. The zero value halves the face count with no error limit.
//
// Simplification stops at the first of: the face target reached, the cheapest remaining collapse
// costing more than MaxError, no valid collapse left.
type SimplifyOptions struct {
	// TargetFaces is the face count to reach (the result may have one face fewer, as each collapse
	// removes two). Zero means: use TargetRatio.
	TargetFaces int
	// TargetRatio is the fraction of the input's faces to keep, in [0, 1], used when TargetFaces is
	// zero. When both are zero the target is half the faces, or, if MaxError is set, no face
	// target at all (simplify until the error limit).
	TargetRatio float64
	// MaxError, in mm, is the largest collapse error allowed: a collapse whose quadric error (see
	// SimplifyReport.QuadricError) exceeds it is not made. Zero means no limit. The quadric error
	// is a root-mean-square distance, so the measured SimplifyReport.MaxError may exceed it.
	MaxError float64
	// SkipDeviation leaves the result's deviation from the input unmeasured: the report's
	// MaxError, MeanError and DeviationBounded stay zero, and DeviationSkipped is set. The measure
	// searches the result's surface from every input vertex, about a fifth of the time Simplify
	// takes on a large mesh; a caller that does not read those figures can skip it. The mesh is the
	// same either way, and QuadricError is still reported.
	SkipDeviation bool
}

// SimplifyReport says what Simplify did and how far the result departs from the input.
type SimplifyReport struct {
	// FacesBefore and FacesAfter count the input's and the result's faces; VerticesBefore and
	// VerticesAfter the vertices that faces use.
	FacesBefore    int `json:"faces_before"`
	FacesAfter     int `json:"faces_after"`
	VerticesBefore int `json:"vertices_before"`
	VerticesAfter  int `json:"vertices_after"`
	// Collapses is the number of edge collapses made, in Passes passes.
	Collapses int `json:"collapses"`
	Passes    int `json:"passes"`
	// LockedVertices were never moved or removed: vertices on a border, on a non-manifold or
	// inconsistently oriented edge, at a pinch point, or with more than 512 faces (simpMaxFan,
	// which bounds the work of one collapse).
	LockedVertices int `json:"locked_vertices"`

	// MaxError and MeanError, in mm, are measured on the result: the largest and the mean, over the
	// input vertices that faces use, of the distance from the vertex's input position to the
	// nearest point of the result's surface (a one-sided Hausdorff distance sampled at the input
	// vertices).
	MaxError  float64 `json:"max_error_mm"`
	MeanError float64 `json:"mean_error_mm"`
	// DeviationBounded is set when the search for some vertex's nearest point reached its work
	// bound (see SurfaceDeviation), as on a soup of long, crossing triangles: MaxError and
	// MeanError are then upper bounds, not exact figures.
	DeviationBounded bool `json:"deviation_bounded,omitempty"`
	// DeviationSkipped is set when SimplifyOptions.SkipDeviation left MaxError and MeanError
	// unmeasured (zero, not a measured zero).
	DeviationSkipped bool `json:"deviation_skipped,omitempty"`
	// QuadricError, in mm, is the largest collapse cost made: the square root of the area-weighted
	// mean squared distance from the merged vertex to the planes of the input faces it stands for.
	// It is the measure SimplifyOptions.MaxError limits, and comparable to the result error
	// meshoptimizer reports (which is relative to the mesh extent).
	QuadricError float64 `json:"quadric_error_mm"`
	// StoppedBy is why simplification stopped: "target", "max_error" or "no_valid_collapse".
	StoppedBy string `json:"stopped_by"`
}

// Simplify returns a simplified copy of m, made by quadric-error edge collapses (Garland &
// Heckbert 1997, "Surface Simplification Using Quadric Error Metrics", SIGGRAPH). Quadrics are
// area-weighted plane quadrics of the input faces, accumulated across collapses, and normalised by
// their total weight so that a cost is a mean squared distance in mm². Each merged vertex goes to
// the minimiser of its quadric where that is well conditioned and near the edge, else to the best
// of the two endpoints and the midpoint; then, as in Lindstrom & Turk 1998, it is moved to the
// quadric's minimiser on the plane of positions that leave the enclosed volume unchanged, so a
// closed mesh keeps its volume to within rounding.
//
// Collapses are made in passes, in the manner of meshoptimizer's simplifier (A. Kapoulkine): each
// pass ranks every edge by a cheap cost (the summed quadric at the edge's midpoint, an upper bound
// of the placed vertex's cost), then collapses the cheapest ones in order, each vertex at most
// once per pass, up to an error bound that grows from pass to pass; the merged vertex's place is
// worked out only for the collapses tried. Within a pass, collapses whose whole neighbourhood lies
// in one of four fixed ranges of vertex indices run concurrently, one goroutine per range, and the
// rest follow serially; the ranges do not depend on GOMAXPROCS. Each collapse must keep the
// surface a 2-manifold of the same topology (the link condition: the edge's endpoints share
// exactly the two neighbours opposite it; Dey et al. 1999), must not turn any face by more than
// about 78°, nor make one degenerate (see DegenerateRatio), nor leave one thinner than 1e-3 of its
// longest edge unless it was already thinner (needles and caps have ill-conditioned normals). A closed mesh therefore stays closed,
// with the same genus. Border vertices of an open mesh, and vertices on non-manifold or
// inconsistently oriented edges or at pinch points, are locked: never moved, never removed.
// Colours and UVs of the surviving vertex are interpolated along the collapsed edge.
//
// The input is not modified. The result keeps the surviving vertices and faces in input order;
// vertices no face uses are dropped, as are input faces that repeat an index. The result is the
// same for the same input and options whatever GOMAXPROCS is. Work is bounded on any input: a
// collapse costs O(simpMaxFan), and the error measure's search per vertex is bounded (see
// SurfaceDeviation and SimplifyReport.DeviationBounded). ctx is checked inside every long loop,
// at least every millisecond or so of work.
func Simplify(ctx context.Context, m *Mesh, opt SimplifyOptions) (*Mesh, SimplifyReport, error) {
	var rep SimplifyReport
	if err := m.Validate(); err != nil {
		return nil, rep, fmt.Errorf("mesh: simplify: %w", err)
	}
	if opt.TargetFaces < 0 || !(opt.TargetRatio >= 0 && opt.TargetRatio <= 1) || !(opt.MaxError >= 0) || math.IsInf(opt.MaxError, 0) {
		return nil, rep, fmt.Errorf("%w: target %d faces, ratio %v, max error %v", ErrSimplifyOptions, opt.TargetFaces, opt.TargetRatio, opt.MaxError)
	}
	if err := ctx.Err(); err != nil {
		return nil, rep, err
	}
	s := newSimpState(ctx, m)
	if err := ctx.Err(); err != nil {
		return nil, rep, err
	}
	rep.FacesBefore = len(m.Faces)
	rep.VerticesBefore = s.usedVertices
	target := opt.TargetFaces
	if target == 0 {
		switch {
		case opt.TargetRatio > 0:
			target = int(math.Round(opt.TargetRatio * float64(len(s.faces))))
		case opt.MaxError > 0:
			target = 0
		default:
			target = len(s.faces) / 2
		}
	}
	maxErr2 := math.Inf(1)
	if opt.MaxError > 0 {
		maxErr2 = opt.MaxError * opt.MaxError
	}
	for _, f := range s.flags {
		if f&simpLocked != 0 {
			rep.LockedVertices++
		}
	}
	if err := s.run(ctx, target, maxErr2, &rep); err != nil {
		return nil, rep, err
	}
	rep.QuadricError = math.Sqrt(s.maxCost)
	// Without a collapse the result's faces are the input's (less those that repeat an index,
	// which hold no used vertex of their own), so every used vertex lies on the result: the
	// deviation is exactly zero, and a soup, where every vertex is locked, costs no search.
	switch {
	case opt.SkipDeviation:
		rep.DeviationSkipped = true
	case rep.Collapses > 0:
		rep.MaxError, rep.MeanError, rep.DeviationBounded = simpDeviation(ctx, m.Positions, s.hadFace, s.pos, s.faces, s.workers)
	}
	if err := ctx.Err(); err != nil {
		return nil, rep, err
	}
	out := s.output(m)
	rep.FacesAfter, rep.VerticesAfter = len(out.Faces), len(out.Positions)
	return out, rep, nil
}

// simpQuadric is a plane quadric Σ wᵢ(nᵢ·x + dᵢ)² in symmetric form. Its planes' normals nᵢ are
// unit vectors scaled by √wᵢ, so the total weight Σ wᵢ is the trace a2 + b2 + c2 and needs no
// field of its own (80 bytes, not 88).
type simpQuadric struct {
	a2, ab, ac, ad, b2, bc, bd, c2, cd, d2 float64
}

func (q *simpQuadric) add(o *simpQuadric) {
	q.a2 += o.a2
	q.ab += o.ab
	q.ac += o.ac
	q.ad += o.ad
	q.b2 += o.b2
	q.bc += o.bc
	q.bd += o.bd
	q.c2 += o.c2
	q.cd += o.cd
	q.d2 += o.d2
}

// eval returns the weight-normalised error at x: a mean squared distance.
func (q *simpQuadric) eval(x, y, z float64) float64 {
	r := q.a2*x*x + q.b2*y*y + q.c2*z*z + 2*(q.ab*x*y+q.ac*x*z+q.bc*y*z) + 2*(q.ad*x+q.bd*y+q.cd*z) + q.d2
	w := q.a2 + q.b2 + q.c2
	if w <= 0 {
		return 0
	}
	return max(r, 0) / w
}

// adjugate returns the cofactors c00, c01, c02, c11, c12, c22 of the quadric's symmetric 3×3
// part A and its determinant, with ok false where A is ill-conditioned: |det A| ≤ 1e-5·(tr A)³
// (flat or cylindrical neighbourhoods, where the minimiser is a plane or a line).
func (q *simpQuadric) adjugate() (c00, c01, c02, c11, c12, c22, det float64, ok bool) {
	a, b, c, d, e, f := q.a2, q.ab, q.ac, q.b2, q.bc, q.c2
	c00 = d*f - e*e
	c01 = c*e - b*f
	c02 = b*e - c*d
	det = a*c00 + b*c01 + c*c02
	tr := a + d + f
	if !(math.Abs(det) > 1e-5*tr*tr*tr) {
		return 0, 0, 0, 0, 0, 0, 0, false
	}
	c11 = a*f - c*c
	c12 = b*c - a*e
	c22 = a*d - b*b
	return c00, c01, c02, c11, c12, c22, det, true
}

// optimum solves ∇Q = 0 by Cramer's rule; ok is false when the system is ill-conditioned (see
// adjugate).
func (q *simpQuadric) optimum() (x, y, z float64, ok bool) {
	c00, c01, c02, c11, c12, c22, det, ok := q.adjugate()
	if !ok {
		return 0, 0, 0, false
	}
	inv := -1 / det
	x = (c00*q.ad + c01*q.bd + c02*q.cd) * inv
	y = (c01*q.ad + c11*q.bd + c12*q.cd) * inv
	z = (c02*q.ad + c12*q.bd + c22*q.cd) * inv
	return x, y, z, true
}

// solve returns A⁻¹·(x, y, z) for the quadric's 3×3 part A, with ok false where A is
// ill-conditioned (as in optimum).
func (q *simpQuadric) solve(x, y, z float64) (float64, float64, float64, bool) {
	c00, c01, c02, c11, c12, c22, det, ok := q.adjugate()
	if !ok {
		return 0, 0, 0, false
	}
	inv := 1 / det
	return (c00*x + c01*y + c02*z) * inv, (c01*x + c11*y + c12*z) * inv, (c02*x + c12*y + c22*z) * inv, true
}

const simpDead = math.MaxUint32

// simpMaxFan bounds the work of one collapse: a vertex with more faces is locked, and a collapse
// whose endpoints have more faces between them is not tried, so that each collapse costs
// O(simpMaxFan) whatever the input. A vertex of a smooth mesh has about six faces; the cap
// changes no output of the generator over the sample images (bench/outputs.sh).
const simpMaxFan = 512

// simpCheckMask: loops over faces or vertices check ctx every simpCheckMask+1 items (well under a
// millisecond of work); simpSweepCheck: the collapse sweep checks it every simpSweepCheck+1
// candidates, each at most O(simpMaxFan) work.
const (
	simpCheckMask  = 1<<12 - 1
	simpSweepCheck = 1<<8 - 1
)

// simpEdge is a candidate collapse of the edge {a, b}, a < b, with its rank (see rankCost). Where
// the merged vertex goes is worked out (by place) only for the collapses tried.
type simpEdge struct {
	a, b uint32
	cost float32
}

type simpState struct {
	pos    [][3]float32
	center [3]float64
	faces  [][3]uint32 // live faces; a dead one has faces[f][0] == simpDead until the pass ends
	spare  [][3]uint32 // dropDeadFaces' second buffer
	q      []simpQuadric
	// flags[v] holds simpLocked and, within a pass, simpTouched: one byte per vertex, so the
	// sweep's test of both endpoints and the collapse's reads share one cache line.
	flags  []uint8
	colors [][4]uint8
	uvs    [][2]float32

	usedVertices int
	// partStart[p] is the first vertex of range p, ⌈p·len(pos)/simpParts⌉: the least v with
	// ⌊v·simpParts/len(pos)⌋ ≥ p; partStart[simpParts] is len(pos).
	partStart [simpParts + 1]uint32
	hadFace   []bool
	maxCost   float64
	workers   int

	// per pass
	adjStart []uint32
	adj      []uint32
	adjCnt   []uint32   // buildAdjacency's scratch: per chunk of faces, per vertex
	cand     []simpEdge // with gaps: see candidates
	nCand    int
	order    []uint32
	keys     []uint16
	// hist counts the candidates of each chunk of the list, s.cand[keyChunks[2c]:keyChunks[2c+1]],
	// by sort key: hist[c*simpKeys+key].
	hist      []uint32
	keyTot    []uint32 // per sort key: its candidates over all chunks, then where it starts
	keyChunks []int
	groups    [simpParts + 2]uint32 // order[groups[o]:groups[o+1]] are owner o's candidates
}

// newSimpState builds the collapse state. It gives up early once ctx is done (the caller checks
// ctx.Err).
func newSimpState(ctx context.Context, m *Mesh) *simpState {
	nv := len(m.Positions)
	s := &simpState{
		pos:     append([][3]float32(nil), m.Positions...),
		q:       make([]simpQuadric, nv),
		flags:   make([]uint8, nv),
		workers: max(1, min(runtime.GOMAXPROCS(0), 8)),
	}
	if m.Colors != nil {
		s.colors = append([][4]uint8(nil), m.Colors...)
	}
	if m.UVs != nil {
		s.uvs = append([][2]float32(nil), m.UVs...)
	}
	// Faces that repeat an index are marked dead, in parallel, and dropped (in the usual case of
	// none, dropDeadFaces only counts).
	s.faces = append([][3]uint32(nil), m.Faces...)
	simpParallel(len(s.faces), s.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if f := &s.faces[i]; f[0] == f[1] || f[1] == f[2] || f[0] == f[2] {
				f[0] = simpDead
			}
		}
	})
	s.dropDeadFaces()
	// The centre only conditions the quadrics' arithmetic: the box of all positions will do.
	b := simpBounds(m.Positions, s.workers)
	if !b.Empty() {
		for i := range 3 {
			s.center[i] = (float64(b.Min[i]) + float64(b.Max[i])) / 2
		}
	}
	for p := range simpParts + 1 {
		s.partStart[p] = uint32((uint64(p)*uint64(nv) + simpParts - 1) / simpParts)
	}
	s.buildAdjacency(ctx)
	s.hadFace = make([]bool, nv)
	for v := range nv {
		if s.adjStart[v+1] > s.adjStart[v] {
			s.hadFace[v] = true
			s.usedVertices++
		}
	}
	s.classify(ctx)
	s.computeQuadrics(ctx)
	return s
}

// simpBounds returns the box of all of pos, as Bounds does for a mesh without faces, in parallel
// chunks (min and max combine in any order to the same result).
func simpBounds(pos [][3]float32, workers int) Box {
	const chunk = 1 << 16
	nc := (len(pos) + chunk - 1) / chunk
	boxes := make([]Box, nc)
	simpParallel(nc, workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			boxes[c] = (&Mesh{Positions: pos[c*chunk : min((c+1)*chunk, len(pos))]}).Bounds()
		}
	})
	b := (&Mesh{}).Bounds()
	for _, o := range boxes {
		for i := range 3 {
			b.Min[i] = min(b.Min[i], o.Min[i])
			b.Max[i] = max(b.Max[i], o.Max[i])
		}
	}
	return b
}

// rel returns vertex v's position relative to the mesh centre, in float64.
func (s *simpState) rel(p [3]float32) (float64, float64, float64) {
	return float64(p[0]) - s.center[0], float64(p[1]) - s.center[1], float64(p[2]) - s.center[2]
}

// buildAdjacency drops dead faces and rebuilds the vertex→face lists (CSR), in face order.
func (s *simpState) buildAdjacency(ctx context.Context) {
	s.dropDeadFaces()
	nv := len(s.pos)
	if s.adjStart == nil {
		s.adjStart = make([]uint32, nv+1)
	} else {
		clear(s.adjStart)
	}
	// Each of w workers takes a contiguous chunk of the faces and counts its corners per vertex
	// (cnt[c][v]); a vertex's list then holds chunk 0's faces first, then chunk 1's, and so on,
	// each chunk's in face order, so the lists come out in face order whatever the number of
	// workers, and each face is read twice in all. The clear, the prefix sum and the slot pass
	// cost w times the vertices, which splitting the faces only pays back while there are at least
	// half as many faces again as vertices (the first pass or two of a simplification).
	w := s.workers
	if len(s.faces) < 1<<14 || 2*len(s.faces) < 3*nv {
		w = 1
	}
	nf := len(s.faces)
	if cap(s.adjCnt) < w*nv {
		s.adjCnt = make([]uint32, w*nv)
	}
	s.adjCnt = s.adjCnt[:w*nv]
	clear(s.adjCnt)
	simpParallel(w, w, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			cnt := s.adjCnt[c*nv : (c+1)*nv]
			for fi := c * nf / w; fi < (c+1)*nf/w; fi++ {
				if fi&simpCheckMask == 0 && ctx.Err() != nil {
					return
				}
				f := s.faces[fi]
				cnt[f[0]]++
				cnt[f[1]]++
				cnt[f[2]]++
			}
		}
	})
	for v := range nv {
		n := uint32(0)
		for c := range w {
			n += s.adjCnt[c*nv+v]
		}
		s.adjStart[v+1] = s.adjStart[v] + n
	}
	// cnt[c][v] becomes the slot where chunk c's first face around v goes.
	simpParallel(nv, w, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			at := s.adjStart[v]
			for c := range w {
				n := s.adjCnt[c*nv+v]
				s.adjCnt[c*nv+v] = at
				at += n
			}
		}
	})
	n := 3 * nf
	if cap(s.adj) < n {
		s.adj = make([]uint32, n)
	}
	s.adj = s.adj[:n]
	simpParallel(w, w, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			next := s.adjCnt[c*nv : (c+1)*nv]
			for fi := c * nf / w; fi < (c+1)*nf/w; fi++ {
				if fi&simpCheckMask == 0 && ctx.Err() != nil {
					return
				}
				for _, v := range s.faces[fi] {
					s.adj[next[v]] = uint32(fi)
					next[v]++
				}
			}
		}
	})
}

// dropDeadFaces removes the faces marked dead, keeping the others in order: chunks of faces count
// their live ones, then copy them to their places in a second buffer, in parallel.
func (s *simpState) dropDeadFaces() {
	const chunk = 1 << 16
	nf := len(s.faces)
	nc := (nf + chunk - 1) / chunk
	at := make([]int, nc+1)
	simpParallel(nc, s.workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			n := 0
			for _, f := range s.faces[c*chunk : min((c+1)*chunk, nf)] {
				if f[0] != simpDead {
					n++
				}
			}
			at[c+1] = n
		}
	})
	for c := range nc {
		at[c+1] += at[c]
	}
	if at[nc] == nf {
		return
	}
	if cap(s.spare) < at[nc] {
		s.spare = make([][3]uint32, at[nc])
	}
	live := s.spare[:at[nc]]
	simpParallel(nc, s.workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			i := at[c]
			for _, f := range s.faces[c*chunk : min((c+1)*chunk, nf)] {
				if f[0] != simpDead {
					live[i] = f
					i++
				}
			}
		}
	})
	s.faces, s.spare = live, s.faces[:0]
}

// classify locks the vertices on border, non-manifold or inconsistently oriented edges, and those
// whose faces form more than one fan. A vertex is free when every neighbour follows it in exactly
// one of its faces and precedes it in exactly one (each edge has two faces walking it in opposite
// directions), and its faces form a single cycle.
//
// A vertex with more than simpMaxFan faces is locked too: simpleFan's test costs the square of
// its degree, and every collapse touching it its degree, so the centre of a fan of a million
// triangles would cost 10¹² steps to classify and a million per collapse tried.
func (s *simpState) classify(ctx context.Context) {
	simpParallel(len(s.pos), s.workers, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			if (v-lo)&simpCheckMask == 0 && ctx.Err() != nil {
				return
			}
			if fs := s.adj[s.adjStart[v]:s.adjStart[v+1]]; len(fs) > simpMaxFan {
				s.flags[v] = simpLocked
			} else if len(fs) > 0 && !s.simpleFan(uint32(v), fs) {
				s.flags[v] = simpLocked
			}
		}
	})
}

func (s *simpState) simpleFan(v uint32, fs []uint32) bool {
	if len(fs) <= simpSmallFan {
		return s.simpleSmallFan(v, fs)
	}
	for _, fi := range fs {
		a, _ := simpAround(s.faces[fi], v)
		after, before := 0, 0
		for _, fj := range fs {
			a2, b2 := simpAround(s.faces[fj], v)
			if a2 == a {
				after++
			}
			if b2 == a {
				before++
			}
		}
		if after != 1 || before != 1 {
			return false
		}
	}
	// Walk the fan: from a face (v, a, b) the next face around v is the one holding (v, b, ·);
	// one fan returns to the first face after visiting every face once.
	_, b0 := simpAround(s.faces[fs[0]], v)
	b := b0
	for visited := 1; visited <= len(fs); visited++ {
		for _, fi := range fs {
			if a2, b2 := simpAround(s.faces[fi], v); a2 == b {
				b = b2
				break
			}
		}
		if b == b0 {
			return visited == len(fs)
		}
	}
	return false
}

// simpSmallFan: fans up to this many faces are tested by simpleSmallFan.
const simpSmallFan = 32

// simpleSmallFan is simpleFan's test for a fan of at most simpSmallFan faces, with each face's two
// vertices after v looked up once, into arrays on the stack, instead of once per comparison.
func (s *simpState) simpleSmallFan(v uint32, fs []uint32) bool {
	var as, bs [simpSmallFan]uint32
	d := len(fs)
	for i, fi := range fs {
		// By index, not simpAround's branches: which corner v holds is a coin toss, and a
		// mispredicted branch per face cost more than the test's comparisons.
		as[i], bs[i], _ = simpAroundAt(s.faces[fi], v)
	}
	for i := range d {
		a := as[i]
		after, before := 0, 0
		for j := range d {
			if as[j] == a {
				after++
			}
			if bs[j] == a {
				before++
			}
		}
		if after != 1 || before != 1 {
			return false
		}
	}
	b0 := bs[0]
	b := b0
	for visited := 1; visited <= d; visited++ {
		for j := range d {
			if as[j] == b {
				b = bs[j]
				break
			}
		}
		if b == b0 {
			return visited == d
		}
	}
	return false
}

// simpAround returns the vertices following v in face f, in winding order.
func simpAround(f [3]uint32, v uint32) (uint32, uint32) {
	switch v {
	case f[0]:
		return f[1], f[2]
	case f[1]:
		return f[2], f[0]
	default:
		return f[0], f[1]
	}
}

// computeQuadrics sums the area-weighted plane quadrics of each vertex's faces, in parallel over
// vertices and in face order within one, so the sums do not depend on scheduling.
func (s *simpState) computeQuadrics(ctx context.Context) {
	// Each face's plane n̂·x + d = 0, scaled by the square root of its area, so that the outer
	// product of (n, d) is the face's area-weighted quadric.
	planes := make([][4]float64, len(s.faces))
	simpParallel(len(s.faces), s.workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if (i-lo)&simpCheckMask == 0 && ctx.Err() != nil {
				return
			}
			f := s.faces[i]
			n := triCross(s.pos[f[0]], s.pos[f[1]], s.pos[f[2]])
			l := norm64(n)
			if l == 0 {
				continue
			}
			k := math.Sqrt(l/2) / l
			x, y, z := s.rel(s.pos[f[0]])
			nx, ny, nz := n[0]*k, n[1]*k, n[2]*k
			planes[i] = [4]float64{nx, ny, nz, -(nx*x + ny*y + nz*z)}
		}
	})
	simpParallel(len(s.pos), s.workers, func(lo, hi int) {
		for v := lo; v < hi; v++ {
			if (v-lo)&simpCheckMask == 0 && ctx.Err() != nil {
				return
			}
			var q simpQuadric
			for _, fi := range s.adj[s.adjStart[v]:s.adjStart[v+1]] {
				pl := &planes[fi]
				a, b, c, d := pl[0], pl[1], pl[2], pl[3]
				q.a2 += a * a
				q.ab += a * b
				q.ac += a * c
				q.ad += a * d
				q.b2 += b * b
				q.bc += b * c
				q.bd += b * d
				q.c2 += c * c
				q.cd += c * d
				q.d2 += d * d
			}
			s.q[v] = q
		}
	})
}

// simpParallel runs fn over [0, n) split into up to simpPieces contiguous pieces per worker,
// which the workers take in turn as they finish the last (pieces of one range often differ in
// cost by twice, so one piece per worker would leave a worker idle). Every caller's fn depends
// on its indices only, not on how the range is split.
func simpParallel(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n < 2 {
		fn(0, n)
		return
	}
	pieces := min(n, workers*simpPieces)
	var next atomic.Int32
	var wg sync.WaitGroup
	for range min(workers, pieces) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p := int(next.Add(1)) - 1
				if p >= pieces {
					return
				}
				fn(p*n/pieces, (p+1)*n/pieces)
			}
		}()
	}
	wg.Wait()
}

// simpPieces: simpParallel splits its range into this many pieces per worker.
const simpPieces = 8

// place returns where the merged vertex of edge {a, b} goes, and its cost.
func (s *simpState) place(a, b uint32) ([3]float32, float64) {
	q := s.q[a]
	q.add(&s.q[b])
	la, lb := s.locked(a), s.locked(b)
	if la || lb {
		p := s.pos[a]
		if lb {
			p = s.pos[b]
		}
		x, y, z := s.rel(p)
		return p, q.eval(x, y, z)
	}
	ax, ay, az := s.rel(s.pos[a])
	bx, by, bz := s.rel(s.pos[b])
	if x, y, z, ok := q.optimum(); ok {
		mx, my, mz := (ax+bx)/2-x, (ay+by)/2-y, (az+bz)/2-z
		ex, ey, ez := bx-ax, by-ay, bz-az
		if mx*mx+my*my+mz*mz <= 4*(ex*ex+ey*ey+ez*ez) {
			p := [3]float32{float32(x + s.center[0]), float32(y + s.center[1]), float32(z + s.center[2])}
			x, y, z = s.rel(p)
			return p, q.eval(x, y, z)
		}
	}
	best, cost := s.pos[a], q.eval(ax, ay, az)
	if c := q.eval(bx, by, bz); c < cost {
		best, cost = s.pos[b], c
	}
	mid := [3]float32{
		float32((float64(s.pos[a][0]) + float64(s.pos[b][0])) / 2),
		float32((float64(s.pos[a][1]) + float64(s.pos[b][1])) / 2),
		float32((float64(s.pos[a][2]) + float64(s.pos[b][2])) / 2),
	}
	mx, my, mz := s.rel(mid)
	if c := q.eval(mx, my, mz); c < cost {
		best, cost = mid, c
	}
	return best, cost
}

// rankCost returns the cost by which candidates ranks edge {a, b}: the summed quadric at the
// edge's midpoint, or at its locked endpoint. It is a third of place's work (no minimiser, one
// evaluation), and bounds place's cost from above (to within rounding), since place takes the
// quadric's minimiser or the best of the endpoints and the midpoint: so a collapse ranked within
// an error limit is within it when made. Only the collapses tried (a small share of the
// candidates on a large mesh) pay for place.
func (s *simpState) rankCost(a, b uint32) float64 {
	var x, y, z float64
	switch {
	case s.locked(a):
		x, y, z = s.rel(s.pos[a])
	case s.locked(b):
		x, y, z = s.rel(s.pos[b])
	default:
		ax, ay, az := s.rel(s.pos[a])
		bx, by, bz := s.rel(s.pos[b])
		x, y, z = (ax+bx)/2, (ay+by)/2, (az+bz)/2
	}
	// The summed quadric's eval, term by term, without copying a quadric: the same sums in the
	// same order, so the same value.
	qa, qb := &s.q[a], &s.q[b]
	a2, b2, c2 := qa.a2+qb.a2, qa.b2+qb.b2, qa.c2+qb.c2
	r := a2*x*x + b2*y*y + c2*z*z + 2*((qa.ab+qb.ab)*x*y+(qa.ac+qb.ac)*x*z+(qa.bc+qb.bc)*y*z) +
		2*((qa.ad+qb.ad)*x+(qa.bd+qb.bd)*y+(qa.cd+qb.cd)*z) + (qa.d2 + qb.d2)
	w := a2 + b2 + c2
	if w <= 0 {
		return 0
	}
	return max(r, 0) / w
}

// simpParts is the number of vertex ranges whose collapses run concurrently within a pass. It is
// fixed, not taken from GOMAXPROCS, so that the result does not depend on the number of threads.
const simpParts = 4

// candidates lists every edge with at least one unlocked endpoint, with its cost. Such an edge is
// shared by exactly two faces walking it in opposite directions, so taking it where a face walks
// it from the smaller index lists it once.
//
// The list is read once, without counting first: a face walks at most two of its edges from the
// smaller index (not all three: the indices would rise all the way round), so chunk c of faces
// writes its candidates from 2·c·simpCandChunk on, and they fill s.cand[keyChunks[2c]:
// keyChunks[2c+1]]; the list has gaps between chunks, and s.nCand counts the candidates.
func (s *simpState) candidates(ctx context.Context) {
	const chunk = simpCandChunk
	nc := (len(s.faces) + chunk - 1) / chunk
	if n := 2 * len(s.faces); cap(s.cand) < n {
		s.cand = make([]simpEdge, n)
		s.keys = make([]uint16, n)
	}
	s.cand, s.keys = s.cand[:2*len(s.faces)], s.keys[:2*len(s.faces)]
	counts := s.keyChunks[:0]
	for c := range nc {
		counts = append(counts, 2*c*chunk, 2*c*chunk)
	}
	// Each chunk also counts its candidates' sort keys (see sortCandidates), so the sort need not
	// read the list again.
	s.keyChunks = counts
	if cap(s.hist) < nc*simpKeys {
		s.hist = make([]uint32, nc*simpKeys)
	}
	s.hist = s.hist[:nc*simpKeys]
	clear(s.hist)
	simpParallel(nc, s.workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			if ctx.Err() != nil {
				return
			}
			h := s.hist[c*simpKeys : (c+1)*simpKeys]
			i := counts[2*c]
			for _, f := range s.faces[c*chunk : min((c+1)*chunk, len(s.faces))] {
				for k := range 3 {
					if a, b := f[k], f[(k+1)%3]; a < b && (s.flags[a]&s.flags[b])&simpLocked == 0 {
						cost := s.rankCost(a, b)
						s.cand[i] = simpEdge{a: a, b: b, cost: float32(cost)}
						o := simpParts
						if pa := s.part(a); pa == s.part(b) {
							o = pa
						}
						key := uint16(o*simpBuckets + int(simpBucket(float32(cost))))
						s.keys[i] = key
						h[key]++
						i++
					}
				}
			}
			counts[2*c+1] = i
		}
	})
	s.nCand = 0
	for c := range nc {
		s.nCand += counts[2*c+1] - counts[2*c]
	}
	if cap(s.order) < s.nCand {
		s.order = make([]uint32, s.nCand)
	}
	s.order = s.order[:s.nCand]
}

// simpCandChunk: candidates lists the edges of this many faces per chunk.
const simpCandChunk = 1 << 15

// part returns the vertex range v belongs to: ⌊v·simpParts/len(s.pos)⌋, found by comparing v
// with the ranges' first vertices (see partStart) instead of dividing.
func (s *simpState) part(v uint32) int {
	n := 0
	for _, lo := range s.partStart[1:simpParts] {
		if v >= lo {
			n++
		}
	}
	return n
}

// simpBucket is the sort key of a cost: the top 11 bits of its float bits (8 of exponent, 3 of
// mantissa), so buckets are about 9% wide.
func simpBucket(c float32) uint32 { return math.Float32bits(c) >> 20 & (simpBuckets - 1) }

// simpBuckets cost buckets per owner; simpKeys sort keys (owner, bucket) in all.
const (
	simpBuckets = 2048
	simpKeys    = (simpParts + 1) * simpBuckets
)

// sortCandidates fills s.order with candidate indices grouped by owner (the vertex range holding
// both endpoints, or simpParts when they lie in different ranges), then by cost bucket, then in list
// order. The coarse key is one counting-sort pass and keeps the collapses within a bucket in mesh
// order, which is far kinder to the cache than exact cost order; meshoptimizer ranks its
// collapses the same way. It returns the lower bound of the bucket holding the k-th cheapest
// candidate over all owners (+Inf when there are not k).
func (s *simpState) sortCandidates(ctx context.Context, k int) float64 {
	n := s.nCand
	const nb = simpBuckets
	const nk = simpKeys
	// The keys and their counts per chunk of the list come from candidates.
	hist, nc := s.hist, len(s.keyChunks)/2
	// Each key's count over the chunks, read chunk by chunk (in key order a chunk's counts lie
	// nk apart).
	if s.keyTot == nil {
		s.keyTot = make([]uint32, nk)
	}
	tot := s.keyTot
	clear(tot)
	for c := range nc {
		for key, h := range hist[c*nk : (c+1)*nk] {
			tot[key] += h
		}
	}
	// The bucket holding the k-th cheapest candidate, over all owners.
	goal := math.Inf(1)
	acc := 0
	for b := 0; b < nb && math.IsInf(goal, 1); b++ {
		for o := range simpParts + 1 {
			acc += int(tot[o*nb+b])
		}
		if acc > k {
			goal = float64(math.Float32frombits(uint32(b) << 20))
		}
	}
	// Exclusive prefix sums in (key, chunk) order, so each chunk scatters its own run: tot[key]
	// becomes where key's run starts, then, chunk by chunk, where the chunk's share of it does.
	sum := uint32(0)
	for key, h := range tot {
		if key%nb == 0 {
			s.groups[key/nb] = sum
		}
		tot[key] = sum
		sum += h
	}
	for c := range nc {
		for key, h := range hist[c*nk : (c+1)*nk] {
			hist[c*nk+key] = tot[key]
			tot[key] += h
		}
	}
	s.groups[simpParts+1] = uint32(n)
	simpParallel(nc, s.workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			h := hist[c*nk : (c+1)*nk]
			for i := s.keyChunks[2*c]; i < s.keyChunks[2*c+1]; i++ {
				key := s.keys[i]
				s.order[h[key]] = uint32(i)
				h[key]++
			}
		}
	})
	return goal
}

// simpWorker is one goroutine's scratch space and tally within a pass.
type simpWorker struct {
	nbr, common []uint32
	// The link test's gather, for keepVolume and facesStayValid: the live faces of r and t that
	// survive the collapse, as simpFar records, and the two that die.
	farR, farT []simpFar
	dying      [][3]uint32
	mark       []uint32 // per vertex, for large fans (see collapse)
	stamp      uint32
	deferred   []uint32
	removed    int
	made       int
	maxCost    float64
	hitMax     bool
	sink       float64 // keeps early loads alive (see collapse)
}

// sweep makes the collapses of the candidates in order, within the pass's bounds: none above
// maxErr2, none once goal faces are removed, none above errGoal once a sixth of the goal is met.
// With part ≥ 0 it touches only collapses whose whole neighbourhood lies in vertex range part and
// defers the others.
func (s *simpState) sweep(ctx context.Context, w *simpWorker, order []uint32, part, goal int, errGoal, maxErr2 float64) error {
	// Ask for what later collapses will read, in stages, so that their cache misses overlap
	// this one's work (a bucket's collapses lie far apart in memory): the candidate far ahead,
	// its endpoints' records nearer, their first faces just before. Prefetches change nothing.
	const far, mid, near = 16, 8, 3
	for i, o := range order {
		if i+far < len(order) {
			simpPrefetch(uintptr(unsafe.Pointer(&s.cand[order[i+far]])))
		}
		if i+mid < len(order) {
			n := &s.cand[order[i+mid]]
			simpPrefetch4(uintptr(unsafe.Pointer(&s.adjStart[n.a])), uintptr(unsafe.Pointer(&s.adjStart[n.b])),
				uintptr(unsafe.Pointer(&s.flags[n.a])), uintptr(unsafe.Pointer(&s.flags[n.b])))
		}
		if i+near < len(order) {
			if n := &s.cand[order[i+near]]; (s.flags[n.a]|s.flags[n.b])&simpTouched == 0 {
				// A quadric (80 bytes) spans two or three cache lines.
				qa, qb := uintptr(unsafe.Pointer(&s.q[n.a])), uintptr(unsafe.Pointer(&s.q[n.b]))
				simpPrefetch4(qa, qa+79, qb, qb+79)
				simpPrefetch4(uintptr(unsafe.Pointer(&s.pos[n.a])), uintptr(unsafe.Pointer(&s.pos[n.b])),
					uintptr(unsafe.Pointer(&s.adj[min(s.adjStart[n.a], uint32(len(s.adj)-1))])),
					uintptr(unsafe.Pointer(&s.adj[min(s.adjStart[n.b], uint32(len(s.adj)-1))])))
			}
		}
		c := &s.cand[o]
		cost := float64(c.cost)
		if cost > maxErr2 {
			// The rank bounds the collapse's cost from above (see rankCost), loosely: past
			// the limit, collapses are still tried, up to simpRankSlack times it, and refused
			// where place's cost is over.
			w.hitMax = true
			if cost > simpRankSlack*maxErr2 {
				return nil
			}
		}
		if w.removed >= goal || (cost > errGoal && w.removed > goal/6) {
			return nil
		}
		if i&simpSweepCheck == simpSweepCheck {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if (s.flags[c.a]|s.flags[c.b])&simpTouched != 0 {
			continue
		}
		switch d, cost := s.collapse(w, c.a, c.b, maxErr2, part); {
		case d > 0:
			w.removed += d
			w.made++
			w.maxCost = max(w.maxCost, cost)
		case d < 0:
			w.deferred = append(w.deferred, o)
		}
	}
	return nil
}

// Vertex flags (simpState.flags): simpLocked, never moved or removed (see classify);
// simpTouched, an endpoint of a collapse made in this pass, not to be touched again in it.
const (
	simpLocked  = 1
	simpTouched = 2
)

// locked reports that vertex v is locked.
func (s *simpState) locked(v uint32) bool { return s.flags[v]&simpLocked != 0 }

// untouch clears every vertex's simpTouched flag, for the next pass.
func (s *simpState) untouch() {
	simpParallel(len(s.flags), s.workers, func(lo, hi int) {
		for i := range s.flags[lo:hi] {
			s.flags[lo+i] &^= simpTouched
		}
	})
}

// simpRankSlack: with an error limit, a pass tries the collapses ranked up to simpRankSlack
// times it (see sweep).
const simpRankSlack = 4

// simpErrGoal: a pass collapses up to simpErrGoal times the cost of its goal/2-th cheapest
// candidate (once a sixth of its goal is met; see run).
const simpErrGoal = 1.5

func (s *simpState) run(ctx context.Context, target int, maxErr2 float64, rep *SimplifyReport) error {
	var ws [simpParts]simpWorker
	var serial simpWorker
	for {
		if len(s.faces) <= target {
			rep.StoppedBy = "target"
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.candidates(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.nCand == 0 {
			rep.StoppedBy = "no_valid_collapse"
			return nil
		}
		goal := len(s.faces) - target
		// Collapses lock their endpoints for the rest of the pass, so not all of the goal/2
		// cheapest ones can be made; allow half as much error again as the goal/2-th costs, and
		// stop there once a sixth of the goal is met (as meshoptimizer does).
		errGoal := simpErrGoal * s.sortCandidates(ctx, goal/2)
		if err := ctx.Err(); err != nil {
			return err
		}
		rep.Passes++
		s.untouch()

		// Each vertex range first, concurrently, with a share of the goal; then, serially, the
		// collapses that straddle ranges, in cost order.
		var errs [simpParts]error
		next := make(chan int, simpParts)
		for p := range simpParts {
			next <- p
		}
		close(next)
		var wg sync.WaitGroup
		for range min(s.workers, simpParts) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range next {
					w := &ws[p]
					w.deferred, w.removed, w.made, w.hitMax = w.deferred[:0], 0, 0, false
					order := s.order[s.groups[p]:s.groups[p+1]]
					share := int(int64(goal) * int64(len(order)) / int64(s.nCand))
					errs[p] = s.sweep(ctx, w, order, p, share, errGoal, maxErr2)
				}
			}()
		}
		wg.Wait()
		serial.deferred = append(serial.deferred[:0], s.order[s.groups[simpParts]:]...)
		serial.removed, serial.made, serial.hitMax = 0, 0, false
		for p := range simpParts {
			if errs[p] != nil {
				return errs[p]
			}
			serial.deferred = append(serial.deferred, ws[p].deferred...)
			serial.removed += ws[p].removed
			serial.made += ws[p].made
			serial.hitMax = serial.hitMax || ws[p].hitMax
			s.maxCost = max(s.maxCost, ws[p].maxCost)
		}
		rest := serial.deferred
		slices.SortFunc(rest, func(x, y uint32) int {
			if bx, by := simpBucket(s.cand[x].cost), simpBucket(s.cand[y].cost); bx != by {
				return cmp.Compare(bx, by)
			}
			return cmp.Compare(x, y)
		})
		serial.deferred = nil
		if err := s.sweep(ctx, &serial, rest, -1, goal, errGoal, maxErr2); err != nil {
			return err
		}
		serial.deferred = rest
		s.maxCost = max(s.maxCost, serial.maxCost)
		rep.Collapses += serial.made
		s.buildAdjacency(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		if serial.made == 0 {
			if serial.hitMax {
				rep.StoppedBy = "max_error"
			} else {
				rep.StoppedBy = "no_valid_collapse"
			}
			return nil
		}
	}
}

// collapse merges the edge {a, b} into one vertex, placed by place and then keepVolume, if that
// keeps the surface valid, and returns the number of faces removed, with the collapse's cost: 0
// when it refuses, −1 when part ≥ 0 and the edge's neighbourhood leaves vertex range part.
func (s *simpState) collapse(w *simpWorker, a, b uint32, maxErr2 float64, part int) (int, float64) {
	// Vertex v lies in range part when v−lo < span (unsigned); with part < 0 every vertex does.
	lo, span := uint32(0), uint32(math.MaxUint32)
	if part >= 0 {
		lo, span = s.partStart[part], s.partStart[part+1]-s.partStart[part]
	}
	// r is removed, t survives; a locked endpoint must survive.
	r, t := b, a
	if s.locked(b) {
		r, t = a, b
	}
	fr := s.adj[s.adjStart[r]:s.adjStart[r+1]]
	ft := s.adj[s.adjStart[t]:s.adjStart[t+1]]
	if len(fr)+len(ft) > simpMaxFan {
		return 0, 0
	}
	// Start loading both quadrics now: the loads overlap the link test's instead of stalling
	// keepVolume later.
	w.sink += s.q[r].a2 + s.q[r].d2 + s.q[t].a2 + s.q[t].d2
	// Ask for all of r's and t's faces at once: the link test branches on each face's corners,
	// so without this each face's load would wait for the one before it. Prefetches change
	// nothing.
	s.prefetchFaces(fr)
	s.prefetchFaces(ft)

	// Link condition: the neighbours r and t share are exactly the two opposite the edge.
	//
	// r is unlocked, so its live faces form one closed fan (classify's test, which collapses that
	// keep the link condition preserve): each neighbour of r follows r in exactly one of them, and
	// the vertex after r in each face lists r's neighbours once each, without repeats. The same
	// holds for t when it is unlocked; a locked t's faces are scanned whole.
	w.nbr, w.common = w.nbr[:0], w.common[:0]
	w.farR, w.farT, w.dying = w.farR[:0], w.farT[:0], w.dying[:0]
	degR, degT, shared := 0, 0, 0
	for _, fi := range fr {
		f := s.faces[fi]
		if f[0] == simpDead {
			continue
		}
		degR++
		a, b, k := simpAroundAt(f, r)
		if a == t || b == t {
			shared++
			w.dying = append(w.dying, f)
		} else {
			w.farR = append(w.farR, simpFar{a, b, k})
		}
		if a != t {
			if a-lo >= span {
				return -1, 0
			}
			w.nbr = append(w.nbr, a)
		}
	}
	if shared != 2 {
		return 0, 0
	}
	// Membership tests by linear search cost |nbr| each, fine for the usual half-dozen faces;
	// for large fans, mark r's neighbours instead, so the test stays linear in the fans.
	marked := len(fr)*len(ft) > 256
	if marked {
		if w.mark == nil {
			w.mark = make([]uint32, len(s.pos))
		}
		if w.stamp >= math.MaxUint32-2 {
			clear(w.mark)
			w.stamp = 0
		}
		w.stamp += 2
		for _, v := range w.nbr {
			w.mark[v] = w.stamp
		}
	}
	whole := s.locked(t)
	for _, fi := range ft {
		f := s.faces[fi]
		if f[0] == simpDead {
			continue
		}
		degT++
		a, b, k := simpAroundAt(f, t)
		if a != r && b != r {
			w.farT = append(w.farT, simpFar{a, b, k})
		}
		for k, v := range [2]uint32{a, b} {
			if k == 1 && !whole {
				break
			}
			if v == r {
				continue
			}
			if v-lo >= span {
				return -1, 0
			}
			if marked {
				// stamp: a neighbour of r; stamp+1: one already counted as common.
				if w.mark[v] == w.stamp {
					w.mark[v] = w.stamp + 1
					w.common = append(w.common, v)
				}
			} else if slices.Contains(w.nbr, v) && !slices.Contains(w.common, v) {
				w.common = append(w.common, v)
			}
		}
	}
	if len(w.common) != 2 || (degR == 3 && degT == 3) {
		return 0, 0
	}
	// keepVolume and facesStayValid read the neighbours' positions: ask for them all now, so
	// that their loads overlap place's arithmetic. Prefetches change nothing.
	s.prefetchPos(w.nbr)
	for i := 0; i < len(w.farT); i += 2 {
		j := min(i+1, len(w.farT)-1)
		simpPrefetch4(uintptr(unsafe.Pointer(&s.pos[w.farT[i].b])), uintptr(unsafe.Pointer(&s.pos[w.farT[i].c])),
			uintptr(unsafe.Pointer(&s.pos[w.farT[j].b])), uintptr(unsafe.Pointer(&s.pos[w.farT[j].c])))
	}
	p, cost := s.place(a, b)
	if cost > maxErr2 {
		return 0, 0
	}
	if (s.flags[r]|s.flags[t])&simpLocked == 0 {
		p, cost = s.keepVolume(w, r, t, p, cost, maxErr2)
	}
	// No face may turn over (or by more than about 78°) or become degenerate.
	if !s.facesStayValid(w.farR, r, p) || !s.facesStayValid(w.farT, t, p) {
		return 0, 0
	}

	for _, fi := range fr {
		f := &s.faces[fi]
		if f[0] == simpDead {
			continue
		}
		if f[0] == t || f[1] == t || f[2] == t {
			f[0] = simpDead
			continue
		}
		for k := range 3 {
			if f[k] == r {
				f[k] = t
			}
		}
	}
	s.interpolate(r, t, p)
	s.pos[t] = p
	s.q[t].add(&s.q[r])
	s.flags[r] |= simpTouched
	s.flags[t] |= simpTouched
	return 2, cost
}

// prefetchFaces prefetches the faces fs (a vertex's adjacency list), four a call.
func (s *simpState) prefetchFaces(fs []uint32) {
	for i := 0; i < len(fs); i += 4 {
		j := min(i+3, len(fs)-1)
		simpPrefetch4(uintptr(unsafe.Pointer(&s.faces[fs[i]])), uintptr(unsafe.Pointer(&s.faces[fs[min(i+1, j)]])),
			uintptr(unsafe.Pointer(&s.faces[fs[min(i+2, j)]])), uintptr(unsafe.Pointer(&s.faces[fs[j]])))
	}
}

// prefetchPos prefetches the positions of vs, four a call.
func (s *simpState) prefetchPos(vs []uint32) {
	for i := 0; i < len(vs); i += 4 {
		j := min(i+3, len(vs)-1)
		simpPrefetch4(uintptr(unsafe.Pointer(&s.pos[vs[i]])), uintptr(unsafe.Pointer(&s.pos[vs[min(i+1, j)]])),
			uintptr(unsafe.Pointer(&s.pos[vs[min(i+2, j)]])), uintptr(unsafe.Pointer(&s.pos[vs[j]])))
	}
}

// keepVolume moves the merged vertex so that the collapse leaves the enclosed volume unchanged
// (Lindstrom & Turk 1998, "Fast and Memory Efficient Polygonal Simplification"): it minimises the
// quadric on the plane of positions g·x = W that keep the signed volume of the faces around r and
// t, starting from p. It keeps p where the correction would move it far, or past maxErr2.
func (s *simpState) keepVolume(w *simpWorker, r, t uint32, p [3]float32, cost, maxErr2 float64) ([3]float32, float64) {
	// A face (v, b, c) that keeps v ∈ {r, t} has volume term v·(b×c) (a triple product is
	// unchanged by rotating its corners), so, with G_v the sum of b×c over v's surviving faces,
	// the volume before is Σ_dying a·(b×c) + r·G_r + t·G_t, and after, with v at x, x·(G_r + G_t):
	// each face's two far corners are read once.
	// The faces come from collapse's link test (w.dying, w.farR, w.farT), in adjacency order.
	var rx, ry, rz, tx, ty, tz, vol float64
	for _, f := range w.dying {
		vol += s.faceVolume(f)
	}
	for _, e := range w.farR {
		cx, cy, cz := s.farCross(e.b, e.c)
		rx, ry, rz = rx+cx, ry+cy, rz+cz
	}
	for _, e := range w.farT {
		cx, cy, cz := s.farCross(e.b, e.c)
		tx, ty, tz = tx+cx, ty+cy, tz+cz
	}
	{
		ax, ay, az := s.rel(s.pos[r])
		bx, by, bz := s.rel(s.pos[t])
		vol += ax*rx + ay*ry + az*rz + bx*tx + by*ty + bz*tz
	}
	gx, gy, gz := rx+tx, ry+ty, rz+tz
	g2 := gx*gx + gy*gy + gz*gz
	if !(g2 > 0) {
		return p, cost
	}
	px, py, pz := s.rel(p)
	miss := vol - (gx*px + gy*py + gz*pz)
	q := s.q[r]
	q.add(&s.q[t])
	// Step along A⁻¹g (the quadric's metric) where A is well conditioned, else along g.
	dx, dy, dz, ok := q.solve(gx, gy, gz)
	if den := gx*dx + gy*dy + gz*dz; !ok || !(den > 0) {
		dx, dy, dz, den = gx, gy, gz, g2
	} else {
		dx, dy, dz = dx/den*g2, dy/den*g2, dz/den*g2
	}
	step := miss / g2
	nx, ny, nz := px+step*dx, py+step*dy, pz+step*dz
	ex, ey, ez := sub3f(s.pos[r], s.pos[t])
	if (nx-px)*(nx-px)+(ny-py)*(ny-py)+(nz-pz)*(nz-pz) > 0.25*(ex*ex+ey*ey+ez*ez) {
		return p, cost
	}
	np := [3]float32{float32(nx + s.center[0]), float32(ny + s.center[1]), float32(nz + s.center[2])}
	nx, ny, nz = s.rel(np)
	nc := q.eval(nx, ny, nz)
	if nc > maxErr2 {
		return p, cost
	}
	return np, nc
}

// faceVolume returns face f's signed volume term a·(b×c): six times the volume of the tetrahedron
// it spans with the mesh centre.
func (s *simpState) faceVolume(f [3]uint32) float64 {
	x0, y0, z0 := s.rel(s.pos[f[0]])
	x1, y1, z1 := s.rel(s.pos[f[1]])
	x2, y2, z2 := s.rel(s.pos[f[2]])
	return x0*(y1*z2-z1*y2) - y0*(x1*z2-z1*x2) + z0*(x1*y2-y1*x2)
}

// farCross returns b×c for vertices b, c (relative to the mesh centre).
func (s *simpState) farCross(bi, ci uint32) (float64, float64, float64) {
	bx, by, bz := s.rel(s.pos[bi])
	cx, cy, cz := s.rel(s.pos[ci])
	return by*cz - bz*cy, bz*cx - bx*cz, bx*cy - by*cx
}

// sub3f returns a − b in float64.
func sub3f(a, b [3]float32) (float64, float64, float64) {
	return float64(a[0]) - float64(b[0]), float64(a[1]) - float64(b[1]), float64(a[2]) - float64(b[2])
}

// simpFar is a face around a vertex v: b and c follow v in winding order, and v is the face's
// corner k.
type simpFar struct{ b, c, k uint32 }

// simpAroundAt is simpAround, with the corner v holds in f; it picks the corners by index
// rather than by branches, as which corner v holds is no more predictable than a coin.
func simpAroundAt(f [3]uint32, v uint32) (b, c, k uint32) {
	if f[1] == v {
		k = 1
	}
	if f[2] == v {
		k = 2
	}
	return f[simpNext[k&3]], f[simpNext[simpNext[k&3]]], k
}

// simpNext[k] is the corner after corner k (k < 3).
var simpNext = [4]uint8{1, 2, 0, 0}

// facesStayValid reports whether moving v to p keeps each of the faces fs around v valid: turned
// by less than about 78° (cos 0.2) and not degenerate by isDegenerate's test.
func (s *simpState) facesStayValid(fs []simpFar, v uint32, p [3]float32) bool {
	px, py, pz := float64(p[0]), float64(p[1]), float64(p[2])
	ov := s.pos[v]
	ox, oy, oz := float64(ov[0]), float64(ov[1]), float64(ov[2])
	for _, e := range fs {
		pb, pc := s.pos[e.b], s.pos[e.c]
		bx, by, bz := float64(pb[0]), float64(pb[1]), float64(pb[2])
		cx, cy, cz := float64(pc[0]), float64(pc[1]), float64(pc[2])
		// New normal (b−p)×(c−p) and edge lengths.
		ux, uy, uz := bx-px, by-py, bz-pz
		wx, wy, wz := cx-px, cy-py, cz-pz
		n1x, n1y, n1z := uy*wz-uz*wy, uz*wx-ux*wz, ux*wy-uy*wx
		ex, ey, ez := cx-bx, cy-by, cz-bz
		l := max(ux*ux+uy*uy+uz*uz, wx*wx+wy*wy+wz*wz, ex*ex+ey*ey+ez*ez)
		n1 := n1x*n1x + n1y*n1y + n1z*n1z
		if l == 0 {
			return false
		}
		if lim := DegenerateRatio * l; n1 <= lim*lim*(1+1e-9) {
			// Near the threshold, decide exactly as Topology will.
			// The face's corners in its own order.
			var q [3][3]float32
			q[e.k%3], q[(e.k+1)%3], q[(e.k+2)%3] = p, pb, pc
			if simpDegenerate(q[0], q[1], q[2]) {
				return false
			}
		}
		// Old normal (b−o)×(c−o).
		ux, uy, uz = bx-ox, by-oy, bz-oz
		wx, wy, wz = cx-ox, cy-oy, cz-oz
		n0x, n0y, n0z := uy*wz-uz*wy, uz*wx-ux*wz, ux*wy-uy*wx
		n0 := n0x*n0x + n0y*n0y + n0z*n0z
		// A sliver made thinner: the new face's height below simpSliver of its longest edge and
		// its shape worse than the old face's (n/l² is the squared ratio of doubled area to the
		// squared longest edge, scale-free).
		if lim := simpSliver * l; n1 < lim*lim {
			l0 := max(ux*ux+uy*uy+uz*uz, wx*wx+wy*wy+wz*wz, ex*ex+ey*ey+ez*ez)
			if n1*l0*l0 < n0*l*l {
				return false
			}
		}
		if n0 > 0 {
			d := n0x*n1x + n0y*n1y + n0z*n1z
			if d < 0 || d*d < 0.04*n0*n1 {
				return false
			}
		}
	}
	return true
}

// simpSliver: a collapse may not leave a face whose doubled area is below simpSliver times the
// square of its longest edge (a needle or a cap, its normal ill-conditioned in float32: readers
// that recompute normals from the vertices, as slicers and admesh do, get another direction) unless
// the face was already at least as thin before. It is far above DegenerateRatio, which only keeps
// faces from having no area at all.
const simpSliver = 1e-3

// simpDegenerate is isDegenerate's test on three points.
func simpDegenerate(a, b, c [3]float32) bool {
	l := max(dot64(sub64(b, a), sub64(b, a)), dot64(sub64(c, b), sub64(c, b)), dot64(sub64(a, c), sub64(a, c)))
	return l == 0 || norm64(triCross(a, b, c)) <= DegenerateRatio*l
}

// interpolate sets the survivor t's colour and UV to those along the edge from r to t at the point
// nearest p.
func (s *simpState) interpolate(r, t uint32, p [3]float32) {
	if s.colors == nil && s.uvs == nil {
		return
	}
	e := sub64(s.pos[t], s.pos[r])
	l := dot64(e, e)
	u := 0.0
	if l > 0 {
		u = min(max(dot64(sub64(p, s.pos[r]), e)/l, 0), 1)
	}
	if s.colors != nil {
		cr, ct := s.colors[r], s.colors[t]
		for k := range 4 {
			s.colors[t][k] = uint8(math.Round(float64(cr[k]) + u*(float64(ct[k])-float64(cr[k]))))
		}
	}
	if s.uvs != nil {
		ur, ut := s.uvs[r], s.uvs[t]
		for k := range 2 {
			s.uvs[t][k] = float32(float64(ur[k]) + u*(float64(ut[k])-float64(ur[k])))
		}
	}
}

// output builds the result: live faces in order on the vertices they use, in order.
func (s *simpState) output(m *Mesh) *Mesh {
	out := &Mesh{
		Positions: append([][3]float32(nil), s.pos...),
		Faces:     append([][3]uint32(nil), s.faces...),
		Texture:   m.Texture,
	}
	if s.colors != nil {
		out.Colors = append([][4]uint8(nil), s.colors...)
	}
	if s.uvs != nil {
		out.UVs = append([][2]float32(nil), s.uvs...)
	}
	out.compact()
	return out
}
