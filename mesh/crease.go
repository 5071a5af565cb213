package mesh

import (
	"math"
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
func (m *Mesh) CreaseNormals(creaseDeg float64) (*Mesh, [][3]float32) {
	if creaseDeg == 0 {
		creaseDeg = DefaultCreaseAngle
	}
	cosCrease := math.Cos(min(max(creaseDeg, 0), 180) * math.Pi / 180)
	if creaseDeg >= 180 {
		cosCrease = -2 // every face is within reach
	}
	nv, nf := len(m.Positions), len(m.Faces)

	// Unit face normals and the corner angles that weigh them.
	fn := make([][3]float64, nf)
	ang := make([][3]float64, nf)
	parts := 1
	if nf >= normalPartMinFaces {
		parts = normalParts
	}
	normalEachPart(parts, nf, func(_, lo, hi int) { // each face on its own: any split gives the same
		for i := lo; i < hi; i++ {
			f := m.Faces[i]
			p0, p1, p2 := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
			c := triCross(p0, p1, p2)
			if l := norm64(c); l > 0 && !math.IsInf(l, 0) {
				fn[i] = [3]float64{c[0] / l, c[1] / l, c[2] / l}
			}
			ang[i] = [3]float64{cornerAngle(p0, p1, p2), cornerAngle(p1, p2, p0), cornerAngle(p2, p0, p1)}
		}
	})

	// The faces around each vertex (compressed rows), each with the corner it uses.
	start := make([]int32, nv+1)
	for _, f := range m.Faces {
		start[f[0]+1]++
		start[f[1]+1]++
		start[f[2]+1]++
	}
	for v := range nv {
		start[v+1] += start[v]
	}
	ring := make([]int32, 3*nf) // face·3 + corner
	fill := append([]int32(nil), start[:nv]...)
	for i, f := range m.Faces {
		for k, v := range f {
			ring[fill[v]] = int32(3*i + k)
			fill[v]++
		}
	}

	out := &Mesh{Texture: m.Texture, Faces: make([][3]uint32, nf)}
	out.Positions = make([][3]float32, 0, nv+nv/4)
	if m.Colors != nil {
		out.Colors = make([][4]uint8, 0, cap(out.Positions))
	}
	if m.UVs != nil {
		out.UVs = make([][2]float32, 0, cap(out.Positions))
	}
	normals := make([][3]float32, 0, cap(out.Positions))
	type split struct {
		n   [3]float64
		idx uint32
	}
	var splits []split
	for v := range nv {
		corners := ring[start[v]:start[v+1]]
		splits = splits[:0]
		if len(corners) == 0 {
			out.Positions = append(out.Positions, m.Positions[v])
			normals = append(normals, [3]float32{})
			if m.Colors != nil {
				out.Colors = append(out.Colors, m.Colors[v])
			}
			if m.UVs != nil {
				out.UVs = append(out.UVs, m.UVs[v])
			}
			continue
		}
		for _, c := range corners {
			face := c / 3
			own := fn[face]
			var s [3]float64
			for _, d := range corners {
				g := fn[d/3]
				if g[0]*own[0]+g[1]*own[1]+g[2]*own[2] >= cosCrease {
					w := ang[d/3][d%3]
					s[0] += g[0] * w
					s[1] += g[1] * w
					s[2] += g[2] * w
				}
			}
			n := own
			if l := norm64(s); l > 0 && !math.IsInf(l, 0) {
				n = [3]float64{s[0] / l, s[1] / l, s[2] / l}
			}
			idx := uint32(math.MaxUint32)
			if own == ([3]float64{}) && len(splits) > 0 {
				idx = splits[0].idx // a degenerate face shades nothing: no vertex of its own
			}
			for _, sp := range splits {
				if idx != math.MaxUint32 {
					break
				}
				if dot64(sp.n, n) >= creaseMergeCos && dot64(sp.n, own) >= cosCrease {
					idx = sp.idx
					break
				}
			}
			if idx == math.MaxUint32 {
				idx = uint32(len(out.Positions))
				splits = append(splits, split{n, idx})
				out.Positions = append(out.Positions, m.Positions[v])
				normals = append(normals, [3]float32{float32(n[0]), float32(n[1]), float32(n[2])})
				if m.Colors != nil {
					out.Colors = append(out.Colors, m.Colors[v])
				}
				if m.UVs != nil {
					out.UVs = append(out.UVs, m.UVs[v])
				}
			}
			out.Faces[face][c%3] = idx
		}
	}
	return out, normals
}

// cornerAngle returns the angle at a between the edges to b and c, in radians; 0 for a degenerate
// corner.
func cornerAngle(a, b, c [3]float32) float64 {
	u, v := sub64(b, a), sub64(c, a)
	l := norm64(cross64(u, v))
	if l == 0 || math.IsNaN(l) || math.IsInf(l, 0) {
		return 0
	}
	return normalCornerAngle(dot64(u, v), l, 1/l) // atan2(l, u·v), within 2e-8 rad
}
