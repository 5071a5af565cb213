// Package mesh holds orfeas's indexed triangle mesh and the algorithms that work on one: geometry
// (bounds, area, signed volume), topology checks (closed, manifold, oriented, genus), welding,
// normals, transforms, orientation repair and solidifying, simplification, print analysis and
// iso-surface extraction.
//
// File formats are not here: package mesh/meshio reads and writes STL, OBJ, GLB and PLY, as
// image/png does for package image.
//
// Conventions: positions are float32 millimetres with Z up; triangles are wound counter-clockwise
// seen from outside, so a closed, outward-oriented mesh has a positive signed volume. Sums (area,
// volume, errors) are accumulated in float64. The mesh itself never changes units; an encoder that
// needs others (GLB: metres, +Y up) converts on the way out.
package mesh

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// ErrInvalid is wrapped by every error that reports a structurally invalid mesh: an index out of
// range, or an attribute slice whose length does not match the positions.
var ErrInvalid = errors.New("mesh: invalid mesh")

// Mesh is an indexed triangle mesh in millimetres, Z up, faces wound counter-clockwise seen from
// outside.
//
// Colors and UVs are optional per-vertex attributes: each is either nil or exactly as long as
// Positions. Texture is an optional image that the UVs refer to (u right, v down from the image's
// top-left corner, as in glTF).
type Mesh struct {
	Positions [][3]float32
	Faces     [][3]uint32
	Colors    [][4]uint8
	UVs       [][2]float32
	Texture   image.Image
}

// Box is an axis-aligned bounding box. An empty box has Min > Max on every axis.
type Box struct {
	Min, Max [3]float32
}

// Size returns the extent of the box on each axis, or zeros for an empty box.
func (b Box) Size() [3]float32 {
	var s [3]float32
	for i := range 3 {
		if b.Max[i] > b.Min[i] {
			s[i] = b.Max[i] - b.Min[i]
		}
	}
	return s
}

// Empty reports whether the box contains no point.
func (b Box) Empty() bool { return b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] || b.Min[2] > b.Max[2] }

// Validate reports whether every face index is in range and every attribute slice has the length
// of Positions. The error wraps ErrInvalid.
func (m *Mesh) Validate() error {
	n := len(m.Positions)
	if uint64(n) > math.MaxUint32 {
		return fmt.Errorf("%w: %d vertices exceed the uint32 index range", ErrInvalid, n)
	}
	if m.Colors != nil && len(m.Colors) != n {
		return fmt.Errorf("%w: %d colours for %d vertices", ErrInvalid, len(m.Colors), n)
	}
	if m.UVs != nil && len(m.UVs) != n {
		return fmt.Errorf("%w: %d UVs for %d vertices", ErrInvalid, len(m.UVs), n)
	}
	for i, f := range m.Faces {
		for _, v := range f {
			if int64(v) >= int64(n) {
				return fmt.Errorf("%w: face %d refers to vertex %d of %d", ErrInvalid, i, v, n)
			}
		}
	}
	for i, p := range m.Positions {
		for _, c := range p {
			if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
				return fmt.Errorf("%w: vertex %d has a non-finite coordinate", ErrInvalid, i)
			}
		}
	}
	return nil
}

// Clone returns a deep copy of m. The texture image is shared, not copied.
func (m *Mesh) Clone() *Mesh {
	c := &Mesh{Texture: m.Texture}
	c.Positions = append([][3]float32(nil), m.Positions...)
	c.Faces = append([][3]uint32(nil), m.Faces...)
	if m.Colors != nil {
		c.Colors = append([][4]uint8(nil), m.Colors...)
	}
	if m.UVs != nil {
		c.UVs = append([][2]float32(nil), m.UVs...)
	}
	return c
}

// Bounds returns the bounding box of the vertices referenced by faces, or of all vertices when
// there are no faces. It returns an empty box for an empty mesh.
func (m *Mesh) Bounds() Box {
	b := Box{
		Min: [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32},
		Max: [3]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32},
	}
	grow := func(p [3]float32) {
		for i := range 3 {
			b.Min[i] = min(b.Min[i], p[i])
			b.Max[i] = max(b.Max[i], p[i])
		}
	}
	if len(m.Faces) == 0 {
		for _, p := range m.Positions {
			grow(p)
		}
		return b
	}
	for _, f := range m.Faces {
		grow(m.Positions[f[0]])
		grow(m.Positions[f[1]])
		grow(m.Positions[f[2]])
	}
	return b
}

// Area returns the total surface area in mm².
func (m *Mesh) Area() float64 {
	var a float64
	for _, f := range m.Faces {
		a += triArea(m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]])
	}
	return a
}

// Volume returns the signed enclosed volume in mm³ (divergence theorem over the faces). It is
// positive for a closed mesh whose faces are wound counter-clockwise seen from outside, and only
// meaningful for a closed mesh.
func (m *Mesh) Volume() float64 {
	var v float64
	for _, f := range m.Faces {
		v += signedTetVolume(m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]])
	}
	return v
}

// Centroid returns the centre of mass of the enclosed solid when the mesh has a non-zero volume,
// else the area-weighted centre of its surface, else the mean of its vertices.
func (m *Mesh) Centroid() [3]float64 {
	var c [3]float64
	var vol float64
	for _, f := range m.Faces {
		a, b, d := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		v := signedTetVolume(a, b, d)
		vol += v
		for i := range 3 {
			c[i] += v * (float64(a[i]) + float64(b[i]) + float64(d[i])) / 4
		}
	}
	if vol != 0 && !math.IsNaN(vol) {
		for i := range 3 {
			c[i] /= vol
		}
		return c
	}
	c = [3]float64{}
	var area float64
	for _, f := range m.Faces {
		a, b, d := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		w := triArea(a, b, d)
		area += w
		for i := range 3 {
			c[i] += w * (float64(a[i]) + float64(b[i]) + float64(d[i])) / 3
		}
	}
	if area > 0 {
		for i := range 3 {
			c[i] /= area
		}
		return c
	}
	c = [3]float64{}
	for _, p := range m.Positions {
		for i := range 3 {
			c[i] += float64(p[i])
		}
	}
	if n := float64(len(m.Positions)); n > 0 {
		for i := range 3 {
			c[i] /= n
		}
	}
	return c
}

// Merge returns a new mesh holding m and every mesh in others, in that order. Colours (or UVs) are
// kept when any input has them; inputs without get opaque white (or zero UVs). The texture is the
// first non-nil one.
func (m *Mesh) Merge(others ...*Mesh) *Mesh {
	all := append([]*Mesh{m}, others...)
	out := &Mesh{}
	var nv, nf int
	var colors, uvs bool
	for _, x := range all {
		nv += len(x.Positions)
		nf += len(x.Faces)
		colors = colors || x.Colors != nil
		uvs = uvs || x.UVs != nil
		if out.Texture == nil {
			out.Texture = x.Texture
		}
	}
	out.Positions = make([][3]float32, 0, nv)
	out.Faces = make([][3]uint32, 0, nf)
	if colors {
		out.Colors = make([][4]uint8, 0, nv)
	}
	if uvs {
		out.UVs = make([][2]float32, 0, nv)
	}
	for _, x := range all {
		base := uint32(len(out.Positions))
		out.Positions = append(out.Positions, x.Positions...)
		for _, f := range x.Faces {
			out.Faces = append(out.Faces, [3]uint32{f[0] + base, f[1] + base, f[2] + base})
		}
		if colors {
			if x.Colors != nil {
				out.Colors = append(out.Colors, x.Colors...)
			} else {
				for range x.Positions {
					out.Colors = append(out.Colors, [4]uint8{255, 255, 255, 255})
				}
			}
		}
		if uvs {
			if x.UVs != nil {
				out.UVs = append(out.UVs, x.UVs...)
			} else {
				out.UVs = append(out.UVs, make([][2]float32, len(x.Positions))...)
			}
		}
	}
	return out
}

// FlipFaces reverses the winding of every face.
func (m *Mesh) FlipFaces() {
	for i, f := range m.Faces {
		m.Faces[i] = [3]uint32{f[0], f[2], f[1]}
	}
}

func sub64(a, b [3]float32) [3]float64 {
	return [3]float64{float64(a[0]) - float64(b[0]), float64(a[1]) - float64(b[1]), float64(a[2]) - float64(b[2])}
}

func cross64(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func dot64(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func norm64(a [3]float64) float64 { return math.Sqrt(dot64(a, a)) }

// triCross returns (b−a)×(c−a) in float64: twice the area, along the CCW normal.
func triCross(a, b, c [3]float32) [3]float64 { return cross64(sub64(b, a), sub64(c, a)) }

func triArea(a, b, c [3]float32) float64 { return norm64(triCross(a, b, c)) / 2 }

// signedTetVolume is the signed volume of the tetrahedron (origin, a, b, c).
func signedTetVolume(a, b, c [3]float32) float64 {
	ax, ay, az := float64(a[0]), float64(a[1]), float64(a[2])
	bx, by, bz := float64(b[0]), float64(b[1]), float64(b[2])
	cx, cy, cz := float64(c[0]), float64(c[1]), float64(c[2])
	return (ax*(by*cz-bz*cy) - ay*(bx*cz-bz*cx) + az*(bx*cy-by*cx)) / 6
}
