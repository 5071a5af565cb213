package service

import (
	"net/http"

	"github.com/orfeas3d/orfeas/examples/server/web"
)

// studioRoutes adds the studio page (GET /), its bundle (GET /assets/{name}) and the API's
// OpenAPI document (GET /api/openapi.yaml).
func studioRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", web.Page)
	mux.HandleFunc("GET /assets/{name}", web.Asset)
	mux.HandleFunc("GET /api/openapi.yaml", web.Spec)
}
