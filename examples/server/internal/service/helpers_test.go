package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testService starts a Service on a temporary data folder with a test server in front of it. The
// rate limit is off unless mod sets one. Both are shut down when the test ends.
func testService(t *testing.T, mod func(*Config)) (*Service, *httptest.Server) {
	t.Helper()
	cfg := Config{DataDir: t.TempDir(), Backend: "cpu", RateLimit: -1, Workers: 2}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx) // tests that care about its result call it themselves
	})
	return s, ts
}

// testPNG is a w×h image: a bright disc on a dark gradient, opaque.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(40 + 100*x/w)
			dx, dy := x-w/2, y-h/2
			if dx*dx+dy*dy < w*h/9 {
				v = 230
			}
			img.Set(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// multipartBody builds a multipart/form-data body from fields and files (field name, file name,
// content).
type filePart struct {
	field, name string
	data        []byte
}

func multipartBody(t testing.TB, fields map[string]string, files ...filePart) (string, io.Reader) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range files {
		fw, err := mw.CreateFormFile(f.field, f.name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.data)
	}
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &buf
}

// do sends a request and returns the status and body.
func do(t testing.TB, method, url, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// decode unmarshals a JSON body into a map.
func decode(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("body %q: %v", data, err)
	}
	return m
}

// uploadImage uploads data in the field "image" and returns the job ID; it fails the test
// unless the answer is 200.
func uploadImage(t testing.TB, base string, data []byte) string {
	t.Helper()
	ct, body := multipartBody(t, nil, filePart{"image", "test.png", data})
	resp, out := do(t, "POST", base+"/api/upload-image", ct, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.StatusCode, out)
	}
	return decode(t, out)["job_id"].(string)
}

// postJSON posts a JSON body.
func postJSON(t testing.TB, url, body string) (*http.Response, []byte) {
	t.Helper()
	return do(t, "POST", url, "application/json", strings.NewReader(body))
}

// generate asks for a generation and fails the test unless the answer is 202.
func generate(t testing.TB, base, id, format string, quality any) {
	t.Helper()
	q, _ := json.Marshal(quality)
	resp, out := postJSON(t, base+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q,"format":%q,"quality":%s}`, id, format, q))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("generate %s %s: %d %s", id, format, resp.StatusCode, out)
	}
}

// status returns the job's status object.
func status(t testing.TB, base, id string) map[string]any {
	t.Helper()
	resp, out := do(t, "GET", base+"/api/job-status/"+id, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s: %d %s", id, resp.StatusCode, out)
	}
	return decode(t, out)
}

// waitState polls the job's status until it is not queued or processing, and returns it.
func waitState(t testing.TB, base, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st := status(t, base, id)
		if s := st["status"].(string); s != stateQueued && s != stateProcessing {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %v", id, st["status"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor polls until the job's status is want.
func waitFor(t testing.TB, base, id, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for status(t, base, id)["status"] != want {
		if time.Now().After(deadline) {
			t.Fatalf("job %s never %s: %v", id, want, status(t, base, id))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
