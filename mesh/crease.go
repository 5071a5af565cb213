package mesh

import (
	"math"
	"runtime"
	"sync"

	"github.com/orfeas3d/orfeas/internal/par"
)

// DefaultCreaseAngle is the crease angle, in degrees, that CreaseNormals uses when given 0.
const DefaultCreaseAngle = 40

// creaseMergeCos is the cosine of the angle (2°) within which two corners of the same vertex share
// one split vertex, so that a smooth but unevenly triangulated region is not split corner by
// corner.
var creaseMergeCos = math.Cos(2 * math.Pi / 180)

// CreaseNormals returns a copy of m whose vertices are split along creases, with one unit normal
// per vertex of the copy: the shading normals a viewer needs, where VertexNormals' one normal per
// position would average a box's sides into 55°-off corners.
//
// An edge is a crease when the faces on either side meet at more than creaseDeg degrees
// (0 means DefaultCreaseAngle; 180 or more smooths everything). The normal at a face corner is the
// angle-weighted sum (Thürmer & Wüthrich 1998) of the normals of the faces around that vertex that
// lie within creaseDeg of the corner's own face — the per-corner rule of 3D Studio's smoothing and
// Blender's auto smooth, which, unlike walking fans between creases, bounds every corner: a
// positive sum of vectors inside the cone of half-angle creaseDeg around the face normal stays in
// it, so every stored normal is within creaseDeg of the face it shades. A face in a flat region
// (a top, a bottom, a wall) gets exactly its face normal. Corners of one position whose normals lie
// within 2° of each other, and within creaseDeg of each face, share one vertex; an extruded box
// comes out as 24 vertices, a smooth surface as it went in.
//
// Colours, UVs and the texture are carried to the split vertices. The output depends on m alone,
// never on scheduling. Vertices no face uses are kept, with a zero normal.
//
// Formats that index normals apart from positions (OBJ) should use Crease instead, and keep the
// positions shared: a split mesh is no longer welded, so its topology reads as open.
func (m *Mesh) CreaseNormals(creaseDeg float64) (*Mesh, [][3]float32) {
	c := m.Crease(creaseDeg)
	out := &Mesh{Texture: m.Texture, Faces: c.Faces, Positions: make([][3]float32, len(c.Origin))}
	if m.Colors != nil {
		out.Colors = make([][4]uint8, len(c.Origin))
	}
	if m.UVs != nil {
		out.UVs = make([][2]float32, len(c.Origin))
	}
	for k, v := range c.Origin {
		out.Positions[k] = m.Positions[v]
		if m.Colors != nil {
			out.Colors[k] = m.Colors[v]
		}
		if m.UVs != nil {
			out.UVs[k] = m.UVs[v]
		}
	}
	return out, c.Normals
}

// Creased is the result of Crease: the shading normals of a mesh split along its creases.
type Creased struct {
	// Normals holds one unit normal per split vertex (zero for a vertex no face uses).
	Normals [][3]float32
	// Origin holds, for each split vertex, the vertex of the mesh it is a copy of; split vertices
	// of one original vertex are consecutive, in the order of the original vertices.
	Origin []uint32
	// Faces are the mesh's faces over the split vertices, in the same order.
	Faces [][3]uint32
}

// creaseFace is what Crease keeps of a face: its unit normal (zero when degenerate) and the
// angles at its three corners.
type creaseFace struct{ n, a [3]float64 }

// creaseFaces holds the creaseFace of every face in blocks of creaseBlock.
type creaseFaces [][]creaseFace

// creaseBlock is how many faces one block of creaseFaces holds (384 KiB), and creasePasses how
// many passes over the vertices Crease makes on a mesh of at least 2·creasePasses blocks.
const (
	creaseBlock  = 1 << 13
	creasePasses = 8
)

// at returns face i's creaseFace.
func (g creaseFaces) at(i uint32) *creaseFace { return &g[i/creaseBlock][i%creaseBlock] }

// Crease computes what CreaseNormals does without copying the vertex attributes: the normals,
// which original vertex each split vertex copies, and the faces over the split vertices.
func (m *Mesh) Crease(creaseDeg float64) Creased {
	passes := 1
	if len(m.Faces) >= 2*creasePasses*creaseBlock {
		passes = creasePasses
	}
	return m.crease(creaseDeg, passes)
}

// crease is Crease in the given number of passes over the vertices (see below); the result is
// the same for any number.
func (m *Mesh) crease(creaseDeg float64, passes int) Creased {
	if creaseDeg == 0 {
		creaseDeg = DefaultCreaseAngle
	}
	cosCrease := math.Cos(min(max(creaseDeg, 0), 180) * math.Pi / 180)
	if creaseDeg >= 180 {
		cosCrease = -2 // every face is within reach
	}
	nv, nf := len(m.Positions), len(m.Faces)

	// The faces around each vertex (compressed rows), each with the corner it uses, in face
	// order: a counting sort of the corners by vertex (creaseRing).
	start, ring := creaseRing(m.Faces, nv)

	// Unit face normals and the corner angles that weigh them, each face's side by side: the
	// vertex pass below reads both for the faces around a vertex, scattered over the mesh, so
	// one cache line serves both. They are kept in blocks of creaseBlock faces, and a large
	// mesh's vertices are done in creasePasses passes over runs of vertices in order: a block
	// is made just before the first pass whose vertices use one of its faces and dropped after
	// the last, so that a mesh whose faces lie near their vertices in the order (marching
	// cubes', the backends' grids) holds a few blocks at a time instead of all (coffee ultra:
	// 11 of 72 blocks at most, 4 MB of 28). Each block is made once, whatever the order.
	nb := (nf + creaseBlock - 1) / creaseBlock
	passes = min(max(passes, 1), max(nv, 1))
	first, last := make([]int, nb), make([]int, nb) // the first and last pass using a block
	if passes == 1 {
		clear(first) // every block, before the one pass
	} else {
		need := make([][]bool, passes)
		par.For(passes, runtime.GOMAXPROCS(0), func(p int) {
			need[p] = make([]bool, nb)
			for _, c := range ring[start[nv*p/passes]:start[nv*(p+1)/passes]] {
				need[p][uint32(c)/3/creaseBlock] = true
			}
		})
		for b := range nb {
			first[b], last[b] = passes, -1
			for p := range passes {
				if need[p][b] {
					first[b], last[b] = min(first[b], p), p
				}
			}
		}
	}
	geo := make(creaseFaces, nb)
	// makeBlock fills block bi: each face on its own, so any split gives the same.
	makeBlock := func(bi int) {
		lo, hi := bi*creaseBlock, min(nf, (bi+1)*creaseBlock)
		blkGeo := make([]creaseFace, hi-lo)
		geo[bi] = blkGeo
		// Blocks of normalBlock faces in two passes (the geometry; then the square roots,
		// divisions and arctangents), as in accumulateNormals, so that one face's long chain of
		// dependent operations overlaps its neighbours'. Each value is the same expression as
		// when a face is done at once, so the result is too.
		var cs [normalBlock][3]float64
		var ls, x0s, x1s [normalBlock]float64
		for b := lo; b < hi; b += normalBlock {
			blk := m.Faces[b:min(b+normalBlock, hi)]
			for j, f := range blk {
				// sub64, cross64, norm64 and dot64 written out on scalars, which the compiler
				// keeps in registers (the same operations in the same order: the same bits);
				// through the [3]float64 helpers this loop took a third more CPU.
				p0, p1, p2 := &m.Positions[f[0]], &m.Positions[f[1]], &m.Positions[f[2]]
				ax, ay, az := float64(p0[0]), float64(p0[1]), float64(p0[2])
				ux, uy, uz := float64(p1[0])-ax, float64(p1[1])-ay, float64(p1[2])-az // p1 − p0
				wx, wy, wz := float64(p2[0])-ax, float64(p2[1])-ay, float64(p2[2])-az // p2 − p0
				ex, ey, ez := float64(p2[0])-float64(p1[0]), float64(p2[1])-float64(p1[1]), float64(p2[2])-float64(p1[2])
				cx, cy, cz := uy*wz-uz*wy, uz*wx-ux*wz, ux*wy-uy*wx
				cs[j], ls[j] = [3]float64{cx, cy, cz}, math.Sqrt(cx*cx+cy*cy+cz*cz)
				// Every corner's edges span the same parallelogram, so |e1×e2| = l at each and
				// only the dot products differ (as in accumulateNormals); the angles sum to π.
				x0s[j], x1s[j] = ux*wx+uy*wy+uz*wz, -(ux*ex + uy*ey + uz*ez)
			}
			for j := range blk {
				l := ls[j]
				if !(l > 0) || math.IsInf(l, 0) {
					continue // degenerate: no normal, no weight
				}
				c := cs[j]
				g := &blkGeo[b-lo+j]
				g.n = [3]float64{c[0] / l, c[1] / l, c[2] / l}
				il := 1 / l
				a0 := normalCornerAngle(x0s[j], l, il)
				a1 := normalCornerAngle(x1s[j], l, il)
				g.a = [3]float64{a0, a1, max(0, math.Pi-a0-a1)}
			}
		}
	}

	// Each vertex is done on its own (in parallel over runs of vertices): its splits' normals, and
	// for each of its corners which of its splits it uses. Split indices are then the running count
	// of splits over the vertices in order, so the result does not depend on the runs.
	cosHalf := math.Cos(min(max(creaseDeg, 0), 180) * math.Pi / 360)
	count := make([]uint32, nv) // splits per vertex
	// Each corner of out.Faces first holds the split (of its vertex) it uses, counted from 0 per
	// vertex; the splits' first indices are added once all are known.
	out := Creased{Faces: make([][3]uint32, nf)}
	runs := max(1, min(runtime.GOMAXPROCS(0), nf/16384))
	runNormals := make([][][3]float32, passes*runs)
	var todo []int
	for p := range passes {
		todo = todo[:0]
		for bi := range nb {
			if first[bi] == p {
				todo = append(todo, bi)
			}
		}
		par.For(len(todo), runtime.GOMAXPROCS(0), func(i int) { makeBlock(todo[i]) })
		v0, v1 := nv*p/passes, nv*(p+1)/passes
		var wg sync.WaitGroup
		for r := range runs {
			wg.Go(func() {
				type split struct{ n [3]float64 }
				var splits []split
				// At least one normal per vertex of the run: sized once, not grown by doubling.
				// The first run's normals become the result's, the later runs' appended: its capacity
				// holds every vertex's first normal and some splits, so that the normals are rarely
				// held twice.
				r0, r1 := v0+(v1-v0)*r/runs, v0+(v1-v0)*(r+1)/runs
				capacity := r1 - r0 + 64
				if p == 0 && r == 0 {
					capacity = nv + nv/64 + 64
				}
				local := make([][3]float32, 0, capacity)
				var within [64]uint64 // per corner: the corners whose faces it sums (see below)
				var sums [64][3]float64
				var summed [64]bool
				for v := r0; v < r1; v++ {
					corners := ring[start[v]:start[v+1]]
					if len(corners) == 0 {
						local = append(local, [3]float32{})
						count[v] = 1
						continue
					}
					// Fast path: when every face normal around v lies within half the crease angle of
					// their mean, all lie within the crease angle of each other, every corner sums all
					// of them (in the same order), and v needs one vertex: the result of the loop below,
					// at a fraction of its cost.
					// The angle-weighted sum the fast path returns is summed beside the mean, on
					// scalars, in the same order as the helpers would (the same bits), so the corners'
					// faces are visited twice rather than three times.
					var mx, my, mz, sx, sy, sz float64
					for _, c := range corners {
						g := geo.at(uint32(c) / 3)
						nx, ny, nz, w := g.n[0], g.n[1], g.n[2], g.a[c%3]
						mx, my, mz = mx+nx, my+ny, mz+nz
						sx += nx * w
						sy += ny * w
						sz += nz * w
					}
					smooth := false
					if l := math.Sqrt(mx*mx + my*my + mz*mz); l > 0 {
						smooth = true
						for _, c := range corners {
							g := &geo.at(uint32(c) / 3).n
							if g[0]*mx+g[1]*my+g[2]*mz < cosHalf*l {
								smooth = false
								break
							}
						}
					}
					if smooth {
						n := geo.at(uint32(corners[0]) / 3).n
						if l := math.Sqrt(sx*sx + sy*sy + sz*sz); l > 0 && !math.IsInf(l, 0) {
							n = [3]float64{sx / l, sy / l, sz / l}
						}
						local = append(local, [3]float32{float32(n[0]), float32(n[1]), float32(n[2])})
						count[v] = 1 // every corner uses split 0, as out.Faces already says
						continue
					}
					splits = splits[:0]
					// With at most 64 corners, which faces each corner sums is a bit set: the
					// within-the-crease test is symmetric (the same products in the same order), so
					// each pair is tested once, and corners with the same set have the same sum (the
					// same terms in the same order), found once.
					few := len(corners) <= len(within)
					if few {
						clear(within[:len(corners)])
						for j, c := range corners {
							own := geo.at(uint32(c) / 3).n
							for i := j; i < len(corners); i++ {
								g := geo.at(uint32(corners[i]) / 3).n
								if g[0]*own[0]+g[1]*own[1]+g[2]*own[2] >= cosCrease {
									within[j] |= 1 << i
									within[i] |= 1 << j
								}
							}
						}
					}
					for j, c := range corners {
						own := geo.at(uint32(c) / 3).n
						var n [3]float64
						reused := false
						if few {
							for i := range j {
								if within[i] == within[j] && summed[i] {
									n, reused = sums[i], true
									break
								}
							}
						}
						if !reused {
							var s [3]float64
							for i, d := range corners {
								g := geo.at(uint32(d) / 3).n
								in := false
								if few {
									in = within[j]&(1<<i) != 0
								} else {
									in = g[0]*own[0]+g[1]*own[1]+g[2]*own[2] >= cosCrease
								}
								if in {
									w := geo.at(uint32(d) / 3).a[d%3]
									s[0] += g[0] * w
									s[1] += g[1] * w
									s[2] += g[2] * w
								}
							}
							n = own
							if l := norm64(s); l > 0 && !math.IsInf(l, 0) {
								n = [3]float64{s[0] / l, s[1] / l, s[2] / l}
								if few {
									sums[j], summed[j] = n, true
								}
							} else if few {
								summed[j] = false // n is this corner's own face normal: not shared
							}
						} else if few {
							summed[j] = false
						}
						idx := -1
						if own == ([3]float64{}) && len(splits) > 0 {
							idx = 0 // a degenerate face shades nothing: no vertex of its own
						}
						for k := 0; idx < 0 && k < len(splits); k++ {
							if sp := splits[k].n; dot64(sp, n) >= creaseMergeCos && dot64(sp, own) >= cosCrease {
								idx = k
							}
						}
						if idx < 0 {
							idx = len(splits)
							splits = append(splits, split{n})
							local = append(local, [3]float32{float32(n[0]), float32(n[1]), float32(n[2])})
						}
						out.Faces[c/3][c%3] = uint32(idx)
					}
					count[v] = uint32(len(splits))
				}
				runNormals[p*runs+r] = local
			})
		}
		wg.Wait()
		for bi := range nb {
			if last[bi] == p {
				geo[bi] = nil
			}
		}
	}

	base := make([]uint32, nv+1)
	for v, c := range count {
		base[v+1] = base[v] + c
	}
	out.Origin = make([]uint32, base[nv])
	out.Normals = runNormals[0]
	for _, l := range runNormals[1:] {
		out.Normals = append(out.Normals, l...)
	}
	// Each vertex writes only its own splits and its own corners: runs of vertices in parallel.
	par.For(runs, runs, func(r int) {
		for v := nv * r / runs; v < nv*(r+1)/runs; v++ {
			for k := base[v]; k < base[v+1]; k++ {
				out.Origin[k] = uint32(v)
			}
			for _, c := range ring[start[v]:start[v+1]] {
				out.Faces[c/3][c%3] += base[v]
			}
		}
	})
	return out
}

// creaseRingParallelFaces is the face count from which creaseRing sorts on several goroutines.
const creaseRingParallelFaces = 1 << 16

// creaseRing returns the corners (3·face + k) of faces grouped by vertex, each vertex's in face
// order: vertex v's are ring[start[v]:start[v+1]]. It is a counting sort; on a large mesh each of
// up to GOMAXPROCS goroutines counts and places the corners of its own run of faces, the runs'
// corners of one vertex placed in run order, so the rows are those of one serial pass.
func creaseRing(faces [][3]uint32, nv int) (start, ring []int32) {
	nf := len(faces)
	runs := 1
	if nf >= creaseRingParallelFaces {
		runs = min(runtime.GOMAXPROCS(0), 8)
	}
	start = make([]int32, nv+1)
	ring = make([]int32, 3*nf)
	if runs == 1 {
		for _, f := range faces {
			start[f[0]+1]++
			start[f[1]+1]++
			start[f[2]+1]++
		}
		for v := range nv {
			start[v+1] += start[v]
		}
		fill := append([]int32(nil), start[:nv]...)
		for i, f := range faces {
			for k, v := range f {
				ring[fill[v]] = int32(3*i + k)
				fill[v]++
			}
		}
		return start, ring
	}
	// counts[r][v]: run r's corners at v, turned into where run r places its first one.
	counts := make([][]int32, runs)
	par.For(runs, runs, func(r int) {
		c := make([]int32, nv)
		for _, f := range faces[nf*r/runs : nf*(r+1)/runs] {
			c[f[0]]++
			c[f[1]]++
			c[f[2]]++
		}
		counts[r] = c
	})
	var total int32
	for v := range nv {
		start[v] = total
		for r := range runs {
			c := counts[r][v]
			counts[r][v] = total
			total += c
		}
	}
	start[nv] = total
	par.For(runs, runs, func(r int) {
		fill := counts[r]
		lo := nf * r / runs
		for i, f := range faces[lo : nf*(r+1)/runs] {
			for k, v := range f {
				ring[fill[v]] = int32(3*(lo+i) + k)
				fill[v]++
			}
		}
	})
	return start, ring
}
