package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// A mesh input that repair cannot close is solidified: closed, within the budget.
func TestMeshInputSolidified(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "broken.glb")
	var glb bytes.Buffer
	if err := meshio.Encode(&glb, meshtest.Defective(20, 30, 48), meshio.GLB); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(in, glb.Bytes(), 0o644)
	out := filepath.Join(dir, "fixed.stl")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-q", "-quality", "draft", "-faces", "5000", "-o", out, in}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, _ := os.Open(out)
	defer f.Close()
	m, err := meshio.Decode(f, meshio.STL)
	if err != nil {
		t.Fatal(err)
	}
	if top := m.Topology(); !top.Closed() || len(m.Faces) > 5000 {
		t.Errorf("%d faces, %+v", len(m.Faces), top)
	}
	// Writing over the input is refused.
	if code := run([]string{"-q", "-o", in, in}, &stdout, &stderr); code != exitUsage && code != exitFailed {
		t.Errorf("overwrite: exit %d", code)
	}
}

// -prompt goes through -txt2img-url, and -backend hunyuan needs -hunyuan-url.
func TestPromptAndRemoteFlags(t *testing.T) {
	img, err := os.ReadFile(filepath.Join("..", "..", "testdata", "images", "horse.png"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"images": []string{base64.StdEncoding.EncodeToString(img)}})
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "horse.stl")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-q", "-backend", "cpu", "-quality", "draft", "-prompt", "a horse", "-txt2img-url", srv.URL, "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Fatalf("no output: %v", err)
	}
	stderr.Reset()
	if code := run([]string{"-backend", "hunyuan", "x.png"}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "-hunyuan-url") {
		t.Errorf("hunyuan without a URL: exit %d, %s", code, stderr.String())
	}
	if code := run([]string{"-prompt", "x", "x.png"}, &stdout, &stderr); code != exitUsage {
		t.Errorf("-prompt with an image: exit %d", code)
	}
}
