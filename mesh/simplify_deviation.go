package mesh

import (
	"context"
	"math"
	"runtime"
)

// SurfaceDeviation returns the largest and the mean distance, in mm, from the vertices of from
// that its faces use to the nearest point of to's surface: a one-sided Hausdorff distance sampled
// at from's vertices. It is how Simplify measures the error it reports, and can compare any two
// meshes, such as the outputs of two simplifiers. Both meshes must be valid (see Validate); a to
// without faces gives +Inf. The search for each vertex's nearest point does bounded work (see
// simpQueryWork); on a mesh where that bound is reached (a soup of long, crossing triangles) a
// figure is the distance to the nearest face found, so both results are upper bounds.
func SurfaceDeviation(from, to *Mesh) (maxDist, meanDist float64) {
	used := make([]bool, len(from.Positions))
	for _, f := range from.Faces {
		used[f[0]], used[f[1]], used[f[2]] = true, true, true
	}
	mx, mean, _ := simpDeviation(context.Background(), from.Positions, used, to.Positions, to.Faces, max(1, min(runtime.GOMAXPROCS(0), 8)))
	return mx, mean
}

// The nearest-face search's work bounds. A unit of work is one grid cell visited or one face
// looked at. Points are taken in fixed chunks of simpDevChunk; a chunk may spend simpChunkWork
// units per point on average, any one point at most simpQueryWork, and once the chunk's allowance
// is spent each remaining point gets simpQueryFloor. On the meshes the generator makes a query
// costs tens of units and never meets a bound, so their figures are exact; on a soup of n long,
// crossing triangles a cell may hold O(n) faces, and the bounds keep the whole measure
// O(points·simpChunkWork) instead of O(points·n). The chunks do not depend on GOMAXPROCS, so
// neither do the figures.
const (
	simpDevChunk   = 1 << 14
	simpChunkWork  = 256
	simpQueryWork  = 1 << 13
	simpQueryFloor = 64
	// simpDevCheck points are measured between two checks of ctx: at most
	// simpDevCheck·simpQueryWork units, well under a millisecond.
	simpDevCheck = 64
)

// simpDeviation measures, over the points marked used, the distance to the triangles faces of pos,
// found through a grid (see simpGrid), in parallel chunks summed in a fixed order. bounded reports
// that some point's search stopped at its work bound, so that the figures are upper bounds. It
// gives up once ctx is done (the caller checks ctx.Err).
func simpDeviation(ctx context.Context, points [][3]float32, used []bool, pos [][3]float32, faces [][3]uint32, workers int) (mx, mean float64, bounded bool) {
	g := newSimpGrid(ctx, pos, faces, workers)
	if ctx.Err() != nil {
		return 0, 0, false
	}
	type part struct {
		max, sum float64
		n        int
		bounded  bool
	}
	parts := make([]part, (len(points)+simpDevChunk-1)/simpDevChunk)
	simpParallel(len(parts), workers, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var pt part
			allowance := simpChunkWork * simpDevChunk
			for v := c * simpDevChunk; v < min((c+1)*simpDevChunk, len(points)); v++ {
				if v%simpDevCheck == 0 && ctx.Err() != nil {
					return
				}
				if !used[v] {
					continue
				}
				limit := simpQueryFloor
				if allowance > simpQueryFloor {
					limit = min(allowance, simpQueryWork)
				}
				d2, work, capped := g.nearest2(pos, faces, points[v], math.Inf(1), limit)
				allowance -= work
				d := math.Sqrt(d2)
				pt.max = max(pt.max, d)
				pt.sum += d
				pt.n++
				pt.bounded = pt.bounded || capped
			}
			parts[c] = pt
		}
	})
	var sum float64
	n := 0
	for _, pt := range parts {
		mx = max(mx, pt.max)
		sum += pt.sum
		n += pt.n
		bounded = bounded || pt.bounded
	}
	if n == 0 {
		return 0, 0, bounded
	}
	return mx, sum / float64(n), bounded
}

// simpGrid is a stack of uniform grids over triangles, each triangle listed in every cell of one
// level that its bounding box overlaps. Level 0's cells are about a typical edge wide; each level
// up has cells simpGridStep times wider, and a triangle goes to the lowest level where its box
// overlaps at most simpGridCover cells. A one-level grid lists a long triangle in every cell it
// spans: on a soup of triangles across the box, or a fan of slivers from one corner, that is
// O(cells) entries per triangle, O(n²) in all. With levels every triangle has at most
// simpGridCover entries, and a nearest-point query searches each level in turn (a hierarchical
// grid, as in Ericson 2005, "Real-Time Collision Detection", 7.2).
type simpGrid struct {
	levels []simpGridLevel
	balls  [][4]float32 // per face: a centre and a radius that encloses it
	tris   []simpTri    // per face: the terms of its point–triangle distance that depend on it alone
}

type simpGridLevel struct {
	lo    [3]float64
	inv   float64
	n     [3]int
	start []uint32 // cell c holds items[start[c]:start[c+1]]
	items []uint32
}

const (
	simpGridCover = 32
	simpGridStep  = 8
)

func newSimpGrid(ctx context.Context, pos [][3]float32, faces [][3]uint32, workers int) *simpGrid {
	g := &simpGrid{}
	if len(faces) == 0 {
		return g
	}
	b := (&Mesh{Positions: pos, Faces: faces}).Bounds()
	area := (&Mesh{Positions: pos, Faces: faces}).Area()
	// Cells about a typical edge length wide, at most 2²⁴ of them and 32 per face.
	h := math.Sqrt(2 * area / float64(len(faces)))
	size := b.Size()
	h = max(h, float64(max(size[0], size[1], size[2]))/1024, 1e-30)
	var n [3]int
	for {
		total := 1
		for i := range 3 {
			n[i] = int(float64(size[i])/h) + 1
			total *= n[i]
		}
		if total <= min(1<<24, 32*len(faces)+64) {
			break
		}
		h *= 1.25
	}
	g.balls = make([][4]float32, len(faces))
	g.tris = make([]simpTri, len(faces))
	// Per face and independent: in parallel.
	simpParallel(len(faces), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if (i-lo)&simpCheckMask == 0 && ctx.Err() != nil {
				return
			}
			f := faces[i]
			g.balls[i] = simpBall(pos, f)
			g.tris[i] = newSimpTri(pos[f[0]], pos[f[1]], pos[f[2]])
		}
	})
	if ctx.Err() != nil {
		return &simpGrid{}
	}
	// level[f] is the level face f is listed in.
	level := make([]uint8, len(faces))
	boxes := make([][6]int32, len(faces)) // per face: its cells' lowest and highest x, y, z
	pending := len(faces)
	for l := 0; pending > 0; l++ {
		if ctx.Err() != nil {
			return &simpGrid{}
		}
		lv := simpGridLevel{n: n, inv: 1 / h}
		for i := range 3 {
			lv.lo[i] = float64(b.Min[i])
		}
		// The top level: every face left goes here, however many cells it spans (at most 27
		// once every axis has three cells or fewer).
		top := n[0] <= 3 && n[1] <= 3 && n[2] <= 3
		nc := n[0] * n[1] * n[2]
		lv.start = make([]uint32, nc+1)
		// Each face's range of cells, and whether it goes on this level, in parallel (the
		// arithmetic); then the counting and filling, serially in face order, from the ranges.
		simpParallel(len(faces), workers, func(lo, hi int) {
			for fi := lo; fi < hi; fi++ {
				if (fi-lo)&simpCheckMask == 0 && ctx.Err() != nil {
					return
				}
				if l > 0 && int(level[fi]) != l-1+simpGridLevels {
					continue
				}
				blo, bhi := lv.box(pos, faces[fi])
				if !top && (bhi[0]-blo[0]+1)*(bhi[1]-blo[1]+1)*(bhi[2]-blo[2]+1) > simpGridCover {
					level[fi] = uint8(l + simpGridLevels) // not here: try the next level
					continue
				}
				level[fi] = uint8(l)
				boxes[fi] = [6]int32{int32(blo[0]), int32(blo[1]), int32(blo[2]), int32(bhi[0]), int32(bhi[1]), int32(bhi[2])}
			}
		})
		if ctx.Err() != nil {
			return &simpGrid{}
		}
		// Counting, summing and filling, in parallel by slabs of z (z is the slowest cell index,
		// so a slab's cells are one run of start): each slab scans every face of this level and
		// takes the cells of its box that lie in the slab, so each cell's list is the same, in
		// face order, whatever the number of slabs.
		slabs := 1
		if nc >= 1<<16 && len(faces) >= 1<<14 {
			slabs = min(workers, n[2])
		}
		nxy := n[0] * n[1]
		placed := make([]int, slabs)
		simpParallel(slabs, slabs, func(lo, hi int) {
			for w := lo; w < hi; w++ {
				z0, z1 := int32(w*n[2]/slabs), int32((w+1)*n[2]/slabs)
				for fi := range faces {
					if fi%(1<<16) == 0 && ctx.Err() != nil {
						return
					}
					if int(level[fi]) != l {
						continue
					}
					placed[w]++
					bx := &boxes[fi]
					for z := max(bx[2], z0); z <= min(bx[5], z1-1); z++ {
						for y := bx[1]; y <= bx[4]; y++ {
							row := n[0] * (int(y) + n[1]*int(z))
							for x := bx[0]; x <= bx[3]; x++ {
								lv.start[row+int(x)]++
							}
						}
					}
				}
				// start[c] counts cell c's faces; summed up to c it is where the cell's list
				// ends (here within the slab; the slabs' offsets are added below).
				for i := int(z0)*nxy + 1; i < int(z1)*nxy; i++ {
					lv.start[i] += lv.start[i-1]
				}
			}
		})
		if ctx.Err() != nil {
			return &simpGrid{}
		}
		pending -= placed[0]
		ends := make([]uint32, slabs) // where each slab's lists end, over all slabs
		for w := range slabs {
			ends[w] = lv.start[(w+1)*n[2]/slabs*nxy-1]
			if w > 0 {
				ends[w] += ends[w-1]
			}
		}
		lv.start[nc] = ends[slabs-1]
		lv.items = make([]uint32, lv.start[nc])
		// Filling each list from its end, faces in reverse order, leaves start[c] where the list
		// begins and the list in face order (no second array of cursors).
		simpParallel(slabs, slabs, func(lo, hi int) {
			for w := lo; w < hi; w++ {
				z0, z1 := int32(w*n[2]/slabs), int32((w+1)*n[2]/slabs)
				if w > 0 {
					for i := int(z0) * nxy; i < int(z1)*nxy; i++ {
						lv.start[i] += ends[w-1]
					}
				}
				for fi := len(faces) - 1; fi >= 0; fi-- {
					if fi%(1<<16) == 0 && ctx.Err() != nil {
						return
					}
					if int(level[fi]) != l {
						continue
					}
					bx := &boxes[fi]
					for z := max(bx[2], z0); z <= min(bx[5], z1-1); z++ {
						for y := bx[1]; y <= bx[4]; y++ {
							row := n[0] * (int(y) + n[1]*int(z))
							for x := bx[0]; x <= bx[3]; x++ {
								c := row + int(x)
								lv.start[c]--
								lv.items[lv.start[c]] = uint32(fi)
							}
						}
					}
				}
			}
		})
		if ctx.Err() != nil {
			return &simpGrid{}
		}
		g.levels = append(g.levels, lv)
		h *= simpGridStep
		for i := range 3 {
			n[i] = int(float64(size[i])/h) + 1
		}
	}
	return g
}

// simpBall returns a centre and a radius whose ball encloses face f.
func simpBall(pos [][3]float32, f [3]uint32) [4]float32 {
	var c [3]float64
	for _, v := range f {
		for k := range 3 {
			c[k] += float64(pos[v][k]) / 3
		}
	}
	r := 0.0
	for _, v := range f {
		d := [3]float64{float64(pos[v][0]) - c[0], float64(pos[v][1]) - c[1], float64(pos[v][2]) - c[2]}
		r = max(r, dot64(d, d))
	}
	// Rounded outwards so the float32 ball still encloses the face.
	r = math.Sqrt(r)*(1+1e-6) + 1e-6*max(math.Abs(c[0]), math.Abs(c[1]), math.Abs(c[2]))
	return [4]float32{float32(c[0]), float32(c[1]), float32(c[2]), float32(r)}
}

// simpSeedKeep: nearest2 keeps the seed pass's distances for home cells of up to this many faces.
const simpSeedKeep = 32

// simpGridLevels offsets the level mark of a face not yet placed, so that it differs from every
// placed level (there are at most six: level 0 has at most 2²⁴ cells, and each level up has
// simpGridStep³ times fewer).
const simpGridLevels = 64

// box returns the range of cells the bounding box of face f overlaps.
func (lv *simpGridLevel) box(pos [][3]float32, f [3]uint32) (lo, hi [3]int) {
	lo, hi = lv.cell(pos[f[0]]), lv.cell(pos[f[0]])
	for _, v := range f[1:] {
		c := lv.cell(pos[v])
		for i := range 3 {
			lo[i], hi[i] = min(lo[i], c[i]), max(hi[i], c[i])
		}
	}
	return lo, hi
}

// cell returns the cell holding p, clamped to the grid.
func (lv *simpGridLevel) cell(p [3]float32) [3]int {
	var c [3]int
	for i := range 3 {
		c[i] = min(max(int((float64(p[i])-lv.lo[i])*lv.inv), 0), lv.n[i]-1)
	}
	return c
}

// nearest2 returns the smaller of best and the squared distance from p to the nearest triangle,
// and the work it spent (cells visited and faces looked at). On each level it searches rings of
// cells around p's cell, outwards, until the nearest triangle found is nearer than anything
// beyond the searched block can be. Past limit units of work it stops with capped set: best is
// then the distance to the nearest face found, an upper bound.
func (g *simpGrid) nearest2(pos [][3]float32, faces [][3]uint32, p [3]float32, best float64, limit int) (float64, int, bool) {
	if len(g.levels) == 0 {
		return best, 0, false
	}
	px, py, pz := float64(p[0]), float64(p[1]), float64(p[2])
	work := 0
	// Seed with the face of p's own level-0 cell whose ball centre is nearest, so the ball test
	// below rejects most of the others.
	lv0 := &g.levels[0]
	c := lv0.cell(p)
	home := c[0] + lv0.n[0]*(c[1]+lv0.n[1]*c[2])
	// seed is tested already: skip it below (it cannot lower best again).
	seed := uint32(math.MaxUint32)
	// The home cell's squared distances to its faces' ball centres, kept for level 0's ring 0,
	// which is the home cell again (when it has at most simpSeedKeep faces).
	var kept [simpSeedKeep]float64
	homeItems := lv0.items[lv0.start[home]:lv0.start[home+1]]
	if items := homeItems; len(items) > 0 {
		sd := math.Inf(1)
		seed = items[0]
		for i, fi := range items[:min(len(items), limit)] {
			b := &g.balls[fi]
			dx, dy, dz := px-float64(b[0]), py-float64(b[1]), pz-float64(b[2])
			d := dx*dx + dy*dy + dz*dz
			if i < simpSeedKeep {
				kept[i] = d
			}
			if d < sd {
				seed, sd = fi, d
			}
		}
		work += min(len(items), limit)
		best = min(best, g.tris[seed].dist2(p))
	}
	capped := false
	reachBest := math.Sqrt(best)
levels:
	for l := range g.levels {
		lv := &g.levels[l]
		if len(lv.items) == 0 {
			continue
		}
		c := lv.cell(p)
		maxRing := max(lv.n[0], lv.n[1], lv.n[2])
		for k := 0; k <= maxRing; k++ {
			for z := c[2] - k; z <= c[2]+k; z++ {
				if z < 0 || z >= lv.n[2] {
					continue
				}
				for y := c[1] - k; y <= c[1]+k; y++ {
					if y < 0 || y >= lv.n[1] {
						continue
					}
					onShell := z == c[2]-k || z == c[2]+k || y == c[1]-k || y == c[1]+k
					for x := c[0] - k; x <= c[0]+k; x++ {
						if x < 0 || x >= lv.n[0] || (!onShell && x != c[0]-k && x != c[0]+k) {
							continue
						}
						cell := x + lv.n[0]*(y+lv.n[1]*z)
						items := lv.items[lv.start[cell]:lv.start[cell+1]]
						work++
						if work+len(items) > limit {
							items = items[:max(0, limit-work)]
							capped = true
						}
						work += len(items)
						if l == 0 && k == 0 && len(items) <= simpSeedKeep {
							// The home cell: the same tests, on the seed pass's distances.
							for i, fi := range items {
								b := &g.balls[fi]
								r := float64(b[3]) + reachBest
								if kept[i] > r*r || fi == seed {
									continue
								}
								if t := &g.tris[fi]; !t.far(p, best) {
									if d := t.dist2(p); d < best {
										best, reachBest = d, math.Sqrt(d)
									}
								}
							}
							items = nil
						}
						for _, fi := range items {
							// Skip faces whose bounding ball lies beyond the best distance.
							b := &g.balls[fi]
							dx, dy, dz, r := px-float64(b[0]), py-float64(b[1]), pz-float64(b[2]), float64(b[3])+reachBest
							if dx*dx+dy*dy+dz*dz > r*r || fi == seed {
								continue
							}
							if t := &g.tris[fi]; !t.far(p, best) {
								if d := t.dist2(p); d < best {
									best, reachBest = d, math.Sqrt(d)
								}
							}
						}
						if capped {
							break levels
						}
					}
				}
			}
			// Everything not yet searched on this level lies at least this far from p.
			reach := math.Inf(1)
			for i := range 3 {
				x := (float64(p[i]) - lv.lo[i]) * lv.inv
				if c[i]-k > 0 {
					reach = min(reach, x-float64(c[i]-k))
				}
				if c[i]+k < lv.n[i]-1 {
					reach = min(reach, float64(c[i]+k+1)-x)
				}
			}
			reach = max(reach, 0) / lv.inv
			if best <= reach*reach {
				break
			}
		}
	}
	if capped && math.IsInf(best, 1) {
		// Any face bounds the distance from above.
		best = g.tris[0].dist2(p)
	}
	return best, work, capped
}
