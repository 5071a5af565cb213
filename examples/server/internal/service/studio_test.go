package service

import (
	"net/http"
	"strings"
	"testing"
)

// TestStudioRoutes: the page, its bundle and the OpenAPI document are served from the binary,
// the page with a policy that keeps every request on this server.
func TestStudioRoutes(t *testing.T) {
	_, ts := testService(t, nil)
	for _, c := range []struct {
		path, ctype, contains string
		status                int
	}{
		{"/", "text/html", `<script type="module" src="/assets/app.js">`, 200},
		{"/assets/app.js", "text/javascript", "OrbitControls", 200},
		{"/assets/app.css", "text/css", "#viewer", 200},
		{"/api/openapi.yaml", "application/yaml", "openapi: 3.0.3", 200},
		{"/assets/nothing.js", "application/json", "no such asset", 404},
		{"/index.html", "", "", 404}, // the mux's 404 (JSON once the reliability branch lands)
	} {
		resp, body := do(t, "GET", ts.URL+c.path, "", nil)
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(body), c.contains) {
			t.Errorf("GET %s: %d %q, want %d %q containing %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.ctype, c.contains)
		}
	}
	resp, _ := do(t, "GET", ts.URL+"/", "", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("page CSP %q", csp)
	}
	etag := resp.Header.Get("ETag")
	req, _ := http.NewRequest("GET", ts.URL+"/", nil)
	req.Header.Set("If-None-Match", etag)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if etag == "" || r2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: %d", etag, r2.StatusCode)
	}
}
