package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// TestUploadImageModes checks image_info.mode and has_transparency for inputs with and without
// an alpha channel, named as PIL names them.
func TestUploadImageModes(t *testing.T) {
	_, ts := testService(t, nil)
	enc := func(img image.Image) []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	rgba := image.NewNRGBA(image.Rect(0, 0, 32, 24))
	gray := image.NewGray(image.Rect(0, 0, 32, 24))
	for y := range 24 {
		for x := range 32 {
			a := uint8(255)
			if x < 8 {
				a = 0 // a transparent band: the silhouette's background
			}
			rgba.SetNRGBA(x, y, color.NRGBA{200, uint8(x * 8), 40, a})
			gray.SetGray(x, y, color.Gray{uint8(x * 8)})
		}
	}
	for _, c := range []struct {
		name        string
		data        []byte
		mode        string
		transparent bool
	}{
		{"rgb", testPNG(t, 32, 24), "RGB", false},
		{"alpha", enc(rgba), "RGBA", true},
		{"gray", enc(gray), "L", false},
	} {
		ct, body := multipartBody(t, nil, filePart{"image", c.name + ".png", c.data})
		resp, out := do(t, "POST", ts.URL+"/api/upload-image", ct, body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: upload %d %s", c.name, resp.StatusCode, out)
		}
		info := decode(t, out)["image_info"].(map[string]any)
		if info["mode"] != c.mode || info["has_transparency"] != c.transparent {
			t.Errorf("%s: image_info %v, want mode %s, has_transparency %v", c.name, info, c.mode, c.transparent)
		}
	}
}

// TestGenerateDefaults posts a job_id alone: format stl, quality 7, mode auto.
func TestGenerateDefaults(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, func(c *Config) { c.GenerateDelay = time.Hour }) // only the request is under test
		id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q}`, id))
		if resp.StatusCode != 202 {
			t.Fatalf("generate: %d %s", resp.StatusCode, out)
		}
		g := decode(t, out)
		if g["job_id"] != id || g["status"] != "queued" || g["format"] != "stl" || g["quality"] != 7.0 || g["mode"] != "auto" || g["quality_level"] != "high" {
			t.Errorf("defaults: %s", out)
		}
		st := status(t, ts.URL, id)
		if st["format"] != "stl" || st["mode"] != "auto" || st["quality"] != "high" {
			t.Errorf("status after a default generate: %v", st)
		}
		if resp, out := do(t, "DELETE", ts.URL+"/api/jobs/"+id, "", nil); resp.StatusCode != 200 {
			t.Errorf("cancel: %d %s", resp.StatusCode, out)
		}
	})
}

// TestRegenerateServesLatest generates the same format twice with different widths: the
// download is the latest model, and the completed status has stage "done".
func TestRegenerateServesLatest(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, nil)
		id := uploadImage(t, ts.URL, testPNG(t, 40, 32))
		var prev []byte
		for _, width := range []float64{30, 60} {
			resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q,"format":"stl","quality":1,"mode":"relief","dimensions":{"width":%g}}`, id, width))
			if resp.StatusCode != 202 {
				t.Fatalf("generate width %g: %d %s", width, resp.StatusCode, out)
			}
			st := waitState(t, ts.URL, id)
			if st["status"] != "completed" || st["stage"] != "done" || st["progress"] != 100.0 {
				t.Fatalf("status: %v", st)
			}
			resp, data := do(t, "GET", ts.URL+"/api/download/"+id+"/model.stl", "", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("download: %d %s", resp.StatusCode, data)
			}
			m, err := meshio.Decode(bytes.NewReader(data), meshio.STL)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Bounds().Size()[0]; math.Abs(float64(got)-width) > 0.01*width {
				t.Errorf("download after the width %g generation is %g mm wide", width, got)
			}
			if bytes.Equal(data, prev) {
				t.Errorf("width %g: the previous model was served", width)
			}
			prev = data
		}
	})
}

// TestAnalyzeDetectsByContent sends OBJ bytes named .stl: the format comes from the content.
func TestAnalyzeDetectsByContent(t *testing.T) {
	_, ts := testService(t, nil)
	cube := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{10, 20, 30})
	ct, body := form(t, filePart{"file", "cube.stl", encodeMesh(t, cube, meshio.OBJ)})
	resp, out := do(t, "POST", ts.URL+"/api/stl/analyze", ct, body)
	if resp.StatusCode != 200 {
		t.Fatalf("analyze: %d %s", resp.StatusCode, out)
	}
	if a := decode(t, out); a["format"] != meshio.OBJ.String() || a["format"] != "obj" || a["faces"] != 12.0 || a["closed"] != true || a["filename"] != "cube.stl" {
		t.Errorf("analyze of OBJ bytes named cube.stl: %s", out)
	}
}

// syncBuf is a bytes.Buffer safe for the logger and the test to share.
type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRequestLogCarriesID sends a client-chosen X-Request-ID and finds the request's JSON log
// record with that ID, its route and status.
func TestRequestLogCarriesID(t *testing.T) {
	var logs syncBuf
	_, ts := testService(t, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	const rid = "client-chosen_42"
	for _, c := range []struct {
		method, path, route string
		status              int
	}{
		{"GET", "/api/job-status/nosuchjob", "GET /api/job-status/{job_id}", 404},
		{"POST", "/api/text-to-image", "POST /api/text-to-image", 400},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(`{}`))
		req.Header.Set("X-Request-ID", rid)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Fatalf("%s %s: %d", c.method, c.path, resp.StatusCode)
		}
		var found map[string]any
		for deadline := time.Now().Add(10 * time.Second); found == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for line := range strings.Lines(logs.String()) {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("log line %q is not JSON: %v", line, err)
				}
				if rec["msg"] == "request" && rec["request_id"] == rid && rec["route"] == c.route {
					found = rec
				}
			}
		}
		if found == nil {
			t.Fatalf("no request record with request_id %q and route %q in\n%s", rid, c.route, logs.String())
		}
		if found["status"] != float64(c.status) || found["method"] != c.method || found["path"] != c.path || found["level"] != "INFO" {
			t.Errorf("log record %v", found)
		}
	}
}

// TestDownloadRevalidation regenerates a model and revalidates the copy a client downloaded
// before, with the validators it got: the client must get the new model, not 304, even when both
// files carry the same modification time (two generations within one second, or a file system
// with coarse times). A client holding the current model gets 304.
func TestDownloadRevalidation(t *testing.T) {
	s, ts := testService(t, nil)
	id := uploadImage(t, ts.URL, testPNG(t, 40, 32))
	url := ts.URL + "/api/download/" + id + "/model.stl"
	gen := func(width int) (*http.Response, []byte) {
		t.Helper()
		resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q,"quality":1,"mode":"relief","dimensions":{"width":%d}}`, id, width))
		if resp.StatusCode != 202 {
			t.Fatalf("generate: %d %s", resp.StatusCode, out)
		}
		if st := waitState(t, ts.URL, id); st["status"] != "completed" {
			t.Fatalf("status %v", st)
		}
		resp, data := do(t, "GET", url, "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("download: %d", resp.StatusCode)
		}
		return resp, data
	}
	conditional := func(from *http.Response) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		for _, h := range [][2]string{{"ETag", "If-None-Match"}, {"Last-Modified", "If-Modified-Since"}} {
			if v := from.Header.Get(h[0]); v != "" {
				req.Header.Set(h[1], v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, data
	}
	first, _ := gen(30)
	path := filepath.Join(s.root, id, "model.stl")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	second, want := gen(60)
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if resp, data := conditional(first); resp.StatusCode != 200 || !bytes.Equal(data, want) {
		t.Errorf("revalidating the first model after a regeneration: %d, %d bytes (the new model has %d)", resp.StatusCode, len(data), len(want))
	}
	if second.Header.Get("ETag") == "" {
		t.Fatal("no ETag on a download")
	}
	if resp, _ := conditional(second); resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating the current model: %d, want 304", resp.StatusCode)
	}
}
