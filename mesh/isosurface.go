package mesh

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/internal/mctables"
)

// ErrInvalidGrid is wrapped by every error that reports an unusable sample grid: bad dimensions,
// a value slice of the wrong length, a non-positive or non-finite voxel size, a non-finite origin
// or level, a NaN sample, or a grid too large for a mesh's uint32 indices.
var ErrInvalidGrid = errors.New("mesh: invalid grid")

// Grid is a dense scalar field sampled on a regular lattice: sample (i, j, k) lies at
// Origin + Voxel·(i, j, k) millimetres and is stored at Values[i + NX·(j + NY·k)] (x fastest).
// Negative values are inside the solid, positive values outside.
type Grid struct {
	NX, NY, NZ int
	// Voxel is the lattice spacing in mm, the same on every axis.
	Voxel float64
	// Origin is the position of sample (0, 0, 0) in mm.
	Origin [3]float64
	Values []float32
}

// Validate reports whether the grid's shape is usable: every dimension at least 2, Values exactly
// NX·NY·NZ long, Voxel positive and finite, and the whole lattice within float32 range. It does
// not scan the values; Isosurface rejects NaN samples as it meets them. The error wraps
// ErrInvalidGrid.
func (g *Grid) Validate() error {
	if g == nil {
		return fmt.Errorf("%w: nil grid", ErrInvalidGrid)
	}
	n, err := isoCheckShape(g.NX, g.NY, g.NZ, g.Voxel, g.Origin)
	if err != nil {
		return err
	}
	if len(g.Values) != n {
		return fmt.Errorf("%w: %d values for %d×%d×%d samples", ErrInvalidGrid, len(g.Values), g.NX, g.NY, g.NZ)
	}
	return nil
}

// isoCheckShape validates a grid's shape and returns its sample count.
func isoCheckShape(nx, ny, nz int, voxel float64, origin [3]float64) (int, error) {
	if nx < 2 || ny < 2 || nz < 2 {
		return 0, fmt.Errorf("%w: dimensions %d×%d×%d, need at least 2 on each axis", ErrInvalidGrid, nx, ny, nz)
	}
	n, ok := isoCount(nx, ny, nz)
	if !ok {
		return 0, fmt.Errorf("%w: dimensions %d×%d×%d overflow", ErrInvalidGrid, nx, ny, nz)
	}
	if !(voxel > 0) || math.IsInf(voxel, 0) {
		return 0, fmt.Errorf("%w: voxel size %v mm", ErrInvalidGrid, voxel)
	}
	dims := [3]int{nx, ny, nz}
	for a := range 3 {
		o := origin[a]
		far := o + voxel*float64(dims[a]-1)
		if !(math.Abs(o) <= math.MaxFloat32) || !(math.Abs(far) <= math.MaxFloat32) {
			return 0, fmt.Errorf("%w: axis %d spans %v to %v mm, outside float32 range", ErrInvalidGrid, a, o, far)
		}
	}
	return n, nil
}

// isoCount returns nx·ny·nz and whether it fits in an int.
func isoCount(nx, ny, nz int) (int, bool) {
	hi, lo := bits.Mul64(uint64(nx), uint64(ny))
	if hi != 0 || lo > math.MaxInt {
		return 0, false
	}
	hi, lo = bits.Mul64(lo, uint64(nz))
	if hi != 0 || lo > math.MaxInt {
		return 0, false
	}
	return int(lo), true
}

// SampleGrid builds an nx×ny×nz grid with the given voxel size (mm) and origin by evaluating f at
// every sample position, in parallel over z planes; f must be safe for concurrent use. The values
// do not depend on GOMAXPROCS. Cancellation is checked once per plane. The error wraps
// ErrInvalidGrid for a bad shape, or is the context's error.
func SampleGrid(ctx context.Context, nx, ny, nz int, voxel float64, origin [3]float64, f func(x, y, z float64) float32) (*Grid, error) {
	n, err := isoCheckShape(nx, ny, nz, voxel, origin)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("%w: nil sampling function", ErrInvalidGrid)
	}
	g := &Grid{NX: nx, NY: ny, NZ: nz, Voxel: voxel, Origin: origin}
	g.Values = make([]float32, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nz) {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= nz || failed.Load() {
					return
				}
				if ctx.Err() != nil {
					failed.Store(true)
					return
				}
				z := origin[2] + voxel*float64(k)
				plane := g.Values[k*nx*ny : (k+1)*nx*ny]
				for j := range ny {
					y := origin[1] + voxel*float64(j)
					row := plane[j*nx : (j+1)*nx]
					for i := range row {
						row[i] = f(origin[0]+voxel*float64(i), y, z)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return g, nil
}

// isoEps bounds how close an edge vertex may come to a grid sample, as a fraction of the voxel:
// the interpolation parameter is clamped into [isoEps, 1−isoEps]. Vertices then lie strictly
// inside their edges, so no two coincide and no triangle is flat (see Isosurface). The shift is at
// most 1/512 of a voxel.
const isoEps = 1.0 / 512

// isoForeign marks, in a slab's face indices, a vertex owned by the next slab (its bottom plane).
const isoForeign = 1 << 31

// Isosurface extracts the surface where the sampled field crosses level, as an indexed mesh in the
// grid's millimetres: one vertex per crossed lattice edge, shared by every face around it, faces
// wound counter-clockwise seen from the outside (values at or above the level).
//
// Guarantee: where every sample on the grid's outer layer is at or above the level, the mesh is
// closed (watertight, 2-manifold, consistently oriented, no degenerate or duplicate faces, see
// Topology.Closed) with positive volume, or empty when nothing is inside. To get a closed surface
// from a field that touches the border, pad the grid with positive values. The guarantee rests on:
//
//   - a case table consistent on ambiguous faces (derived in internal/mctables, after Montani
//     et al. 1994), so neighbouring cells always agree on the segments of a shared face;
//   - samples exactly at the level counting as outside, a symbolic perturbation that keeps every
//     crossing strictly between two samples of opposite sign; and
//   - vertices clamped to at least 1/512 of a voxel from either end of their edge, so no two
//     vertices coincide and, since no triangle has all three vertices on one cell face, no
//     triangle is flat (three points strictly inside three cube edges are collinear only when all
//     three edges lie on one face). This needs float32 to resolve well under 1/512 of a voxel at
//     the grid's coordinates: it holds for coordinates up to about 10⁴ voxels from zero (tested
//     to 8000; at 32000 voxels float32 rounding starts to produce flat faces).
//
// ±Inf samples are allowed (an edge from a finite sample to an infinite one puts its vertex next
// to the finite sample); a NaN sample is an error wrapping ErrInvalidGrid.
//
// The work is split into slabs of z layers processed in parallel; the output is identical for
// every GOMAXPROCS. Cancellation is checked between layers; on cancellation the context's error is
// returned.
func Isosurface(ctx context.Context, g *Grid, level float32) (*Mesh, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return isosurface(ctx, g, nil, level)
}

// A Field supplies the samples of a grid to IsosurfaceField without the grid storing them: the
// signs of whole rows at once, which is all marching cubes reads of most samples, and the values
// of the few samples at the ends of crossed edges. It must be safe for concurrent use.
type Field interface {
	// InsideRow sets mask to the samples of row j of plane k that lie below the level: bit i%64
	// of mask[i/64] for sample (i, j, k), bits past the row's end are ignored. mask holds
	// (NX+63)/64 words and arrives with arbitrary contents.
	InsideRow(j, k int, mask []uint64)
	// Value returns sample (i, j, k). It is below the level exactly where InsideRow says so, and
	// never NaN.
	Value(i, j, k int) float32
}

// IsosurfaceField is Isosurface on the field f over the lattice of g, whose Values are ignored
// (leave them nil): the same mesh, vertex for vertex and face for face, as Isosurface on g filled
// with f's values, without the samples ever being stored or read one by one. It suits a field
// whose signs are known in closed form (an inflated height map's columns are inside over one
// interval of z), where filling and classifying a dense grid would be most of the work. A field
// that breaks Field's contract gets a mesh that may not be closed; the shape errors are
// Isosurface's.
func IsosurfaceField(ctx context.Context, g *Grid, f Field, level float32) (*Mesh, error) {
	if g == nil {
		return nil, fmt.Errorf("%w: nil grid", ErrInvalidGrid)
	}
	if _, err := isoCheckShape(g.NX, g.NY, g.NZ, g.Voxel, g.Origin); err != nil {
		return nil, err
	}
	if f == nil {
		return nil, fmt.Errorf("%w: nil field", ErrInvalidGrid)
	}
	return isosurface(ctx, g, f, level)
}

// isosurface is Isosurface and IsosurfaceField after their checks of g: the samples come from f,
// or from g.Values when f is nil.
func isosurface(ctx context.Context, g *Grid, f Field, level float32) (*Mesh, error) {
	if math.IsNaN(float64(level)) || math.IsInf(float64(level), 0) {
		return nil, fmt.Errorf("%w: level %v", ErrInvalidGrid, level)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	layers := g.NZ - 1
	workers := min(runtime.GOMAXPROCS(0), layers)
	// A few slabs per worker balance uneven surfaces; the output does not depend on the split.
	nslab := min(layers, 8*workers)
	slabs := make([]isoSlab, nslab)
	for s := range slabs {
		slabs[s].z0 = layers * s / nslab
		slabs[s].z1 = layers * (s + 1) / nslab
		slabs[s].last = s == nslab-1
	}
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w := getIsoWorker(g, level)
			defer putIsoWorker(w)
			w.field = f
			for {
				s := int(next.Add(1) - 1)
				if s >= nslab || stop.Load() {
					return
				}
				if err := w.run(ctx, &slabs[s]); err != nil {
					slabs[s].err = err
					// Slabs below s were all claimed already and finish, so the first error by
					// slab order is deterministic.
					stop.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	for s := range slabs {
		if err := slabs[s].err; err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return isoConcat(slabs)
}

// isoSlab is one unit of work, cell layers [z0, z1), and its output. Vertices of the top plane z1
// belong to the next slab unless last is set.
type isoSlab struct {
	z0, z1 int
	last   bool
	pos    [][3]float32
	faces  [][3]uint32
	err    error
}

// isoConcat joins the slabs' outputs in order, resolving references to the next slab's vertices.
func isoConcat(slabs []isoSlab) (*Mesh, error) {
	offsets := make([]uint64, len(slabs)+1)
	nf := 0
	for s := range slabs {
		offsets[s+1] = offsets[s] + uint64(len(slabs[s].pos))
		nf += len(slabs[s].faces)
	}
	if offsets[len(slabs)] > math.MaxUint32 {
		return nil, fmt.Errorf("%w: %d vertices exceed the uint32 index range", ErrInvalidGrid, offsets[len(slabs)])
	}
	// The positions are allocated (zeroed) and copied by a goroutine of their own while this one
	// allocates the faces, so that the two zeroings, serial otherwise, overlap.
	m := &Mesh{}
	var pw sync.WaitGroup
	pw.Go(func() {
		m.Positions = make([][3]float32, offsets[len(slabs)])
		for s := range slabs {
			copy(m.Positions[offsets[s]:], slabs[s].pos)
		}
	})
	m.Faces = make([][3]uint32, nf)
	fo := make([]int, len(slabs)+1)
	for s := range slabs {
		fo[s+1] = fo[s] + len(slabs[s].faces)
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), len(slabs)) {
		wg.Go(func() {
			for {
				s := int(next.Add(1) - 1)
				if s >= len(slabs) {
					return
				}
				sl := &slabs[s]
				own := uint32(offsets[s])
				var foreign uint32
				if s+1 < len(slabs) {
					foreign = uint32(offsets[s+1])
				}
				// An own index i becomes i + own, a foreign one isoForeign|i becomes i + foreign:
				// both are f + own + (f's top bit spread) & (foreign − isoForeign − own) in uint32
				// arithmetic, without a branch.
				src := sl.faces
				dst := m.Faces[fo[s]:fo[s+1]]
				dst = dst[:len(src)]
				d := foreign - isoForeign - own
				for i, f := range src {
					dst[i] = [3]uint32{
						f[0] + own + uint32(int32(f[0])>>31)&d,
						f[1] + own + uint32(int32(f[1])>>31)&d,
						f[2] + own + uint32(int32(f[2])>>31)&d,
					}
				}
			}
		})
	}
	wg.Wait()
	pw.Wait()
	for s := range slabs {
		sl := &slabs[s]
		isoBufPool.Put(&isoBufs{sl.pos[:0], sl.faces[:0]})
		sl.pos, sl.faces = nil, nil
	}
	return m, nil
}

// isoBufs is a slab's output buffers, emptied, kept in isoBufPool once isoConcat has copied
// them, for the next slab or call: a fresh slab's buffers cost their zeroing (and page faults)
// each time, a tenth of a 256³ extraction.
type isoBufs struct {
	pos   [][3]float32
	faces [][3]uint32
}

var isoBufPool sync.Pool

// isoWorker holds one goroutine's scratch memory, reused across slabs.
type isoWorker struct {
	g     *Grid
	field Field // the samples' source; nil: g.Values
	level float32
	words int // bit-mask words per lattice row
	// inside[p] is a bit mask of the samples below the level, one row of words per y, for the
	// two planes in flight.
	inside [2][]uint64
	// xIdx, yIdx hold the vertex index of each crossed x / y edge of the two planes in flight,
	// at the edge's lower sample; zIdx that of each crossed z edge of the current layer.
	xIdx, yIdx [2][]uint32
	zIdx       []uint32
	out        *isoSlab
	pos        [][3]float32 // out.pos while a slab is processed, kept here for vertex
	// ahead is what remains to prefetch of plane k+2 while layer k is built (see prefetch).
	ahead    []float32
	nOwn     uint32 // vertices appended to out.pos
	nForeign uint32 // vertices numbered in the next slab's bottom plane
}

func newIsoWorker(g *Grid, level float32) *isoWorker {
	w := &isoWorker{g: g, level: level, words: (g.NX + 63) / 64}
	n := g.NX * g.NY
	for p := range 2 {
		w.inside[p] = make([]uint64, w.words*g.NY)
		w.xIdx[p] = make([]uint32, n)
		w.yIdx[p] = make([]uint32, n)
	}
	w.zIdx = make([]uint32, n)
	return w
}

// isoWorkerPool keeps workers' scratch memory between calls: a fresh worker's index planes cost
// their zeroing each time, and their contents never carry over (every index cells reads was
// written for the same plane of the same slab, as when a worker moves on to its next slab).
var isoWorkerPool sync.Pool

// getIsoWorker is newIsoWorker, reusing a pooled worker of the same lattice size if there is one.
func getIsoWorker(g *Grid, level float32) *isoWorker {
	if w, ok := isoWorkerPool.Get().(*isoWorker); ok && w.words == (g.NX+63)/64 &&
		len(w.inside[0]) == w.words*g.NY && len(w.zIdx) == g.NX*g.NY {
		w.g, w.level = g, level
		return w
	}
	return newIsoWorker(g, level)
}

// putIsoWorker returns w to isoWorkerPool, without its references to the caller's data.
func putIsoWorker(w *isoWorker) {
	w.g, w.field, w.out, w.pos, w.ahead = nil, nil, nil, nil, nil
	isoWorkerPool.Put(w)
}

// run processes one slab.
func (w *isoWorker) run(ctx context.Context, s *isoSlab) error {
	g := w.g
	w.out, w.nOwn, w.nForeign = s, 0, 0
	// A rough guess from the slab's size; append grows it as needed.
	est := (s.z1 - s.z0) * (g.NX + g.NY) * 2
	if b, ok := isoBufPool.Get().(*isoBufs); ok {
		s.pos, s.faces = b.pos, b.faces
	}
	if cap(s.pos) < est {
		s.pos = make([][3]float32, 0, est)
	}
	if cap(s.faces) < 2*est {
		s.faces = make([][3]uint32, 0, 2*est)
	}
	w.pos = s.pos
	defer func() { s.pos, w.pos = w.pos, nil }()
	cur := 0
	if err := w.classify(s.z0, cur); err != nil {
		return err
	}
	if w.field == nil && s.z0+1 < g.NZ {
		n := g.NX * g.NY
		w.ahead = g.Values[(s.z0+1)*n : (s.z0+2)*n]
	}
	w.emitPlane(s.z0, cur, true)
	isoPrefetch(w.ahead)
	w.ahead = nil
	for k := s.z0; k < s.z1; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		nxt := cur ^ 1
		if err := w.classify(k+1, nxt); err != nil {
			return err
		}
		if w.field == nil && k+2 < g.NZ {
			n := g.NX * g.NY
			w.ahead = g.Values[(k+2)*n : (k+3)*n]
		}
		w.emitZ(k, cur, nxt)
		w.emitPlane(k+1, nxt, k+1 < s.z1 || s.last)
		w.cells(k, cur, nxt)
		isoPrefetch(w.ahead)
		w.ahead = nil
		cur = nxt
	}
	if uint64(len(w.pos)) >= isoForeign || w.nForeign >= isoForeign {
		return fmt.Errorf("%w: too many vertices in one slab", ErrInvalidGrid)
	}
	return nil
}

// classify fills inside[p] for plane k and rejects NaN samples.
//
// A sample is inside when v − level has its sign bit set. With level = −0 in place of +0 that is
// exactly v < level for every non-NaN v: a difference of two distinct floats is never zero
// (gradual underflow), and x − x is +0 (also for −0 − −0). The full 64-sample words go to
// isoSigns (SSE2 assembly on amd64, isoSignsGeneric elsewhere): the whole plane in one call when
// NX is a multiple of 64 (rows and mask rows are then both contiguous), else row by row with the
// tail word done here. Any NaN is reported by position, the first in row-major order.
func (w *isoWorker) classify(k, p int) error {
	g := w.g
	nx := g.NX
	if w.field != nil {
		mask := w.inside[p]
		// Bits past the row's end are cleared whatever the Field wrote there: the cell and edge
		// loops index by them, so a Field that breaks its contract gets a mesh that may not be
		// closed, never an index out of range.
		var tail uint64 = ^uint64(0)
		if r := nx % 64; r != 0 {
			tail = uint64(1)<<r - 1
		}
		for j := range g.NY {
			row := mask[j*w.words : (j+1)*w.words]
			w.field.InsideRow(j, k, row)
			row[len(row)-1] &= tail
		}
		return nil
	}
	level := w.level
	if level == 0 {
		level = float32(math.Copysign(0, -1))
	}
	plane := g.Values[k*nx*g.NY : (k+1)*nx*g.NY]
	mask := w.inside[p]
	full := nx / 64
	nan := false
	if full == w.words {
		nan = isoSigns(plane, level, mask[:full*g.NY])
	} else {
		for j := range g.NY {
			row := plane[j*nx : (j+1)*nx]
			out := mask[j*w.words : (j+1)*w.words]
			n := isoSigns(row, level, out[:full])
			q, t := isoSignsTail(row[full*64:], level)
			out[full] = q
			nan = nan || n || t
		}
	}
	if nan {
		for j := range g.NY {
			for i, v := range plane[j*nx : (j+1)*nx] {
				if v != v {
					return fmt.Errorf("%w: sample (%d, %d, %d) is NaN", ErrInvalidGrid, i, j, k)
				}
			}
		}
	}
	return nil
}

// isoSignsGeneric sets out[wi] to the sign bits of v[64·wi+b] − level, bit b, for every word of
// out (v holds at least 64·len(out) samples), and reports whether any difference is NaN. Sign
// bits are shifted into four independent accumulators of 16 samples each, which keeps the loop
// free of branches and of variable shifts; a NaN difference sets bit 31 of
// (bits & 0x7fffffff) + 0x7fffff. It is isoSigns' definition, and isoSigns itself where there is
// no assembly.
func isoSignsGeneric(v []float32, level float32, out []uint64) bool {
	var nan uint32
	for wi := range out {
		c := (*[64]float32)(v[wi*64 : wi*64+64])
		var q0, q1, q2, q3 uint64
		for b := range 16 {
			d0 := math.Float32bits(c[b] - level)
			d1 := math.Float32bits(c[b+16] - level)
			d2 := math.Float32bits(c[b+32] - level)
			d3 := math.Float32bits(c[b+48] - level)
			q0 = q0>>1 | uint64(d0)>>31<<63
			q1 = q1>>1 | uint64(d1)>>31<<63
			q2 = q2>>1 | uint64(d2)>>31<<63
			q3 = q3>>1 | uint64(d3)>>31<<63
			nan |= (d0&0x7fffffff + 0x7fffff) | (d1&0x7fffffff + 0x7fffff) | (d2&0x7fffffff + 0x7fffff) | (d3&0x7fffffff + 0x7fffff)
		}
		out[wi] = q0>>48 | q1>>48<<16 | q2>>48<<32 | q3>>48<<48
	}
	return nan>>31 != 0
}

// isoSignsTail returns the sign bits of v[b] − level in bit b for a row's last len(v) < 64
// samples, and whether any difference is NaN.
func isoSignsTail(v []float32, level float32) (uint64, bool) {
	var q uint64
	var nan uint32
	for b, x := range v {
		d := math.Float32bits(x - level)
		q |= uint64(d>>31) << (b & 63)
		nan |= d&0x7fffffff + 0x7fffff
	}
	return q, nan>>31 != 0
}

// vertex returns the index for a new vertex on the edge from sample a to sample b (flat indices,
// b = a + stride along axis), whose lower sample has lattice coordinates (i, j, k). In a foreign
// plane only the number is assigned.
func (w *isoWorker) vertex(a, b, axis, i, j, k int, own bool) uint32 {
	if !own {
		n := w.nForeign | isoForeign
		w.nForeign++
		return n
	}
	g := w.g
	var v0, v1 float32
	if w.field != nil {
		i1, j1, k1 := i, j, k
		switch axis {
		case 0:
			i1++
		case 1:
			j1++
		default:
			k1++
		}
		v0, v1 = w.field.Value(i, j, k), w.field.Value(i1, j1, k1)
	} else {
		v0, v1 = g.Values[a], g.Values[b]
	}
	t := (float64(w.level) - float64(v0)) / (float64(v1) - float64(v0))
	switch {
	case t >= isoEps && t <= 1-isoEps:
	case t > 1-isoEps:
		t = 1 - isoEps
	case t < isoEps:
		t = isoEps
	default: // NaN, from −Inf to +Inf
		t = 0.5
	}
	p := [3]float64{float64(i), float64(j), float64(k)}
	p[axis] += t
	n := uint32(len(w.pos))
	if len(w.pos) == cap(w.pos) {
		w.pos = slices.Grow(w.pos, len(w.pos)+8) // doubling: see isoGrowFaces
	}
	w.pos = append(w.pos, [3]float32{
		float32(g.Origin[0] + g.Voxel*p[0]),
		float32(g.Origin[1] + g.Voxel*p[1]),
		float32(g.Origin[2] + g.Voxel*p[2]),
	})
	return n
}

// isoPrefetchStep is how many samples prefetch asks for at a time: 6 cache lines, so that a 256²
// plane is spread over the ~770 rows of emitZ, emitPlane and cells rather than bursts that fill
// the core's line fill buffers and stall it.
const isoPrefetchStep = 96

// prefetch asks for the next isoPrefetchStep samples of w.ahead (amd64; a no-op elsewhere), so
// that plane k+2 streams in from memory while layer k is computed and classify then finds it in
// cache. It changes no result.
func (w *isoWorker) prefetch() {
	if len(w.ahead) == 0 {
		return
	}
	n := min(isoPrefetchStep, len(w.ahead))
	isoPrefetch(w.ahead[:n])
	w.ahead = w.ahead[n:]
}

// emitPlane creates the vertices of plane k's crossed x and y edges, row by row.
func (w *isoWorker) emitPlane(k, p int, own bool) {
	g := w.g
	nx, ny, nw := g.NX, g.NY, w.words
	mask := w.inside[p]
	xi, yi := w.xIdx[p], w.yIdx[p]
	base := k * nx * ny
	lastBits := uint64(1)<<uint((nx-1)%64) - 1 // x edges: lower samples 0..nx-2
	for j := range ny {
		w.prefetch()
		row := mask[j*nw : (j+1)*nw]
		for wi := range row {
			r := row[wi]
			var hi uint64
			if wi+1 < nw {
				hi = row[wi+1] << 63
			}
			cx := r ^ (r>>1 | hi)
			if wi == (nx-1)/64 {
				cx &= lastBits
			}
			for cx != 0 {
				i := wi*64 + bits.TrailingZeros64(cx)
				cx &= cx - 1
				a := base + j*nx + i
				xi[j*nx+i] = w.vertex(a, a+1, 0, i, j, k, own)
			}
		}
		if j+1 < ny {
			up := mask[(j+1)*nw : (j+2)*nw]
			for wi := range row {
				cy := row[wi] ^ up[wi]
				for cy != 0 {
					i := wi*64 + bits.TrailingZeros64(cy)
					cy &= cy - 1
					a := base + j*nx + i
					yi[j*nx+i] = w.vertex(a, a+nx, 1, i, j, k, own)
				}
			}
		}
	}
}

// emitZ creates the vertices of the crossed z edges between planes k (mask p) and k+1 (mask q).
func (w *isoWorker) emitZ(k, p, q int) {
	g := w.g
	nx, ny := g.NX, g.NY
	lo, hi := w.inside[p], w.inside[q]
	base, stride := k*nx*ny, nx*ny
	for j := range ny {
		w.prefetch()
		for wi := range w.words {
			cz := lo[j*w.words+wi] ^ hi[j*w.words+wi]
			for cz != 0 {
				i := wi*64 + bits.TrailingZeros64(cz)
				cz &= cz - 1
				a := base + j*nx + i
				w.zIdx[j*nx+i] = w.vertex(a, a+stride, 2, i, j, k, true)
			}
		}
	}
}

// cells emits the triangles of cell layer k, between planes with masks p (bottom) and q (top).
func (w *isoWorker) cells(k, p, q int) {
	g := w.g
	nx, ny, nw := g.NX, g.NY, w.words
	lo, hi := w.inside[p], w.inside[q]
	x0, x1, y0, y1, z := w.xIdx[p], w.xIdx[q], w.yIdx[p], w.yIdx[q], w.zIdx
	lastBits := uint64(1)<<uint((nx-1)%64) - 1
	tab := mctables.Cases()
	// idx has 16 entries so that an edge number masked with 15 needs no bounds check; the table's
	// edges are 0..11. faces is w.out.faces, kept in a local for the loop.
	var idx [16]uint32
	faces := w.out.faces
	defer func() { w.out.faces = faces }()
	for j := 0; j+1 < ny; j++ {
		w.prefetch()
		r00 := lo[j*nw : (j+1)*nw]     // y = j,   z = k
		r10 := lo[(j+1)*nw : (j+2)*nw] // y = j+1, z = k
		r01 := hi[j*nw : (j+1)*nw]     // y = j,   z = k+1
		r11 := hi[(j+1)*nw : (j+2)*nw] // y = j+1, z = k+1
		for wi := range r00 {
			all := r00[wi] & r10[wi] & r01[wi] & r11[wi]
			any := r00[wi] | r10[wi] | r01[wi] | r11[wi]
			var allHi, anyHi uint64
			if wi+1 < nw {
				allHi = (r00[wi+1] & r10[wi+1] & r01[wi+1] & r11[wi+1]) << 63
				anyHi = (r00[wi+1] | r10[wi+1] | r01[wi+1] | r11[wi+1]) << 63
			}
			// Cell i is mixed unless all eight corners are inside or all outside.
			mixed := ^(all & (all>>1 | allHi)) & (any | any>>1 | anyHi)
			if wi == (nx-1)/64 {
				mixed &= lastBits
			}
			for mixed != 0 {
				b := bits.TrailingZeros64(mixed)
				mixed &= mixed - 1
				i := wi*64 + b
				c := isoBits2(r00, i) | isoBits2(r10, i)<<2 | isoBits2(r01, i)<<4 | isoBits2(r11, i)<<6
				e0, e1 := tab.Start[c], tab.Start[c+1]
				if e0 == e1 {
					continue
				}
				r0, r1 := j*nx+i, (j+1)*nx+i
				idx = [16]uint32{
					x0[r0], x0[r1], x1[r0], x1[r1],
					y0[r0], y0[r0+1], y1[r0], y1[r0+1],
					z[r0], z[r0+1], z[r1], z[r1+1],
				}
				es := tab.Edges[e0:e1]
				nt := len(es) / 3
				if cap(faces)-len(faces) < nt {
					faces = isoGrowFaces(faces)
				}
				n := len(faces)
				faces = faces[:n+nt]
				dst := faces[n:]
				for t := range dst {
					e := es[3*t : 3*t+3 : 3*t+3]
					dst[t] = [3]uint32{idx[e[0]&15], idx[e[1]&15], idx[e[2]&15]}
				}
			}
		}
	}
}

// isoGrowFaces doubles the capacity of a slab's faces (asking for more than the length again is
// what makes slices.Grow double). append alone grows a large slice by a quarter at a time, which copied a slab's faces several times over (12 of 650 CPU-ms of
// coffee.png's ultra inflation); doubling copies them about once.
func isoGrowFaces(f [][3]uint32) [][3]uint32 { return slices.Grow(f, len(f)+8) }

// isoBits2 returns bits i and i+1 of the row mask r.
func isoBits2(r []uint64, i int) uint32 {
	wi, b := i>>6, uint(i&63)
	v := r[wi] >> b
	if b == 63 {
		v |= r[wi+1] << 1
	}
	return uint32(v & 3)
}
