package service

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/orfeas3d/orfeas/examples/server/web"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// specChecker validates real responses of a running service against the OpenAPI document the
// server serves (web/openapi.yaml): every route, every status code and every JSON body the test
// meets must be in the document and match its schema.
type specChecker struct {
	t      *testing.T
	base   string
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
	return &specChecker{t: t, base: base, router: router, seen: map[string]bool{}}
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
	_, ts := testService(t, func(c *Config) { c.GenerateDelay = 300 * time.Millisecond })
	c := newSpecChecker(t, ts.URL)
	png := testPNG(t, 64, 48)

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

	c.do("GET", "/api/job-status/"+id, "", nil)
	c.do("GET", "/api/preview/"+id, "", nil)
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
	for _, f := range []string{"stl", "obj", "ply"} {
		c.do("POST", "/api/generate-3d", "application/json", gen(f))
		waitFor(t, ts.URL, id, stateCompleted)
	}
	for _, f := range []string{"stl", "obj", "glb", "ply"} {
		c.do("GET", "/api/download/"+id+"/model."+f, "", nil)
	}
	c.doBad("GET", "/api/download/"+id+"/model.3mf", "", nil)
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
	for _, p := range []string{"/api/stl/analyze", "/api/stl/repair", "/api/stl/simplify"} {
		ct, body = multipartBody(t, nil, filePart{"file", "cube.stl", stl.Bytes()})
		c.do("POST", p, ct, readAll(t, body))
		ct, body = multipartBody(t, nil, filePart{"file", "bad.stl", []byte("solid nothing")})
		c.do("POST", p, ct, readAll(t, body))
	}
	c.doBad("POST", "/api/text-to-image", "application/json", []byte(`{"prompt":""}`))
	c.do("POST", "/api/text-to-image", "application/json", []byte(`{"prompt":"a cat"}`))

	for _, want := range []string{
		"POST /api/upload-image OK", "POST /api/upload-image Bad Request", "POST /api/generate-3d Accepted",
		"POST /api/generate-3d Conflict", "POST /api/generate-3d Bad Request", "POST /api/generate-3d Not Found",
		"GET /api/job-status/{job_id} OK", "GET /api/job-events/{job_id} OK", "DELETE /api/jobs/{job_id} OK",
		"GET /api/download/{job_id}/{name} OK", "POST /api/batch-generate Accepted", "POST /api/stl/analyze OK",
		"POST /api/stl/repair OK", "POST /api/stl/simplify OK", "POST /api/text-to-image Not Implemented",
	} {
		if !c.seen[want] {
			t.Errorf("not exercised: %s (seen %v)", want, c.seen)
		}
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
