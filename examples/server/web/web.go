// Package web is the studio page of examples/server, bundled into dist/ by esbuild from src/
// (three.js from npm does the 3D) and embedded in the binary, so the server needs no npm at run
// time. openapi.yaml describes the API the page uses; the server serves it at
// /api/openapi.yaml.
//
// Rebuild the bundle after changing src/ (needs node and `npm ci` here once):
//
//	go generate ./examples/server/web
//
// CI rebuilds it and fails when the committed dist/ differs.
package web

//go:generate node build.mjs

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist openapi.yaml
var files embed.FS

// OpenAPI is the OpenAPI 3 document of the server's API, in YAML.
var OpenAPI = mustRead("openapi.yaml")

// ContentSecurityPolicy is sent with the page: every script, style, image, model and API call
// comes from the server itself, so the page makes no request anywhere else.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; connect-src 'self' blob:; " +
	"style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

type asset struct {
	name, ctype, etag string
	data              []byte
}

func load(name string) asset {
	data := mustRead(name)
	sum := sha256.Sum256(data)
	ctype := mime.TypeByExtension(path.Ext(name))
	if strings.HasSuffix(name, ".js") {
		ctype = "text/javascript; charset=utf-8" // not every mime table knows it
	}
	return asset{name: name, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, data: data}
}

func mustRead(name string) []byte {
	b, err := fs.ReadFile(files, name)
	if err != nil {
		panic("web: embedded file missing: " + name) // the build embeds them; never at run time
	}
	return b
}

var (
	page   = load("dist/index.html")
	assets = map[string]asset{
		"app.js":  load("dist/app.js"),
		"app.css": load("dist/app.css"),
	}
	spec = asset{name: "openapi.yaml", ctype: "application/yaml", data: OpenAPI, etag: load("openapi.yaml").etag}
)

func serve(w http.ResponseWriter, r *http.Request, a asset, cache string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, a.name, time.Time{}, strings.NewReader(string(a.data)))
}

// Page serves the studio page (GET /), with a Content-Security-Policy that keeps every request
// on this server.
func Page(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	serve(w, r, page, "no-cache")
}

// Asset serves the page's bundle, GET /assets/{name}: app.js and app.css; anything else 404.
// Revalidated on every load (ETag), so a new server version is picked up at once.
func Asset(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[r.PathValue("name")]
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"no such asset","status":"error"}` + "\n"))
		return
	}
	serve(w, r, a, "no-cache")
}

// Spec serves the OpenAPI document, GET /api/openapi.yaml.
func Spec(w http.ResponseWriter, r *http.Request) { serve(w, r, spec, "no-cache") }
