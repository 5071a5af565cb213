package meshio

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
)

// tmfTestZip builds a zip package from name → content pairs, in order.
func tmfTestZip(t testing.TB, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tmfTestModel wraps resources and build XML in a model element.
func tmfTestModel(unit, body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><model unit="` + unit + `" xmlns="` + tmfCoreNS + `" xmlns:m="` + tmfMaterialNS + `">` + body + `</model>`
}

const tmfTetra = `<object id="1" type="model"><mesh><vertices>
<vertex x="0" y="0" z="0"/><vertex x="10" y="0" z="0"/><vertex x="0" y="10" z="0"/><vertex x="0" y="0" z="10"/>
</vertices><triangles><triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/><triangle v1="0" v2="3" v3="2"/><triangle v1="1" v2="2" v3="3"/></triangles></mesh></object>`

// TestThreeMFPackage checks what a slicer reads: the parts, the content types and relationships,
// millimetres, one object and one build item, colours in a colour group, and a PNG thumbnail of
// the mesh.
func TestThreeMFPackage(t *testing.T) {
	m := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{40, 20, 10})
	m.Colors = make([][4]uint8, len(m.Positions))
	for i := range m.Colors {
		m.Colors[i] = [4]uint8{uint8(30 * i), 100, 200, 255}
	}
	data := ioEncode(t, m, ThreeMF)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		parts[f.Name] = b
		names = append(names, f.Name)
	}
	if want := "[[Content_Types].xml _rels/.rels 3D/3dmodel.model Metadata/thumbnail.png]"; fmt.Sprint(names) != want {
		t.Fatalf("parts %v, want %s", names, want)
	}
	model := string(parts[tmfModelPath])
	for _, s := range []string{`unit="millimeter"`, `<m:colorgroup id="2">`, `pid="2" pindex="0"`, `<item objectid="1"/>`, `<m:color color="#1E64C8FF"/>`, `p1="`} {
		if !strings.Contains(model, s) {
			t.Errorf("model lacks %s", s)
		}
	}
	if n := strings.Count(model, "<triangle "); n != 12 {
		t.Errorf("%d triangles, want 12", n)
	}
	if !strings.Contains(string(parts["_rels/.rels"]), tmfThumbRel) {
		t.Error("no thumbnail relationship")
	}
	img, err := png.Decode(bytes.NewReader(parts[tmfThumbPath]))
	if err != nil {
		t.Fatalf("thumbnail: %v", err)
	}
	if img.Bounds().Dx() != tmfThumbSize || img.Bounds().Dy() != tmfThumbSize {
		t.Errorf("thumbnail %v", img.Bounds())
	}
	if _, _, _, a := img.At(tmfThumbSize/2, tmfThumbSize/2).RGBA(); a == 0 {
		t.Error("the thumbnail's centre is empty: the mesh is not in it")
	}
	// Options: no thumbnail, or the caller's.
	var b bytes.Buffer
	if err := (EncodeOptions{NoThumbnail: true}).Encode(&b, m, ThreeMF); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte(tmfThumbPath)) {
		t.Error("NoThumbnail still wrote a thumbnail")
	}
	got, err := Decode(bytes.NewReader(b.Bytes()), ThreeMF)
	if err != nil || len(got.Faces) != 12 || got.Volume() != m.Volume() {
		t.Fatalf("read back: %v, %v", got, err)
	}
	for i, c := range got.Colors {
		if c != m.Colors[i] {
			t.Fatalf("colour %d: %v, want %v", i, c, m.Colors[i])
		}
	}
}

// TestThreeMFTextureColours: a textured mesh without vertex colours is coloured from its
// texture at the UVs.
func TestThreeMFTextureColours(t *testing.T) {
	m := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{10, 10, 10})
	tex := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	copy(tex.Pix, []uint8{255, 0, 0, 255, 0, 0, 255, 255})
	m.Texture = tex
	m.UVs = make([][2]float32, len(m.Positions))
	for i, p := range m.Positions {
		m.UVs[i] = [2]float32{0.25 + p[0]/20, 0.5} // x = 0 → left (red), x = 10 → right (blue)
	}
	got, err := Decode(bytes.NewReader(ioEncode(t, m, ThreeMF)), ThreeMF)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got.Positions {
		want := [4]uint8{255, 0, 0, 255}
		if p[0] > 5 {
			want = [4]uint8{0, 0, 255, 255}
		}
		if got.Colors[i] != want {
			t.Errorf("vertex %d at %v: %v, want %v", i, p, got.Colors[i], want)
		}
	}
}

// TestThreeMFForeign reads packages as other programs write them: units, transforms on build
// items, components, base materials, and a model part named by the relationships.
func TestThreeMFForeign(t *testing.T) {
	rels := `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/other.model" Id="r" Type="` + tmfModelRel + `"/></Relationships>`
	body := `<resources><basematerials id="5"><base name="red" displaycolor="#FF0000"/></basematerials>` +
		strings.Replace(tmfTetra, `type="model"`, `type="model" pid="5" pindex="0"`, 1) +
		`<object id="2" type="model"><components><component objectid="1" transform="1 0 0 0 1 0 0 0 1 100 0 0"/></components></object>` +
		`</resources><build><item objectid="1" transform="2 0 0 0 2 0 0 0 2 0 0 5"/><item objectid="2"/></build>`
	data := tmfTestZip(t, "_rels/.rels", rels, "3D/other.model", tmfTestModel("centimeter", body))
	m, err := Decode(bytes.NewReader(data), ThreeMF)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Faces) != 8 || len(m.Positions) != 8 {
		t.Fatalf("%d faces %d vertices, want 8 and 8", len(m.Faces), len(m.Positions))
	}
	// Item 1: centimetres (×10) scaled by 2 and lifted 5 mm; item 2: moved 100 mm along X.
	if p := m.Positions[1]; p != [3]float32{200, 0, 5} {
		t.Errorf("item 1 vertex 1 at %v, want [200 0 5]", p)
	}
	if p := m.Positions[5]; p != [3]float32{200, 0, 0} {
		t.Errorf("item 2 vertex 1 at %v, want [200 0 0]", p)
	}
	if m.Colors == nil || m.Colors[0] != [4]uint8{255, 0, 0, 255} {
		t.Errorf("colours %v, want red from the base material", m.Colors)
	}
	if tp := m.Topology(); !tp.Closed() {
		t.Errorf("topology %+v", tp)
	}
}

// TestThreeMFHostile: every hostile package fails fast with the right sentinel.
func TestThreeMFHostile(t *testing.T) {
	tetra := tmfTestModel("millimeter", "<resources>"+tmfTetra+`</resources><build><item objectid="1"/></build>`)
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	var many []string
	for i := range tmfMaxEntries + 1 {
		many = append(many, fmt.Sprintf("f%d", i), "")
	}
	bomb := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.Create(tmfModelPath)
		io.WriteString(w, `<model>`)
		zeros := make([]byte, 1<<20)
		for range 64 {
			w.Write(zeros)
		}
		zw.Close()
		return b.Bytes()
	}()
	cycle := `<resources><object id="1" type="model"><components><component objectid="2"/></components></object>` +
		`<object id="2" type="model"><components><component objectid="1"/></components></object></resources><build><item objectid="1"/></build>`
	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"not a zip", []byte("PK\x03\x04 nothing"), ErrMalformed},
		{"no model", tmfTestZip(t, "x.txt", "hi"), ErrMalformed},
		{"too many entries", tmfTestZip(t, many...), ErrTooLarge},
		{"zip bomb", bomb, ErrTooLarge},
		{"deep XML", tmfTestZip(t, tmfModelPath, `<model>`+deep+`</model>`), ErrTooLarge},
		{"bad XML", tmfTestZip(t, tmfModelPath, `<model><resources>`), ErrMalformed},
		{"no build", tmfTestZip(t, tmfModelPath, tmfTestModel("millimeter", "<resources>"+tmfTetra+"</resources>")), ErrMalformed},
		{"index out of range", tmfTestZip(t, tmfModelPath, strings.Replace(tetra, `v3="1"`, `v3="9"`, 1)), ErrMalformed},
		{"negative index", tmfTestZip(t, tmfModelPath, strings.Replace(tetra, `v3="1"`, `v3="-1"`, 1)), ErrMalformed},
		{"bad number", tmfTestZip(t, tmfModelPath, strings.Replace(tetra, `x="10"`, `x="1e999"`, 1)), ErrMalformed},
		{"bad unit", tmfTestZip(t, tmfModelPath, tmfTestModel("parsec", "")), ErrMalformed},
		{"undefined object", tmfTestZip(t, tmfModelPath, strings.Replace(tetra, `item objectid="1"`, `item objectid="7"`, 1)), ErrMalformed},
		{"component cycle", tmfTestZip(t, tmfModelPath, tmfTestModel("millimeter", cycle)), ErrMalformed},
		{"bad transform", tmfTestZip(t, tmfModelPath, strings.Replace(tetra, `item objectid="1"`, `item objectid="1" transform="1 2"`, 1)), ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(c.data), ThreeMF)
			if !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
		})
	}
	// Face limits apply to what the build items make, instancing included.
	inst := tmfTestModel("millimeter", "<resources>"+tmfTetra+"</resources><build>"+strings.Repeat(`<item objectid="1"/>`, 100)+"</build>")
	if _, err := (DecodeLimits{MaxFaces: 100}).Decode(bytes.NewReader(tmfTestZip(t, tmfModelPath, inst)), ThreeMF); !errors.Is(err, ErrTooLarge) {
		t.Errorf("instancing past MaxFaces: err = %v", err)
	}
	if f, err := DetectFormat(ioEncode(t, meshtest.Cuboid([3]float32{}, [3]float32{1, 1, 1}), ThreeMF)); f != ThreeMF || err != nil {
		t.Errorf("DetectFormat = %v, %v", f, err)
	}
}

func FuzzDecode3MF(f *testing.F) {
	for _, s := range ioSeeds(ThreeMF) {
		f.Add(s)
	}
	tetra := tmfTestModel("millimeter", "<resources>"+tmfTetra+`</resources><build><item objectid="1"/></build>`)
	f.Add(tmfTestZip(f, tmfModelPath, tetra))
	f.Fuzz(func(t *testing.T, data []byte) { ioCheckDecoded(t, data, ThreeMF) })
}

// Fuzzing zip bytes rarely reaches the XML; this target fuzzes the model part itself.
func FuzzDecode3MFModel(f *testing.F) {
	f.Add([]byte(tmfTestModel("millimeter", "<resources>"+tmfTetra+`</resources><build><item objectid="1"/></build>`)))
	f.Add([]byte(tmfTestModel("inch", `<resources><m:colorgroup id="3"><m:color color="#102030"/></m:colorgroup>`+tmfTetra+`</resources><build><item objectid="1" transform="1 0 0 0 1 0 0 0 1 0 0 0"/></build>`)))
	f.Fuzz(func(t *testing.T, model []byte) {
		m, err := tmfParse(model, DecodeLimits{}.withDefaults())
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded mesh invalid: %v", err)
		}
	})
}

// TestThreeMFAllocation: decoding allocates at most four times the decompressed model part (the
// part itself, the object's vertices and triangles with their properties, the merged mesh),
// whatever the compression.
func TestThreeMFAllocation(t *testing.T) {
	m := meshtest.UVSphere(10, 100, 200)
	var b bytes.Buffer
	if err := (EncodeOptions{NoThumbnail: true}).Encode(&b, m, ThreeMF); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	var model uint64
	for _, f := range zr.File {
		if f.Name == tmfModelPath {
			model = f.UncompressedSize64
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := Decode(bytes.NewReader(b.Bytes()), ThreeMF)
	runtime.ReadMemStats(&after)
	if err != nil || len(got.Faces) != len(m.Faces) {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d-byte package, %d-byte model: %d allocated (%.1f× the model, %.1f× the package)", b.Len(), model, alloc, float64(alloc)/float64(model), float64(alloc)/float64(b.Len()))
	if alloc > 4*model+1<<20 {
		t.Errorf("allocated %d for a %d-byte model", alloc, model)
	}
}
