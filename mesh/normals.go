package mesh

import (
	"math"
	"sync"
)

// NormalWeighting selects how face normals are blended into vertex normals.
type NormalWeighting int

const (
	// AngleWeighted weights each face by its corner angle at the vertex (Thürmer & Wüthrich 1998),
	// which does not depend on how a flat region happens to be triangulated. It is the default.
	AngleWeighted NormalWeighting = iota
	// AreaWeighted weights each face by its area.
	AreaWeighted
)

// FaceNormal returns the unit normal of face i (counter-clockwise winding), or zero for a
// degenerate face.
func (m *Mesh) FaceNormal(i int) [3]float32 {
	f := m.Faces[i]
	return unit32(triCross(m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]))
}

// FaceNormals returns the unit normal of every face.
func (m *Mesh) FaceNormals() [][3]float32 {
	n := make([][3]float32, len(m.Faces))
	for i := range m.Faces {
		n[i] = m.FaceNormal(i)
	}
	return n
}

// VertexNormals returns a unit normal per vertex, blending the normals of the faces around it.
// A vertex that no face uses gets a zero normal.
//
// Large meshes are done in normalParts contiguous runs of faces on as many goroutines, each
// summing into its own accumulator, and the runs are added in order. The number of runs depends
// on the face count only, never on GOMAXPROCS, so the result is the same on every machine.
func (m *Mesh) VertexNormals(w NormalWeighting) [][3]float32 {
	accs := m.normalSums(w)
	out := make([][3]float32, len(m.Positions))
	normalEachPart(len(accs), len(out), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = normalUnit(accs, i)
		}
	})
	return out
}

// normalParts is how many runs of faces VertexNormals splits a large mesh into, and
// normalPartMinFaces how many faces make a mesh large.
const (
	normalParts        = 2
	normalPartMinFaces = 1 << 16
)

// normalSums returns the weighted face normals summed per vertex, in one accumulator per run of
// faces (see VertexNormals); the sum for vertex i is that of accs[k][i] over k in order.
func (m *Mesh) normalSums(w NormalWeighting) [][][3]float64 {
	nv, nf := len(m.Positions), len(m.Faces)
	parts := 1
	if nf >= normalPartMinFaces {
		parts = normalParts
	}
	accs := make([][][3]float64, parts)
	var wg sync.WaitGroup
	for k := range parts {
		faces := m.Faces[nf*k/parts : nf*(k+1)/parts]
		wg.Go(func() {
			accs[k] = make([][3]float64, nv)
			m.accumulateNormals(accs[k], faces, w)
		})
	}
	wg.Wait()
	return accs
}

// normalEachPart calls f(k, lo, hi) for the k-th of parts contiguous ranges [lo, hi) of n
// items, concurrently when parts > 1, and returns when all calls have.
func normalEachPart(parts, n int, f func(k, lo, hi int)) {
	if parts == 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for k := range parts {
		wg.Go(func() { f(k, n*k/parts, n*(k+1)/parts) })
	}
	wg.Wait()
}

// normalUnit adds up vertex i's accumulators in order and returns the sum scaled to unit
// length, or zero when the sum is zero (or not finite).
func normalUnit(accs [][][3]float64, i int) [3]float32 {
	a := accs[0][i]
	x, y, z := a[0], a[1], a[2]
	for _, acc := range accs[1:] {
		b := &acc[i]
		x, y, z = x+b[0], y+b[1], z+b[2]
	}
	l := math.Sqrt(x*x + y*y + z*z)
	if !(l > 0 && l <= math.MaxFloat64) {
		return [3]float32{}
	}
	il := 1 / l
	return [3]float32{float32(x * il), float32(y * il), float32(z * il)}
}

// normalBlock is how many faces accumulateNormals takes at a time.
const normalBlock = 64

// accumulateNormals adds the weighted normals of faces to acc. It is most of the cost of writing
// GLB and OBJ, so it is written for speed: scalars rather than [3]float64 values, which the
// compiler keeps in registers, and blocks of normalBlock faces done in three passes (geometry;
// square root, division and arctangents; the sums), so that the long dependency chain of one face
// overlaps those of its neighbours instead of stalling the processor. On the 1M-triangle sphere
// (one goroutine) the passes took 19 CPU-ms against 30 for one loop doing all of a face at once,
// and 40 for that loop with math.Atan2. The arithmetic, and so the result, is the same either way.
func (m *Mesh) accumulateNormals(acc [][3]float64, faces [][3]uint32, w NormalWeighting) {
	pos := m.Positions
	var nx, ny, nz, x0, x1, ls, s0, s1, s2 [normalBlock]float64
	for len(faces) > 0 {
		blk := faces[:min(normalBlock, len(faces))]
		faces = faces[len(blk):]
		for j, f := range blk {
			pa, pb, pc := &pos[f[0]], &pos[f[1]], &pos[f[2]]
			ax, ay, az := float64(pa[0]), float64(pa[1]), float64(pa[2])
			// u = b−a, v = c−a, e = c−b; n = u×v is triCross(a, b, c).
			ux, uy, uz := float64(pb[0])-ax, float64(pb[1])-ay, float64(pb[2])-az
			vx, vy, vz := float64(pc[0])-ax, float64(pc[1])-ay, float64(pc[2])-az
			ex, ey, ez := float64(pc[0])-float64(pb[0]), float64(pc[1])-float64(pb[1]), float64(pc[2])-float64(pb[2])
			cx, cy, cz := uy*vz-uz*vy, uz*vx-ux*vz, ux*vy-uy*vx
			nx[j], ny[j], nz[j] = cx, cy, cz
			ls[j] = math.Sqrt(cx*cx + cy*cy + cz*cz)
			x0[j] = ux*vx + uy*vy + uz*vz
			x1[j] = -(ux*ex + uy*ey + uz*ez)
		}
		for j := range blk {
			if w == AreaWeighted {
				// |n| is twice the area, so n itself is the area-weighted normal.
				s0[j], s1[j], s2[j] = 1, 1, 1
				continue
			}
			l := ls[j]
			if l == 0 {
				s0[j], s1[j], s2[j] = 0, 0, 0
				continue
			}
			// The two edges at any corner span the same parallelogram, so |e1×e2| = l at every
			// corner and only the dot product differs: angle k = atan2(l, e1·e2). The angles sum
			// to π, which gives the third without another arctangent. Each face normal n/l is
			// weighted by its angle.
			il := 1 / l
			a0 := normalCornerAngle(x0[j], l, il)
			a1 := normalCornerAngle(x1[j], l, il)
			a2 := math.Pi - a0 - a1
			if a2 < 0 {
				a2 = 0
			}
			s0[j], s1[j], s2[j] = a0*il, a1*il, a2*il
		}
		for j, f := range blk {
			cx, cy, cz := nx[j], ny[j], nz[j]
			w0, w1, w2 := s0[j], s1[j], s2[j]
			q := &acc[f[0]]
			q[0], q[1], q[2] = q[0]+cx*w0, q[1]+cy*w0, q[2]+cz*w0
			q = &acc[f[1]]
			q[0], q[1], q[2] = q[0]+cx*w1, q[1]+cy*w1, q[2]+cz*w1
			q = &acc[f[2]]
			q[0], q[1], q[2] = q[0]+cx*w2, q[1]+cy*w2, q[2]+cz*w2
		}
	}
}

// normalCornerAngle returns atan2(l, x) for l > 0, in [0, π], given il = 1/l: the angle at a
// corner whose edges have the dot product x and a cross product of length l. When |x| ≤ l it
// needs no division: the angle is π/2 − atan(x/l), and x/l = x·il.
func normalCornerAngle(x, l, il float64) float64 {
	switch {
	case math.Abs(x) <= l:
		return math.Pi/2 - normalAtan(x*il)
	case x > 0:
		return normalAtan(l / x)
	default:
		return math.Pi + normalAtan(l/x)
	}
}

// normalAtan approximates atan(t) for |t| ≤ 1 (a little beyond is harmless) within 2e-8 rad,
// several times faster than math.Atan, which reduces its argument and evaluates a rational
// function. The polynomial is Hastings's, as given by Abramowitz & Stegun, Handbook of
// Mathematical Functions (1964), formula 4.4.49: t·P(t²), P of degree 8, |ε| ≤ 2×10⁻⁸ on
// [0, 1]; TestNormalAtan checks the bound. An angle error of 2e-8 rad changes a vertex normal
// far less than its rounding to float32 does. P is evaluated by Estrin's scheme (Knuth, TAOCP
// vol. 2, §4.6.4), pairs of terms joined by t⁴ and t⁸, whose dependency chain is half as long as
// Horner's: on the 1M-triangle sphere it cut the normals' loop from 37 to 30 CPU-ms.
func normalAtan(t float64) float64 {
	const (
		c1 = -0.3333314528
		c2 = 0.1999355085
		c3 = -0.1420889944
		c4 = 0.1065626393
		c5 = -0.0752896400
		c6 = 0.0429096138
		c7 = -0.0161657367
		c8 = 0.0028662257
	)
	t2 := t * t
	t4 := t2 * t2
	t8 := t4 * t4
	lo := (1 + t2*c1) + t4*(c2+t2*c3)
	hi := (c4 + t2*c5) + t4*(c6+t2*c7)
	return t * (lo + t8*(hi+t8*c8))
}

func unit32(v [3]float64) [3]float32 {
	l := norm64(v)
	if l == 0 || math.IsNaN(l) || math.IsInf(l, 0) {
		return [3]float32{}
	}
	return [3]float32{float32(v[0] / l), float32(v[1] / l), float32(v[2] / l)}
}
