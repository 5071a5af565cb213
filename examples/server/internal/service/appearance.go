package service

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/orfeas3d/orfeas/examples/internal/atomicfile"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
	"github.com/orfeas3d/orfeas/mesh/render"
)

// File names of what the server writes beside a generated model.
const (
	// objZipFile holds an OBJ job's model as three files: model.obj (referring to its material
	// library), model.mtl and the texture, for clients that want the texture; model.obj itself
	// stays one file with vertex colours.
	objZipFile = "model.obj.zip"
	// modelPreviewFile is the shaded picture of the model (mesh/render), served by
	// GET /api/preview-model/{job_id}.
	modelPreviewFile = "model-preview.png"
	// modelPreviewSize is its side in pixels.
	modelPreviewSize = 512
)

func modelPreviewURL(id string) string { return "/api/preview-model/" + id }

// writeExtras writes what goes beside a generated model into dir, each file atomically: the
// preview picture always, and the OBJ zip for an OBJ job. They are written before the model is
// committed, so a client told the job is done finds them.
func writeExtras(ctx context.Context, dir string, m *mesh.Mesh, f meshio.Format) error {
	img, err := render.Render(ctx, m, render.Options{Width: modelPreviewSize, Height: modelPreviewSize})
	if err != nil {
		return fmt.Errorf("render preview: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, modelPreviewFile), b.Bytes()); err != nil {
		return err
	}
	if f != meshio.OBJ {
		return nil
	}
	return atomicfile.Write(ctx, filepath.Join(dir, objZipFile), func(w io.Writer) error { return writeOBJZip(w, m) })
}

// writeOBJZip writes m as a zip of model.obj, model.mtl and model_texture.png (the OBJ alone when
// m has no texture), in that order: what a viewer needs to show the texture.
func writeOBJZip(w io.Writer, m *mesh.Mesh) error {
	var obj, mtl, tex bytes.Buffer
	if err := meshio.EncodeOBJ(&obj, &mtl, &tex, m, "model"); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, part := range []struct {
		name string
		data []byte
	}{{"model.obj", obj.Bytes()}, {"model.mtl", mtl.Bytes()}, {"model" + meshio.OBJTextureSuffix, tex.Bytes()}} {
		if len(part.data) == 0 {
			continue
		}
		method := zip.Deflate
		if part.name != "model.obj" && part.name != "model.mtl" {
			method = zip.Store // PNG is compressed already
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: part.name, Method: method})
		if err != nil {
			return err
		}
		if _, err := fw.Write(part.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// handleOBJZip serves model.obj.zip of an OBJ job.
func (s *Service) handleOBJZip(w http.ResponseWriter, r *http.Request) {
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	e.mu.Lock()
	id, has, updated := e.m.ID, slices.Contains(e.m.Models, "obj"), e.m.Updated
	e.mu.Unlock()
	f, err := s.blobs.Open(r.Context(), id, objZipFile)
	if !has || err != nil {
		writeError(w, http.StatusNotFound, "no obj.zip for this job: generate it as obj")
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+objZipFile+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"`+strconv.FormatInt(updated.UnixNano(), 36)+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}

// previewSources are the stored formats a model preview is rendered from when no preview was
// stored (a repaired or simplified mesh), best first: those that carry colour.
var previewSources = []string{"glb", "3mf", "ply", "obj", "stl"}

// handleModelPreview serves GET /api/preview-model/{job_id}: a shaded PNG of the job's model,
// the one stored at generation, else rendered from the stored model.
func (s *Service) handleModelPreview(w http.ResponseWriter, r *http.Request) {
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	e.mu.Lock()
	id, models, updated := e.m.ID, slices.Clone(e.m.Models), e.m.Updated
	e.mu.Unlock()
	if len(models) == 0 {
		writeError(w, http.StatusNotFound, "this job has no model yet")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"p`+strconv.FormatInt(updated.UnixNano(), 36)+`"`)
	if f, err := s.blobs.Open(r.Context(), id, modelPreviewFile); err == nil {
		defer f.Close()
		http.ServeContent(w, r, "", time.Time{}, f)
		return
	}
	for _, ext := range previewSources {
		if !slices.Contains(models, ext) {
			continue
		}
		f, err := s.blobs.Open(r.Context(), id, modelFile(ext))
		if err != nil {
			continue
		}
		format, _ := meshio.ParseFormat(ext)
		m, err := meshio.Decode(f, format)
		f.Close()
		if err != nil {
			s.fail(w, r, fmt.Errorf("preview: read stored %s: %w", ext, err))
			return
		}
		img, err := render.Render(r.Context(), m, render.Options{Width: modelPreviewSize, Height: modelPreviewSize})
		if err != nil {
			s.fail(w, r, fmt.Errorf("preview: %w", err))
			return
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			s.fail(w, r, err)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b.Bytes()))
		return
	}
	writeError(w, http.StatusNotFound, "this job has no model to preview")
}
