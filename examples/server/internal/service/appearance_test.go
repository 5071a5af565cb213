package service

import (
	"archive/zip"
	"bytes"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/orfeas3d/orfeas/internal/checktools"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// TestModelPreviewAndOBJZip: a generated job offers a shaded preview of its model, and an OBJ
// job a zip of model.obj, model.mtl and the texture that three.js loads together; a 3MF job's
// model reads in lib3mf; analyze accepts 3MF.
func TestModelPreviewAndOBJZip(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, nil)
		id := uploadImage(t, ts.URL, testPNG(t, 48, 40))
		if resp, _ := do(t, "GET", ts.URL+"/api/preview-model/"+id, "", nil); resp.StatusCode != 404 {
			t.Errorf("preview before any model: %d, want 404", resp.StatusCode)
		}
		generate(t, ts.URL, id, "obj", 1)
		st := waitState(t, ts.URL, id)
		downloads, _ := st["downloads"].(map[string]any)
		if st["model_preview_url"] != "/api/preview-model/"+id || downloads["obj.zip"] != "/api/download/"+id+"/model.obj.zip" {
			t.Fatalf("status: %v", st)
		}
		resp, data := do(t, "GET", ts.URL+"/api/preview-model/"+id, "", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("preview: %d %v", resp.StatusCode, resp.Header)
		}
		if img, err := png.Decode(bytes.NewReader(data)); err != nil || img.Bounds().Dx() != modelPreviewSize {
			t.Fatalf("preview: %v", err)
		}
		resp, data = do(t, "GET", ts.URL+"/api/download/"+id+"/model.obj.zip", "", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("obj.zip: %d %v", resp.StatusCode, resp.Header)
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			os.WriteFile(filepath.Join(dir, f.Name), b, 0o644)
		}
		if len(names) != 3 || names[0] != "model.obj" || names[1] != "model.mtl" || names[2] != "model"+meshio.OBJTextureSuffix {
			t.Fatalf("zip holds %v", names)
		}
		rep := checktools.LoadOBJ(t, filepath.Join(dir, "model.obj"))
		if rep.Map != "model"+meshio.OBJTextureSuffix || len(rep.Textures) != 1 || !rep.HasUV || rep.Triangles == 0 {
			t.Errorf("three.js: %+v", rep)
		}

		generate(t, ts.URL, id, "3mf", 1)
		waitState(t, ts.URL, id)
		resp, data = do(t, "GET", ts.URL+"/api/download/"+id+"/model.3mf", "", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "model/3mf" {
			t.Fatalf("3mf: %d %v", resp.StatusCode, resp.Header)
		}
		if r := checktools.Read3MF(t, data); !r.ManifoldAndOriented || r.Unit != checktools.Lib3MFUnitMillimetre || r.Max[0]-r.Min[0] < 1 {
			t.Errorf("lib3mf: %+v", r)
		}
		ct, body := multipartBody(t, nil, filePart{"file", "model.3mf", data})
		resp, out := do(t, "POST", ts.URL+"/api/stl/analyze", ct, body)
		if a := decode(t, out); resp.StatusCode != 200 || a["format"] != "3mf" || a["closed"] != true {
			t.Errorf("analyze 3mf: %d %s", resp.StatusCode, out)
		}
	})
}
