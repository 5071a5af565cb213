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
	nv, nf := len(m.Positions), len(m.Faces)
	parts := 1
	if nf >= normalPartMinFaces {
		parts = normalParts
	}
	accs := make([][][3]float64, parts)
	var wg sync.WaitGroup
	for k := range parts {
		accs[k] = make([][3]float64, nv)
		faces := m.Faces[nf*k/parts : nf*(k+1)/parts]
		wg.Go(func() { m.accumulateNormals(accs[k], faces, w) })
	}
	wg.Wait()
	out := make([][3]float32, nv)
	for k := range parts {
		lo, hi := nv*k/parts, nv*(k+1)/parts
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				a := accs[0][i]
				for _, acc := range accs[1:] {
					a = [3]float64{a[0] + acc[i][0], a[1] + acc[i][1], a[2] + acc[i][2]}
				}
				out[i] = unit32(a)
			}
		})
	}
	wg.Wait()
	return out
}

// normalParts is how many runs of faces VertexNormals splits a large mesh into, and
// normalPartMinFaces how many faces make a mesh large.
const (
	normalParts        = 2
	normalPartMinFaces = 1 << 16
)

// accumulateNormals adds the weighted normals of faces to acc.
func (m *Mesh) accumulateNormals(acc [][3]float64, faces [][3]uint32, w NormalWeighting) {
	for _, f := range faces {
		p := [3][3]float32{m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]}
		c := triCross(p[0], p[1], p[2])
		switch w {
		case AreaWeighted:
			// |c| is twice the area, so c itself is the area-weighted normal.
			for k := range 3 {
				addTo(&acc[f[k]], c, 1)
			}
		default:
			l := norm64(c)
			if l == 0 {
				continue
			}
			// The two edges at any corner span the same parallelogram, so |e1×e2| = l at every
			// corner and only the dot product differs: angle k = atan2(l, e1·e2). The angles sum
			// to π, which gives the third without another atan2.
			d0, d1, d2 := sub64(p[1], p[0]), sub64(p[2], p[1]), sub64(p[0], p[2])
			a0 := math.Atan2(l, -dot64(d0, d2))
			a1 := math.Atan2(l, -dot64(d1, d0))
			a2 := max(math.Pi-a0-a1, 0)
			il := 1 / l
			addTo(&acc[f[0]], c, a0*il)
			addTo(&acc[f[1]], c, a1*il)
			addTo(&acc[f[2]], c, a2*il)
		}
	}
}

func addTo(dst *[3]float64, v [3]float64, s float64) {
	dst[0] += v[0] * s
	dst[1] += v[1] * s
	dst[2] += v[2] * s
}

func unit32(v [3]float64) [3]float32 {
	l := norm64(v)
	if l == 0 || math.IsNaN(l) || math.IsInf(l, 0) {
		return [3]float32{}
	}
	return [3]float32{float32(v[0] / l), float32(v[1] / l), float32(v[2] / l)}
}
