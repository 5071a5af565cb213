package service

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

func TestHealth(t *testing.T) {
	s, ts := testService(t, nil)
	resp, out := do(t, "GET", ts.URL+"/api/health", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("health: %d", resp.StatusCode)
	}
	h := decode(t, out)
	for _, k := range []string{"status", "timestamp", "backend", "gpu", "active_jobs", "queued_jobs", "version"} {
		if _, ok := h[k]; !ok {
			t.Errorf("health lacks %q: %s", k, out)
		}
	}
	if h["status"] != "healthy" || h["backend"] != "cpu" || h["gpu"] != nil {
		t.Errorf("health: %s", out)
	}
	if resp.Header.Get("X-Request-ID") == "" {
		t.Error("no X-Request-ID")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, out = do(t, "GET", ts.URL+"/api/health", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || decode(t, out)["status"] != "shutting_down" {
		t.Errorf("health during shutdown: %d %s", resp.StatusCode, out)
	}
}

func TestUpload(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		s, ts := start(t, func(c *Config) { c.MaxUploadBytes = 64 << 10 })
		img := testPNG(t, 60, 40)
		ct, body := multipartBody(t, nil, filePart{"image", "../../etc/evil.png", img})
		resp, out := do(t, "POST", ts.URL+"/api/upload-image", ct, body)
		if resp.StatusCode != 200 {
			t.Fatalf("upload: %d %s", resp.StatusCode, out)
		}
		u := decode(t, out)
		id := u["job_id"].(string)
		if !validID(id) || u["status"] != "uploaded" || u["filename"] != "evil.png" || u["preview_url"] != "/api/preview/"+id {
			t.Errorf("upload: %s", out)
		}
		info := u["image_info"].(map[string]any)
		if fmt.Sprint(info["size"]) != "[60 40]" || info["format"] != "png" || info["mode"] != "RGB" || info["has_transparency"] != false || info["file_size"] != float64(len(img)) {
			t.Errorf("image_info: %v", info)
		}
		st := status(t, ts.URL, id)
		if stage, ok := st["stage"]; st["status"] != "uploaded" || st["progress"] != 0.0 || !ok || stage != "" {
			t.Errorf("status after upload: %v", st)
		}
		// Stored under the server's name, with a manifest.
		names := jobFiles(t, s, id)
		if !slices.Equal(names, []string{"manifest.json", "upload.png"}) {
			t.Errorf("job folder holds %v", names)
		}

		cases := []struct {
			name   string
			ct     string
			body   func() (string, *bytes.Reader)
			status int
			reason string
		}{
			{"missing field", "", func() (string, *bytes.Reader) { return form(t, filePart{"file", "a.png", img}) }, 400, "no file"},
			{"not multipart", "application/json", func() (string, *bytes.Reader) { return "", bytes.NewReader([]byte(`{}`)) }, 400, "multipart"},
			{"malformed multipart", "multipart/form-data; boundary=xyz", func() (string, *bytes.Reader) {
				return "", bytes.NewReader([]byte("--xyz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nabc"))
			}, 400, "malformed"},
			{"empty file", "", func() (string, *bytes.Reader) { return form(t, filePart{"image", "a.png", nil}) }, 400, "empty"},
			{"script", "", func() (string, *bytes.Reader) {
				return form(t, filePart{"image", "a.png", []byte("#!/bin/sh\nrm -rf / # pretending to be a PNG\n")})
			}, 400, "unsupported"},
			{"truncated png", "", func() (string, *bytes.Reader) { return form(t, filePart{"image", "a.png", img[:len(img)/2]}) }, 400, "invalid image"},
			{"png bomb", "", func() (string, *bytes.Reader) {
				return form(t, filePart{"image", "bomb.png", pngHeader(100000, 100000)})
			}, 400, "invalid image"},
			{"over the size limit", "", func() (string, *bytes.Reader) {
				return form(t, filePart{"image", "big.png", bytes.Repeat([]byte{0x89}, 70<<10)})
			}, 413, "larger"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ct, body := c.body()
				if c.ct != "" {
					ct = c.ct
				}
				resp, out := do(t, "POST", ts.URL+"/api/upload-image", ct, body)
				if resp.StatusCode != c.status || !strings.Contains(strings.ToLower(decode(t, out)["error"].(string)), c.reason) {
					t.Errorf("%d %s, want %d with %q", resp.StatusCode, out, c.status, c.reason)
				}
			})
		}
		// The body limit holds for the whole request too.
		ct, body = multipartBody(t, nil, filePart{"image", "a.png", img}, filePart{"other", "b.bin", make([]byte, 2<<20)})
		if resp, out := do(t, "POST", ts.URL+"/api/upload-image", ct, body); resp.StatusCode != 413 {
			t.Errorf("oversized body: %d %s", resp.StatusCode, out)
		}
		// Only the one upload was stored.
		if n := len(jobIDs(t, s)); n != 1 {
			t.Errorf("%d job folders, want 1", n)
		}
		if resp, _ := do(t, "GET", ts.URL+"/api/health", "", nil); resp.StatusCode != 200 {
			t.Error("server unhealthy after hostile uploads")
		}
	})
}

// TestUploadStripsMetadata checks the stored upload is a fresh PNG: a text chunk in the upload
// (standing in for EXIF) is gone, the pixels are kept.
func TestUploadStripsMetadata(t *testing.T) {
	_, ts := testService(t, nil)
	img := testPNG(t, 32, 24)
	tagged := insertChunk(img, "tEXt", []byte("GPS\x0048.8584 N, 2.2945 E"))
	id := uploadImage(t, ts.URL, tagged)
	resp, out := do(t, "GET", ts.URL+"/api/preview/"+id, "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("preview: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if bytes.Contains(out, []byte("GPS")) || bytes.Contains(out, []byte("tEXt")) {
		t.Error("preview still holds the text chunk")
	}
	p, err := png.Decode(bytes.NewReader(out))
	if err != nil || p.Bounds().Dx() != 32 || p.Bounds().Dy() != 24 {
		t.Fatalf("preview decodes to %v, %v", p.Bounds(), err)
	}
	if resp, _ := do(t, "GET", ts.URL+"/api/preview/nope", "", nil); resp.StatusCode != 404 {
		t.Errorf("preview of an unknown job: %d", resp.StatusCode)
	}
}

func TestGenerateValidation(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, func(c *Config) { c.MaxJSONBytes = 4096 })
		id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		url := ts.URL + "/api/generate-3d"
		cases := []struct {
			body   string
			status int
			reason string
		}{
			{`{"job_id":`, 400, "malformed json"},
			{`not json`, 400, "malformed json"},
			{``, 400, "empty body"},
			{`{"job_id":"` + id + `"} {}`, 400, "after the object"},
			{`{"job_id":5}`, 400, "job_id"},
			{`{}`, 400, "missing job_id"},
			{`{"job_id":"` + id + `","format":"fbx"}`, 400, "invalid request"},
			{`{"job_id":"` + id + `","quality":0}`, 400, "invalid request"},
			{`{"job_id":"` + id + `","quality":11}`, 400, "invalid request"},
			{`{"job_id":"` + id + `","quality":2.5}`, 400, "invalid request"},
			{`{"job_id":"` + id + `","quality":"superb"}`, 400, "invalid request"},
			{`{"job_id":"` + id + `","quality":true}`, 400, "quality"},
			{`{"job_id":"` + id + `","mode":"sculpt"}`, 400, "invalid request"},
			{`{"job_id":"` + id + `","dimensions":{"width":-5}}`, 400, "invalid request"},
			{`{"job_id":"` + id + `","dimensions":{"depth":1e9}}`, 400, "invalid request"},
			{`{"job_id":"nosuchjob"}`, 404, "not found"},
			{`{"job_id":"../../etc"}`, 404, "not found"},
			{`{"job_id":"` + strings.Repeat("a", 5000) + `"}`, 413, "larger"},
		}
		for _, c := range cases {
			resp, out := postJSON(t, url, c.body)
			body := strings.ToLower(string(out))
			if resp.StatusCode != c.status || !strings.Contains(body, c.reason) {
				t.Errorf("%.60s: %d %s, want %d with %q", c.body, resp.StatusCode, out, c.status, c.reason)
			}
		}
		// Every problem is listed.
		resp, out := postJSON(t, url, `{"job_id":"`+id+`","format":"fbx","quality":42,"mode":"x"}`)
		if d, _ := decode(t, out)["details"].([]any); resp.StatusCode != 400 || len(d) != 3 {
			t.Errorf("details: %s", out)
		}
		if st := status(t, ts.URL, id); st["status"] != "uploaded" {
			t.Errorf("after refused requests the job is %v", st["status"])
		}
	})
}

// TestGenerateFormats generates each format with defaults and names, and downloads each.
func TestGenerateFormats(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		s, ts := start(t, nil)
		id := uploadImage(t, ts.URL, testPNG(t, 48, 40))
		for i, f := range []string{"stl", "obj", "glb", "ply", "3mf"} {
			q := any(1)
			if i%2 == 1 {
				q = "draft"
			}
			resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q,"format":%q,"quality":%s,"mode":"relief","dimensions":{"width":30,"depth":3}}`, id, strings.ToUpper(f), mustJSON(q)))
			if resp.StatusCode != 202 {
				t.Fatalf("generate %s: %d %s", f, resp.StatusCode, out)
			}
			g := decode(t, out)
			if g["status"] != "queued" || g["format"] != f || g["mode"] != "relief" || g["quality_level"] != "draft" || fmt.Sprint(g["quality"]) != fmt.Sprint(q) {
				t.Errorf("generate answer: %s", out)
			}
			st := waitState(t, ts.URL, id)
			if st["status"] != "completed" || st["progress"] != 100.0 || st["download_url"] != "/api/download/"+id+"/model."+f || st["report"] == nil || st["error"] != nil {
				t.Fatalf("status: %v", st)
			}
			resp, data := do(t, "GET", ts.URL+"/api/download/"+id+"/model."+f, "", nil)
			format, _ := meshio.ParseFormat(f)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != format.ContentType() ||
				resp.Header.Get("Content-Disposition") != `attachment; filename="model.`+f+`"` {
				t.Fatalf("download %s: %d %v", f, resp.StatusCode, resp.Header)
			}
			m, err := meshio.Decode(bytes.NewReader(data), format)
			if err != nil {
				t.Fatalf("decode %s: %v", f, err)
			}
			m.Weld(0) // exact duplicates only: STL has no shared vertices, the other formats may split them
			if topo := m.Topology(); !topo.Closed() {
				t.Errorf("%s model not closed: %+v", f, topo)
			}
		}
		want := map[string]string{"stl": "model/stl", "obj": "model/obj", "glb": "model/gltf-binary", "ply": "application/octet-stream", "3mf": "model/3mf"}
		for f, ct := range want {
			resp, _ := do(t, "HEAD", ts.URL+"/api/download/"+id+"/model."+f, "", nil)
			if resp.Header.Get("Content-Type") != ct {
				t.Errorf("%s served as %q", f, resp.Header.Get("Content-Type"))
			}
		}
		names := jobFiles(t, s, id)
		if !slices.Equal(names, []string{"manifest.json", "model-preview.png", "model.3mf", "model.glb", "model.obj", "model.obj.zip", "model.ply", "model.stl", "upload.png"}) {
			t.Errorf("job folder: %v", names)
		}
	})
}

func mustJSON(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	default:
		return fmt.Sprint(v)
	}
}

func TestDownloadRefusals(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		s, ts := start(t, nil)
		id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		generate(t, ts.URL, id, "stl", 1)
		waitState(t, ts.URL, id)
		// A file outside every job folder that a traversal would reach.
		if err := os.WriteFile(filepath.Join(s.cfg.DataDir, "secret.txt"), []byte("secret"), 0o644); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			path   string
			status int
		}{
			{"/api/download/" + id + "/model.obj", 404},            // not generated
			{"/api/download/nosuchjob/model.stl", 404},             // unknown job
			{"/api/download/" + id + "/manifest.json", 400},        // not a model
			{"/api/download/" + id + "/upload.png", 400},           // not a model
			{"/api/download/" + id + "/model.exe", 400},            // unknown extension
			{"/api/download/" + id + "/..%2f..%2fsecret.txt", 400}, // encoded traversal in the name
			{"/api/download/..%2f" + id + "/model.stl", 400},       // encoded traversal in the ID
			{"/api/download/" + id + "/../../../secret.txt", 400},  // dot segments
			{"/api/download/%2e%2e/secret.txt", 400},               // encoded dot segment
			{"/api/download//" + id + "/model.stl", 400},           // doubled slash
			{"/api/download/" + id + "/model.stl%00.txt", 400},     // NUL
			{"/api/download/" + id + `/..\..\secret.txt`, 400},     // backslashes
		}
		for _, c := range cases {
			req, err := http.NewRequest("GET", ts.URL+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.RawPath = "" // let the client send the path as written
			resp, err := http.DefaultTransport.RoundTrip(rawPath(req, c.path))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || bytes.Contains(buf.Bytes(), []byte("secret")) && !strings.Contains(c.path, "secret") {
				t.Errorf("%s: %d %s, want %d", c.path, resp.StatusCode, buf.Bytes(), c.status)
			}
			if bytes.Equal(buf.Bytes(), []byte("secret")) {
				t.Errorf("%s served the file outside the job folder", c.path)
			}
		}
	})
}

// rawPath makes req send path exactly as given, escapes and dot segments included.
func rawPath(req *http.Request, path string) *http.Request {
	req.URL.Opaque = "//" + req.URL.Host + path
	return req
}

func TestConflictQueueFullAndCancel(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, func(c *Config) {
			c.Workers, c.QueueSize, c.GenerateDelay = 1, 1, time.Hour
		})
		a := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		b := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		c := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		generate(t, ts.URL, a, "stl", 1)
		waitFor(t, ts.URL, a, "processing")
		// A second generate of the same job, identical or not, while it is in flight: 409.
		for _, body := range []string{`{"job_id":%q,"format":"stl","quality":1}`, `{"job_id":%q,"format":"obj"}`} {
			resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(body, a))
			if m := decode(t, out); resp.StatusCode != 409 || m["error"] != "Generation already in progress" || m["status"] != "conflict" {
				t.Errorf("second generate: %d %s", resp.StatusCode, out)
			}
		}
		generate(t, ts.URL, b, "stl", 1) // waits in the queue
		if st := status(t, ts.URL, b); st["status"] != "queued" {
			t.Errorf("b: %v", st["status"])
		}
		// A queued job is in flight too: 409, and it stays queued with its first parameters.
		for _, body := range []string{`{"job_id":%q,"format":"stl","quality":1}`, `{"job_id":%q,"format":"ply"}`} {
			resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(body, b))
			if m := decode(t, out); resp.StatusCode != 409 || m["error"] != "Generation already in progress" || m["status"] != "conflict" {
				t.Errorf("generate of a queued job: %d %s", resp.StatusCode, out)
			}
		}
		if st := status(t, ts.URL, b); st["status"] != "queued" || st["format"] != "stl" {
			t.Errorf("b after the refused requests: %v %v", st["status"], st["format"])
		}
		resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q}`, c))
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("queue full: %d %s (Retry-After %q)", resp.StatusCode, out, resp.Header.Get("Retry-After"))
		}
		if st := status(t, ts.URL, c); st["status"] != "uploaded" {
			t.Errorf("refused job is %v", st["status"])
		}
		// Cancel the running and the queued one.
		for _, id := range []string{a, b} {
			resp, out := do(t, "DELETE", ts.URL+"/api/jobs/"+id, "", nil)
			if m := decode(t, out); resp.StatusCode != 200 || m["status"] != "canceled" || m["canceled"] != true {
				t.Errorf("cancel %s: %d %s", id, resp.StatusCode, out)
			}
			if st := status(t, ts.URL, id); st["status"] != "canceled" || st["download_url"] != nil {
				t.Errorf("after cancel: %v", st)
			}
		}
		// Cancelling again changes nothing; an unknown job is 404.
		if resp, out := do(t, "DELETE", ts.URL+"/api/jobs/"+a, "", nil); resp.StatusCode != 200 || decode(t, out)["canceled"] != false {
			t.Errorf("second cancel: %d %s", resp.StatusCode, out)
		}
		if resp, _ := do(t, "DELETE", ts.URL+"/api/jobs/nosuchjob", "", nil); resp.StatusCode != 404 {
			t.Errorf("cancel unknown: %d", resp.StatusCode)
		}
		if resp, _ := do(t, "GET", ts.URL+"/api/job-status/nosuchjob", "", nil); resp.StatusCode != 404 {
			t.Errorf("status unknown: %d", resp.StatusCode)
		}
		// A cancelled job can be generated again; the queue has room now.
		generate(t, ts.URL, c, "stl", 1)
		do(t, "DELETE", ts.URL+"/api/jobs/"+c, "", nil)
	})
}

func TestGenerateDuringShutdown(t *testing.T) {
	s, ts := testService(t, nil)
	id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q}`, id))
	if resp.StatusCode != 503 {
		t.Errorf("generate during shutdown: %d %s", resp.StatusCode, out)
	}
	ct, body := multipartBody(t, nil, filePart{"image", "a.png", testPNG(t, 40, 40)})
	if resp, _ := do(t, "POST", ts.URL+"/api/upload-image", ct, body); resp.StatusCode != 503 {
		t.Errorf("upload during shutdown: %d", resp.StatusCode)
	}
}

// TestShutdownInterrupts checks that a shutdown whose deadline passes marks the running and
// queued jobs failed ("interrupted"), in memory and in their manifests.
func TestShutdownInterrupts(t *testing.T) {
	s, ts := testService(t, func(c *Config) { c.Workers, c.GenerateDelay = 1, time.Hour })
	a := uploadImage(t, ts.URL, testPNG(t, 40, 40))
	b := uploadImage(t, ts.URL, testPNG(t, 40, 40))
	generate(t, ts.URL, a, "stl", 1)
	generate(t, ts.URL, b, "stl", 1)
	waitFor(t, ts.URL, a, "processing")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err == nil {
		t.Error("shutdown past its deadline returned nil")
	}
	for _, id := range []string{a, b} {
		st := status(t, ts.URL, id)
		if st["status"] != "failed" || st["error"] != "interrupted" {
			t.Errorf("%s after shutdown: %v %v", id, st["status"], st["error"])
		}
		m, err := readManifest(filepath.Join(s.root, id), id)
		if err != nil || m.State != stateFailed || m.Error != errInterrupted {
			t.Errorf("manifest of %s: %+v %v", id, m, err)
		}
	}
}

func TestEvents(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		// The streams connect while the jobs are in flight; three workers run them all at once.
		_, ts := start(t, func(c *Config) { c.Workers, c.GenerateDelay = 3, 2*time.Second })
		id := uploadImage(t, ts.URL, testPNG(t, 48, 48))
		other := uploadImage(t, ts.URL, testPNG(t, 64, 40))
		third := uploadImage(t, ts.URL, testPNG(t, 56, 44))
		// Before any generation: one event with the state, then the stream ends.
		evs := readEvents(t, ts.URL+"/api/job-events/"+id)
		if len(evs) != 1 || evs[0].data["status"] != "uploaded" {
			t.Fatalf("events of an uploaded job: %+v", evs)
		}
		// Two other jobs run at the same time: one is cancelled mid-way, one generates alongside.
		// Their events and ends must not reach this job's stream: its last event would then not be
		// completed, or a progress event would carry no stage (the handler takes the stage and
		// progress only from this job's own generation).
		generate(t, ts.URL, other, "obj", 1)
		generate(t, ts.URL, third, "ply", 1)
		generate(t, ts.URL, id, "stl", 1)
		waitFor(t, ts.URL, other, "processing")
		waitFor(t, ts.URL, id, "processing")
		idEvs, otherEvs, thirdEvs := make(chan []event, 1), make(chan []event, 1), make(chan []event, 1)
		go func() { idEvs <- readEvents(t, ts.URL+"/api/job-events/"+id) }()
		go func() { otherEvs <- readEvents(t, ts.URL+"/api/job-events/"+other) }()
		go func() { thirdEvs <- readEvents(t, ts.URL+"/api/job-events/"+third) }()
		time.Sleep(100 * time.Millisecond) // let the streams subscribe; they end either way
		if resp, out := do(t, "DELETE", ts.URL+"/api/jobs/"+other, "", nil); resp.StatusCode != 200 {
			t.Fatalf("cancel the other job: %d %s", resp.StatusCode, out)
		}
		evs = <-idEvs
		if len(evs) < 2 {
			t.Fatalf("only %d events", len(evs))
		}
		oevs := <-otherEvs
		if len(oevs) == 0 || oevs[len(oevs)-1].data["status"] != "canceled" {
			t.Errorf("the other job's stream: %+v", oevs)
		}
		for _, ev := range oevs {
			if ev.data["job_id"] != other || ev.data["format"] != "obj" {
				t.Errorf("the other job's stream carries %v", ev.data)
			}
		}
		for _, ev := range evs {
			if ev.data["status"] == "canceled" || ev.data["format"] != "stl" || ev.kind == "progress" && ev.data["stage"] == "" {
				t.Errorf("another job's event in this job's stream: %s %v", ev.kind, ev.data)
			}
		}
		tevs := <-thirdEvs
		if len(tevs) == 0 || tevs[len(tevs)-1].data["status"] != "completed" {
			t.Errorf("the third job's stream: %+v", tevs)
		}
		for _, ev := range tevs {
			if ev.data["job_id"] != third || ev.data["format"] != "ply" || ev.kind == "progress" && ev.data["stage"] == "" {
				t.Errorf("the third job's stream carries %s %v", ev.kind, ev.data)
			}
		}
		last := evs[len(evs)-1]
		if last.kind != "state" || last.data["status"] != "completed" || last.data["progress"] != 100.0 {
			t.Errorf("last event: %+v", last)
		}
		prev := -1.0
		for _, ev := range evs {
			if ev.data["job_id"] != id {
				t.Errorf("event of another job: %v", ev.data)
			}
			p := ev.data["progress"].(float64)
			if p < prev {
				t.Errorf("progress went back from %v to %v", prev, p)
			}
			prev = p
		}
		if resp, _ := do(t, "GET", ts.URL+"/api/job-events/nosuchjob", "", nil); resp.StatusCode != 404 {
			t.Errorf("events of an unknown job: %d", resp.StatusCode)
		}
	})
}

type event struct {
	kind string
	data map[string]any
}

// readEvents reads a server-sent event stream to its end. Tests call it from other goroutines
// too, so it reports failures with t.Errorf (never t.Fatal) and returns what it read.
func readEvents(t testing.TB, url string) []event {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("events: %v", err)
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		return nil
	}
	var evs []event
	var cur event
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.kind = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.data); err != nil {
				t.Errorf("event data %q: %v", line, err)
				return evs
			}
		case line == "" && cur.data != nil:
			evs = append(evs, cur)
			cur = event{}
		}
	}
	if err := sc.Err(); err != nil {
		t.Errorf("events: %v", err)
	}
	return evs
}

func TestBatch(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, func(c *Config) { c.MaxBatchFiles = 3 })
		img := testPNG(t, 40, 32)
		ct, body := multipartBody(t, map[string]string{"format": "obj", "quality": "2", "mode": "relief"},
			filePart{"files[]", "a.png", img},
			filePart{"files[]", "notes.txt", []byte("hello, not an image")},
			filePart{"files[]", "b.png", img},
			filePart{"files[]", "c.png", img},
		)
		resp, out := do(t, "POST", ts.URL+"/api/batch-generate", ct, body)
		if resp.StatusCode != 202 {
			t.Fatalf("batch: %d %s", resp.StatusCode, out)
		}
		b := decode(t, out)
		ids := b["job_ids"].([]any)
		rej := b["rejected"].([]any)
		if len(ids) != 2 || b["total_jobs"] != 2.0 || len(rej) != 2 || b["format"] != "obj" {
			t.Fatalf("batch answer: %s", out)
		}
		r0, r1 := rej[0].(map[string]any), rej[1].(map[string]any)
		if r0["filename"] != "notes.txt" || !strings.Contains(r0["error"].(string), "unsupported") ||
			r1["filename"] != "c.png" || !strings.Contains(r1["error"].(string), "more than 3") {
			t.Errorf("rejected: %v", rej)
		}
		for _, id := range ids {
			st := waitState(t, ts.URL, id.(string))
			if st["status"] != "completed" || st["format"] != "obj" || st["quality"] != "draft" {
				t.Errorf("batch job: %v", st)
			}
		}
		for _, c := range []struct {
			fields map[string]string
			files  []filePart
			reason string
		}{
			{map[string]string{"format": "fbx"}, []filePart{{"files[]", "a.png", img}}, "invalid request"},
			{nil, nil, "no files"},
			{nil, []filePart{{"files[]", "x.txt", []byte("nope")}}, "unsupported"},
		} {
			ct, body := multipartBody(t, c.fields, c.files...)
			resp, out := do(t, "POST", ts.URL+"/api/batch-generate", ct, body)
			if resp.StatusCode != 400 || !strings.Contains(strings.ToLower(string(out)), c.reason) {
				t.Errorf("batch %v: %d %s", c.fields, resp.StatusCode, out)
			}
		}
	})
}

// encodeMesh encodes m in format f.
func encodeMesh(t testing.TB, m *mesh.Mesh, f meshio.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := meshio.Encode(&buf, m, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMeshRoutesShuttingDown: once Shutdown has begun, every /api/stl route refuses a valid
// mesh with 503 instead of reading it.
func TestMeshRoutesShuttingDown(t *testing.T) {
	s, ts := testService(t, nil)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	cube := encodeMesh(t, meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{10, 20, 30}), meshio.STL)
	for _, route := range []string{"analyze", "repair", "simplify"} {
		ct, body := form(t, filePart{"file", "cube.stl", cube})
		resp, out := do(t, "POST", ts.URL+"/api/stl/"+route, ct, body)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(out), "shutting down") {
			t.Errorf("%s during shutdown: %d %s", route, resp.StatusCode, out)
		}
	}
}

func TestMeshRoutes(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, nil)
		cube := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{10, 20, 30})
		for _, f := range []meshio.Format{meshio.STL, meshio.STLASCII, meshio.OBJ, meshio.PLY, meshio.GLB} {
			ct, body := form(t, filePart{"file", "cube" + f.Ext(), encodeMesh(t, cube, f)})
			resp, out := do(t, "POST", ts.URL+"/api/stl/analyze", ct, body)
			if resp.StatusCode != 200 {
				t.Fatalf("analyze %s: %d %s", f, resp.StatusCode, out)
			}
			a := decode(t, out)
			pa := a["print_analysis"].(map[string]any)
			if a["closed"] != true || a["faces"] != 12.0 || a["format"] != f.String() || pa["fits"] != true || pa["volume_cm3"].(float64) < 5.99 || pa["volume_cm3"].(float64) > 6.01 {
				t.Errorf("analyze %s: %s", f, out)
			}
		}
		for _, c := range []struct {
			route  string
			parts  []filePart
			fields map[string]string
			status int
		}{
			{"analyze", []filePart{{"file", "x.stl", []byte("garbage that is not a mesh")}}, nil, 400},
			{"analyze", []filePart{{"model", "x.stl", encodeMesh(t, cube, meshio.STL)}}, nil, 400},
			{"analyze", []filePart{{"file", "x.stl", encodeMesh(t, cube, meshio.STL)[:150]}}, nil, 400},
			{"simplify", []filePart{{"file", "x.stl", encodeMesh(t, cube, meshio.STL)}}, map[string]string{"target_faces": "100"}, 400},
			{"simplify", []filePart{{"file", "x.stl", encodeMesh(t, cube, meshio.STL)}}, map[string]string{"target_reduction": "1.5"}, 400},
			{"simplify", []filePart{{"file", "x.stl", encodeMesh(t, cube, meshio.STL)}}, map[string]string{"target_reduction": "0.5", "target_faces": "6"}, 400},
			{"repair", []filePart{{"file", "x.stl", encodeMesh(t, cube, meshio.STL)}}, map[string]string{"format": "amf"}, 400},
		} {
			ct, body := multipartBody(t, c.fields, c.parts...)
			resp, out := do(t, "POST", ts.URL+"/api/stl/"+c.route, ct, body)
			if resp.StatusCode != c.status {
				t.Errorf("%s %v: %d %s", c.route, c.fields, resp.StatusCode, out)
			}
		}

		// Repair a cube with a missing face: the result is closed, stored and downloadable.
		open := cube.Clone()
		open.Faces = open.Faces[1:]
		ct, body := multipartBody(t, map[string]string{"format": "ply"}, filePart{"file", "open.stl", encodeMesh(t, open, meshio.STL)})
		resp, out := do(t, "POST", ts.URL+"/api/stl/repair", ct, body)
		if resp.StatusCode != 200 {
			t.Fatalf("repair: %d %s", resp.StatusCode, out)
		}
		r := decode(t, out)
		rep := r["report"].(map[string]any)
		if r["status"] != "completed" || r["format"] != "ply" || rep["repair"].(map[string]any)["holes_filled"] != 1.0 || rep["print_analysis"].(map[string]any)["closed"] != true {
			t.Errorf("repair: %s", out)
		}
		m := download(t, ts.URL+r["download_url"].(string), meshio.PLY)
		if !m.Topology().Closed() {
			t.Errorf("repaired mesh not closed: %+v", m.Topology())
		}
		id := r["job_id"].(string)
		if st := status(t, ts.URL, id); st["status"] != "completed" || st["kind"] != "mesh" {
			t.Errorf("repair job: %v", st)
		}
		if resp, _ := do(t, "GET", ts.URL+"/api/preview/"+id, "", nil); resp.StatusCode != 404 {
			t.Errorf("preview of a mesh job: %d", resp.StatusCode)
		}
		if resp, _ := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q}`, id)); resp.StatusCode != 400 {
			t.Errorf("generate from a mesh job: %d", resp.StatusCode)
		}

		// Simplify a sphere to a face count and by a reduction.
		sphere := meshtest.UVSphere(20, 24, 48)
		n := len(sphere.Faces)
		for _, fields := range []map[string]string{{"target_faces": "400"}, {"target_reduction": "0.75"}} {
			ct, body := multipartBody(t, fields, filePart{"file", "sphere.obj", encodeMesh(t, sphere, meshio.OBJ)})
			resp, out := do(t, "POST", ts.URL+"/api/stl/simplify", ct, body)
			if resp.StatusCode != 200 {
				t.Fatalf("simplify %v: %d %s", fields, resp.StatusCode, out)
			}
			r := decode(t, out)
			m := download(t, ts.URL+r["download_url"].(string), meshio.OBJ)
			m.Weld(0)
			if len(m.Faces) > n/2 || !m.Topology().Closed() {
				t.Errorf("simplify %v: %d faces of %d, closed %v", fields, len(m.Faces), n, m.Topology().Closed())
			}
		}
	})
}

// download fetches a model and decodes it.
func download(t testing.TB, url string, f meshio.Format) *mesh.Mesh {
	t.Helper()
	resp, data := do(t, "GET", url, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("download %s: %d %s", url, resp.StatusCode, data)
	}
	m, err := meshio.Decode(bytes.NewReader(data), f)
	if err != nil {
		t.Fatalf("decode %s: %v", url, err)
	}
	return m
}

func TestTextToImage(t *testing.T) {
	_, ts := testService(t, nil)
	for _, c := range []struct {
		body   string
		status int
	}{{`{}`, 400}, {`{"prompt":"  "}`, 400}, {`{"prompt":`, 400}, {`{"prompt":"a red dragon"}`, 501}} {
		resp, out := postJSON(t, ts.URL+"/api/text-to-image", c.body)
		if resp.StatusCode != c.status || decode(t, out)["error"] == "" {
			t.Errorf("%s: %d %s", c.body, resp.StatusCode, out)
		}
	}
}

func TestMetrics(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		s, ts := start(t, nil)
		id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		generate(t, ts.URL, id, "stl", 1)
		waitState(t, ts.URL, id)
		do(t, "GET", ts.URL+"/api/job-status/nosuchjob", "", nil)
		// Generations are counted by the process that ran them: on NATS, the worker (two
		// loops), whose cluster gauges the front end reports.
		ran := []string{
			`orfeas_generations_total{outcome="completed"} 1`,
			`orfeas_generation_duration_seconds_bucket{le="+Inf"} 1`,
			`orfeas_generation_duration_seconds_count 1`,
		}
		if s.cl != nil {
			ran = []string{`orfeas_cluster_workers 2`, `orfeas_cluster_queue_depth 0`, `orfeas_cluster_in_flight 0`, `orfeas_generations_total{outcome="completed"} 0`}
		}
		resp, out := do(t, "GET", ts.URL+"/metrics", "", nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, want := range append([]string{
			`orfeas_http_requests_total{route="POST /api/upload-image",status="200"} 1`,
			`orfeas_http_requests_total{route="POST /api/generate-3d",status="202"} 1`,
			`orfeas_http_requests_total{route="GET /api/job-status/{job_id}",status="404"} 1`,
			`orfeas_jobs{state="completed"} 1`,
			`orfeas_jobs{state="uploaded"} 0`,
			"# TYPE orfeas_generation_duration_seconds histogram",
		}, ran...) {
			if !strings.Contains(string(out), want+"\n") {
				t.Errorf("metrics lack %q:\n%s", want, out)
			}
		}
	})
}

func TestCORS(t *testing.T) {
	_, ts := testService(t, nil)
	req, _ := http.NewRequest("OPTIONS", ts.URL+"/api/generate-3d", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}

	_, ts2 := testService(t, func(c *Config) { c.CORSOrigins = []string{"https://good.example"} })
	for origin, allowed := range map[string]bool{"https://good.example": true, "https://evil.example": false} {
		req, _ := http.NewRequest("GET", ts2.URL+"/api/health", nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if allowed && got != origin || !allowed && got != "" {
			t.Errorf("origin %s: Allow-Origin %q", origin, got)
		}
		req, _ = http.NewRequest("OPTIONS", ts2.URL+"/api/upload-image", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if allowed && resp.StatusCode != 204 || !allowed && resp.StatusCode != 403 {
			t.Errorf("preflight from %s: %d", origin, resp.StatusCode)
		}
	}
}

func TestRateLimit(t *testing.T) {
	_, ts := testService(t, func(c *Config) { c.RateLimit = 3; c.RateLimitLoopback = true })
	for i := range 5 {
		resp, out := postJSON(t, ts.URL+"/api/text-to-image", `{}`)
		switch {
		case i < 3 && resp.StatusCode != 400:
			t.Errorf("request %d: %d %s", i, resp.StatusCode, out)
		case i >= 3 && (resp.StatusCode != 429 || resp.Header.Get("Retry-After") == ""):
			t.Errorf("request %d: %d %s, Retry-After %q", i, resp.StatusCode, out, resp.Header.Get("Retry-After"))
		}
	}
	// GET routes are not limited.
	if resp, _ := do(t, "GET", ts.URL+"/api/health", "", nil); resp.StatusCode != 200 {
		t.Errorf("health under the POST limit: %d", resp.StatusCode)
	}
	// Refused requests are counted under the route they were meant for.
	_, out := do(t, "GET", ts.URL+"/metrics", "", nil)
	for _, want := range []string{
		`orfeas_http_requests_total{route="POST /api/text-to-image",status="429"} 2`,
		`orfeas_rate_limited_total 2`,
	} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestRequestID(t *testing.T) {
	_, ts := testService(t, nil)
	req, _ := http.NewRequest("GET", ts.URL+"/api/health", nil)
	req.Header.Set("X-Request-ID", "client-chosen_42")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "client-chosen_42" {
		t.Errorf("request ID %q", got)
	}
	req.Header.Set("X-Request-ID", "bad id\twith tab")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); !validID(got) || got == "bad id\twith tab" {
		t.Errorf("request ID %q", got)
	}
}

// TestRestartInProcess checks start-up over a data folder a crashed server left: a completed job
// stays downloadable, a processing one is failed ("interrupted"), leftovers are cleaned up.
func TestRestartInProcess(t *testing.T) {
	dir := t.TempDir()
	s1, ts1 := testService(t, func(c *Config) { c.DataDir = dir })
	done := uploadImage(t, ts1.URL, testPNG(t, 40, 40))
	generate(t, ts1.URL, done, "glb", 1)
	waitState(t, ts1.URL, done)
	running := uploadImage(t, ts1.URL, testPNG(t, 40, 40))
	root := s1.root
	ts1.Close()
	if err := s1.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// What a crash mid-generation leaves: a processing manifest and a temporary model file; and
	// a folder whose upload crashed before its manifest was written.
	m, err := readManifest(filepath.Join(root, running), running)
	if err != nil {
		t.Fatal(err)
	}
	m.State, m.Format = stateProcessing, "stl"
	if err := writeManifest(filepath.Join(root, running), m); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, running, tempPrefix+"half"), []byte("half a model"), 0o644)
	os.Mkdir(filepath.Join(root, "crashedUpload"), 0o755)
	os.WriteFile(filepath.Join(root, "crashedUpload", "upload.png"), []byte("x"), 0o644)

	_, ts2 := testService(t, func(c *Config) { c.DataDir = dir })
	if st := status(t, ts2.URL, done); st["status"] != "completed" || st["download_url"] == nil {
		t.Errorf("completed job after restart: %v", st)
	}
	if m := download(t, ts2.URL+"/api/download/"+done+"/model.glb", meshio.GLB); len(m.Faces) == 0 {
		t.Error("empty model after restart")
	}
	if st := status(t, ts2.URL, running); st["status"] != "failed" || st["error"] != "interrupted" {
		t.Errorf("interrupted job after restart: %v", st)
	}
	if _, err := os.Stat(filepath.Join(root, running, tempPrefix+"half")); !os.IsNotExist(err) {
		t.Error("temporary file left after restart")
	}
	if _, err := os.Stat(filepath.Join(root, "crashedUpload")); !os.IsNotExist(err) {
		t.Error("folder without a manifest left after restart")
	}
	// The interrupted job can be generated again.
	generate(t, ts2.URL, running, "stl", 1)
	if st := waitState(t, ts2.URL, running); st["status"] != "completed" {
		t.Errorf("regenerated: %v", st)
	}
}

func TestRetention(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		s, ts := start(t, func(c *Config) { c.Retention = 300 * time.Millisecond })
		id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, _ := do(t, "GET", ts.URL+"/api/job-status/"+id, "", nil)
			if resp.StatusCode == 404 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("job never expired")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if files := jobFiles(t, s, id); len(files) != 0 {
			t.Errorf("expired job's files still there: %v", files)
		}
	})
}

func TestUnknownRoute(t *testing.T) {
	_, ts := testService(t, nil)
	if resp, _ := do(t, "GET", ts.URL+"/api/nothing", "", nil); resp.StatusCode != 404 {
		t.Errorf("unknown route: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", ts.URL+"/api/generate-3d", "", nil); resp.StatusCode != 405 {
		t.Errorf("wrong method: %d", resp.StatusCode)
	}
}

// ---- helpers ----

func form(t testing.TB, files ...filePart) (string, *bytes.Reader) {
	ct, body := multipartBody(t, nil, files...)
	var buf bytes.Buffer
	buf.ReadFrom(body)
	return ct, bytes.NewReader(buf.Bytes())
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// pngHeader is the start of a PNG that declares w×h pixels: a decompression bomb's header.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	writeChunk(&b, "IHDR", ihdr)
	writeChunk(&b, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	writeChunk(&b, "IEND", nil)
	return b.Bytes()
}

func writeChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.Write(b, binary.BigEndian, crc.Sum32())
}

// insertChunk puts a chunk right after a PNG's IHDR.
func insertChunk(p []byte, typ string, data []byte) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	var b bytes.Buffer
	b.Write(p[:ihdrEnd])
	writeChunk(&b, typ, data)
	b.Write(p[ihdrEnd:])
	return b.Bytes()
}

// TestEventsEndOnCancel follows a job that is cancelled mid-generation: the stream ends with
// the canceled state.
func TestEventsEndOnCancel(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, func(c *Config) { c.GenerateDelay = time.Hour })
		id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
		generate(t, ts.URL, id, "stl", 1)
		waitFor(t, ts.URL, id, "processing")
		got := make(chan []event, 1)
		go func() { got <- readEvents(t, ts.URL+"/api/job-events/"+id) }()
		time.Sleep(100 * time.Millisecond) // let the stream subscribe; it ends either way
		if resp, out := do(t, "DELETE", ts.URL+"/api/jobs/"+id, "", nil); resp.StatusCode != 200 {
			t.Fatalf("cancel: %d %s", resp.StatusCode, out)
		}
		select {
		case evs := <-got:
			if len(evs) == 0 || evs[len(evs)-1].kind != "state" || evs[len(evs)-1].data["status"] != "canceled" {
				t.Errorf("events: %+v", evs)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("event stream did not end after cancel")
		}
	})
}

// TestMeshLimits checks the /api/stl routes' size limits: a file over the upload limit and a
// mesh over the face limit are 413.
func TestMeshLimits(t *testing.T) {
	_, ts := testService(t, func(c *Config) { c.MaxMeshFaces, c.MaxUploadBytes = 10, 4096 })
	cube := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	ct, body := form(t, filePart{"file", "cube.stl", encodeMesh(t, cube, meshio.STL)})
	if resp, out := do(t, "POST", ts.URL+"/api/stl/analyze", ct, body); resp.StatusCode != 413 {
		t.Errorf("mesh over the face limit: %d %s", resp.StatusCode, out)
	}
	ct, body = form(t, filePart{"file", "big.stl", make([]byte, 5000)})
	if resp, out := do(t, "POST", ts.URL+"/api/stl/repair", ct, body); resp.StatusCode != 413 {
		t.Errorf("file over the upload limit: %d %s", resp.StatusCode, out)
	}
}

// TestRateLimitLoopbackExempt: by default a client on loopback (the studio page on the same
// machine, an integration suite) is never refused, however many POSTs it sends; non-loopback
// clients still are.
func TestRateLimitLoopbackExempt(t *testing.T) {
	s, ts := testService(t, func(c *Config) { c.RateLimit = 3 })
	for i := range 70 {
		if resp, out := postJSON(t, ts.URL+"/api/text-to-image", `{}`); resp.StatusCode != 400 {
			t.Fatalf("loopback request %d: %d %s", i, resp.StatusCode, out)
		}
	}
	h := s.Handler()
	codes := []int{}
	for range 5 {
		req := httptest.NewRequest("POST", "/api/text-to-image", strings.NewReader(`{}`))
		req.RemoteAddr = "192.0.2.7:4242"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
	}
	if want := []int{400, 400, 400, 429, 429}; !slices.Equal(codes, want) {
		t.Errorf("remote client: %v, want %v", codes, want)
	}
}
