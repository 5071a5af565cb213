package service

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// downloadExt returns the extension of a download name: only model.EXT for the extensions of
// meshio's registry (stl, obj, glb, ply, 3mf) are served.
func downloadExt(name string) (string, bool) {
	ext, ok := strings.CutPrefix(name, "model.")
	if !ok || !slices.Contains(modelFormats, ext) {
		return "", false
	}
	return ext, true
}

func (s *Service) handleDownload(w http.ResponseWriter, r *http.Request) {
	ext, ok := downloadExt(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusBadRequest, "unknown file: want model."+strings.Join(modelFormats, ", model.")+" or "+objZipFile)
		return
	}
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	// The validator is read before the file is opened: a regeneration finishing in between
	// pairs the new file with the old tag (the client just fetches it again), never the reverse.
	e.mu.Lock()
	id, has, updated := e.m.ID, slices.Contains(e.m.Models, ext), e.m.Updated
	e.mu.Unlock()
	if !has {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no %s model for this job", ext))
		return
	}
	f, err := s.blobs.Open(r.Context(), id, modelFile(ext))
	if err != nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no %s model for this job", ext))
		return
	}
	defer f.Close()
	format, _ := meshio.ParseFormat(ext)
	h := w.Header()
	h.Set("Content-Type", format.ContentType())
	h.Set("Content-Disposition", `attachment; filename="`+modelFile(ext)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	// An ETag that changes with every change of the job, and no Last-Modified: a model
	// regenerated within the same second as the previous one would otherwise pass an
	// If-Modified-Since check, and the client would keep the old model.
	h.Set("ETag", `"`+strconv.FormatInt(updated.UnixNano(), 36)+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}

func (s *Service) handlePreview(w http.ResponseWriter, r *http.Request) {
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	e.mu.Lock()
	id, kind := e.m.ID, e.m.Kind
	e.mu.Unlock()
	if kind != kindImage {
		writeError(w, http.StatusNotFound, "this job has no image")
		return
	}
	f, err := s.blobs.Open(r.Context(), id, uploadFile)
	if err != nil {
		writeError(w, http.StatusNotFound, "this job has no image")
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", f.ModTime(), f)
}
