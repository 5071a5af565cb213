package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orfeas3d/orfeas/internal/checktools"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// TestThreeMFPreviewOBJ: -format 3mf writes a 3MF that lib3mf reads at the requested size,
// -preview a PNG of the model, a textured OBJ its MTL and texture beside it (and not over the
// input's own NAME.png), -obj-single one file, and -up y turns the OBJ Y up.
func TestThreeMFPreviewOBJ(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	tmf := filepath.Join(dir, "horse.3mf")
	prev := filepath.Join(dir, "horse-preview.png")
	if code := run([]string{"-q", "-quality", "draft", "-mode", "extrude", "-width", "80", "-o", tmf, "-preview", prev, samples + "horse.png"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(tmf)
	if err != nil {
		t.Fatal(err)
	}
	m, err := meshio.Decode(bytes.NewReader(data), meshio.ThreeMF)
	if err != nil || !m.Topology().Closed() {
		t.Fatalf("3MF read back: %v", err)
	}
	if s := m.Bounds().Size(); s[0] < 79.99 || s[0] > 80.01 {
		t.Errorf("3MF is %v mm, want 80 wide", s)
	}
	rep := checktools.Read3MF(t, data)
	if rep.Max[0]-rep.Min[0] < 79.99 || !rep.ManifoldAndOriented || rep.Unit != checktools.Lib3MFUnitMillimetre {
		t.Errorf("lib3mf: %+v", rep)
	}
	f, err := os.Open(prev)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 512 {
		t.Fatalf("preview: %v", err)
	}

	// A textured OBJ, written where its input's name.png would be the texture's natural name.
	work := t.TempDir()
	src, _ := os.ReadFile(samples + "bison.png")
	in := filepath.Join(work, "bison.png")
	os.WriteFile(in, src, 0o644)
	if code := run([]string{"-q", "-quality", "draft", "-mode", "inflate", "-up", "y", "-o", filepath.Join(work, "bison.obj"), in}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got, _ := os.ReadFile(in); !bytes.Equal(got, src) {
		t.Fatal("the input image was overwritten")
	}
	obj, _ := os.ReadFile(filepath.Join(work, "bison.obj"))
	mtl, _ := os.ReadFile(filepath.Join(work, "bison.mtl"))
	if !strings.Contains(string(obj), "mtllib bison.mtl\n") || !strings.Contains(string(mtl), "map_Kd bison_texture.png\n") {
		t.Fatalf("OBJ and MTL do not refer to each other")
	}
	if _, err := os.Stat(filepath.Join(work, "bison_texture.png")); err != nil {
		t.Fatal(err)
	}
	om, err := meshio.Decode(bytes.NewReader(obj), meshio.OBJ)
	if err != nil {
		t.Fatal(err)
	}
	if s := om.Bounds().Size(); s[1] >= s[2] { // inflated: flat along Z, so Y up makes Y the thin axis
		t.Errorf("-up y: size %v, want Y (the old Z, thickness) smallest", s)
	}
	if lr := checktools.LoadOBJ(t, filepath.Join(work, "bison.obj")); lr.Map != "bison_texture.png" || lr.Triangles != len(om.Faces) {
		t.Errorf("three.js: %+v", lr)
	}
	single := filepath.Join(t.TempDir(), "one.obj")
	if code := run([]string{"-q", "-quality", "draft", "-mode", "inflate", "-obj-single", "-o", single, in}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if ents, _ := os.ReadDir(filepath.Dir(single)); len(ents) != 1 {
		t.Errorf("-obj-single wrote %d files", len(ents))
	}
	if code := run([]string{"-up", "x", in}, &stdout, &stderr); code != exitUsage {
		t.Errorf("-up x: exit %d, want a usage error", code)
	}
}
