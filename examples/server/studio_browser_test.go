package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/checktools"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// TestStudioBrowser runs the studio page's browser tests (web/test, node's test runner driving
// headless chromium through playwright-core) against two real servers: one that generates at
// full speed and one whose generations wait, so one can be cancelled. Screenshots, downloads and
// result.json land in $ORFEAS_STUDIO_OUT (default web/screenshots); afterwards every downloaded
// model (STL, OBJ, GLB, PLY, 3MF) is decoded here and checked closed and of the size and face
// count the report gave, and the OBJ zip is opened: model.obj (which decodes the same), model.mtl
// and the texture PNG.
//
// It needs node, /usr/bin/chromium (or $CHROMIUM) and `npm ci` in web/; without them it skips,
// unless ORFEAS_REQUIRE_TOOLS=1.
func TestStudioBrowser(t *testing.T) {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	node, err := exec.LookPath("node")
	if err != nil {
		checktools.Missing(t, "node (for the studio browser tests)")
	}
	if _, err := os.Stat(chromium); err != nil {
		checktools.Missing(t, "chromium at %s (apt-get install chromium)", chromium)
	}
	if _, err := os.Stat("web/node_modules/playwright-core/package.json"); err != nil {
		checktools.Missing(t, "playwright-core (npm ci --prefix examples/server/web)")
	}
	out := os.Getenv("ORFEAS_STUDIO_OUT")
	if out == "" {
		out = filepath.Join("web", "screenshots")
	}
	out, _ = filepath.Abs(out)
	os.RemoveAll(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	fast := startServer(t, t.TempDir())
	slow := startServer(t, t.TempDir(), "ORFEAS_TEST_GENERATE_DELAY=60s")
	image, _ := filepath.Abs("../../testdata/images/bison.png")
	bad, _ := filepath.Abs("web/test/not-an-image.png")
	warn, _ := filepath.Abs("../../testdata/images/armadillo.png")

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/")
	cmd.Dir = "web"
	cmd.Env = append(os.Environ(),
		"STUDIO_URL="+fast.base, "STUDIO_SLOW_URL="+slow.base, "STUDIO_IMAGE="+image,
		"STUDIO_BAD="+bad, "STUDIO_WARN_IMAGE="+warn, "STUDIO_OUT="+out, "CHROMIUM="+chromium)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err = cmd.Run()
	t.Logf("browser tests (%.1f s):\n%s", time.Since(start).Seconds(), buf.String())
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}

	// What the person downloaded decodes, is closed, and has the size the report gave.
	var res struct {
		SizeMM [3]float64 `json:"size_mm"`
		Faces  int        `json:"faces"`
	}
	data, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	check := func(ext string, data []byte) {
		t.Helper()
		format, _ := meshio.ParseFormat(ext)
		m, err := meshio.Decode(bytes.NewReader(data), format)
		if err != nil {
			t.Errorf("%s: %v", ext, err)
			return
		}
		b := m.Bounds()
		size := [3]float64{float64(b.Max[0] - b.Min[0]), float64(b.Max[1] - b.Min[1]), float64(b.Max[2] - b.Min[2])}
		for i := range size {
			if math.Abs(size[i]-res.SizeMM[i]) > 0.01 {
				t.Errorf("%s: size %v mm, the report says %v", ext, size, res.SizeMM)
				break
			}
		}
		if top := m.Topology(); !top.Closed() || len(m.Faces) != res.Faces {
			t.Errorf("%s: closed %v, %d faces (report %d)", ext, top.Closed(), len(m.Faces), res.Faces)
		}
	}
	for _, ext := range []string{"stl", "obj", "glb", "ply", "3mf"} {
		data, err := os.ReadFile(filepath.Join(out, "downloads", "model."+ext))
		if err != nil {
			t.Errorf("%s not downloaded: %v", ext, err)
			continue
		}
		check(ext, data)
	}
	zr, err := zip.OpenReader(filepath.Join(out, "downloads", "model.obj.zip"))
	if err != nil {
		t.Fatalf("obj.zip: %v", err)
	}
	defer zr.Close()
	parts := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(r); err != nil {
			t.Fatalf("obj.zip %s: %v", f.Name, err)
		}
		r.Close()
		parts[f.Name] = b.Bytes()
	}
	if len(parts) != 3 || parts["model.obj"] == nil || parts["model.mtl"] == nil || parts["model"+meshio.OBJTextureSuffix] == nil {
		t.Errorf("obj.zip holds %v, want model.obj, model.mtl, model%s", keys(parts), meshio.OBJTextureSuffix)
	}
	if obj := parts["model.obj"]; obj != nil {
		if !bytes.Contains(obj, []byte("mtllib model.mtl")) {
			t.Errorf("the zip's model.obj does not name its material library")
		}
		check("obj", obj)
	}
	if tex := parts["model"+meshio.OBJTextureSuffix]; tex != nil {
		if _, err := png.Decode(bytes.NewReader(tex)); err != nil {
			t.Errorf("the zip's texture: %v", err)
		}
	}
	fmt.Fprintf(os.Stderr, "studio screenshots in %s\n", out)
}

func keys(m map[string][]byte) (ks []string) {
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
