package meshio

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"io"
	"math"
	"runtime"

	"github.com/qmuntal/gltf"

	"github.com/orfeas3d/orfeas/internal/ctxio"
	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/mesh"
)

// encodeGLB writes m as one GLB file: POSITION (float VEC3, with min/max), NORMAL (float VEC3),
// COLOR_0 (unsigned short normalized VEC4: 8-bit sRGB colours converted to linear need more than 8
// bits not to band in the darks, and 16 bits bring every sRGB byte back exactly; written only for
// an untextured mesh, since glTF multiplies the texture by it), TEXCOORD_0 (float VEC2), the
// indices (unsigned short when every index fits below the 65535 restart value, else unsigned
// int), and the PNG texture, in that order in the one binary buffer. qmuntal/gltf writes the
// JSON document; the container and the binary chunk are written here, streamed from the mesh a
// block at a time (glbStream), so that the buffer, as large as the file, is never held whole.
//
// The vertices are split along creases of more than crease degrees (mesh.Mesh.Crease), so that
// flat faces shade flat and sharp edges stay sharp; the split vertices are read through the
// crease's Origin, never copied.
func encodeGLB(w io.Writer, m *mesh.Mesh, crease float64) error {
	doc := &gltf.Document{
		Asset:  gltf.Asset{Generator: "orfeas", Version: "2.0"},
		Scenes: []*gltf.Scene{{}},
		Scene:  gltf.Index(0),
	}
	var bin *glbStream
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
		c := m.Crease(crease)
		<-done
		if texErr != nil {
			return texErr
		}
		var err error
		if bin, err = glbPlan(doc, m, c, texPNG); err != nil {
			return err
		}
	}
	// The document's JSON as qmuntal/gltf writes it into a GLB: its text encoding gives the same
	// bytes for a first buffer that has a length and neither data nor URI (encodeBinary and
	// marshalJSONDoc, v0.29.0).
	var js bytes.Buffer
	enc := gltf.NewEncoder(&js)
	enc.AsBinary = false
	if err := enc.Encode(doc); err != nil {
		return err
	}
	jsonLen := (js.Len() + 3) / 4 * 4
	total := 12 + 8 + jsonLen
	binLen := 0
	if bin != nil {
		binLen = (bin.size + 3) / 4 * 4
		total += 8 + binLen
	}
	sw := ctxio.NewWriter(context.Background(), w)
	// The container's header and the JSON chunk's, then the JSON padded with spaces.
	le := binary.LittleEndian
	head := le.AppendUint32(nil, glbMagic)
	head = le.AppendUint32(head, 2)
	head = le.AppendUint32(head, uint32(total))
	head = le.AppendUint32(head, uint32(jsonLen))
	head = le.AppendUint32(head, glbChunkJSON)
	sw.Write(head)
	for range jsonLen - js.Len() {
		js.WriteByte(' ')
	}
	sw.Write(js.Bytes())
	if bin != nil {
		sw.Write(le.AppendUint32(le.AppendUint32(nil, uint32(binLen)), glbChunkBIN))
		bin.write(sw)
		sw.Write(make([]byte, binLen-bin.size))
	}
	return sw.Err()
}

// glbStream is what the binary chunk is made from: the mesh, its crease split and the texture's
// PNG, laid out as glbPlan recorded.
type glbStream struct {
	m                 *mesh.Mesh
	c                 mesh.Creased
	texPNG            []byte
	colored, uvs      bool
	idxSize, size, nv int
}

// glbPlan fills doc with the views, accessors (the positions' exact float32 bounds among them),
// material and mesh of m split as c, with texPNG the PNG of m's texture (nil when m has none),
// and returns the binary chunk to stream. It gives every vertex a unit normal, as the validator
// wants: a vertex of c without one takes the normal of the first non-degenerate face using it,
// or +Z (such vertices are rare, so they are looked for only when there are any).
func glbPlan(doc *gltf.Document, m *mesh.Mesh, c mesh.Creased, texPNG []byte) (*glbStream, error) {
	nv, nf := len(c.Origin), len(c.Faces)
	textured := m.Texture != nil && m.UVs != nil
	// glTF multiplies the base-colour texture by COLOR_0, so a textured mesh's vertex colours
	// (which sample the same image) would darken it twice: the texture alone carries the colour,
	// and the vertex colours stay for OBJ and PLY.
	s := &glbStream{m: m, c: c, texPNG: texPNG, colored: m.Colors != nil && !textured, uvs: m.UVs != nil, idxSize: 4, nv: nv}
	if nv <= math.MaxUint16 {
		s.idxSize = 2
	}
	size := 24 * nv
	if s.colored {
		size += 8 * nv
	}
	if s.uvs {
		size += 8 * nv
	}
	idxOff := size
	size += 3 * nf * s.idxSize
	texOff := size
	size += len(texPNG)
	if uint64(size) > math.MaxUint32-1<<20 { // the GLB container counts bytes in uint32
		return nil, fmt.Errorf("%d-byte binary buffer exceeds GLB's 4 GiB limit", size)
	}
	s.size = size
	glbFixNormals(m, c)

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
	// bounded in parallel, merged in block order with the same strict comparisons, so the bounds
	// are those of one pass in vertex order (the first of equal values, −0 or +0, stays).
	blocks := (nv + glbBlock - 1) / glbBlock
	los, his := make([][3]float32, blocks), make([][3]float32, blocks)
	par.For(blocks, runtime.GOMAXPROCS(0), func(bi int) {
		lo := [3]float32{math.MaxFloat32, math.MaxFloat32, math.MaxFloat32}
		hi := [3]float32{-math.MaxFloat32, -math.MaxFloat32, -math.MaxFloat32}
		v0 := bi * glbBlock
		for _, o := range c.Origin[v0:min(nv, v0+glbBlock)] {
			q := glbToGLTF(m.Positions[o])
			for a := range 3 {
				if q[a] < lo[a] {
					lo[a] = q[a]
				}
				if q[a] > hi[a] {
					hi[a] = q[a]
				}
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

	accessor(view(off, 12*nv, gltf.TargetArrayBuffer), gltf.ComponentFloat, gltf.AccessorVec3, nv, false)
	attrs[gltf.NORMAL] = len(doc.Accessors) - 1
	off += 12 * nv

	if s.colored {
		accessor(view(off, 8*nv, gltf.TargetArrayBuffer), gltf.ComponentUshort, gltf.AccessorVec4, nv, true)
		attrs[gltf.COLOR_0] = len(doc.Accessors) - 1
		off += 8 * nv
	}
	if s.uvs {
		accessor(view(off, 8*nv, gltf.TargetArrayBuffer), gltf.ComponentFloat, gltf.AccessorVec2, nv, false)
		attrs[gltf.TEXCOORD_0] = len(doc.Accessors) - 1
	}
	if s.idxSize == 2 {
		accessor(view(idxOff, 6*nf, gltf.TargetElementArrayBuffer), gltf.ComponentUshort, gltf.AccessorScalar, 3*nf, false)
	} else {
		accessor(view(idxOff, 12*nf, gltf.TargetElementArrayBuffer), gltf.ComponentUint, gltf.AccessorScalar, 3*nf, false)
	}
	indices := len(doc.Accessors) - 1

	pbr := &gltf.PBRMetallicRoughness{MetallicFactor: gltf.Float(0)}
	if textured {
		doc.Images = []*gltf.Image{{MimeType: "image/png", BufferView: gltf.Index(view(texOff, len(texPNG), gltf.TargetNone))}}
		// The texture was resampled to power-of-two sides (glbPowerOfTwo), so mipmaps are safe
		// in every viewer (WebGL 1 among them) and the validator has no IMAGE_NPOT_DIMENSIONS.
		doc.Samplers = []*gltf.Sampler{{MagFilter: gltf.MagLinear, MinFilter: gltf.MinLinearMipMapLinear, WrapS: gltf.WrapClampToEdge, WrapT: gltf.WrapClampToEdge}}
		doc.Textures = []*gltf.Texture{{Sampler: gltf.Index(0), Source: gltf.Index(0)}}
		pbr.BaseColorTexture = &gltf.TextureInfo{Index: 0}
	}
	doc.Materials = []*gltf.Material{{Name: "orfeas", PBRMetallicRoughness: pbr}}
	doc.Buffers = []*gltf.Buffer{{ByteLength: size}}
	doc.Meshes = []*gltf.Mesh{{Name: "orfeas", Primitives: []*gltf.Primitive{{
		Attributes: attrs,
		Indices:    gltf.Index(indices),
		Material:   gltf.Index(0),
		Mode:       gltf.PrimitiveTriangles,
	}}}}
	doc.Nodes = []*gltf.Node{{Name: "orfeas", Mesh: gltf.Index(0)}}
	doc.Scenes[0].Nodes = []int{0}
	return s, nil
}

// glbFixNormals gives each split vertex of c whose normal is zero the normal of the first face
// (in face order) using it whose own normal is not zero, or else +Z, so that every normal the
// GLB holds has unit length.
func glbFixNormals(m *mesh.Mesh, c mesh.Creased) {
	normals := c.Normals
	blocks := (len(normals) + glbBlock - 1) / glbBlock
	zs := make([]int, blocks)
	par.For(blocks, runtime.GOMAXPROCS(0), func(bi int) {
		v0 := bi * glbBlock
		for _, n := range normals[v0:min(len(normals), v0+glbBlock)] {
			if n == ([3]float32{}) {
				zs[bi]++
			}
		}
	})
	zeros := 0
	for _, z := range zs {
		zeros += z
	}
	if zeros == 0 {
		return
	}
	// The split faces use the positions of m's faces, in the same corners: the same normals.
	for i, f := range c.Faces {
		for _, v := range f {
			if normals[v] == ([3]float32{}) {
				normals[v] = m.FaceNormal(i)
			}
		}
	}
	for v, n := range normals {
		if n == ([3]float32{}) {
			normals[v] = [3]float32{0, 0, 1}
		}
	}
}

// glbStreamBlocks is how many blocks of glbBlock items glbStream.write converts (in parallel) per
// Write: its one buffer holds that many of the largest items (12 bytes).
const glbStreamBlocks = 4

// write writes the binary chunk's bytes (s.size of them, unpadded) to w, a section at a time in
// the order glbPlan laid them out, through one buffer of glbStreamBlocks·glbBlock items, filled
// in parallel blocks. It stops at w's first error (w keeps it).
func (s *glbStream) write(w *ctxio.Writer) {
	m, c, nv := s.m, s.c, s.nv
	buf := make([]byte, glbStreamBlocks*glbBlock*12)
	le := binary.LittleEndian
	// section writes n items of size bytes each, put(i, dst) writing item i into dst.
	section := func(n, size int, put func(i int, dst []byte)) {
		for i0 := 0; i0 < n && w.Err() == nil; i0 += glbStreamBlocks * glbBlock {
			i1 := min(n, i0+glbStreamBlocks*glbBlock)
			par.For((i1-i0+glbBlock-1)/glbBlock, runtime.GOMAXPROCS(0), func(bi int) {
				for i := i0 + bi*glbBlock; i < min(i1, i0+(bi+1)*glbBlock); i++ {
					put(i, buf[(i-i0)*size:(i-i0+1)*size])
				}
			})
			w.Write(buf[:(i1-i0)*size])
		}
	}
	section(nv, 12, func(i int, dst []byte) {
		q := glbToGLTF(m.Positions[c.Origin[i]])
		d := (*[12]byte)(dst)
		le.PutUint32(d[0:], math.Float32bits(q[0]))
		le.PutUint32(d[4:], math.Float32bits(q[1]))
		le.PutUint32(d[8:], math.Float32bits(q[2]))
	})
	section(nv, 12, func(i int, dst []byte) { glbPutNormal(dst, c.Normals[i]) })
	if s.colored {
		section(nv, 8, func(i int, dst []byte) {
			col := m.Colors[c.Origin[i]]
			d := (*[8]byte)(dst)
			le.PutUint16(d[0:], glbSRGBToLinear16[col[0]])
			le.PutUint16(d[2:], glbSRGBToLinear16[col[1]])
			le.PutUint16(d[4:], glbSRGBToLinear16[col[2]])
			le.PutUint16(d[6:], uint16(col[3])*257) // alpha is linear already
		})
	}
	if s.uvs {
		section(nv, 8, func(i int, dst []byte) {
			uv := m.UVs[c.Origin[i]]
			d := (*[8]byte)(dst)
			le.PutUint32(d[0:], math.Float32bits(uv[0]))
			le.PutUint32(d[4:], math.Float32bits(uv[1]))
		})
	}
	if s.idxSize == 2 {
		section(len(c.Faces), 6, func(i int, dst []byte) {
			f := c.Faces[i]
			d := (*[6]byte)(dst)
			le.PutUint16(d[0:], uint16(f[0]))
			le.PutUint16(d[2:], uint16(f[1]))
			le.PutUint16(d[4:], uint16(f[2]))
		})
	} else {
		section(len(c.Faces), 12, func(i int, dst []byte) {
			f := c.Faces[i]
			d := (*[12]byte)(dst)
			le.PutUint32(d[0:], f[0])
			le.PutUint32(d[4:], f[1])
			le.PutUint32(d[8:], f[2])
		})
	}
	if len(s.texPNG) > 0 {
		w.Write(s.texPNG)
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

// glbBlock is how many vertices or faces one goroutine of glbBuild writes at a time.
const glbBlock = 1 << 15

// glbMaxTextureSide is the largest side glbPowerOfTwo resamples to.
const glbMaxTextureSide = 8192

// glbPowerOfTwo returns img resampled (bilinearly, between texel centres, clamped at the edges)
// to the nearest power-of-two sides at or above its own (at most glbMaxTextureSide), or img itself
// when its sides are powers of two already. The UVs address the image in [0, 1], so they stay
// valid; a side that is a power of two already is copied exactly.
func glbPowerOfTwo(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pw, ph := glbNextPow2(w), glbNextPow2(h)
	if pw == w && ph == h || w == 0 || h == 0 {
		return img
	}
	src, ok := img.(*image.NRGBA)
	if !ok {
		src = image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(src, src.Rect, img, b.Min, draw.Src)
	}
	out := image.NewNRGBA(image.Rect(0, 0, pw, ph))
	// The columns' sources and weights are the same on every row: found once. Rows are
	// independent, so bands of them run in parallel; every pixel's arithmetic is the same.
	x0s, x1s, axs := make([]int, pw), make([]int, pw), make([]float64, pw)
	for x := range pw {
		fx := min(max((float64(x)+0.5)*float64(w)/float64(pw)-0.5, 0), float64(w-1))
		x0s[x] = int(fx)
		x1s[x], axs[x] = min(x0s[x]+1, w-1), fx-float64(x0s[x])
	}
	const band = 64
	par.For((ph+band-1)/band, runtime.GOMAXPROCS(0), func(bi int) {
		// A source row's horizontal blend is the same for every output row that reads it, so
		// each band keeps the blends of the two source rows it last read (as float64, the very
		// values the per-pixel formula makes) and the output row only blends those vertically.
		rows := [2][]float64{make([]float64, 4*pw), make([]float64, 4*pw)}
		have := [2]int{-1, -1}
		blend := func(sy int) []float64 {
			for j := range 2 {
				if have[j] == sy {
					return rows[j]
				}
			}
			// Rows are read in increasing order and y1 ≤ y0 + 1, so the slot of the lower row
			// (or an empty one) is free: blending y1 never evicts the y0 just blended.
			j := 0
			if have[0] >= 0 && (have[1] < 0 || have[1] < have[0]) {
				j = 1
			}
			r, line := rows[j], src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+sy):]
			for x := range pw {
				a, b, ax := 4*x0s[x], 4*x1s[x], axs[x]
				for k := range 4 {
					r[4*x+k] = float64(line[a+k])*(1-ax) + float64(line[b+k])*ax
				}
			}
			have[j] = sy
			return r
		}
		for y := bi * band; y < min(ph, (bi+1)*band); y++ {
			fy := min(max((float64(y)+0.5)*float64(h)/float64(ph)-0.5, 0), float64(h-1))
			y0 := int(fy)
			y1, ay := min(y0+1, h-1), fy-float64(y0)
			top := blend(y0)
			bot := blend(y1)
			line := out.Pix[y*out.Stride : y*out.Stride+4*pw]
			for i := range line {
				line[i] = uint8(math.Round(top[i]*(1-ay) + bot[i]*ay))
			}
		}
	})
	return out
}

// glbNextPow2 returns the smallest power of two at or above n, at most glbMaxTextureSide (or n
// itself when n is larger still).
func glbNextPow2(n int) int {
	p := 1
	for p < n && p < glbMaxTextureSide {
		p <<= 1
	}
	if p < n {
		return n
	}
	return p
}
