package meshio

import (
	"bytes"
	"cmp"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"reflect"
	"runtime"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hschendel/stl"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// ioShape is a named test mesh for the encoder and decoder tests.
type ioShape struct {
	name string
	m    *mesh.Mesh
}

// ioTexture returns a small non-square test image with varied, partly transparent pixels.
func ioTexture() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 24, 10))
	for y := range 10 {
		for x := range 24 {
			img.SetNRGBA(x, y, color.NRGBA{uint8(10 * x), uint8(25 * y), uint8(x * y), 255})
		}
	}
	return img
}

// normalPartMinFaces is the face count from which Mesh.VertexNormals sums in parallel parts.
const normalPartMinFaces = 1 << 16

// bigSphere is a 1M-triangle sphere.
func bigSphere() *mesh.Mesh { return meshtest.UVSphere(50, 708, 708) }

// ioFaceNormal returns the unit normal of triangle a, b, c, as Mesh.FaceNormal computes it.
func ioFaceNormal(a, b, c [3]float32) [3]float32 {
	return (&mesh.Mesh{Positions: [][3]float32{a, b, c}, Faces: [][3]uint32{{0, 1, 2}}}).FaceNormal(0)
}

// ioShapes returns closed meshes covering every attribute: plain, coloured (with translucent
// vertices), UV-mapped with a texture, and one with more than 65535 vertices (uint32 GLB indices).
func ioShapes() []ioShape {
	cube := meshtest.Cuboid([3]float32{-1.5, 0, 2}, [3]float32{10, 20.25, 30})

	torus := meshtest.Torus(20, 5, 48, 24)
	torus.Colors = make([][4]uint8, len(torus.Positions))
	for i, p := range torus.Positions {
		torus.Colors[i] = [4]uint8{uint8(i), uint8(128 + p[2]*20), uint8(i * 7), 255}
		if i%5 == 0 {
			torus.Colors[i][3] = uint8(i)
		}
	}

	sphere := meshtest.UVSphere(30, 24, 48)
	sphere.UVs = make([][2]float32, len(sphere.Positions))
	sphere.Colors = make([][4]uint8, len(sphere.Positions))
	for i, p := range sphere.Positions {
		u := (math.Atan2(float64(p[1]), float64(p[0])) + math.Pi) / (2 * math.Pi)
		v := 0.5 - float64(p[2])/60
		sphere.UVs[i] = [2]float32{float32(u), float32(v)}
		sphere.Colors[i] = [4]uint8{uint8(i * 3), uint8(i * 5), uint8(i * 11), 255}
	}
	sphere.Texture = ioTexture()

	big := meshtest.UVSphere(100, 130, 512) // 66,050 vertices: GLB needs uint32 indices
	return []ioShape{{"cube", cube}, {"torus-colours", torus}, {"sphere-uv-texture", sphere}, {"sphere-66k", big}}
}

func ioEncode(t testing.TB, m *mesh.Mesh, f Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, m, f); err != nil {
		t.Fatalf("Encode %v: %v", f, err)
	}
	return b.Bytes()
}

// ioTriangles returns the mesh as a sorted list of triangles, each rotated to start at its
// smallest corner, so that meshes with the same surface but another vertex order compare equal.
func ioTriangles(m *mesh.Mesh) [][3][3]float32 {
	cmp3 := func(a, b [3]float32) int {
		for i := range 3 {
			if c := cmp.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	out := make([][3][3]float32, len(m.Faces))
	for i, f := range m.Faces {
		t := [3][3]float32{m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]}
		k := 0
		for j := 1; j < 3; j++ {
			if cmp3(t[j], t[k]) < 0 {
				k = j
			}
		}
		out[i] = [3][3]float32{t[k], t[(k+1)%3], t[(k+2)%3]}
	}
	slices.SortFunc(out, func(a, b [3][3]float32) int {
		for i := range 3 {
			if c := cmp3(a[i], b[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

func ioSamePixels(t *testing.T, got, want image.Image) {
	t.Helper()
	if got == nil {
		t.Fatal("texture lost")
	}
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Fatalf("texture size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	gb, wb := got.Bounds(), want.Bounds()
	for y := range wb.Dy() {
		for x := range wb.Dx() {
			g := color.NRGBAModel.Convert(got.At(gb.Min.X+x, gb.Min.Y+y))
			w := color.NRGBAModel.Convert(want.At(wb.Min.X+x, wb.Min.Y+y))
			if g != w {
				t.Fatalf("texture pixel (%d,%d) = %v, want %v", x, y, g, w)
			}
		}
	}
}

// ioDiff returns go-cmp's diff of want and got, or "" when they are equal. Plain equality (or, with
// approx, a loop with EquateApprox's rule) is checked first because go-cmp's reflection costs
// seconds on the 160,000-face test mesh; go-cmp is still what reports any difference.
func ioDiff(want, got any, approx bool) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	if approx && ioApproxEqual(want, got) {
		return ""
	}
	var opts []gocmp.Option
	if approx {
		opts = append(opts, ioApprox)
	}
	return gocmp.Diff(want, got, opts...)
}

var ioApprox = cmpopts.EquateApprox(1e-6, 1e-5)

// ioApproxEqual applies cmpopts.EquateApprox(1e-6, 1e-5)'s rule to [][3]float32 or [][2]float32.
func ioApproxEqual(want, got any) bool {
	near := func(x, y float32) bool {
		d := math.Abs(float64(x) - float64(y))
		return d <= 1e-5 || d <= 1e-6*math.Min(math.Abs(float64(x)), math.Abs(float64(y)))
	}
	switch w := want.(type) {
	case [][3]float32:
		g, ok := got.([][3]float32)
		if !ok || len(g) != len(w) || (g == nil) != (w == nil) {
			return false
		}
		for i := range w {
			for k := range 3 {
				if !near(w[i][k], g[i][k]) {
					return false
				}
			}
		}
		return true
	case [][2]float32:
		g, ok := got.([][2]float32)
		if !ok || len(g) != len(w) || (g == nil) != (w == nil) {
			return false
		}
		for i := range w {
			for k := range 2 {
				if !near(w[i][k], g[i][k]) {
					return false
				}
			}
		}
		return true
	}
	return false
}

func TestRoundTrip(t *testing.T) {
	for _, s := range ioShapes() {
		for _, f := range []Format{STL, STLASCII, OBJ, GLB, PLY, ThreeMF} {
			t.Run(s.name+"/"+f.String(), func(t *testing.T) {
				data := ioEncode(t, s.m, f)
				got, err := Decode(bytes.NewReader(data), f)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if f == STL || f == STLASCII {
					// STL keeps triangles only: compare the surfaces, then the topology after the weld.
					if d := ioDiff(ioTriangles(s.m), ioTriangles(got), false); d != "" {
						t.Fatalf("triangles differ (-want +got):\n%s", d)
					}
					if len(got.Positions) != len(s.m.Positions) || got.Topology() != s.m.Topology() {
						t.Fatalf("topology after weld %+v, want %+v", got.Topology(), s.m.Topology())
					}
					return
				}
				// OBJ indexes its crease-split normals apart from the positions, and the GLB
				// decoder merges the vertices split only for their normals: both read back as
				// written.
				want := s.m
				// mm → m → mm is not exact in float32, so GLB positions are compared within 1e-6.
				if d := ioDiff(want.Positions, got.Positions, f == GLB); d != "" {
					t.Fatalf("positions differ (-want +got):\n%s", d)
				}
				if d := ioDiff(want.Faces, got.Faces, false); d != "" {
					t.Fatalf("faces differ (-want +got):\n%s", d)
				}
				wantColors := want.Colors
				if f == GLB && want.Texture != nil && want.UVs != nil {
					wantColors = nil // a textured GLB carries its colour in the texture alone
				}
				if f == ThreeMF && wantColors == nil && want.Texture != nil && want.UVs != nil {
					wantColors = got.Colors // sampled from the texture: TestThreeMF checks them
				}
				if (f == OBJ || f == ThreeMF) && wantColors != nil { // OBJ has no alpha; 3MF's is dropped
					wantColors = slices.Clone(wantColors)
					for i := range wantColors {
						wantColors[i][3] = 255
					}
				}
				if d := ioDiff(wantColors, got.Colors, false); d != "" {
					t.Fatalf("colours differ (-want +got):\n%s", d)
				}
				wantUVs := want.UVs
				if f == PLY || f == ThreeMF {
					wantUVs = nil // PLY and 3MF are written without UVs
				}
				if d := ioDiff(wantUVs, got.UVs, true); d != "" {
					t.Fatalf("UVs differ (-want +got):\n%s", d)
				}
				if f == GLB && want.Texture != nil {
					ioSamePixels(t, got.Texture, glbPowerOfTwo(want.Texture)) // resampled to 2ⁿ sides
				}
			})
		}
	}
}

// TestGLBColorsExact checks that every 8-bit sRGB value survives the conversion to 16-bit linear
// COLOR_0 and back.
func TestGLBColorsExact(t *testing.T) {
	for i := range 256 {
		if got := glbLinearToSRGB8(float64(glbSRGBToLinear16[i]) / 65535); got != uint8(i) {
			t.Errorf("sRGB %d comes back as %d", i, got)
		}
	}
}

// TestGLBAxes checks the unit and axis conversion on the bytes: +Z in mm is +Y in metres, +Y is
// −Z, and the windings keep their sense, so the volume computed in glTF space is positive.
func TestGLBAxes(t *testing.T) {
	m := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{1000, 2000, 3000})
	got := glbToGLTF([3]float32{1000, 2000, 3000})
	if got != [3]float32{1, 3, -2} {
		t.Fatalf("glbToGLTF = %v, want [1 3 -2]", got)
	}
	conv := m.Clone()
	for i, p := range conv.Positions {
		conv.Positions[i] = glbToGLTF(p)
	}
	if v := conv.Volume(); math.Abs(v-6) > 1e-9 {
		t.Fatalf("volume in glTF space %g m³, want +6", v)
	}
}

// TestSTLCrossCheck reads our STL output with hschendel/stl, an independent reader, and checks
// the triangle count, the vertices and that each stored normal is the unit normal of the float32
// vertices written.
func TestSTLCrossCheck(t *testing.T) {
	m := meshtest.Torus(20, 5, 32, 16)
	for _, f := range []Format{STL, STLASCII} {
		solid, err := stl.ReadAll(bytes.NewReader(ioEncode(t, m, f)))
		if err != nil {
			t.Fatalf("%v: hschendel/stl: %v", f, err)
		}
		if solid.IsAscii != (f == STLASCII) || len(solid.Triangles) != len(m.Faces) {
			t.Fatalf("%v: ascii=%v, %d triangles; want %d", f, solid.IsAscii, len(solid.Triangles), len(m.Faces))
		}
		for i, tr := range solid.Triangles {
			for k := range 3 {
				if [3]float32(tr.Vertices[k]) != m.Positions[m.Faces[i][k]] {
					t.Fatalf("%v: triangle %d vertex %d = %v, want %v", f, i, k, tr.Vertices[k], m.Positions[m.Faces[i][k]])
				}
			}
			want := ioFaceNormal([3]float32(tr.Vertices[0]), [3]float32(tr.Vertices[1]), [3]float32(tr.Vertices[2]))
			for a := range 3 {
				if math.Abs(float64(tr.Normal[a]-want[a])) > 1e-6 {
					t.Fatalf("%v: triangle %d normal %v, want %v", f, i, tr.Normal, want)
				}
			}
		}
		if f == STL && !bytes.HasPrefix(solid.BinaryHeader, []byte("orfeas")) {
			t.Fatalf("binary header %q does not name the generator", solid.BinaryHeader)
		}
	}
}

func TestEncodeDeterministic(t *testing.T) {
	s := ioShapes()[2]
	for _, f := range []Format{STL, STLASCII, OBJ, GLB, PLY} {
		a, b := ioEncode(t, s.m, f), ioEncode(t, s.m.Clone(), f)
		if !bytes.Equal(a, b) {
			t.Errorf("%v: two encodings differ", f)
		}
	}
}

// ioFailWriter accepts n bytes, then fails every write.
type ioFailWriter struct{ n int }

var errIOFail = errors.New("disk full")

func (w *ioFailWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	k := w.n
	w.n = 0
	return k, errIOFail
}

// TestEncodeWriteErrors fails the writer at several points in each format and checks that the
// error reaches the caller.
func TestEncodeWriteErrors(t *testing.T) {
	m := ioShapes()[2].m
	for _, f := range []Format{STL, STLASCII, OBJ, GLB, PLY} {
		size := len(ioEncode(t, m, f))
		for _, at := range []int{0, 1, 13, 100, size / 2, size - 1} {
			if err := Encode(&ioFailWriter{n: at}, m, f); !errors.Is(err, errIOFail) {
				t.Errorf("%v: writer failing after %d of %d bytes: err = %v, want %v", f, at, size, err, errIOFail)
			}
		}
	}
}

func TestEncodeInvalid(t *testing.T) {
	bad := meshtest.Cuboid([3]float32{}, [3]float32{1, 1, 1})
	bad.Faces[3][1] = 99
	for _, f := range []Format{STL, STLASCII, OBJ, GLB, PLY} {
		if err := Encode(&bytes.Buffer{}, bad, f); !errors.Is(err, mesh.ErrInvalid) {
			t.Errorf("%v: err = %v, want mesh.ErrInvalid", f, err)
		}
	}
	if err := Encode(&bytes.Buffer{}, meshtest.Cuboid([3]float32{}, [3]float32{1, 1, 1}), Format(0)); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Format(0): err = %v, want ErrUnknownFormat", err)
	}
}

// TestEncodeEmpty checks that a mesh without faces encodes and decodes in every format.
func TestEncodeEmpty(t *testing.T) {
	for _, f := range []Format{STL, STLASCII, OBJ, GLB, PLY} {
		got, err := Decode(bytes.NewReader(ioEncode(t, &mesh.Mesh{}, f)), f)
		if err != nil || len(got.Faces) != 0 {
			t.Errorf("%v: %v, %d faces", f, err, len(got.Faces))
		}
	}
}

// TestEncodeOBJ checks the textured OBJ: the OBJ names the library, the library the texture,
// the texture is the mesh's as PNG, and the OBJ decodes to the mesh's faces; an untextured mesh
// gives Encode's bytes and leaves the other writers alone; bad names and missing writers fail.
func TestEncodeOBJ(t *testing.T) {
	s := ioShapes()[2]
	if s.m.Texture == nil || s.m.UVs == nil {
		t.Fatalf("%s: test shape is not textured", s.name)
	}
	var obj, mtl, tex bytes.Buffer
	if err := EncodeOBJ(&obj, &mtl, &tex, s.m, "model"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(obj.Bytes(), []byte("\nmtllib model.mtl\n")) || !bytes.Contains(obj.Bytes(), []byte("\nusemtl ")) || !bytes.Contains(mtl.Bytes(), []byte("\nmap_Kd model_texture.png\n")) {
		t.Fatalf("OBJ/MTL do not refer to each other:\n%s\n%s", obj.Bytes()[:80], mtl.Bytes())
	}
	img, err := png.Decode(&tex)
	if err != nil || img.Bounds() != s.m.Texture.Bounds() {
		t.Fatalf("texture: %v, bounds %v", err, s.m.Texture.Bounds())
	}
	got, err := Decode(bytes.NewReader(obj.Bytes()), OBJ)
	if err != nil || len(got.Faces) != len(s.m.Faces) {
		t.Fatalf("decode written OBJ: %v", err)
	}

	plain := ioShapes()[0].m
	obj.Reset()
	if err := EncodeOBJ(&obj, nil, nil, plain, "plain"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(obj.Bytes(), ioEncode(t, plain, OBJ)) {
		t.Error("untextured EncodeOBJ differs from Encode(OBJ)")
	}

	for _, name := range []string{"", "../x", `a\b`, ".", "..", "a\nb"} {
		if err := EncodeOBJ(io.Discard, io.Discard, io.Discard, s.m, name); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if err := EncodeOBJ(io.Discard, nil, nil, s.m, "model"); err == nil {
		t.Error("textured mesh without mtl and texture writers accepted")
	}
	if err := EncodeOBJ(io.Discard, nil, nil, &mesh.Mesh{Faces: [][3]uint32{{0, 1, 2}}}, "bad"); !errors.Is(err, mesh.ErrInvalid) {
		t.Errorf("invalid mesh: %v, want mesh.ErrInvalid", err)
	}
}

// TestEncodeGOMAXPROCS checks that output does not depend on the number of threads: vertex
// normals of a large mesh are summed in parallel parts, which must not change a bit.
func TestEncodeGOMAXPROCS(t *testing.T) {
	m := ioShapes()[3].m // above normalPartMinFaces
	if len(m.Faces) < normalPartMinFaces {
		t.Fatalf("test mesh has %d faces, too few to split", len(m.Faces))
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	glb1, obj1 := ioEncode(t, m, GLB), ioEncode(t, m, OBJ)
	runtime.GOMAXPROCS(4)
	if !bytes.Equal(glb1, ioEncode(t, m, GLB)) || !bytes.Equal(obj1, ioEncode(t, m, OBJ)) {
		t.Fatal("output differs between GOMAXPROCS 1 and 4")
	}
}
