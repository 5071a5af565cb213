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

// Crease computes what CreaseNormals does without copying the vertex attributes: the normals,
// which original vertex each split vertex copies, and the faces over the split vertices.
func (m *Mesh) Crease(creaseDeg float64) Creased {
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

	out := Creased{Faces: make([][3]uint32, nf)}
	out.Origin = make([]uint32, 0, nv+nv/4)
	normals := make([][3]float32, 0, cap(out.Origin))
	type split struct {
		n   [3]float64
		idx uint32
	}
	var splits []split
	for v := range nv {
		corners := ring[start[v]:start[v+1]]
		splits = splits[:0]
		if len(corners) == 0 {
			out.Origin = append(out.Origin, uint32(v))
			normals = append(normals, [3]float32{})
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
				idx = uint32(len(out.Origin))
				splits = append(splits, split{n, idx})
				out.Origin = append(out.Origin, uint32(v))
				normals = append(normals, [3]float32{float32(n[0]), float32(n[1]), float32(n[2])})
			}
			out.Faces[face][c%3] = idx
		}
	}
	out.Normals = normals
	return out
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
