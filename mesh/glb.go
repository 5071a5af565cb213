package mesh

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"github.com/qmuntal/gltf"
)

// GLB export follows the glTF 2.0 specification (Khronos, 2021): metres, +Y up, right-handed,
// counter-clockwise front faces, vertex colours in linear space. The mesh is in millimetres with
// Z up, so a point (x, y, z) becomes (x, z, −y)/1000: a rotation of −90° about X (determinant +1,
// so windings keep their sense) and a scale. Decoding inverts it.
//
// The binary buffer is laid out by hand and sized exactly: POSITION (float VEC3, with min/max),
// NORMAL (float VEC3), COLOR_0 (unsigned short normalized VEC4: 8-bit sRGB colours converted to
// linear need more than 8 bits not to band in the darks, and 16 bits bring every sRGB byte back
// exactly), TEXCOORD_0 (float VEC2), the indices (unsigned short when every index fits below the
// 65535 restart value, else unsigned int), and the PNG texture. qmuntal/gltf writes the JSON
// document and the GLB container.

// glbToGLTF converts a mesh point in mm, Z up, to glTF metres, Y up.
func glbToGLTF(p [3]float32) [3]float32 {
	return [3]float32{float32(float64(p[0]) / 1000), float32(float64(p[2]) / 1000), float32(-float64(p[1]) / 1000)}
}

// glbFromGLTF inverts glbToGLTF.
func glbFromGLTF(q [3]float32) [3]float32 {
	return [3]float32{float32(float64(q[0]) * 1000), float32(-float64(q[2]) * 1000), float32(float64(q[1]) * 1000)}
}

// glbSRGBToLinear16 maps an 8-bit sRGB value to linear light as a 16-bit unorm (IEC 61966-2-1).
var glbSRGBToLinear16 = func() (t [256]uint16) {
	for i := range t {
		c := float64(i) / 255
		var lin float64
		if c <= 0.04045 {
			lin = c / 12.92
		} else {
			lin = math.Pow((c+0.055)/1.055, 2.4)
		}
		t[i] = uint16(math.Round(lin * 65535))
	}
	return t
}()

// glbLinearToSRGB8 maps linear light in 0..1 to an 8-bit sRGB value.
func glbLinearToSRGB8(lin float64) uint8 {
	lin = min(max(lin, 0), 1)
	var c float64
	if lin <= 0.0031308 {
		c = lin * 12.92
	} else {
		c = 1.055*math.Pow(lin, 1/2.4) - 0.055
	}
	return uint8(math.Round(min(max(c, 0), 1) * 255))
}

func encodeGLB(w io.Writer, m *Mesh) error {
	doc := &gltf.Document{
		Asset:  gltf.Asset{Generator: "orfeas", Version: "2.0"},
		Scenes: []*gltf.Scene{{}},
		Scene:  gltf.Index(0),
	}
	if len(m.Faces) > 0 {
		if err := glbBuild(doc, m); err != nil {
			return err
		}
	}
	sw := &stickyWriter{w: w}
	// The library ignores the errors of some of its intermediate writes; stickyWriter keeps the
	// first one and fails every later write, so none is lost.
	err := gltf.NewEncoder(sw).Encode(doc)
	if sw.err != nil {
		return sw.err
	}
	return err
}

func glbBuild(doc *gltf.Document, m *Mesh) error {
	nv, nf := len(m.Positions), len(m.Faces)
	var texPNG []byte
	textured := m.Texture != nil && m.UVs != nil
	if textured {
		var b bytes.Buffer
		if err := png.Encode(&b, m.Texture); err != nil {
			return err
		}
		texPNG = b.Bytes()
	}
	idxSize := 4
	if nv <= math.MaxUint16 {
		idxSize = 2
	}
	size := 24 * nv
	if m.Colors != nil {
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

	// The vertex normals are most of the work; they are computed and written into their part of
	// buf on a second goroutine while this one fills the rest. The bytes do not depend on the
	// scheduling, and the goroutine ends before glbBuild returns.
	normalsDone := make(chan struct{})
	go func() {
		defer close(normalsDone)
		glbWriteNormals(buf[12*nv:24*nv], m)
	}()
	defer func() { <-normalsDone }()

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

	// Positions, with the exact float32 bounds the validator checks.
	lo := [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32}
	hi := [3]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
	for i, p := range m.Positions {
		q := glbToGLTF(p)
		for a := range 3 {
			lo[a], hi[a] = min(lo[a], q[a]), max(hi[a], q[a])
			le.PutUint32(buf[off+12*i+4*a:], math.Float32bits(q[a]))
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

	if m.Colors != nil {
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
		for i, uv := range m.UVs {
			le.PutUint32(buf[off+8*i:], math.Float32bits(uv[0]))
			le.PutUint32(buf[off+8*i+4:], math.Float32bits(uv[1]))
		}
		accessor(view(off, 8*nv, gltf.TargetArrayBuffer), gltf.ComponentFloat, gltf.AccessorVec2, nv, false)
		attrs[gltf.TEXCOORD_0] = len(doc.Accessors) - 1
		off += 8 * nv
	}

	ib := buf[idxOff : idxOff+3*nf*idxSize]
	if idxSize == 2 {
		for i, f := range m.Faces {
			le.PutUint16(ib[6*i:], uint16(f[0]))
			le.PutUint16(ib[6*i+2:], uint16(f[1]))
			le.PutUint16(ib[6*i+4:], uint16(f[2]))
		}
		accessor(view(idxOff, len(ib), gltf.TargetElementArrayBuffer), gltf.ComponentUshort, gltf.AccessorScalar, 3*nf, false)
	} else {
		for i, f := range m.Faces {
			le.PutUint32(ib[12*i:], f[0])
			le.PutUint32(ib[12*i+4:], f[1])
			le.PutUint32(ib[12*i+8:], f[2])
		}
		accessor(view(idxOff, len(ib), gltf.TargetElementArrayBuffer), gltf.ComponentUint, gltf.AccessorScalar, 3*nf, false)
	}
	indices := len(doc.Accessors) - 1

	<-normalsDone
	pbr := &gltf.PBRMetallicRoughness{MetallicFactor: gltf.Float(0)}
	if textured {
		copy(buf[texOff:], texPNG)
		doc.Images = []*gltf.Image{{MimeType: "image/png", BufferView: gltf.Index(view(texOff, len(texPNG), gltf.TargetNone))}}
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

// glbWriteNormals writes the angle-weighted vertex normals, converted to glTF axes, into dst
// (12 bytes a vertex). The validator wants unit length everywhere, so a vertex without a usable
// normal takes the normal of the first non-degenerate face using it, or +Z.
func glbWriteNormals(dst []byte, m *Mesh) {
	le := binary.LittleEndian
	normals := m.VertexNormals(AngleWeighted)
	for i, f := range m.Faces {
		for _, v := range f {
			if normals[v] == ([3]float32{}) {
				normals[v] = m.FaceNormal(i)
			}
		}
	}
	for i, n := range normals {
		if n == ([3]float32{}) {
			n = [3]float32{0, 0, 1}
		}
		o := 12 * i
		le.PutUint32(dst[o:], math.Float32bits(n[0]))
		le.PutUint32(dst[o+4:], math.Float32bits(n[2]))
		le.PutUint32(dst[o+8:], math.Float32bits(-n[1]))
	}
}

const (
	glbMagic     = 0x46546c67 // "glTF"
	glbChunkJSON = 0x4e4f534a // "JSON"
	glbChunkBIN  = 0x004e4942 // "BIN\0"
)

// decodeGLB reads the GLB container itself, so that every length is checked against the bytes
// present, parses the JSON chunk into qmuntal/gltf's document types, and reads the accessors of
// the first mesh's TRIANGLES primitives with bounds checks.
func decodeGLB(data []byte, l DecodeLimits) (*Mesh, error) {
	le := binary.LittleEndian
	if len(data) < 20 || le.Uint32(data) != glbMagic {
		return nil, malformed(GLB, "no glTF binary header")
	}
	if v := le.Uint32(data[4:]); v != 2 {
		return nil, malformed(GLB, "container version %d, want 2", v)
	}
	if n := le.Uint32(data[8:]); int64(n) > int64(len(data)) || n < 20 {
		return nil, malformed(GLB, "header claims %d bytes but the file has %d", n, len(data))
	} else {
		data = data[:n]
	}
	var jsonChunk, bin []byte
	for off := 12; off < len(data); {
		if len(data)-off < 8 {
			return nil, malformed(GLB, "truncated chunk header at byte %d", off)
		}
		n, typ := int64(le.Uint32(data[off:])), le.Uint32(data[off+4:])
		off += 8
		if n > int64(len(data)-off) {
			return nil, malformed(GLB, "chunk claims %d bytes but %d remain", n, len(data)-off)
		}
		chunk := data[off : off+int(n)]
		off += int(n)
		switch {
		case jsonChunk == nil:
			if typ != glbChunkJSON {
				return nil, malformed(GLB, "first chunk is not JSON")
			}
			jsonChunk = chunk
		case typ == glbChunkBIN && bin == nil:
			bin = chunk
		}
	}
	var doc gltf.Document
	if err := json.Unmarshal(jsonChunk, &doc); err != nil {
		return nil, malformed(GLB, "JSON: %v", err)
	}
	g := &glbReader{doc: &doc, bin: bin, l: l}
	return g.mesh()
}

type glbReader struct {
	doc *gltf.Document
	bin []byte
	l   DecodeLimits
}

// glbAccessor is a checked view of an accessor's elements.
type glbAccessor struct {
	data       []byte // starts at the first element
	stride     int
	count      int
	comp       gltf.ComponentType
	ncomp      int
	normalized bool
}

func (g *glbReader) accessor(idx int, what string) (*glbAccessor, error) {
	doc := g.doc
	if idx < 0 || idx >= len(doc.Accessors) || doc.Accessors[idx] == nil {
		return nil, malformed(GLB, "%s: no accessor %d", what, idx)
	}
	a := doc.Accessors[idx]
	if a.Sparse != nil {
		return nil, malformed(GLB, "%s: sparse accessors are not supported", what)
	}
	if a.BufferView == nil || *a.BufferView < 0 || *a.BufferView >= len(doc.BufferViews) || doc.BufferViews[*a.BufferView] == nil {
		return nil, malformed(GLB, "%s: accessor %d has no usable bufferView", what, idx)
	}
	bv := doc.BufferViews[*a.BufferView]
	if bv.Buffer != 0 || len(doc.Buffers) == 0 || doc.Buffers[0] == nil || doc.Buffers[0].URI != "" || g.bin == nil {
		return nil, malformed(GLB, "%s: data outside the GLB binary chunk is not supported", what)
	}
	if bv.ByteOffset < 0 || bv.ByteLength < 0 || bv.ByteOffset > len(g.bin) || bv.ByteLength > len(g.bin)-bv.ByteOffset {
		return nil, malformed(GLB, "%s: bufferView %d (offset %d, length %d) lies outside the %d-byte binary chunk", what, *a.BufferView, bv.ByteOffset, bv.ByteLength, len(g.bin))
	}
	view := g.bin[bv.ByteOffset : bv.ByteOffset+bv.ByteLength]
	csize := map[gltf.ComponentType]int{gltf.ComponentByte: 1, gltf.ComponentUbyte: 1, gltf.ComponentShort: 2,
		gltf.ComponentUshort: 2, gltf.ComponentUint: 4, gltf.ComponentFloat: 4}[a.ComponentType]
	ncomp := map[gltf.AccessorType]int{gltf.AccessorScalar: 1, gltf.AccessorVec2: 2, gltf.AccessorVec3: 3, gltf.AccessorVec4: 4}[a.Type]
	if csize == 0 || ncomp == 0 {
		return nil, malformed(GLB, "%s: accessor %d has an unsupported type", what, idx)
	}
	elem := csize * ncomp
	stride := bv.ByteStride
	if stride == 0 {
		stride = elem
	}
	if stride < elem || stride > 252 {
		return nil, malformed(GLB, "%s: byteStride %d for %d-byte elements", what, stride, elem)
	}
	if a.Count < 1 || a.ByteOffset < 0 || a.ByteOffset > len(view)-elem || a.Count-1 > (len(view)-a.ByteOffset-elem)/stride {
		return nil, malformed(GLB, "%s: accessor %d (%d elements at offset %d) overruns its %d-byte bufferView", what, idx, a.Count, a.ByteOffset, len(view))
	}
	return &glbAccessor{data: view[a.ByteOffset:], stride: stride, count: a.Count, comp: a.ComponentType, ncomp: ncomp, normalized: a.Normalized}, nil
}

// component returns component k of element i as a float64, normalised to 0..1 (or −1..1) when
// the accessor says so.
func (a *glbAccessor) component(i, k int) float64 {
	le := binary.LittleEndian
	switch o := i * a.stride; a.comp {
	case gltf.ComponentFloat:
		return float64(math.Float32frombits(le.Uint32(a.data[o+4*k:])))
	case gltf.ComponentUint:
		return float64(le.Uint32(a.data[o+4*k:]))
	case gltf.ComponentUshort:
		v := float64(le.Uint16(a.data[o+2*k:]))
		if a.normalized {
			v /= 65535
		}
		return v
	case gltf.ComponentShort:
		v := float64(int16(le.Uint16(a.data[o+2*k:])))
		if a.normalized {
			v = max(v/32767, -1)
		}
		return v
	case gltf.ComponentUbyte:
		v := float64(a.data[o+k])
		if a.normalized {
			v /= 255
		}
		return v
	default:
		v := float64(int8(a.data[o+k]))
		if a.normalized {
			v = max(v/127, -1)
		}
		return v
	}
}

func (g *glbReader) mesh() (*Mesh, error) {
	m := &Mesh{}
	if len(g.doc.Meshes) == 0 || g.doc.Meshes[0] == nil {
		return m, nil
	}
	var colors [][4]uint8
	var uvs [][2]float32
	hasColor, hasUV := false, false
	var material *int
	for pi, p := range g.doc.Meshes[0].Primitives {
		if p == nil || p.Mode != gltf.PrimitiveTriangles {
			continue
		}
		pos, ok := p.Attributes[gltf.POSITION]
		if !ok {
			return nil, malformed(GLB, "primitive %d has no POSITION", pi)
		}
		pa, err := g.accessor(pos, "POSITION")
		if err != nil {
			return nil, err
		}
		if pa.comp != gltf.ComponentFloat || pa.ncomp != 3 {
			return nil, malformed(GLB, "POSITION is not a float VEC3")
		}
		base := len(m.Positions)
		if pa.count > g.l.MaxVertices-base {
			return nil, tooLarge(GLB, "more than %d vertices", g.l.MaxVertices)
		}
		for i := range pa.count {
			q := [3]float32{float32(pa.component(i, 0)), float32(pa.component(i, 1)), float32(pa.component(i, 2))}
			p := glbFromGLTF(q)
			for _, c := range p {
				if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
					return nil, malformed(GLB, "vertex %d has a non-finite coordinate", i)
				}
			}
			m.Positions = append(m.Positions, p)
		}
		// Colours and UVs, or placeholders when this primitive has none.
		colors = append(colors, make([][4]uint8, pa.count)...)
		uvs = append(uvs, make([][2]float32, pa.count)...)
		for i := base; i < len(colors); i++ {
			colors[i] = [4]uint8{255, 255, 255, 255}
		}
		if ci, ok := p.Attributes[gltf.COLOR_0]; ok {
			ca, err := g.accessor(ci, "COLOR_0")
			if err != nil {
				return nil, err
			}
			if ca.count != pa.count || ca.ncomp < 3 || (ca.comp != gltf.ComponentFloat && !(ca.normalized && (ca.comp == gltf.ComponentUbyte || ca.comp == gltf.ComponentUshort))) {
				return nil, malformed(GLB, "COLOR_0 is not %d float or unsigned normalized VEC3/VEC4", pa.count)
			}
			hasColor = true
			for i := range ca.count {
				c := &colors[base+i]
				for k := range 3 {
					c[k] = glbLinearToSRGB8(ca.component(i, k))
				}
				if ca.ncomp == 4 {
					c[3] = uint8(math.Round(min(max(ca.component(i, 3), 0), 1) * 255))
				}
			}
		}
		if ti, ok := p.Attributes[gltf.TEXCOORD_0]; ok {
			ta, err := g.accessor(ti, "TEXCOORD_0")
			if err != nil {
				return nil, err
			}
			if ta.count != pa.count || ta.ncomp != 2 || (ta.comp != gltf.ComponentFloat && !(ta.normalized && (ta.comp == gltf.ComponentUbyte || ta.comp == gltf.ComponentUshort))) {
				return nil, malformed(GLB, "TEXCOORD_0 is not %d float or unsigned normalized VEC2", pa.count)
			}
			hasUV = true
			for i := range ta.count {
				u, v := float32(ta.component(i, 0)), float32(ta.component(i, 1))
				if math.IsNaN(float64(u)) || math.IsInf(float64(u), 0) || math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return nil, malformed(GLB, "TEXCOORD_0 %d is not finite", i)
				}
				uvs[base+i] = [2]float32{u, v}
			}
			if material == nil {
				material = p.Material
			}
		}
		if p.Indices == nil {
			if pa.count%3 != 0 {
				return nil, malformed(GLB, "%d non-indexed vertices are not whole triangles", pa.count)
			}
			if pa.count/3 > g.l.MaxFaces-len(m.Faces) {
				return nil, tooLarge(GLB, "more than %d triangles", g.l.MaxFaces)
			}
			for i := 0; i < pa.count; i += 3 {
				b := uint32(base + i)
				m.Faces = append(m.Faces, [3]uint32{b, b + 1, b + 2})
			}
			continue
		}
		ia, err := g.accessor(*p.Indices, "indices")
		if err != nil {
			return nil, err
		}
		if ia.ncomp != 1 || (ia.comp != gltf.ComponentUbyte && ia.comp != gltf.ComponentUshort && ia.comp != gltf.ComponentUint) || ia.normalized {
			return nil, malformed(GLB, "indices are not unsigned integer scalars")
		}
		if ia.count%3 != 0 {
			return nil, malformed(GLB, "%d indices are not whole triangles", ia.count)
		}
		if ia.count/3 > g.l.MaxFaces-len(m.Faces) {
			return nil, tooLarge(GLB, "more than %d triangles", g.l.MaxFaces)
		}
		for i := 0; i < ia.count; i += 3 {
			var f [3]uint32
			for k := range 3 {
				v := ia.component(i+k, 0)
				if v >= float64(pa.count) {
					return nil, malformed(GLB, "index %d is %g, beyond the %d vertices", i+k, v, pa.count)
				}
				f[k] = uint32(base) + uint32(v)
			}
			m.Faces = append(m.Faces, f)
		}
	}
	if hasColor {
		m.Colors = colors
	}
	if hasUV {
		m.UVs = uvs
		tex, err := g.texture(material)
		if err != nil {
			return nil, err
		}
		m.Texture = tex
	}
	return m, nil
}

// texture decodes the base colour texture of the material, when it is an embedded PNG or JPEG,
// after checking its dimensions against the limits. Other images are ignored.
func (g *glbReader) texture(material *int) (image.Image, error) {
	doc := g.doc
	if material == nil || *material < 0 || *material >= len(doc.Materials) || doc.Materials[*material] == nil {
		return nil, nil
	}
	pbr := doc.Materials[*material].PBRMetallicRoughness
	if pbr == nil || pbr.BaseColorTexture == nil {
		return nil, nil
	}
	ti := pbr.BaseColorTexture.Index
	if ti < 0 || ti >= len(doc.Textures) || doc.Textures[ti] == nil || doc.Textures[ti].Source == nil {
		return nil, nil
	}
	si := *doc.Textures[ti].Source
	if si < 0 || si >= len(doc.Images) || doc.Images[si] == nil || doc.Images[si].BufferView == nil {
		return nil, nil
	}
	im := doc.Images[si]
	bvi := *im.BufferView
	if bvi < 0 || bvi >= len(doc.BufferViews) || doc.BufferViews[bvi] == nil {
		return nil, malformed(GLB, "image %d has no usable bufferView", si)
	}
	bv := doc.BufferViews[bvi]
	if bv.Buffer != 0 || g.bin == nil || bv.ByteOffset < 0 || bv.ByteLength < 0 || bv.ByteOffset > len(g.bin) || bv.ByteLength > len(g.bin)-bv.ByteOffset {
		return nil, malformed(GLB, "image %d lies outside the binary chunk", si)
	}
	b := g.bin[bv.ByteOffset : bv.ByteOffset+bv.ByteLength]
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch im.MimeType {
	case "image/png":
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case "image/jpeg":
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	default:
		return nil, nil
	}
	cfg, err := decodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, malformed(GLB, "texture: %v", err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > g.l.MaxTexturePixels {
		return nil, tooLarge(GLB, "texture of %d×%d pixels exceeds %d pixels", cfg.Width, cfg.Height, g.l.MaxTexturePixels)
	}
	tex, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil, malformed(GLB, "texture: %v", err)
	}
	return tex, nil
}
