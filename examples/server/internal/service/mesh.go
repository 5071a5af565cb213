package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// meshUpload is the file of an /api/stl request with the form's other fields; mesh is set by
// decode.
type meshUpload struct {
	filename string
	format   meshio.Format
	data     []byte
	mesh     *mesh.Mesh
	fields   map[string]string
}

// readMesh reads the multipart field "file" and finds its format from its content (STL, OBJ,
// PLY or GLB). Decoding waits for a worker slot (decode). While the service shuts down it reads
// nothing and returns errShuttingDown.
func (s *Service) readMesh(w http.ResponseWriter, r *http.Request) (*meshUpload, error) {
	if s.closing.Load() {
		return nil, errShuttingDown
	}
	var file *formFile
	fields, err := s.readForm(w, r, s.cfg.MaxUploadBytes+1<<20, func(f formFile) error {
		if f.field == "file" && file == nil {
			file = &f
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if file == nil {
		return nil, errorf(http.StatusBadRequest, "no file in the form field \"file\"")
	}
	if file.tooLarge {
		return nil, errorf(http.StatusRequestEntityTooLarge, "file larger than %d bytes", s.cfg.MaxUploadBytes)
	}
	if len(file.data) == 0 {
		return nil, errorf(http.StatusBadRequest, "empty file")
	}
	format, err := meshio.DetectFormat(file.data[:min(len(file.data), 4096)])
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "not a mesh file (STL, OBJ, PLY or GLB): %v", err)
	}
	return &meshUpload{filename: file.filename, format: format, data: file.data, fields: fields}, nil
}

// decode decodes u's file within the upload and face limits, with ctx: the caller holds a
// worker slot, so that decoding (an embedded GLB texture's above all) is bounded like the rest
// of the operation and stops with the request.
func (s *Service) decode(ctx context.Context, u *meshUpload) error {
	lim := meshio.DecodeLimits{MaxBytes: s.cfg.MaxUploadBytes, MaxFaces: s.cfg.MaxMeshFaces, MaxVertices: s.cfg.MaxMeshFaces}
	m, err := lim.DecodeContext(ctx, bytes.NewReader(u.data), u.format)
	switch {
	case ctx.Err() != nil:
		return s.ctxError(ctx)
	case errors.Is(err, meshio.ErrTooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "mesh too large: %v", err)
	case err != nil:
		return errorf(http.StatusBadRequest, "invalid %s file: %v", u.format, err)
	}
	if len(m.Faces) == 0 {
		return errorf(http.StatusBadRequest, "the %s file holds no triangles", u.format)
	}
	u.mesh, u.data = m, nil
	return nil
}

// ctxError is the response to an operation whose context ended: the deadline's, or the
// client's going away.
func (s *Service) ctxError(ctx context.Context) error {
	if context.Cause(ctx) == errDeadline {
		return errorf(http.StatusServiceUnavailable, "%v of %v: the request was stopped", errDeadline, s.cfg.OperationTimeout)
	}
	return errorf(http.StatusServiceUnavailable, "request cancelled")
}

// acquireMesh takes a slot for a mesh operation (at most Workers at once), waiting until ctx
// ends.
func (s *Service) acquireMesh(ctx context.Context) (func(), error) {
	select {
	case s.meshSem <- struct{}{}:
		return func() { <-s.meshSem }, nil
	case <-ctx.Done():
		if context.Cause(ctx) == errDeadline { // the deadline can end the wait for a slot too
			return nil, s.ctxError(ctx)
		}
		return nil, errorf(http.StatusServiceUnavailable, "request cancelled while waiting for a worker")
	}
}

type analyzeResponse struct {
	Filename      string             `json:"filename"`
	Format        string             `json:"format"`
	Faces         int                `json:"faces"`
	Vertices      int                `json:"vertices"`
	Closed        bool               `json:"closed"`
	Topology      mesh.Topology      `json:"topology"`
	PrintAnalysis mesh.PrintAnalysis `json:"print_analysis"`
}

func (s *Service) handleAnalyze(w http.ResponseWriter, r *http.Request) {
	u, err := s.readMesh(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	release, err := s.acquireMesh(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	if err := s.decode(r.Context(), u); err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := analyze(r.Context(), u.mesh)
	if err != nil {
		if r.Context().Err() != nil {
			err = s.ctxError(r.Context())
		}
		s.fail(w, r, err)
		return
	}
	resp.Filename, resp.Format = u.filename, u.format.String()
	writeJSON(w, http.StatusOK, resp)
}

// analyze is the topology report and the print analysis of m with the default printer profile.
func analyze(ctx context.Context, m *mesh.Mesh) (analyzeResponse, error) {
	topo := m.Topology()
	pa, err := mesh.AnalyzeContext(ctx, m, mesh.PrinterProfile{})
	if err != nil {
		if ctx.Err() != nil {
			return analyzeResponse{}, err
		}
		return analyzeResponse{}, errorf(http.StatusBadRequest, "invalid mesh: %v", err)
	}
	return analyzeResponse{
		Faces: topo.Faces, Vertices: topo.Vertices, Closed: topo.Closed(),
		Topology: topo, PrintAnalysis: pa,
	}, nil
}

// outputExt is the format a repaired or simplified mesh is stored in: the form's "format", else
// the input's (ASCII STL is stored as binary STL).
func outputExt(u *meshUpload) (string, meshio.Format, error) {
	if f := strings.TrimSpace(u.fields["format"]); f != "" {
		ext, format, err := parseFormat(f)
		if err != nil {
			return "", 0, errorf(http.StatusBadRequest, "%v", err)
		}
		return ext, format, nil
	}
	if u.format == meshio.STLASCII {
		return "stl", meshio.STL, nil
	}
	return strings.TrimPrefix(u.format.Ext(), "."), u.format, nil
}

type meshOpResponse struct {
	JobID       string          `json:"job_id"`
	Status      string          `json:"status"`
	Format      string          `json:"format"`
	DownloadURL string          `json:"download_url"`
	Report      json.RawMessage `json:"report"`
}

func (s *Service) handleRepair(w http.ResponseWriter, r *http.Request) {
	s.meshOp(w, r, "repair", func(ctx context.Context, u *meshUpload) (*mesh.Mesh, any, error) {
		if v := strings.TrimSpace(u.fields["solidify"]); v != "" && v != "false" {
			return solidifyUpload(ctx, u)
		}
		out, rep, err := mesh.Repair(ctx, u.mesh, mesh.RepairOptions{})
		if err != nil {
			return nil, nil, err
		}
		return out, rep, nil
	})
}

func (s *Service) handleSimplify(w http.ResponseWriter, r *http.Request) {
	s.meshOp(w, r, "simplify", func(ctx context.Context, u *meshUpload) (*mesh.Mesh, any, error) {
		opt, err := simplifyOptions(u.fields, len(u.mesh.Faces))
		if err != nil {
			return nil, nil, err
		}
		out, rep, err := mesh.Simplify(ctx, u.mesh, opt)
		if err != nil {
			return nil, nil, err
		}
		return out, rep, nil
	})
}

// simplifyOptions reads target_faces (a face count below the input's) or target_reduction (the
// fraction of faces to remove, in (0, 1)); with neither, half the faces are removed.
func simplifyOptions(fields map[string]string, faces int) (mesh.SimplifyOptions, error) {
	tf, tr := strings.TrimSpace(fields["target_faces"]), strings.TrimSpace(fields["target_reduction"])
	var opt mesh.SimplifyOptions
	switch {
	case tf != "" && tr != "":
		return opt, errorf(http.StatusBadRequest, "give target_faces or target_reduction, not both")
	case tf != "":
		n, err := strconv.Atoi(tf)
		if err != nil || n < 4 || n >= faces {
			return opt, errorf(http.StatusBadRequest, "target_faces %q: want an integer from 4 to %d (the input has %d faces)", tf, faces-1, faces)
		}
		opt.TargetFaces = n
	case tr != "":
		f, err := strconv.ParseFloat(tr, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f >= 1 {
			return opt, errorf(http.StatusBadRequest, "target_reduction %q: want the fraction of faces to remove, between 0 and 1", tr)
		}
		opt.TargetRatio = 1 - f
	default:
		opt.TargetRatio = 0.5
	}
	return opt, nil
}

// meshOp runs a mesh operation on an uploaded mesh and stores the result as a new completed job,
// with the operation's report, the result's topology and its print analysis.
func (s *Service) meshOp(w http.ResponseWriter, r *http.Request, op string, fn func(context.Context, *meshUpload) (*mesh.Mesh, any, error)) {
	u, err := s.readMesh(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ext, format, err := outputExt(u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	release, err := s.acquireMesh(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	if err := s.decode(r.Context(), u); err != nil {
		s.fail(w, r, err)
		return
	}
	out, opReport, err := fn(r.Context(), u)
	if err != nil {
		var he *httpError
		switch {
		case errors.As(err, &he):
		case r.Context().Err() != nil:
			err = s.ctxError(r.Context())
		case errors.Is(err, mesh.ErrInvalid), errors.Is(err, mesh.ErrInvalidOptions), errors.Is(err, mesh.ErrSimplifyOptions):
			err = errorf(http.StatusBadRequest, "%s: %v", op, err)
		}
		s.fail(w, r, err)
		return
	}
	an, err := analyze(r.Context(), out)
	if err != nil {
		if r.Context().Err() != nil {
			err = s.ctxError(r.Context())
		}
		s.fail(w, r, err)
		return
	}
	report, err := json.Marshal(map[string]any{
		"operation":      op,
		op:               opReport,
		"input_format":   u.format.String(),
		"topology":       an.Topology,
		"print_analysis": an.PrintAnalysis,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := s.newJob(manifest{
		Kind: kindMesh, Filename: u.filename, State: stateCompleted, Format: ext, Mode: op,
		Models: []string{ext}, Report: report,
	}, func(dir string) error {
		return s.fs.Write(context.Background(), filepath.Join(dir, modelFile(ext)), func(w io.Writer) error { return meshio.Encode(w, out, format) })
	})
	if err != nil {
		s.fail(w, r, fmt.Errorf("store %s result: %w", op, err))
		return
	}
	writeJSON(w, http.StatusOK, meshOpResponse{
		JobID: e.m.ID, Status: stateCompleted, Format: ext, DownloadURL: downloadURL(e.m.ID, ext), Report: report,
	})
}
