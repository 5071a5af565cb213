package meshio

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime"

	"github.com/qmuntal/gltf"

	"github.com/orfeas3d/orfeas/internal/ctxio"
	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/mesh"
)

// encodeGLBWhole is the encoder before the GLB was streamed (kept as the reference that
// TestGLBStreamMatchesWhole holds encodeGLB to): it writes m as one GLB file. The binary buffer is laid out by hand and sized exactly:
// POSITION (float VEC3, with min/max), NORMAL (float VEC3), COLOR_0 (unsigned short normalized
// VEC4: 8-bit sRGB colours converted to linear need more than 8 bits not to band in the darks,
// and 16 bits bring every sRGB byte back exactly; written only for an untextured mesh, since glTF
// multiplies the texture by it), TEXCOORD_0 (float VEC2), the indices (unsigned short when every
// index fits below the 65535 restart value, else unsigned int), and the PNG texture.
// qmuntal/gltf writes the JSON document and the GLB container.
//
// The vertices are split along creases of more than crease degrees (mesh.Mesh.CreaseNormals), so
// that flat faces shade flat and sharp edges stay sharp.
func encodeGLBWhole(w io.Writer, m *mesh.Mesh, crease float64) error {
	doc := &gltf.Document{
		Asset:  gltf.Asset{Generator: "orfeas", Version: "2.0"},
		Scenes: []*gltf.Scene{{}},
		Scene:  gltf.Index(0),
	}
	if len(m.Faces) > 0 {
		// The texture's PNG (deflate, most of a small mesh's encoding time) does not depend on
		// the geometry: it is compressed while the crease normals are found.
		var texPNG []byte
		var texErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			if m.Texture != nil && m.UVs != nil {
				// Fast: a texture is a few hundred kB either way, and image/png's default level
				// cost a third of a small textured model's whole generation (horse extrude,
				// 26 of 79 CPU-ms); the pixels are the same (see encodeTexturePNG).
				texPNG, texErr = encodeTexturePNG(glbPowerOfTwo(m.Texture))
			}
		}()
		split, normals := m.CreaseNormals(crease)
		<-done
		if texErr != nil {
			return texErr
		}
		if err := glbBuildWhole(doc, split, normals, texPNG); err != nil {
			return err
		}
	}
	sw := ctxio.NewWriter(context.Background(), w)
	// The library ignores the errors of some of its intermediate writes; ctxio.Writer keeps the
	// first one and fails every later write, so none is lost. It writes the binary buffer with
	// one Write of doc.Buffers[0].Data, without copying it (qmuntal/gltf v0.29.0, encode.go), so
	// writing the container ourselves would not save anything.
	err := gltf.NewEncoder(sw).Encode(doc)
	if err := sw.Err(); err != nil {
		return err
	}
	return err
}

// glbBuild fills doc with m, its normals and texPNG, the PNG of m's texture (nil when m has none).
func glbBuildWhole(doc *gltf.Document, m *mesh.Mesh, normals [][3]float32, texPNG []byte) error {
	nv, nf := len(m.Positions), len(m.Faces)
	textured := m.Texture != nil && m.UVs != nil
	// glTF multiplies the base-colour texture by COLOR_0, so a textured mesh's vertex colours
	// (which sample the same image) would darken it twice: the texture alone carries the colour,
	// and the vertex colours stay for OBJ and PLY.
	colored := m.Colors != nil && !textured
	idxSize := 4
	if nv <= math.MaxUint16 {
		idxSize = 2
	}
	size := 24 * nv
	if colored {
		size += 8 * nv
	}
	if m.UVs != nil {
		size += 8 * nv
	}
	idxOff := size
	size += 3 * nf * idxSize
	texOff := size
	size += len(texPNG)
	if uint64(size) > math.MaxUint32-1<<20 { // the GLB container counts bytes in uint32
		return fmt.Errorf("%d-byte binary buffer exceeds GLB's 4 GiB limit", size)
	}
	buf := make([]byte, size)
	le := binary.LittleEndian

	glbWriteNormalsWhole(buf[12*nv:24*nv], m, normals)

	view := func(off, n int, target gltf.Target) int {
		doc.BufferViews = append(doc.BufferViews, &gltf.BufferView{Buffer: 0, ByteOffset: off, ByteLength: n, Target: target})
		return len(doc.BufferViews) - 1
	}
	accessor := func(v int, ct gltf.ComponentType, t gltf.AccessorType, count int, normalized bool) *gltf.Accessor {
		a := &gltf.Accessor{BufferView: gltf.Index(v), ComponentType: ct, Type: t, Count: count, Normalized: normalized}
		doc.Accessors = append(doc.Accessors, a)
		return a
	}
	attrs := gltf.PrimitiveAttributes{}
	off := 0

	// Positions, with the exact float32 bounds the validator checks. Blocks of vertices are
	// converted in parallel, each with its own bounds, merged in block order with the same
	// strict comparisons, so the bounds are those of one pass in vertex order (the first of
	// equal values, −0 or +0, stays).
	blocks := (nv + glbBlock - 1) / glbBlock
	los, his := make([][3]float32, blocks), make([][3]float32, blocks)
	par.For(blocks, runtime.GOMAXPROCS(0), func(bi int) {
		lo := [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32}
		hi := [3]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
		// The loops below convert each element to a fixed-size array pointer, which costs one
		// bounds check instead of one per store (about 3 of 67 CPU-ms off the 1M-triangle GLB
		// when made).
		v0 := bi * glbBlock
		for i, p := range m.Positions[v0:min(nv, v0+glbBlock)] {
			q := glbToGLTF(p)
			d := (*[12]byte)(buf[off+12*(v0+i):])
			for a := range 3 {
				if q[a] < lo[a] {
					lo[a] = q[a]
				}
				if q[a] > hi[a] {
					hi[a] = q[a]
				}
				le.PutUint32(d[4*a:], math.Float32bits(q[a]))
			}
		}
		los[bi], his[bi] = lo, hi
	})
	lo := [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32}
	hi := [3]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
	for bi := range blocks {
		for a := range 3 {
			if los[bi][a] < lo[a] {
				lo[a] = los[bi][a]
			}
			if his[bi][a] > hi[a] {
				hi[a] = his[bi][a]
			}
		}
	}
	pa := accessor(view(off, 12*nv, gltf.TargetArrayBuffer), gltf.ComponentFloat, gltf.AccessorVec3, nv, false)
	pa.Min = []float64{float64(lo[0]), float64(lo[1]), float64(lo[2])}
	pa.Max = []float64{float64(hi[0]), float64(hi[1]), float64(hi[2])}
	attrs[gltf.POSITION] = len(doc.Accessors) - 1
	off += 12 * nv

	// NORMAL, filled by glbWriteNormals.
	accessor(view(off, 12*nv, gltf.TargetArrayBuffer), gltf.ComponentFloat, gltf.AccessorVec3, nv, false)
	attrs[gltf.NORMAL] = len(doc.Accessors) - 1
	off += 12 * nv

	if colored {
		for i, c := range m.Colors {
			o := off + 8*i
			le.PutUint16(buf[o:], glbSRGBToLinear16[c[0]])
			le.PutUint16(buf[o+2:], glbSRGBToLinear16[c[1]])
			le.PutUint16(buf[o+4:], glbSRGBToLinear16[c[2]])
			le.PutUint16(buf[o+6:], uint16(c[3])*257) // alpha is linear already
		}
		accessor(view(off, 8*nv, gltf.TargetArrayBuffer), gltf.ComponentUshort, gltf.AccessorVec4, nv, true)
		attrs[gltf.COLOR_0] = len(doc.Accessors) - 1
		off += 8 * nv
	}
	if m.UVs != nil {
		uvOff := off
		par.For(blocks, runtime.GOMAXPROCS(0), func(bi int) {
			v0 := bi * glbBlock
			for i, uv := range m.UVs[v0:min(nv, v0+glbBlock)] {
				d := (*[8]byte)(buf[uvOff+8*(v0+i):])
				le.PutUint32(d[0:], math.Float32bits(uv[0]))
				le.PutUint32(d[4:], math.Float32bits(uv[1]))
			}
		})
		accessor(view(off, 8*nv, gltf.TargetArrayBuffer), gltf.ComponentFloat, gltf.AccessorVec2, nv, false)
		attrs[gltf.TEXCOORD_0] = len(doc.Accessors) - 1
		off += 8 * nv
	}

	ib := buf[idxOff : idxOff+3*nf*idxSize]
	if idxSize == 2 {
		for i, f := range m.Faces {
			d := (*[6]byte)(ib[6*i:])
			le.PutUint16(d[0:], uint16(f[0]))
			le.PutUint16(d[2:], uint16(f[1]))
			le.PutUint16(d[4:], uint16(f[2]))
		}
		accessor(view(idxOff, len(ib), gltf.TargetElementArrayBuffer), gltf.ComponentUshort, gltf.AccessorScalar, 3*nf, false)
	} else {
		par.For((nf+glbBlock-1)/glbBlock, runtime.GOMAXPROCS(0), func(bi int) {
			f0 := bi * glbBlock
			for i, f := range m.Faces[f0:min(nf, f0+glbBlock)] {
				d := (*[12]byte)(ib[12*(f0+i):])
				le.PutUint32(d[0:], f[0])
				le.PutUint32(d[4:], f[1])
				le.PutUint32(d[8:], f[2])
			}
		})
		accessor(view(idxOff, len(ib), gltf.TargetElementArrayBuffer), gltf.ComponentUint, gltf.AccessorScalar, 3*nf, false)
	}
	indices := len(doc.Accessors) - 1

	pbr := &gltf.PBRMetallicRoughness{MetallicFactor: gltf.Float(0)}
	if textured {
		copy(buf[texOff:], texPNG)
		doc.Images = []*gltf.Image{{MimeType: "image/png", BufferView: gltf.Index(view(texOff, len(texPNG), gltf.TargetNone))}}
		// The texture was resampled to power-of-two sides (glbPowerOfTwo), so mipmaps are safe
		// in every viewer (WebGL 1 among them) and the validator has no IMAGE_NPOT_DIMENSIONS.
		doc.Samplers = []*gltf.Sampler{{MagFilter: gltf.MagLinear, MinFilter: gltf.MinLinearMipMapLinear, WrapS: gltf.WrapClampToEdge, WrapT: gltf.WrapClampToEdge}}
		doc.Textures = []*gltf.Texture{{Sampler: gltf.Index(0), Source: gltf.Index(0)}}
		pbr.BaseColorTexture = &gltf.TextureInfo{Index: 0}
	}
	doc.Materials = []*gltf.Material{{Name: "orfeas", PBRMetallicRoughness: pbr}}
	doc.Buffers = []*gltf.Buffer{{ByteLength: size, Data: buf}}
	doc.Meshes = []*gltf.Mesh{{Name: "orfeas", Primitives: []*gltf.Primitive{{
		Attributes: attrs,
		Indices:    gltf.Index(indices),
		Material:   gltf.Index(0),
		Mode:       gltf.PrimitiveTriangles,
	}}}}
	doc.Nodes = []*gltf.Node{{Name: "orfeas", Mesh: gltf.Index(0)}}
	doc.Scenes[0].Nodes = []int{0}
	return nil
}

// glbWriteNormals writes normals (one per vertex of m, in mesh axes), converted to glTF axes,
// into dst (12 bytes a vertex). The validator wants unit length everywhere, so a vertex without a
// usable normal takes the normal of the first non-degenerate face using it, or +Z; such vertices
// are rare, so they are looked for only when there are any.
func glbWriteNormalsWhole(dst []byte, m *mesh.Mesh, normals [][3]float32) {
	blocks := (len(normals) + glbBlock - 1) / glbBlock
	zs := make([]int, blocks)
	par.For(blocks, runtime.GOMAXPROCS(0), func(bi int) {
		v0 := bi * glbBlock
		for i, n := range normals[v0:min(len(normals), v0+glbBlock)] {
			if n == ([3]float32{}) {
				zs[bi]++
				continue
			}
			glbPutNormal(dst[12*(v0+i):], n)
		}
	})
	zeros := 0
	for _, z := range zs {
		zeros += z
	}
	if zeros == 0 {
		return
	}
	unset := func(v uint32) bool { return normals[v] == [3]float32{} }
	for i, f := range m.Faces {
		for _, v := range f {
			if unset(v) {
				if n := m.FaceNormal(i); n != ([3]float32{}) {
					glbPutNormal(dst[12*v:], n)
					normals[v] = n
				}
			}
		}
	}
	for v := range uint32(len(m.Positions)) {
		if unset(v) {
			glbPutNormal(dst[12*v:], [3]float32{0, 0, 1})
		}
	}
}
