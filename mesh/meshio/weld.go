package meshio

import (
	"math"

	"github.com/orfeas3d/orfeas/mesh"
)

// weldSplitVertices merges the vertices of m that are equal in everything mesh.Mesh keeps
// (position, colour and UV, bit for bit): what a GLB writer splits only to give them different
// normals, which the mesh does not hold. The merged vertex is the first of its group and keeps
// its index order, so a mesh without such duplicates comes back as it was.
func weldSplitVertices(m *mesh.Mesh) *mesh.Mesh {
	type key struct {
		p  [3]uint32
		c  [4]uint8
		uv [2]uint32
	}
	n := len(m.Positions)
	index := make(map[key]uint32, n)
	remap := make([]uint32, n)
	kept := 0
	for i, p := range m.Positions {
		k := key{p: [3]uint32{math.Float32bits(p[0]), math.Float32bits(p[1]), math.Float32bits(p[2])}}
		if m.Colors != nil {
			k.c = m.Colors[i]
		}
		if m.UVs != nil {
			k.uv = [2]uint32{math.Float32bits(m.UVs[i][0]), math.Float32bits(m.UVs[i][1])}
		}
		j, ok := index[k]
		if !ok {
			j = uint32(kept)
			index[k] = j
			kept++
		}
		remap[i] = j
	}
	if kept == n {
		return m
	}
	out := &mesh.Mesh{Texture: m.Texture, Positions: make([][3]float32, kept), Faces: make([][3]uint32, len(m.Faces))}
	if m.Colors != nil {
		out.Colors = make([][4]uint8, kept)
	}
	if m.UVs != nil {
		out.UVs = make([][2]float32, kept)
	}
	for i, j := range remap {
		out.Positions[j] = m.Positions[i]
		if m.Colors != nil {
			out.Colors[j] = m.Colors[i]
		}
		if m.UVs != nil {
			out.UVs[j] = m.UVs[i]
		}
	}
	for i, f := range m.Faces {
		out.Faces[i] = [3]uint32{remap[f[0]], remap[f[1]], remap[f[2]]}
	}
	return out
}
