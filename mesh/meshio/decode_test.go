package meshio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/qmuntal/gltf"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// ioFuzzLimits keeps fuzzed inputs small and fast.
var ioFuzzLimits = DecodeLimits{MaxBytes: 1 << 20, MaxFaces: 1 << 16, MaxVertices: 1 << 16, MaxTexturePixels: 1 << 16}

// ioCheckDecoded is the property every fuzzed decode must have: no panic (the fuzzer checks),
// a typed error or a valid mesh within the limits that encodes again.
func ioCheckDecoded(t *testing.T, data []byte, f Format) {
	m, err := ioFuzzLimits.Decode(bytes.NewReader(data), f)
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("untyped error: %v", err)
		}
		return
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("decoded mesh invalid: %v", err)
	}
	if len(m.Faces) > ioFuzzLimits.MaxFaces || len(m.Positions) > 2*ioFuzzLimits.MaxVertices {
		t.Fatalf("limits exceeded: %d faces, %d vertices", len(m.Faces), len(m.Positions))
	}
	if err := Encode(io.Discard, m, f); err != nil {
		t.Fatalf("decoded mesh does not encode: %v", err)
	}
}

// ioSeeds returns small encodings of the test shapes in f, plus the malformed cases for f.
func ioSeeds(f Format) [][]byte {
	var seeds [][]byte
	// Small seeds keep the fuzzer fast: a plain cube, and a cube with colours, UVs and (for GLB) a
	// texture, so that every attribute's code is reached.
	plain := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{1, 2, 3})
	rich := meshtest.Cuboid([3]float32{-1, -1, -1}, [3]float32{1, 1, 1})
	rich.Colors = make([][4]uint8, 8)
	rich.UVs = make([][2]float32, 8)
	for i := range 8 {
		rich.Colors[i] = [4]uint8{uint8(30 * i), uint8(255 - 30*i), 7, uint8(200 + i)}
		rich.UVs[i] = [2]float32{float32(i&1) * 0.5, float32(i>>1) * 0.25}
	}
	if f == GLB {
		tex := image.NewNRGBA(image.Rect(0, 0, 2, 2))
		tex.Pix[0], tex.Pix[3] = 200, 255
		rich.Texture = tex
	}
	for _, m := range []*mesh.Mesh{plain, rich} {
		var b bytes.Buffer
		if err := Encode(&b, m, f); err == nil {
			seeds = append(seeds, b.Bytes())
		}
		if f == STL {
			b.Reset()
			Encode(&b, m, STLASCII)
			seeds = append(seeds, b.Bytes())
		}
	}
	for _, c := range ioMalformed() {
		if c.f == f {
			seeds = append(seeds, c.data)
		}
	}
	return seeds
}

func FuzzDecodeSTL(f *testing.F) {
	for _, s := range ioSeeds(STL) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { ioCheckDecoded(t, data, STL) })
}

func FuzzDecodeOBJ(f *testing.F) {
	for _, s := range ioSeeds(OBJ) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { ioCheckDecoded(t, data, OBJ) })
}

func FuzzDecodePLY(f *testing.F) {
	for _, s := range ioSeeds(PLY) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { ioCheckDecoded(t, data, PLY) })
}

func FuzzDecodeGLB(f *testing.F) {
	for _, s := range ioSeeds(GLB) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { ioCheckDecoded(t, data, GLB) })
}

type ioBadCase struct {
	name string
	f    Format
	data []byte
	want error  // ErrMalformed or ErrTooLarge
	msg  string // a fragment the message must hold
}

// ioGLBWith returns a GLB container around the given JSON and binary chunk.
func ioGLBWith(js string, bin []byte) []byte {
	for len(js)%4 != 0 {
		js += " "
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	total := 12 + 8 + len(js)
	if bin != nil {
		total += 8 + len(bin)
	}
	b.Write(le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, glbMagic), 2), uint32(total)))
	b.Write(le.AppendUint32(le.AppendUint32(nil, uint32(len(js))), glbChunkJSON))
	b.WriteString(js)
	if bin != nil {
		b.Write(le.AppendUint32(le.AppendUint32(nil, uint32(len(bin))), glbChunkBIN))
		b.Write(bin)
	}
	return b.Bytes()
}

// ioTriangleBin is one triangle's positions (36 bytes) and uint16 indices (6 + 2 padding).
func ioTriangleBin(idx2 uint16) []byte {
	le := binary.LittleEndian
	var b []byte
	for _, v := range []float32{0, 0, 0, 1, 0, 0, 0, 1, 0} {
		b = le.AppendUint32(b, math.Float32bits(v))
	}
	return le.AppendUint16(le.AppendUint16(le.AppendUint16(le.AppendUint16(b, 0), 1), idx2), 0)
}

const ioTriangleJSON = `{"asset":{"version":"2.0"},"buffers":[{"byteLength":44}],
"bufferViews":[{"buffer":0,"byteLength":36},{"buffer":0,"byteOffset":36,"byteLength":6}],
"accessors":[{"bufferView":0,"componentType":5126,"count":%COUNT%,"type":"VEC3"},{"bufferView":1,"componentType":5123,"count":3,"type":"SCALAR"%SPARSE%}],
"meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1}]}]}`

func ioMalformed() []ioBadCase {
	le := binary.LittleEndian
	stlHead := func(n uint32, size int) []byte {
		b := make([]byte, size)
		copy(b, "binary")
		le.PutUint32(b[80:], n)
		return b
	}
	tri := func(c, s string) string {
		return strings.NewReplacer("%COUNT%", c, "%SPARSE%", s).Replace(ioTriangleJSON)
	}
	return []ioBadCase{
		{"stl claims 4e9 triangles", STL, stlHead(4_000_000_000, 1000), ErrMalformed, "header claims 4000000000 triangles but the file has 1000 bytes"},
		{"stl shorter than header", STL, []byte("xyz"), ErrMalformed, "fewer than the 84"},
		{"stl non-finite", STL, func() []byte {
			b := stlHead(1, 134)
			le.PutUint32(b[84+12:], math.Float32bits(float32(math.Inf(1))))
			return b
		}(), ErrMalformed, "non-finite"},
		{"stl ascii truncated", STLASCII, []byte("solid x\nfacet normal 0 0 1\n outer loop\n vertex 0 0 0\n vertex 1 0"), ErrMalformed, "bad number"},
		{"stl ascii nan", STLASCII, []byte("solid x\nfacet normal 0 0 1\n outer loop\n vertex nan 0 0\n"), ErrMalformed, "bad number"},
		{"stl ascii no endsolid", STLASCII, []byte("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\n"), ErrMalformed, "endsolid"},
		{"stl ascii bad keyword", STLASCII, []byte("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nfacet normal 0 0 1\nouter lop\n"), ErrMalformed, `want "loop"`},
		{"obj index out of range", OBJ, []byte("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n"), ErrMalformed, "vertex 9 of 3"},
		{"obj relative index before start", OBJ, []byte("v 0 0 0\nf -1 -2 -3\n"), ErrMalformed, "relative index"},
		{"obj two-vertex face", OBJ, []byte("v 0 0 0\nv 1 0 0\nf 1 2\n"), ErrMalformed, "face has 2"},
		{"obj zero index", OBJ, []byte("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n"), ErrMalformed, "bad index"},
		{"obj bad number", OBJ, []byte("v 0 0 zero\n"), ErrMalformed, "line 1"},
		{"obj short vertex", OBJ, []byte("v 0 0\n"), ErrMalformed, "2 coordinates"},
		{"obj vt out of range", OBJ, []byte("v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/2 3/1\n"), ErrMalformed, "texture coordinate 2 of 1"},
		{"ply claims 4e9 vertices", PLY, []byte("ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n0123456789"), ErrMalformed, "claims 4000000000 rows but 10 bytes remain"},
		{"ply no end_header", PLY, []byte("ply\nformat ascii 1.0\nelement vertex 1\n"), ErrMalformed, "end_header"},
		{"ply unknown type", PLY, []byte("ply\nformat ascii 1.0\nelement vertex 1\nproperty quad x\nend_header\n1\n"), ErrMalformed, "unknown type"},
		{"ply no z", PLY, []byte("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n1 2\n"), ErrMalformed, "lacks x, y or z"},
		{"ply face index out of range", PLY, []byte("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n"), ErrMalformed, "beyond the 3 vertices"},
		{"ply list longer than data", PLY, append([]byte("ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uint int vertex_indices\nend_header\n"), 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0), ErrMalformed, "data ends early"},
		{"ply truncated ascii", PLY, []byte("ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0 0\n1      0\n"), ErrMalformed, "row 1"},
		{"ply bad format", PLY, []byte("ply\nformat binary_middle_endian 1.0\nend_header\n"), ErrMalformed, "unknown format"},
		{"glb length beyond file", GLB, func() []byte {
			b := ioGLBWith(`{"asset":{"version":"2.0"}}`, nil)
			le.PutUint32(b[8:], 1<<31)
			return b
		}(), ErrMalformed, "header claims 2147483648 bytes"},
		{"glb chunk beyond file", GLB, func() []byte {
			b := ioGLBWith(`{"asset":{"version":"2.0"}}`, nil)
			le.PutUint32(b[12:], 1<<30)
			return b
		}(), ErrMalformed, "chunk claims 1073741824 bytes"},
		{"glb bad json", GLB, ioGLBWith(`{"asset":`, nil), ErrMalformed, "JSON"},
		{"glb accessor count beyond view", GLB, ioGLBWith(tri("4000000000", ""), ioTriangleBin(2)), ErrMalformed, "overruns"},
		{"glb index beyond vertices", GLB, ioGLBWith(tri("3", ""), ioTriangleBin(9)), ErrMalformed, "beyond the 3 vertices"},
		{"glb sparse", GLB, ioGLBWith(tri("3", `,"sparse":{"count":1,"indices":{"bufferView":1,"componentType":5123},"values":{"bufferView":0}}`), ioTriangleBin(2)), ErrMalformed, "sparse"},
		{"glb no bin chunk", GLB, ioGLBWith(tri("3", ""), nil), ErrMalformed, "outside the GLB binary chunk"},
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, c := range ioMalformed() {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode(bytes.NewReader(c.data), c.f)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v (mesh %v), want %v containing %q", err, m != nil, c.want, c.msg)
			}
		})
	}
	// The well-formed twin of the GLB cases decodes, so the cases fail for the reason given.
	m, err := Decode(bytes.NewReader(ioGLBWith(strings.NewReplacer("%COUNT%", "3", "%SPARSE%", "").Replace(ioTriangleJSON), ioTriangleBin(2))), GLB)
	if err != nil || len(m.Faces) != 1 || m.Positions[1] != [3]float32{1000, 0, 0} || m.Positions[2] != [3]float32{0, 0, 1000} {
		t.Fatalf("valid one-triangle GLB: %v %+v", err, m)
	}
}

func TestDecodeLimits(t *testing.T) {
	data := ioEncode(t, meshtest.Torus(20, 5, 32, 16), STL) // 1024 faces, 512 vertices
	cases := []struct {
		l    DecodeLimits
		want error
	}{
		{DecodeLimits{}, nil},
		{DecodeLimits{MaxBytes: int64(len(data))}, nil},
		{DecodeLimits{MaxBytes: int64(len(data)) - 1}, ErrTooLarge},
		{DecodeLimits{MaxFaces: 1023}, ErrTooLarge},
		{DecodeLimits{MaxVertices: 511}, ErrTooLarge},
	}
	for _, c := range cases {
		if _, err := c.l.Decode(bytes.NewReader(data), STL); !errors.Is(err, c.want) && err != c.want {
			t.Errorf("%+v: err = %v, want %v", c.l, err, c.want)
		}
	}
	for _, f := range []Format{OBJ, PLY, GLB} {
		enc := ioEncode(t, meshtest.Torus(20, 5, 32, 16), f)
		if _, err := (DecodeLimits{MaxFaces: 1000}).Decode(bytes.NewReader(enc), f); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%v MaxFaces: err = %v, want ErrTooLarge", f, err)
		}
		if _, err := (DecodeLimits{MaxVertices: 500}).Decode(bytes.NewReader(enc), f); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%v MaxVertices: err = %v, want ErrTooLarge", f, err)
		}
	}
	big := ioShapes()[2].m
	enc := ioEncode(t, big, GLB)
	if _, err := (DecodeLimits{MaxTexturePixels: 100}).Decode(bytes.NewReader(enc), GLB); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxTexturePixels: err = %v, want ErrTooLarge", err)
	}
}

// TestDecodeForeign reads files shaped like other tools' output: what our encoders never write.
func TestDecodeForeign(t *testing.T) {
	t.Run("obj quads, negative indices, seams, colours", func(t *testing.T) {
		src := "# from elsewhere\no quad\nmtllib x.mtl\nv 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 1 1 0 0 0 1\nv 0 1 0 0.5 0.5 0.5\n" +
			"vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nvt 0.5 0.5\nvn 0 0 1\ng side\ns off\nusemtl m\n" +
			"f -4/-5/1 -3/-4/1 -2/-3/1 -1/-2/1\nf 1/5 3/3 2/2\n"
		m, err := Decode(strings.NewReader(src), OBJ)
		if err != nil {
			t.Fatal(err)
		}
		// The quad fans to two triangles; the last face reuses vertex 1 with another vt, which
		// splits it into a fifth vertex.
		want := &mesh.Mesh{
			Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0, 0, 0}},
			Faces:     [][3]uint32{{0, 1, 2}, {0, 2, 3}, {4, 2, 1}},
			Colors:    [][4]uint8{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {128, 128, 128, 255}, {255, 0, 0, 255}},
			UVs:       [][2]float32{{0, 1}, {1, 1}, {1, 0}, {0, 0}, {0.5, 0.5}},
		}
		if d := gocmp.Diff(want, m); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
	t.Run("ply ascii quad, extra properties and elements", func(t *testing.T) {
		src := "ply\r\nformat ascii 1.0\r\ncomment made elsewhere\r\nelement vertex 4\r\nproperty double x\r\nproperty double y\r\nproperty double z\r\n" +
			"property float nx\r\nproperty list uchar int junk\r\nproperty uchar red\r\nproperty uchar green\r\nproperty uchar blue\r\n" +
			"element face 1\r\nproperty uchar flags\r\nproperty list uchar uint vertex_index\r\nelement edge 1\r\nproperty int a\r\nproperty int b\r\nend_header\r\n" +
			"0 0 0 1 2 7 7 10 20 30\r\n1 0 0 1 0 11 21 31\r\n1 1 0 1 1 5 12 22 32\r\n0 1 0 1 0 13 23 33\r\n9 4 0 1 2 3\r\n0 1\r\n"
		m, err := Decode(strings.NewReader(src), PLY)
		if err != nil {
			t.Fatal(err)
		}
		want := &mesh.Mesh{
			Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}},
			Faces:     [][3]uint32{{0, 1, 2}, {0, 2, 3}},
			Colors:    [][4]uint8{{10, 20, 30, 255}, {11, 21, 31, 255}, {12, 22, 32, 255}, {13, 23, 33, 255}},
		}
		if d := gocmp.Diff(want, m); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
	t.Run("ply binary big-endian doubles", func(t *testing.T) {
		be := binary.BigEndian
		b := []byte("ply\nformat binary_big_endian 1.0\nelement vertex 3\nproperty double x\nproperty double y\nproperty double z\nelement face 1\nproperty list uchar short vertex_indices\nend_header\n")
		for _, v := range []float64{0, 0, 0, 2.5, 0, 0, 0, 2.5, 1} {
			b = be.AppendUint64(b, math.Float64bits(v))
		}
		b = be.AppendUint16(be.AppendUint16(be.AppendUint16(append(b, 3), 0), 1), 2)
		m, err := Decode(bytes.NewReader(b), PLY)
		if err != nil {
			t.Fatal(err)
		}
		want := &mesh.Mesh{Positions: [][3]float32{{0, 0, 0}, {2.5, 0, 0}, {0, 2.5, 1}}, Faces: [][3]uint32{{0, 1, 2}}}
		if d := gocmp.Diff(want, m); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
	t.Run("binary stl whose header starts with solid", func(t *testing.T) {
		data := ioEncode(t, meshtest.Cuboid([3]float32{}, [3]float32{1, 1, 1}), STL)
		copy(data, "solid cube from a CAD tool")
		if f, err := DetectFormat(data[:512]); err != nil || f != STL {
			t.Fatalf("DetectFormat = %v, %v; want stl", f, err)
		}
		m, err := Decode(bytes.NewReader(data), STLASCII)
		if err != nil || len(m.Faces) != 12 || len(m.Positions) != 8 || !m.Topology().Closed() {
			t.Fatalf("decode: %v", err)
		}
	})
	t.Run("ascii stl with two solids", func(t *testing.T) {
		one := string(ioEncode(t, meshtest.Cuboid([3]float32{}, [3]float32{1, 1, 1}), STLASCII))
		two := string(ioEncode(t, meshtest.Cuboid([3]float32{5, 5, 5}, [3]float32{6, 6, 6}), STLASCII))
		m, err := Decode(strings.NewReader(one+two), STL)
		if err != nil || len(m.Faces) != 24 || m.Topology().Components != 2 {
			t.Fatalf("decode: %v (%d faces)", err, len(m.Faces))
		}
	})
	t.Run("glb non-indexed, ubyte colours, two primitives", func(t *testing.T) {
		le := binary.LittleEndian
		var bin []byte
		for _, v := range []float32{0, 0, 0, 0.001, 0, 0, 0, 0.001, 0} {
			bin = le.AppendUint32(bin, math.Float32bits(v))
		}
		bin = append(bin, 255, 0, 0, 255, 0, 255, 0, 255, 188, 188, 188, 255) // unorm8 linear RGBA
		doc := &gltf.Document{
			Asset:   gltf.Asset{Version: "2.0"},
			Buffers: []*gltf.Buffer{{ByteLength: len(bin), Data: bin}},
			BufferViews: []*gltf.BufferView{
				{Buffer: 0, ByteLength: 36}, {Buffer: 0, ByteOffset: 36, ByteLength: 12},
			},
			Accessors: []*gltf.Accessor{
				{BufferView: gltf.Index(0), ComponentType: gltf.ComponentFloat, Type: gltf.AccessorVec3, Count: 3},
				{BufferView: gltf.Index(1), ComponentType: gltf.ComponentUbyte, Normalized: true, Type: gltf.AccessorVec4, Count: 3},
			},
			Meshes: []*gltf.Mesh{{Primitives: []*gltf.Primitive{
				{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: 0, gltf.COLOR_0: 1}},
				{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: 0}},
				{Attributes: gltf.PrimitiveAttributes{gltf.POSITION: 0}, Mode: gltf.PrimitiveLines},
			}}},
		}
		var b bytes.Buffer
		if err := gltf.NewEncoder(&b).Encode(doc); err != nil {
			t.Fatal(err)
		}
		m, err := Decode(&b, GLB)
		if err != nil {
			t.Fatal(err)
		}
		want := &mesh.Mesh{
			Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 0, 1}, {0, 0, 0}, {1, 0, 0}, {0, 0, 1}},
			Faces:     [][3]uint32{{0, 1, 2}, {3, 4, 5}},
			Colors:    [][4]uint8{{255, 0, 0, 255}, {0, 255, 0, 255}, {223, 223, 223, 255}, {255, 255, 255, 255}, {255, 255, 255, 255}, {255, 255, 255, 255}},
		}
		if d := gocmp.Diff(want, m); d != "" {
			t.Fatalf("(-want +got):\n%s", d)
		}
	})
}

// ioAllocSlack is the fixed allowance on top of DecodeAmplification bytes per input byte: error
// values, the JSON decoder's state, a few small maps.
const ioAllocSlack = 16 << 10

// ioHostile returns inputs built to make a decoder allocate far more than their size: shared
// GLB accessors, arrays of empty JSON objects, one enormous OBJ or PLY polygon, OBJ texture seams
// on every corner, and the headers that claim 4 billion elements.
func ioHostile() []struct {
	name string
	f    Format
	data []byte
} {
	le := binary.LittleEndian
	type input = struct {
		name string
		f    Format
		data []byte
	}
	var out []input
	// 3,000 primitives reading one 3,072-vertex POSITION accessor: decoded naively, 9.2 M
	// vertices and 3 M triangles out of 127 KB.
	var bin []byte
	for i := range 3 * 1024 {
		for a := range 3 {
			bin = le.AppendUint32(bin, math.Float32bits(float32(i%7)*0.001+float32(a)*0.0001))
		}
	}
	prims := strings.Repeat(`{"attributes":{"POSITION":0}},`, 2999) + `{"attributes":{"POSITION":0}}`
	js := fmt.Sprintf(`{"asset":{"version":"2.0"},"buffers":[{"byteLength":%d}],"bufferViews":[{"buffer":0,"byteLength":%d}],"accessors":[{"bufferView":0,"componentType":5126,"count":%d,"type":"VEC3"}],"meshes":[{"primitives":[%s]}]}`, len(bin), len(bin), 3*1024, prims)
	out = append(out, input{"glb 3000 primitives share one accessor", GLB, ioGLBWith(js, bin)})
	// The same with indices: every primitive draws the whole accessor through one index list.
	idx := bin[:0:0]
	for i := range 3 * 1024 {
		idx = le.AppendUint16(idx, uint16(i))
	}
	bin2 := append(append([]byte(nil), bin...), idx...)
	prims = strings.Repeat(`{"attributes":{"POSITION":0},"indices":1},`, 2999) + `{"attributes":{"POSITION":0},"indices":1}`
	js = fmt.Sprintf(`{"asset":{"version":"2.0"},"buffers":[{"byteLength":%d}],"bufferViews":[{"buffer":0,"byteLength":%d},{"buffer":0,"byteOffset":%d,"byteLength":%d}],"accessors":[{"bufferView":0,"componentType":5126,"count":%d,"type":"VEC3"},{"bufferView":1,"componentType":5123,"count":%d,"type":"SCALAR"}],"meshes":[{"primitives":[%s]}]}`, len(bin2), len(bin), len(bin), len(idx), 3*1024, 3*1024, prims)
	out = append(out, input{"glb 3000 primitives share one index accessor", GLB, ioGLBWith(js, bin2)})
	// JSON arrays of empty objects: qmuntal/gltf's Node takes over 300 bytes for "{}".
	for _, arr := range []string{"nodes", "accessors", "materials"} {
		out = append(out, input{"glb 64K empty " + arr, GLB, ioGLBWith(`{"asset":{"version":"2.0"},"`+arr+`":[{}`+strings.Repeat(`,{}`, 1<<16)+`]}`, nil)})
	}
	out = append(out, input{"glb 64K skipped primitives", GLB, ioGLBWith(`{"meshes":[{"primitives":[{"mode":1}`+strings.Repeat(`,{"mode":1}`, 1<<16)+`]}]}`, nil)})
	// One OBJ polygon of a million corners, all vertex 1: a triangle per 2 bytes.
	out = append(out, input{"obj polygon of 1M corners", OBJ, []byte("v 0 0 0\nf" + strings.Repeat(" 1", 1<<20) + "\n")})
	// Every corner a new (vertex, texture coordinate) pair: a seam split per corner.
	var obj strings.Builder
	for range 300 {
		obj.WriteString("v 0 0 0 0.5 0.5 0.5\nvt 0 0\n")
	}
	for v := 1; v <= 300; v++ {
		obj.WriteString("f")
		for t := 1; t <= 300; t++ {
			fmt.Fprintf(&obj, " %d/%d", v, t)
		}
		obj.WriteString("\n")
	}
	out = append(out, input{"obj texture seam at every corner", OBJ, []byte(obj.String())})
	// One binary PLY face of 2 M one-byte indices: a triangle per byte.
	ply := []byte("ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uint uchar vertex_indices\nend_header\n")
	ply = append(ply, make([]byte, 12)...)
	ply = le.AppendUint32(ply, 2<<20)
	out = append(out, input{"ply polygon of 2M uchar indices", PLY, append(ply, make([]byte, 2<<20)...)})
	ascii := "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uint uchar vertex_indices\nend_header\n0 0 0\n1048576" + strings.Repeat(" 0", 1<<20) + "\n"
	out = append(out, input{"ply ascii polygon of 1M indices", PLY, []byte(ascii)})
	// Honest files, for the multiples of ordinary input.
	torus := meshtest.Torus(20, 5, 128, 80)
	for _, f := range []Format{STL, STLASCII, OBJ, PLY, GLB} {
		var b bytes.Buffer
		if err := Encode(&b, torus, f); err != nil {
			panic(err)
		}
		out = append(out, input{"torus 20K triangles " + f.String(), f, b.Bytes()})
	}
	// The headers that claim 4 billion elements, and the other malformed cases.
	for _, c := range ioMalformed() {
		out = append(out, input{c.name, c.f, c.data})
	}
	return out
}

// TestDecodeAllocationBounded checks DecodeLimits' promise: decoding n bytes allocates at most
// DecodeAmplification·n bytes plus ioAllocSlack, whether the decoder accepts the input or fails
// with a typed error. The multiple 64 leaves room above the largest one measured (about 30, for
// a GLB JSON chunk of tiny primitives; 14 for a PLY polygon of one-byte indices, whose 12-byte
// triangles come one per input byte) without letting any input that multiplies its size by
// hundreds through: before the bound was enforced these inputs allocated 89× (PLY), 172× (OBJ),
// 342× (GLB nodes) and 11,720× (GLB shared accessors) their size.
//
// The bytes are measured as the growth of runtime.MemStats.TotalAlloc around one Decode call on
// this goroutine; the test is not parallel, so no other test allocates meanwhile.
func TestDecodeAllocationBounded(t *testing.T) {
	for _, c := range ioHostile() {
		r := bytes.NewReader(c.data)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Decode(r, c.f)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: untyped error %v", c.name, err)
		}
		n := uint64(len(c.data))
		outcome := "error"
		if err == nil {
			outcome = fmt.Sprintf("%d vertices, %d triangles", len(m.Positions), len(m.Faces))
		}
		t.Logf("%-45s %9d bytes → %10d allocated (%5.1f×): %s", c.name, n, alloc, float64(alloc)/float64(n), outcome)
		if alloc > DecodeAmplification*n+ioAllocSlack {
			t.Errorf("%s: decoding %d bytes allocated %d (%.0f×), more than %d× + %d", c.name, n, alloc, float64(alloc)/float64(n), DecodeAmplification, ioAllocSlack)
		}
	}
}

// TestDecodeGLBSharedAccessors: primitives that share their vertex accessors share the decoded
// vertices (a mesh split by material often does this), and the result does not depend on it.
func TestDecodeGLBSharedAccessors(t *testing.T) {
	le := binary.LittleEndian
	var bin []byte
	for _, v := range []float32{0, 0, 0, 0.001, 0, 0, 0, 0.001, 0, 0.001, 0.001, 0} {
		bin = le.AppendUint32(bin, math.Float32bits(v))
	}
	for _, i := range []uint16{0, 1, 2, 2, 1, 3} {
		bin = le.AppendUint16(bin, i)
	}
	js := `{"asset":{"version":"2.0"},"buffers":[{"byteLength":60}],
"bufferViews":[{"buffer":0,"byteLength":48},{"buffer":0,"byteOffset":48,"byteLength":12}],
"accessors":[{"bufferView":0,"componentType":5126,"count":4,"type":"VEC3"},
{"bufferView":1,"componentType":5123,"count":3,"type":"SCALAR"},
{"bufferView":1,"byteOffset":6,"componentType":5123,"count":3,"type":"SCALAR"}],
"meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1},{"attributes":{"POSITION":0},"indices":2}]}]}`
	m, err := Decode(bytes.NewReader(ioGLBWith(js, bin)), GLB)
	if err != nil {
		t.Fatal(err)
	}
	want := &mesh.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 0, 1}, {1, 0, 1}},
		Faces:     [][3]uint32{{0, 1, 2}, {2, 1, 3}},
	}
	if d := gocmp.Diff(want, m); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	// Reusing accessors beyond the budget is refused, not decoded.
	prims := strings.Repeat(`{"attributes":{"POSITION":0},"indices":1},`, 200) + `{"attributes":{"POSITION":0},"indices":2}`
	js = strings.Replace(js, `{"attributes":{"POSITION":0},"indices":1},{"attributes":{"POSITION":0},"indices":2}`, prims, 1)
	if _, err := Decode(bytes.NewReader(ioGLBWith(js, bin)), GLB); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "times the 60-byte binary chunk") {
		t.Fatalf("201 primitives over one 60-byte chunk: err = %v, want ErrTooLarge", err)
	}
}
