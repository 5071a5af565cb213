package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
// model is decoded here and checked closed and of the size the report gave.
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

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/")
	cmd.Dir = "web"
	cmd.Env = append(os.Environ(),
		"STUDIO_URL="+fast.base, "STUDIO_SLOW_URL="+slow.base, "STUDIO_IMAGE="+image,
		"STUDIO_BAD="+bad, "STUDIO_OUT="+out, "CHROMIUM="+chromium)
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
	for _, ext := range []string{"stl", "obj", "glb", "ply"} {
		f, err := os.Open(filepath.Join(out, "downloads", "model."+ext))
		if err != nil {
			t.Errorf("%s not downloaded: %v", ext, err)
			continue
		}
		format, _ := meshio.ParseFormat(ext)
		m, err := meshio.Decode(f, format)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", ext, err)
			continue
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
	fmt.Fprintf(os.Stderr, "studio screenshots in %s\n", out)
}
