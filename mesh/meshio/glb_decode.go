package meshio

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/qmuntal/gltf"

	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/mesh"
)

// decodeGLB reads the GLB container itself, so that every length is checked against the bytes
// present, parses the JSON chunk into qmuntal/gltf's document types, and reads the accessors of
// the first mesh's TRIANGLES primitives with bounds checks.
func decodeGLB(ctx context.Context, data []byte, l DecodeLimits) (*mesh.Mesh, error) {
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
	g := &glbReader{ctx: ctx, doc: &doc, bin: bin, l: l}
	return g.mesh()
}

type glbReader struct {
	ctx       context.Context // stops a texture's decoding
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

// texture decodes the base colour texture of the material, when it is an embedded PNG or JPEG.
// It goes through imagecheck's door like every image: headers checked first (pixels against
// MaxTexturePixels, the bytes, a JPEG's scan count), the decoder run only when they pass, with
// the decode's context, so a hostile texture (a progressive JPEG of thousands of scans) is
// refused in microseconds and a cancelled request stops its decoding. Other images are ignored.
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
	var format imagecheck.Format
	switch im.MimeType {
	case "image/png":
		format = imagecheck.PNG
	case "image/jpeg":
		format = imagecheck.JPEG
	default:
		return nil, nil
	}
	lim := imagecheck.Limits{
		MaxBytes:  int64(len(b)),
		MinSide:   -1, // a 1×1 texture is a colour
		MaxSide:   1 << 16,
		MaxPixels: g.l.MaxTexturePixels,
		Formats:   []imagecheck.Format{format},
	}
	tex, _, err := imagecheck.DecodeStored(g.ctx, b, lim)
	switch {
	case err == nil:
		return tex, nil
	case g.ctx.Err() != nil:
		return nil, fmt.Errorf("meshio: decode GLB texture: %w", g.ctx.Err())
	case errors.Is(err, imagecheck.ErrTooLarge), errors.Is(err, imagecheck.ErrDimensions):
		// Both wrapped: callers branch on ErrTooLarge, and may read imagecheck's LimitError.
		return nil, fmt.Errorf("%w: %v: texture: %w", ErrTooLarge, GLB, err)
	}
	return nil, fmt.Errorf("%w: %v: texture: %w", ErrMalformed, GLB, err)
}
