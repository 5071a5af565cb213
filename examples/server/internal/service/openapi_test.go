package service

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/orfeas3d/orfeas/examples/server/web"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh/meshio"
	"github.com/orfeas3d/orfeas/textimage"
)

// specChecker validates real responses of a running service against the OpenAPI document the
// server serves (web/openapi.yaml): every route, every status code and every JSON body the test
// meets must be in the document and match its schema.
type specChecker struct {
	t      *testing.T
	base   string
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool // "METHOD path status" checked
	bad    bool            // the request is meant to break the document's rules (its response is still checked)
}

// doBad is do for a request meant to be refused: only its response is held to the document.
func (c *specChecker) doBad(method, path, contentType string, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	c.bad = true
	defer func() { c.bad = false }()
	return c.do(method, path, contentType, body)
}

func newSpecChecker(t *testing.T, base string) *specChecker {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(web.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: base}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specChecker{t: t, base: base, doc: doc, router: router, seen: map[string]bool{}}
}

// refusal sends a request no route of the document takes (a path no route has, or a route's
// path with a method it lacks) and checks that the server's refusal has the status want and a
// body of the document's Error schema, with the Allow header for a 405.
func (c *specChecker) refusal(method, path string, want int) {
	t := c.t
	t.Helper()
	resp, out := do(t, method, c.base+path, "", nil)
	if resp.StatusCode != want {
		t.Errorf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, clip(out))
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want the document's application/json", method, path, ct)
	}
	var body any
	if err := json.Unmarshal(out, &body); err != nil {
		t.Errorf("%s %s: body is not JSON: %v: %s", method, path, err, clip(out))
		return
	}
	if err := c.doc.Components.Schemas["Error"].Value.VisitJSON(body); err != nil {
		t.Errorf("%s %s: body does not match the Error schema: %v: %s", method, path, err, clip(out))
	}
	if want == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
		t.Errorf("%s %s: 405 without Allow", method, path)
	}
	c.seen[fmt.Sprintf("refusal %d", resp.StatusCode)] = true
}

// fakeProvider is a textimage.Provider answering from the prompt: "fail" is a provider error,
// "slow" a provider timeout, anything else the PNG img.
type fakeProvider struct{ img []byte }

func (p fakeProvider) TextToImage(ctx context.Context, req textimage.Request) ([]byte, error) {
	switch req.Prompt {
	case "fail":
		return nil, &textimage.ServerError{Status: 500, Text: "out of memory"}
	case "slow":
		return nil, fmt.Errorf("%w: %w", textimage.ErrTimeout, context.DeadlineExceeded)
	}
	return p.img, nil
}

// do sends the request and checks it and its response against the document; it returns the
// response and its body.
func (c *specChecker) do(method, path, contentType string, body []byte) (*http.Response, []byte) {
	t := c.t
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: not in the OpenAPI document: %v", method, path, err)
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{ExcludeRequestBody: mt != "application/json", MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && !c.bad {
		t.Errorf("%s %s: request does not match the document: %v", method, path, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	rmt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	isJSON := rmt == "application/json"
	rv := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(out)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: !isJSON, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), rv); err != nil {
		t.Errorf("%s %s → %d: response does not match the document: %v\n%s", method, path, resp.StatusCode, err, clip(out))
	}
	if !isJSON {
		// The body is not JSON: its media type must still be one the document lists.
		if r := route.Operation.Responses.Status(resp.StatusCode); r != nil && r.Value != nil && len(r.Value.Content) > 0 && r.Value.Content.Get(rmt) == nil {
			t.Errorf("%s %s → %d: Content-Type %q not in the document", method, path, resp.StatusCode, rmt)
		}
	}
	c.seen[route.Method+" "+route.Path+" "+http.StatusText(resp.StatusCode)] = true
	return resp, out
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestOpenAPI drives every route through its main outcomes and validates each response against
// the document, so the document and the routes cannot drift apart.
func TestOpenAPI(t *testing.T) {
	png := testPNG(t, 64, 48)
	_, ts := testService(t, func(c *Config) {
		c.GenerateDelay = 300 * time.Millisecond
		c.TextImage = fakeProvider{img: png}
		c.DecodeMemory = 8 << 20
	})
	c := newSpecChecker(t, ts.URL)

	c.do("GET", "/api/health", "", nil)
	c.do("GET", "/api/openapi.yaml", "", nil)
	c.do("GET", "/metrics", "", nil)

	ct, body := multipartBody(t, nil, filePart{"image", "a.png", png})
	_, out := c.do("POST", "/api/upload-image", ct, readAll(t, body))
	id := decode(t, out)["job_id"].(string)
	ct, body = multipartBody(t, nil, filePart{"image", "bad.png", []byte("not an image")})
	c.do("POST", "/api/upload-image", ct, readAll(t, body))
	ct, body = multipartBody(t, nil)
	c.do("POST", "/api/upload-image", ct, readAll(t, body))
	// Over the decode memory budget (8 MB here; this one needs about 14 MB): 413.
	ct, body = multipartBody(t, nil, filePart{"image", "big.png", testPNG(t, 2000, 1500)})
	if resp, out := c.do("POST", "/api/upload-image", ct, readAll(t, body)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("upload over the decode budget: %d %s", resp.StatusCode, clip(out))
	}

	c.do("GET", "/api/job-status/"+id, "", nil)
	c.do("GET", "/api/preview/"+id, "", nil)
	if resp, _ := c.do("GET", "/api/preview-model/"+id, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("model preview before a model: %d, want 404", resp.StatusCode)
	}
	gen := func(format string) []byte {
		return []byte(`{"job_id":"` + id + `","format":"` + format + `","quality":"draft","mode":"relief","dimensions":{"width":40}}`)
	}
	if resp, out := c.do("POST", "/api/generate-3d", "application/json", gen("glb")); resp.StatusCode != 202 {
		t.Fatalf("generate: %d %s", resp.StatusCode, out)
	}
	if resp, _ := c.do("POST", "/api/generate-3d", "application/json", gen("glb")); resp.StatusCode != 409 {
		t.Errorf("second generate: %d, want 409", resp.StatusCode)
	}
	c.do("GET", "/api/job-status/"+id, "", nil) // in flight
	c.do("GET", "/api/job-events/"+id, "", nil) // streams until completed
	waitFor(t, ts.URL, id, stateCompleted)
	c.do("GET", "/api/job-status/"+id, "", nil) // completed, with its report
	if resp, _ := c.do("GET", "/api/download/"+id+"/model.3mf", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("3mf before it is made: %d, want 404", resp.StatusCode)
	}
	if resp, _ := c.do("GET", "/api/download/"+id+"/model.obj.zip", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("obj.zip before the obj is made: %d, want 404", resp.StatusCode)
	}
	for _, f := range []string{"stl", "obj", "ply", "3mf"} {
		c.do("POST", "/api/generate-3d", "application/json", gen(f))
		waitFor(t, ts.URL, id, stateCompleted)
	}
	// The status lists every format, the OBJ zip and the model's picture, in the document's keys.
	_, out = c.do("GET", "/api/job-status/"+id, "", nil)
	st := decode(t, out)
	downloads, _ := st["downloads"].(map[string]any)
	for _, k := range []string{"stl", "obj", "glb", "ply", "3mf", "obj.zip"} {
		if downloads[k] == nil {
			t.Errorf("downloads lacks %s: %v", k, downloads)
		}
	}
	if st["model_preview_url"] != "/api/preview-model/"+id {
		t.Errorf("model_preview_url %v", st["model_preview_url"])
	}
	for _, f := range []string{"stl", "obj", "glb", "ply"} {
		c.do("GET", "/api/download/"+id+"/model."+f, "", nil)
	}
	// The 3MF decodes, the zip holds the OBJ, its material library and its texture, the preview
	// is a PNG.
	if resp, out := c.do("GET", "/api/download/"+id+"/model.3mf", "", nil); resp.StatusCode != 200 {
		t.Errorf("3mf: %d", resp.StatusCode)
	} else if m, err := meshio.Decode(bytes.NewReader(out), meshio.ThreeMF); err != nil || len(m.Faces) == 0 {
		t.Errorf("3mf download does not decode: %v", err)
	}
	if resp, out := c.do("GET", "/api/download/"+id+"/model.obj.zip", "", nil); resp.StatusCode != 200 {
		t.Errorf("obj.zip: %d", resp.StatusCode)
	} else if zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out))); err != nil {
		t.Errorf("obj.zip: %v", err)
	} else {
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		if strings.Join(names, " ") != "model.obj model.mtl model"+meshio.OBJTextureSuffix {
			t.Errorf("obj.zip holds %v", names)
		}
	}
	if resp, out := c.do("GET", "/api/preview-model/"+id, "", nil); resp.StatusCode != 200 || !bytes.HasPrefix(out, []byte("\x89PNG")) {
		t.Errorf("model preview: %d, %d bytes", resp.StatusCode, len(out))
	}

	// A report with fidelity warnings (the armadillo extruded at draft quality has a hole through
	// it the image lacks): each warning a kind and a sentence.
	arm, err := os.ReadFile("../../../../testdata/images/armadillo.png")
	if err != nil {
		t.Fatal(err)
	}
	ct, body = multipartBody(t, nil, filePart{"image", "armadillo.png", arm})
	_, out = c.do("POST", "/api/upload-image", ct, readAll(t, body))
	armID := decode(t, out)["job_id"].(string)
	c.do("POST", "/api/generate-3d", "application/json", []byte(`{"job_id":"`+armID+`","format":"glb","quality":"draft","mode":"extrude"}`))
	waitFor(t, ts.URL, armID, stateCompleted)
	_, out = c.do("GET", "/api/job-status/"+armID, "", nil)
	if ws, _ := decode(t, out)["report"].(map[string]any)["warnings"].([]any); len(ws) == 0 {
		t.Errorf("armadillo extruded: no warnings in the report, the test of the Warning schema needs one: %s", clip(out))
	}
	c.do("GET", "/api/download/"+strings.Repeat("A", 22)+"/model.stl", "", nil)
	c.doBad("POST", "/api/generate-3d", "application/json", []byte(`{"job_id":"`+id+`","format":"bad","quality":11,"dimensions":{"width":-1}}`))
	c.do("POST", "/api/generate-3d", "application/json", []byte(`{"job_id":"`+strings.Repeat("B", 22)+`"}`))
	c.do("GET", "/api/job-status/"+strings.Repeat("C", 22), "", nil)

	// Cancel a generation in flight, and one that has ended.
	c.do("POST", "/api/generate-3d", "application/json", gen("stl"))
	c.do("DELETE", "/api/jobs/"+id, "", nil)
	c.do("DELETE", "/api/jobs/"+id, "", nil)
	c.do("DELETE", "/api/jobs/"+strings.Repeat("D", 22), "", nil)

	ct, body = multipartBody(t, map[string]string{"format": "stl", "quality": "draft"}, filePart{"files[]", "a.png", png}, filePart{"files[]", "b.png", []byte("nope")})
	c.do("POST", "/api/batch-generate", ct, readAll(t, body))

	var stl bytes.Buffer
	if err := meshio.Encode(&stl, meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{10, 20, 30}), meshio.STL); err != nil {
		t.Fatal(err)
	}
	var meshJob string
	for _, p := range []string{"/api/stl/analyze", "/api/stl/repair", "/api/stl/simplify"} {
		ct, body = multipartBody(t, nil, filePart{"file", "cube.stl", stl.Bytes()})
		_, out := c.do("POST", p, ct, readAll(t, body))
		if p == "/api/stl/repair" {
			meshJob, _ = decode(t, out)["job_id"].(string)
		}
		ct, body = multipartBody(t, nil, filePart{"file", "bad.stl", []byte("solid nothing")})
		c.do("POST", p, ct, readAll(t, body))
	}
	// Repair with solidify: the report carries the rebuild's (voxel size, Hausdorff distance).
	ct, body = multipartBody(t, map[string]string{"solidify": "always", "resolution": "24", "target_faces": "400", "format": "3mf"}, filePart{"file", "cube.stl", stl.Bytes()})
	if resp, out := c.do("POST", "/api/stl/repair", ct, readAll(t, body)); resp.StatusCode != 200 {
		t.Errorf("repair with solidify: %d %s", resp.StatusCode, clip(out))
	} else if rep, _ := decode(t, out)["report"].(map[string]any)["repair"].(map[string]any); rep["solidified"] != true || rep["solidify"] == nil {
		t.Errorf("repair with solidify=always: report.repair %v", rep)
	}
	ct, body = multipartBody(t, map[string]string{"solidify": "sometimes"}, filePart{"file", "cube.stl", stl.Bytes()})
	c.doBad("POST", "/api/stl/repair", ct, readAll(t, body))
	// A mesh job: its picture is rendered from the stored model; it has no OBJ zip.
	c.do("GET", "/api/job-status/"+meshJob, "", nil)
	c.do("GET", "/api/preview-model/"+meshJob, "", nil)
	c.do("GET", "/api/download/"+meshJob+"/model.obj.zip", "", nil)

	c.doBad("POST", "/api/text-to-image", "application/json", []byte(`{"prompt":""}`))
	if resp, out := c.do("POST", "/api/text-to-image", "application/json", []byte(`{"prompt":"a cat","seed":7}`)); resp.StatusCode != 200 || decode(t, out)["prompt"] != "a cat" {
		t.Errorf("text-to-image: %d %s", resp.StatusCode, clip(out))
	}
	for prompt, want := range map[string]int{"fail": http.StatusBadGateway, "slow": http.StatusGatewayTimeout} {
		if resp, out := c.do("POST", "/api/text-to-image", "application/json", []byte(`{"prompt":"`+prompt+`"}`)); resp.StatusCode != want {
			t.Errorf("text-to-image %q: %d %s, want %d", prompt, resp.StatusCode, clip(out), want)
		}
	}

	// The server's own refusals: a path no route has, a method a route lacks.
	c.refusal("GET", "/api/nothing", http.StatusNotFound)
	c.refusal("GET", "/api/generate-3d", http.StatusMethodNotAllowed)

	for _, want := range []string{
		"POST /api/upload-image OK", "POST /api/upload-image Bad Request", "POST /api/generate-3d Accepted",
		"POST /api/generate-3d Conflict", "POST /api/generate-3d Bad Request", "POST /api/generate-3d Not Found",
		"GET /api/job-status/{job_id} OK", "GET /api/job-events/{job_id} OK", "DELETE /api/jobs/{job_id} OK",
		"GET /api/download/{job_id}/{name} OK", "POST /api/batch-generate Accepted", "POST /api/stl/analyze OK",
		"POST /api/stl/repair OK", "POST /api/stl/simplify OK", "POST /api/text-to-image OK",
		"POST /api/text-to-image Bad Gateway", "POST /api/text-to-image Gateway Timeout", "POST /api/upload-image Request Entity Too Large",
		"GET /api/preview-model/{job_id} OK", "GET /api/preview-model/{job_id} Not Found", "POST /api/stl/repair Bad Request",
		"refusal 404", "refusal 405",
	} {
		if !c.seen[want] {
			t.Errorf("not exercised: %s (seen %v)", want, c.seen)
		}
	}
}

// TestOpenAPIStorage holds the answers of a full data folder, of an operation past its deadline
// and of a server without a text-to-image provider to the document: health degraded with its
// reason, 507 for a POST that stores, 503 naming the deadline, 501.
func TestOpenAPIStorage(t *testing.T) {
	fs := &faultStore{}
	_, ts := testService(t, func(c *Config) { c.fs = fs })
	c := newSpecChecker(t, ts.URL)
	fs.set(always(syscall.ENOSPC))
	ct, body := multipartBody(t, nil, filePart{"image", "a.png", testPNG(t, 32, 32)})
	if resp, out := c.do("POST", "/api/upload-image", ct, readAll(t, body)); resp.StatusCode != http.StatusInsufficientStorage {
		t.Errorf("upload on a full disk: %d %s", resp.StatusCode, clip(out))
	}
	if _, out := c.do("GET", "/api/health", "", nil); decode(t, out)["status"] != "degraded" {
		t.Errorf("health on a full disk: %s", out)
	}
	ct, body = multipartBody(t, nil, filePart{"file", "soup.stl", soupSTL(12)})
	c.do("POST", "/api/stl/repair", ct, readAll(t, body))
	c.do("POST", "/api/text-to-image", "application/json", []byte(`{"prompt":"a cat"}`))
	fs.set(nil)

	_, ts2 := testService(t, func(c *Config) { c.OperationTimeout = time.Nanosecond })
	c2 := newSpecChecker(t, ts2.URL)
	ct, body = multipartBody(t, nil, filePart{"file", "soup.stl", soupSTL(12)})
	if resp, out := c2.do("POST", "/api/stl/analyze", ct, readAll(t, body)); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(out), "deadline") {
		t.Errorf("analyze past the deadline: %d %s, want 503 naming the deadline", resp.StatusCode, clip(out))
	}
	c2.do("POST", "/api/text-to-image", "application/json", []byte(`{"prompt":"a cat"}`))
	for _, want := range []string{"POST /api/upload-image Insufficient Storage", "POST /api/stl/repair Insufficient Storage", "POST /api/text-to-image Insufficient Storage"} {
		if !c.seen[want] {
			t.Errorf("not exercised: %s (seen %v)", want, c.seen)
		}
	}
	if !c2.seen["POST /api/stl/analyze Service Unavailable"] || !c2.seen["POST /api/text-to-image Not Implemented"] {
		t.Errorf("not exercised: 503 analyze, 501 text-to-image (seen %v)", c2.seen)
	}
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
