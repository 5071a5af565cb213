package meshio

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"github.com/qmuntal/gltf"

	"github.com/orfeas3d/orfeas/internal/ctxio"
	"github.com/orfeas3d/orfeas/mesh"
)

// GLB export follows the glTF 2.0 specification (Khronos, 2021): metres, +Y up, right-handed,
// counter-clockwise front faces, vertex colours in linear space. The mesh is in millimetres with
// Z up, so a point (x, y, z) becomes (x, z, −y)/1000: a rotation of −90° about X (determinant +1,
// so windings keep their sense) and a scale. Decoding inverts it.
//
// The binary buffer is laid out by hand and sized exactly: POSITION (float VEC3, with min/max),
// NORMAL (float VEC3), COLOR_0 (unsigned short normalized VEC4: 8-bit sRGB colours converted to
// linear need more than 8 bits not to band in the darks, and 16 bits bring every sRGB byte back
// exactly; written only for an untextured mesh, since glTF multiplies the texture by it),
// TEXCOORD_0 (float VEC2), the indices (unsigned short when every index fits below the
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

func encodeGLB(w io.Writer, m *mesh.Mesh) error {
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

func glbBuild(doc *gltf.Document, m *mesh.Mesh) error {
	nv, nf := len(m.Positions), len(m.Faces)
	var texPNG []byte
	textured := m.Texture != nil && m.UVs != nil
	// glTF multiplies the base-colour texture by COLOR_0, so a textured mesh's vertex colours
	// (which sample the same image) would darken it twice: the texture alone carries the colour,
	// and the vertex colours stay for OBJ and PLY.
	colored := m.Colors != nil && !textured
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
	// The loops below convert each element to a fixed-size array pointer, which costs one bounds
	// check instead of one per store (about 3 of 67 CPU-ms off the 1M-triangle GLB when made).
	for i, p := range m.Positions {
		q := glbToGLTF(p)
		d := (*[12]byte)(buf[off+12*i:])
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
			d := (*[6]byte)(ib[6*i:])
			le.PutUint16(d[0:], uint16(f[0]))
			le.PutUint16(d[2:], uint16(f[1]))
			le.PutUint16(d[4:], uint16(f[2]))
		}
		accessor(view(idxOff, len(ib), gltf.TargetElementArrayBuffer), gltf.ComponentUshort, gltf.AccessorScalar, 3*nf, false)
	} else {
		for i, f := range m.Faces {
			d := (*[12]byte)(ib[12*i:])
			le.PutUint32(d[0:], f[0])
			le.PutUint32(d[4:], f[1])
			le.PutUint32(d[8:], f[2])
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

// glbWriteNormals writes the angle-weighted vertex normals (Mesh.VertexNormals), converted to
// glTF axes, into dst (12 bytes a vertex). The validator wants unit length everywhere, so a vertex
// without a usable normal takes the normal of the first non-degenerate face using it, or +Z;
// such vertices are rare, so they are looked for only when there are any.
func glbWriteNormals(dst []byte, m *mesh.Mesh) {
	normals := m.VertexNormals(mesh.AngleWeighted)
	zeros := 0
	for v, n := range normals {
		if n == ([3]float32{}) {
			zeros++
			continue
		}
		glbPutNormal(dst[12*v:], n)
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

// glbPutNormal writes a mesh-axes unit normal in glTF axes (the rotation of glbToGLTF).
func glbPutNormal(dst []byte, n [3]float32) {
	le := binary.LittleEndian
	d := (*[12]byte)(dst)
	le.PutUint32(d[0:], math.Float32bits(n[0]))
	le.PutUint32(d[4:], math.Float32bits(n[2]))
	le.PutUint32(d[8:], math.Float32bits(-n[1]))
}

const (
	glbMagic     = 0x46546c67 // "glTF"
	glbChunkJSON = 0x4e4f534a // "JSON"
	glbChunkBIN  = 0x004e4942 // "BIN\0"
)

// decodeGLB reads the GLB container itself, so that every length is checked against the bytes
// present, parses the JSON chunk into qmuntal/gltf's document types, and reads the accessors of
// the first mesh's TRIANGLES primitives with bounds checks.
func decodeGLB(data []byte, l DecodeLimits) (*mesh.Mesh, error) {
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
	var doc glbDoc
	if err := json.Unmarshal(jsonChunk, &doc); err != nil {
		return nil, malformed(GLB, "JSON: %v", err)
	}
	g := &glbReader{doc: &doc, bin: bin, l: l}
	return g.mesh()
}

// glbDoc is the part of a glTF JSON document the decoder reads. Each array is kept as one copy of
// its JSON text and an element is parsed only when a primitive refers to it, and arrays the
// decoder does not use (nodes, scenes, animations…) are skipped by the JSON scanner without being
// stored, so the document takes at most about 5 bytes per byte of the JSON chunk whatever it
// holds (parsing into qmuntal/gltf's Document costs over 300 bytes per "{}" node).
type glbDoc struct {
	Buffers     glbArray `json:"buffers"`
	BufferViews glbArray `json:"bufferViews"`
	Accessors   glbArray `json:"accessors"`
	Meshes      glbArray `json:"meshes"`
	Materials   glbArray `json:"materials"`
	Textures    glbArray `json:"textures"`
	Images      glbArray `json:"images"`
}

// glbArray is a JSON array kept as text; spans, found on first use, holds the start and end
// offsets of its elements (4 bytes each, and an element takes at least 2 bytes with its comma).
type glbArray struct {
	raw   []byte
	spans []uint32
	split bool
}

// UnmarshalJSON keeps a copy of the array's text.
func (a *glbArray) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*a = glbArray{}
		return nil
	}
	if len(b) == 0 || b[0] != '[' {
		return fmt.Errorf("expected an array, got %.20q", b)
	}
	*a = glbArray{raw: bytes.Clone(b)}
	return nil
}

// glbWalk calls f with the bounds of each element of raw, a JSON array that encoding/json has
// already checked is valid (it validates the whole document before decoding any of it).
func glbWalk(raw []byte, f func(s, e int)) {
	depth, inStr, esc, start := 0, false, false, -1
	for i, c := range raw {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '[', '{':
			if depth == 1 && start < 0 {
				start = i
			}
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				if start >= 0 {
					f(start, i)
				}
				return
			}
		case ',':
			if depth == 1 {
				f(start, i)
				start = -1
			}
		default:
			if c == '"' {
				inStr = true
			}
			if depth == 1 && start < 0 {
				start = i
			}
		}
	}
}

// len returns the number of elements.
func (a *glbArray) len() int {
	a.doSplit()
	return len(a.spans) / 2
}

func (a *glbArray) doSplit() {
	if a.split {
		return
	}
	a.split = true
	n := 0
	glbWalk(a.raw, func(int, int) { n++ })
	a.spans = make([]uint32, 0, 2*n)
	glbWalk(a.raw, func(s, e int) { a.spans = append(a.spans, uint32(s), uint32(e)) })
}

// glbElement parses element i of a JSON array into v; ok is false when there is no such element
// or it is null, err is set when it does not parse.
func glbElement(a *glbArray, i int, v any) (ok bool, err error) {
	a.doSplit()
	if i < 0 || i >= len(a.spans)/2 {
		return false, nil
	}
	el := bytes.TrimSpace(a.raw[a.spans[2*i]:a.spans[2*i+1]])
	if string(el) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(el, v); err != nil {
		return false, err
	}
	return true, nil
}

type glbJSONBuffer struct {
	URI string `json:"uri"`
}

type glbJSONBufferView struct {
	Buffer     int `json:"buffer"`
	ByteOffset int `json:"byteOffset"`
	ByteLength int `json:"byteLength"`
	ByteStride int `json:"byteStride"`
}

type glbJSONAccessor struct {
	BufferView    *int            `json:"bufferView"`
	ByteOffset    int             `json:"byteOffset"`
	ComponentType int             `json:"componentType"`
	Normalized    bool            `json:"normalized"`
	Count         int             `json:"count"`
	Type          string          `json:"type"`
	Sparse        json.RawMessage `json:"sparse"`
}

type glbJSONPrimitive struct {
	Attributes struct {
		Position *int `json:"POSITION"`
		Color    *int `json:"COLOR_0"`
		UV       *int `json:"TEXCOORD_0"`
	} `json:"attributes"`
	Indices  *int `json:"indices"`
	Material *int `json:"material"`
	Mode     *int `json:"mode"` // absent means TRIANGLES
}

type glbJSONMaterial struct {
	PBR *struct {
		BaseColorTexture *struct {
			Index int `json:"index"`
		} `json:"baseColorTexture"`
	} `json:"pbrMetallicRoughness"`
}

type glbJSONTexture struct {
	Source *int `json:"source"`
}

type glbJSONImage struct {
	BufferView *int   `json:"bufferView"`
	MimeType   string `json:"mimeType"`
}

type glbReader struct {
	doc       *glbDoc
	bin       []byte
	l         DecodeLimits
	accessors map[int]*glbAccessor // parsed accessors, by index: each is parsed once
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
	if a, ok := g.accessors[idx]; ok {
		return a, nil
	}
	a, err := g.parseAccessor(idx, what)
	if err != nil {
		return nil, err
	}
	if g.accessors == nil {
		g.accessors = map[int]*glbAccessor{}
	}
	g.accessors[idx] = a
	return a, nil
}

func (g *glbReader) parseAccessor(idx int, what string) (*glbAccessor, error) {
	doc := g.doc
	var a glbJSONAccessor
	if ok, err := glbElement(&doc.Accessors, idx, &a); err != nil {
		return nil, malformed(GLB, "%s: accessor %d: JSON: %v", what, idx, err)
	} else if !ok {
		return nil, malformed(GLB, "%s: no accessor %d", what, idx)
	}
	if a.Sparse != nil && string(a.Sparse) != "null" {
		return nil, malformed(GLB, "%s: sparse accessors are not supported", what)
	}
	var bv glbJSONBufferView
	if a.BufferView == nil {
		return nil, malformed(GLB, "%s: accessor %d has no usable bufferView", what, idx)
	}
	if ok, err := glbElement(&doc.BufferViews, *a.BufferView, &bv); err != nil || !ok {
		return nil, malformed(GLB, "%s: accessor %d has no usable bufferView", what, idx)
	}
	var buf glbJSONBuffer
	if ok, err := glbElement(&doc.Buffers, 0, &buf); bv.Buffer != 0 || err != nil || !ok || buf.URI != "" || g.bin == nil {
		return nil, malformed(GLB, "%s: data outside the GLB binary chunk is not supported", what)
	}
	if bv.ByteOffset < 0 || bv.ByteLength < 0 || bv.ByteOffset > len(g.bin) || bv.ByteLength > len(g.bin)-bv.ByteOffset {
		return nil, malformed(GLB, "%s: bufferView %d (offset %d, length %d) lies outside the %d-byte binary chunk", what, *a.BufferView, bv.ByteOffset, bv.ByteLength, len(g.bin))
	}
	view := g.bin[bv.ByteOffset : bv.ByteOffset+bv.ByteLength]
	comp := gltf.ComponentType(0)
	csize := 0
	switch a.ComponentType {
	case 5120:
		comp, csize = gltf.ComponentByte, 1
	case 5121:
		comp, csize = gltf.ComponentUbyte, 1
	case 5122:
		comp, csize = gltf.ComponentShort, 2
	case 5123:
		comp, csize = gltf.ComponentUshort, 2
	case 5125:
		comp, csize = gltf.ComponentUint, 4
	case 5126:
		comp, csize = gltf.ComponentFloat, 4
	}
	ncomp := map[string]int{"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[a.Type]
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
	return &glbAccessor{data: view[a.ByteOffset:], stride: stride, count: a.Count, comp: comp, ncomp: ncomp, normalized: a.Normalized}, nil
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

// glbAmplification bounds the geometry a GLB file decodes to: the vertices (12 bytes each, 4
// more with colours, 8 more with UVs) and triangles (12 bytes each) of all primitives together
// take at most glbAmplification times the binary chunk's length. Data that is not shared needs
// at most 4 (three one-byte indices make a 12-byte triangle; a 2-byte normalized UV becomes 8
// bytes); more means primitives reuse the same accessors over and over, which is how a 127 KB
// file would otherwise claim gigabytes.
const glbAmplification = 8

// glbPrim is a checked TRIANGLES primitive, waiting to be decoded.
type glbPrim struct {
	pos, color, uv *glbAccessor
	indices        *glbAccessor // nil for a non-indexed primitive
	base           int          // index of its first vertex in the mesh
	first          bool         // the first primitive with these vertex accessors decodes them
}

// mesh decodes the TRIANGLES primitives of the first mesh in two passes: the first checks every
// accessor and counts vertices and triangles, so that the limits and the budget are enforced
// before anything is allocated, and the second fills slices of exactly the right size.
// Primitives with the same POSITION, COLOR_0 and TEXCOORD_0 accessors share one copy of their
// vertices.
func (g *glbReader) mesh() (*mesh.Mesh, error) {
	m := &mesh.Mesh{}
	var mesh0 struct {
		Primitives glbArray `json:"primitives"`
	}
	if ok, err := glbElement(&g.doc.Meshes, 0, &mesh0); err != nil {
		return nil, malformed(GLB, "mesh 0: JSON: %v", err)
	} else if !ok {
		return m, nil
	}
	var prims []glbPrim
	bases := map[[3]int]int{} // vertex accessors → base vertex; looked up, never iterated
	nv, nf := 0, 0
	hasColor, hasUV := false, false
	var material *int
	for pi := range mesh0.Primitives.len() {
		var p glbJSONPrimitive
		if ok, err := glbElement(&mesh0.Primitives, pi, &p); err != nil {
			return nil, malformed(GLB, "primitive %d: JSON: %v", pi, err)
		} else if !ok || (p.Mode != nil && *p.Mode != int(gltf.PrimitiveTriangles)) {
			continue
		}
		if p.Attributes.Position == nil {
			return nil, malformed(GLB, "primitive %d has no POSITION", pi)
		}
		pa, err := g.accessor(*p.Attributes.Position, "POSITION")
		if err != nil {
			return nil, err
		}
		if pa.comp != gltf.ComponentFloat || pa.ncomp != 3 {
			return nil, malformed(GLB, "POSITION is not a float VEC3")
		}
		pr := glbPrim{pos: pa}
		key := [3]int{*p.Attributes.Position, -1, -1}
		if ci := p.Attributes.Color; ci != nil {
			ca, err := g.accessor(*ci, "COLOR_0")
			if err != nil {
				return nil, err
			}
			if ca.count != pa.count || ca.ncomp < 3 || (ca.comp != gltf.ComponentFloat && !(ca.normalized && (ca.comp == gltf.ComponentUbyte || ca.comp == gltf.ComponentUshort))) {
				return nil, malformed(GLB, "COLOR_0 is not %d float or unsigned normalized VEC3/VEC4", pa.count)
			}
			pr.color, key[1], hasColor = ca, *ci, true
		}
		if ti := p.Attributes.UV; ti != nil {
			ta, err := g.accessor(*ti, "TEXCOORD_0")
			if err != nil {
				return nil, err
			}
			if ta.count != pa.count || ta.ncomp != 2 || (ta.comp != gltf.ComponentFloat && !(ta.normalized && (ta.comp == gltf.ComponentUbyte || ta.comp == gltf.ComponentUshort))) {
				return nil, malformed(GLB, "TEXCOORD_0 is not %d float or unsigned normalized VEC2", pa.count)
			}
			pr.uv, key[2], hasUV = ta, *ti, true
			if material == nil {
				material = p.Material
			}
		}
		if b, ok := bases[key]; ok {
			pr.base = b
		} else {
			if pa.count > g.l.MaxVertices-nv {
				return nil, tooLarge(GLB, "more than %d vertices", g.l.MaxVertices)
			}
			pr.base, pr.first = nv, true
			bases[key] = nv
			nv += pa.count
		}
		ntri := 0
		if p.Indices == nil {
			if pa.count%3 != 0 {
				return nil, malformed(GLB, "%d non-indexed vertices are not whole triangles", pa.count)
			}
			ntri = pa.count / 3
		} else {
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
			pr.indices, ntri = ia, ia.count/3
		}
		if ntri > g.l.MaxFaces-nf {
			return nil, tooLarge(GLB, "more than %d triangles", g.l.MaxFaces)
		}
		nf += ntri
		prims = append(prims, pr)
	}
	perVertex := int64(12)
	if hasColor {
		perVertex += 4
	}
	if hasUV {
		perVertex += 8
	}
	if size, budget := int64(nv)*perVertex+12*int64(nf), glbAmplification*int64(len(g.bin)); size > budget {
		return nil, tooLarge(GLB, "the primitives decode to %d bytes, more than %d times the %d-byte binary chunk (accessors reused by many primitives)", size, glbAmplification, len(g.bin))
	}

	m.Positions = make([][3]float32, nv)
	m.Faces = make([][3]uint32, 0, nf)
	if hasColor {
		m.Colors = make([][4]uint8, nv)
		for i := range m.Colors {
			m.Colors[i] = [4]uint8{255, 255, 255, 255}
		}
	}
	if hasUV {
		m.UVs = make([][2]float32, nv)
	}
	for _, pr := range prims {
		if pr.first {
			if err := g.vertices(m, pr); err != nil {
				return nil, err
			}
		}
		if pr.indices == nil {
			for i := 0; i < pr.pos.count; i += 3 {
				b := uint32(pr.base + i)
				m.Faces = append(m.Faces, [3]uint32{b, b + 1, b + 2})
			}
			continue
		}
		ia := pr.indices
		for i := 0; i < ia.count; i += 3 {
			var f [3]uint32
			for k := range 3 {
				v := ia.component(i+k, 0)
				if v >= float64(pr.pos.count) {
					return nil, malformed(GLB, "index %d is %g, beyond the %d vertices", i+k, v, pr.pos.count)
				}
				f[k] = uint32(pr.base) + uint32(v)
			}
			m.Faces = append(m.Faces, f)
		}
	}
	if hasUV {
		tex, err := g.texture(material)
		if err != nil {
			return nil, err
		}
		m.Texture = tex
	}
	return m, nil
}

// vertices decodes the positions, colours and UVs of pr into m from pr.base on.
func (g *glbReader) vertices(m *mesh.Mesh, pr glbPrim) error {
	pa := pr.pos
	for i := range pa.count {
		q := [3]float32{float32(pa.component(i, 0)), float32(pa.component(i, 1)), float32(pa.component(i, 2))}
		p := glbFromGLTF(q)
		for _, c := range p {
			if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
				return malformed(GLB, "vertex %d has a non-finite coordinate", i)
			}
		}
		m.Positions[pr.base+i] = p
	}
	if ca := pr.color; ca != nil {
		for i := range ca.count {
			c := &m.Colors[pr.base+i]
			for k := range 3 {
				c[k] = glbLinearToSRGB8(ca.component(i, k))
			}
			if ca.ncomp == 4 {
				c[3] = uint8(math.Round(min(max(ca.component(i, 3), 0), 1) * 255))
			}
		}
	}
	if ta := pr.uv; ta != nil {
		for i := range ta.count {
			u, v := float32(ta.component(i, 0)), float32(ta.component(i, 1))
			if math.IsNaN(float64(u)) || math.IsInf(float64(u), 0) || math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return malformed(GLB, "TEXCOORD_0 %d is not finite", i)
			}
			m.UVs[pr.base+i] = [2]float32{u, v}
		}
	}
	return nil
}

// texture decodes the base colour texture of the material, when it is an embedded PNG or JPEG,
// after checking its dimensions against the limits. Other images are ignored.
func (g *glbReader) texture(material *int) (image.Image, error) {
	doc := g.doc
	if material == nil {
		return nil, nil
	}
	var mat glbJSONMaterial
	if ok, err := glbElement(&doc.Materials, *material, &mat); err != nil {
		return nil, malformed(GLB, "material %d: JSON: %v", *material, err)
	} else if !ok || mat.PBR == nil || mat.PBR.BaseColorTexture == nil {
		return nil, nil
	}
	ti := mat.PBR.BaseColorTexture.Index
	var tx glbJSONTexture
	if ok, err := glbElement(&doc.Textures, ti, &tx); err != nil {
		return nil, malformed(GLB, "texture %d: JSON: %v", ti, err)
	} else if !ok || tx.Source == nil {
		return nil, nil
	}
	si := *tx.Source
	var im glbJSONImage
	if ok, err := glbElement(&doc.Images, si, &im); err != nil {
		return nil, malformed(GLB, "image %d: JSON: %v", si, err)
	} else if !ok || im.BufferView == nil {
		return nil, nil
	}
	bvi := *im.BufferView
	var bv glbJSONBufferView
	if ok, err := glbElement(&doc.BufferViews, bvi, &bv); err != nil || !ok {
		return nil, malformed(GLB, "image %d has no usable bufferView", si)
	}
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
