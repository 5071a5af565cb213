package meshio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hschendel/stl"

	"github.com/qmuntal/gltf"

	"github.com/orfeas3d/orfeas/internal/cputime"
	"github.com/orfeas3d/orfeas/mesh"
)

func TestFormatNames(t *testing.T) {
	cases := []struct {
		f                   Format
		name, ext, ctype    string
		fromExt             string
		fromExtWant, parsed Format
	}{
		{STL, "stl", ".stl", "model/stl", "part.STL", STL, STL},
		{STLASCII, "stl-ascii", ".stl", "model/stl", ".stl", STL, STLASCII},
		{OBJ, "obj", ".obj", "model/obj", "OBJ", OBJ, OBJ},
		{GLB, "glb", ".glb", "model/gltf-binary", "out/model.v2.glb", GLB, GLB},
		{PLY, "ply", ".ply", "application/octet-stream", ".Ply", PLY, PLY},
		{ThreeMF, "3mf", ".3mf", "model/3mf", "print.3MF", ThreeMF, ThreeMF},
	}
	var want []Format
	for _, c := range cases {
		want = append(want, c.f)
	}
	if got := Formats(); !slices.Equal(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
	for _, c := range cases {
		if c.f.String() != c.name || c.f.Ext() != c.ext || c.f.ContentType() != c.ctype {
			t.Errorf("%d: %q %q %q", int(c.f), c.f.String(), c.f.Ext(), c.f.ContentType())
		}
		if f, err := ParseFormat(c.name); f != c.parsed || err != nil {
			t.Errorf("ParseFormat(%q) = %v, %v", c.name, f, err)
		}
		if f, err := FormatFromExt(c.fromExt); f != c.fromExtWant || err != nil {
			t.Errorf("FormatFromExt(%q) = %v, %v", c.fromExt, f, err)
		}
	}
	for _, bad := range []string{"", "gltf", "stl2", ".", "model"} {
		if _, err := FormatFromExt(bad); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("FormatFromExt(%q): err = %v", bad, err)
		}
		if _, err := ParseFormat(bad); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("ParseFormat(%q): err = %v", bad, err)
		}
	}
	if Format(0).String() != "Format(0)" || Format(99).Ext() != "" {
		t.Error("invalid Format has a name or extension")
	}
	if _, err := Decode(bytes.NewReader(nil), Format(0)); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Decode(Format(0)): %v", err)
	}
}

func TestDetectFormat(t *testing.T) {
	m := ioShapes()[1].m
	for _, f := range []Format{STL, STLASCII, OBJ, GLB, PLY} {
		data := ioEncode(t, m, f)
		got, err := DetectFormat(data[:512])
		if err != nil || got != f {
			t.Errorf("%v: DetectFormat = %v, %v", f, got, err)
		}
	}
	for _, head := range []string{"", "hello world, just text\n", "\x00\x01short binary"} {
		if f, err := DetectFormat([]byte(head)); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("DetectFormat(%q) = %v, %v", head, f, err)
		}
	}
}

// ioCounter discards what it is given and counts it.
type ioCounter struct{ n int64 }

func (c *ioCounter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkEncode1M encodes a closed sphere of 1,001,112 triangles (501,558 vertices); MB/s is
// the output size over the time. The output goes to a counting writer, so the figure is the
// encoder's own speed, not that of a destination. The GLB case includes computing vertex normals,
// OBJ too (for its vn lines).
func BenchmarkEncode1M(b *testing.B) {
	m := bigSphere()
	for _, f := range []Format{STL, STLASCII, OBJ, GLB, PLY, ThreeMF} {
		b.Run(f.String(), func(b *testing.B) {
			var c ioCounter
			if err := Encode(&c, m, f); err != nil {
				b.Fatal(err)
			}
			size := c.n
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cputime.Process()
			for b.Loop() {
				if err := Encode(&c, m, f); err != nil {
					b.Fatal(err)
				}
			}
			ioReportCPU(b, cpu0, size)
		})
	}
	// hschendel/stl's writer, for the record of why stl.go writes STL itself: the mesh is copied
	// into its Solid type and written through a bufio.Writer as its Solid.WriteFile does; both
	// are inside the timing, since both are the cost of encoding a Mesh that way.
	b.Run("stl-hschendel", func(b *testing.B) {
		size := int64(stlHeaderSize + stlFacetSize*len(m.Faces))
		b.SetBytes(size)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cputime.Process()
		for b.Loop() {
			solid := &stl.Solid{Name: "orfeas", Triangles: make([]stl.Triangle, len(m.Faces))}
			for i, f := range m.Faces {
				solid.Triangles[i] = stl.Triangle{Normal: stl.Vec3(m.FaceNormal(i)), Vertices: [3]stl.Vec3{
					stl.Vec3(m.Positions[f[0]]), stl.Vec3(m.Positions[f[1]]), stl.Vec3(m.Positions[f[2]])}}
			}
			var c ioCounter
			w := bufio.NewWriterSize(&c, fmtChunk)
			if err := solid.WriteAll(w); err != nil || w.Flush() != nil {
				b.Fatal(err)
			}
		}
		ioReportCPU(b, cpu0, size)
	})
}

// ioReportCPU reports the process CPU time per operation since cpu0 and the throughput it gives
// (MB per CPU-second), which a shared, overloaded machine does not distort as it does wall time.
// With one encoding goroutine it counts the garbage collector's work too, so it is not flattering.
func ioReportCPU(b *testing.B, cpu0 time.Duration, size int64) {
	cpu := cputime.Process() - cpu0
	if cpu <= 0 || b.N == 0 {
		return
	}
	per := cpu.Seconds() / float64(b.N)
	b.ReportMetric(per*1000, "cpu-ms/op")
	b.ReportMetric(float64(size)/1e6/per, "MB/cpu-s")
}

// BenchmarkDecode1M decodes the 1M-triangle sphere in each format.
func BenchmarkDecode1M(b *testing.B) {
	m := bigSphere()
	for _, f := range []Format{STL, OBJ, GLB, PLY, ThreeMF} {
		b.Run(f.String(), func(b *testing.B) {
			var buf bytes.Buffer
			if err := Encode(&buf, m, f); err != nil {
				b.Fatal(err)
			}
			data := buf.Bytes()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Decode(bytes.NewReader(data), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVertexNormals1M(b *testing.B) {
	m := bigSphere()
	for b.Loop() {
		m.VertexNormals(mesh.AngleWeighted)
	}
}

// glbTestDoc parses the JSON chunk of an encoded GLB file.
func glbTestDoc(t *testing.T, data []byte) *gltf.Document {
	t.Helper()
	if len(data) < 20 || !bytes.Equal(data[:4], []byte("glTF")) || binary.LittleEndian.Uint32(data[16:]) != glbChunkJSON {
		t.Fatal("not a GLB file with a JSON chunk")
	}
	jl := binary.LittleEndian.Uint32(data[12:])
	var doc gltf.Document
	if err := json.Unmarshal(data[20:20+jl], &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

// TestGLBDocument checks what the issue asks of the GLB JSON: the index type the vertex count
// needs, a material with metallic 0, COLOR_0 for an untextured coloured mesh only, and
// TEXCOORD_0 with an embedded PNG base colour texture for a textured one.
func TestGLBDocument(t *testing.T) {
	shapes := map[string]*mesh.Mesh{}
	for _, s := range ioShapes() {
		shapes[s.name] = s.m
	}
	cases := []struct {
		name             string
		indices          gltf.ComponentType
		color, uv, image bool
	}{
		{"cube", gltf.ComponentUshort, false, false, false},
		{"torus-colours", gltf.ComponentUshort, true, false, false},
		{"sphere-uv-texture", gltf.ComponentUshort, false, true, true},
		{"sphere-66k", gltf.ComponentUint, false, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := shapes[c.name]
			if c.name == "sphere-66k" && len(m.Positions) <= math.MaxUint16 {
				t.Fatalf("%d vertices: not enough to need uint32 indices", len(m.Positions))
			}
			doc := glbTestDoc(t, ioEncode(t, m, GLB))
			if len(doc.Meshes) != 1 || len(doc.Meshes[0].Primitives) != 1 {
				t.Fatalf("want one mesh with one primitive, got %d meshes", len(doc.Meshes))
			}
			p := doc.Meshes[0].Primitives[0]
			if p.Indices == nil {
				t.Fatal("no indices")
			}
			ia := doc.Accessors[*p.Indices]
			if ia.ComponentType != c.indices || ia.Count != 3*len(m.Faces) {
				t.Errorf("indices: %v × %d, want %v × %d", ia.ComponentType, ia.Count, c.indices, 3*len(m.Faces))
			}
			if p.Material == nil || len(doc.Materials) != 1 {
				t.Fatal("primitive has no material")
			}
			pbr := doc.Materials[*p.Material].PBRMetallicRoughness
			if pbr == nil || pbr.MetallicFactor == nil || *pbr.MetallicFactor != 0 {
				t.Errorf("metallicFactor is not 0: %+v", pbr)
			}
			if _, ok := p.Attributes[gltf.COLOR_0]; ok != c.color {
				t.Errorf("COLOR_0 present = %v, want %v (mesh has colours: %v)", ok, c.color, m.Colors != nil)
			}
			if _, ok := p.Attributes[gltf.TEXCOORD_0]; ok != c.uv {
				t.Errorf("TEXCOORD_0 present = %v, want %v", ok, c.uv)
			}
			hasTex := pbr != nil && pbr.BaseColorTexture != nil
			if hasTex != c.image {
				t.Fatalf("baseColorTexture present = %v, want %v", hasTex, c.image)
			}
			if hasTex {
				tex := doc.Textures[pbr.BaseColorTexture.Index]
				img := doc.Images[*tex.Source]
				if img.MimeType != "image/png" || img.BufferView == nil {
					t.Errorf("texture image %+v is not an embedded PNG", img)
				}
			}
		})
	}
}
