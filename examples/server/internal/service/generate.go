package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/orfeas3d/orfeas/jobs"
)

type generateResponse struct {
	JobID        string `json:"job_id"`
	Status       string `json:"status"`
	Format       string `json:"format"`
	Quality      any    `json:"quality"`
	QualityLevel string `json:"quality_level"`
	Mode         string `json:"mode"`
	StatusURL    string `json:"status_url"`
	EventsURL    string `json:"events_url"`
}

func (s *Service) handleGenerate(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		s.fail(w, r, errShuttingDown)
		return
	}
	var req generateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.JobID == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "missing job_id"))
		return
	}
	q := strings.TrimSpace(string(req.Quality))
	isNumber := false
	switch {
	case q == "" || q == "null":
		q = ""
	case q[0] == '"':
		if err := json.Unmarshal(req.Quality, &q); err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "quality: %v", err))
			return
		}
	case q[0] == '-' || ('0' <= q[0] && q[0] <= '9'):
		isNumber = true
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "quality %s: want an integer from 1 to 10 or a level name", q))
		return
	}
	var dims [3]*float64
	if d := req.Dimensions; d != nil {
		dims = [3]*float64{d.Width, d.Height, d.Depth}
	}
	p, err := parseParams(req.Format, q, isNumber, req.Mode, dims)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !validID(req.JobID) {
		s.fail(w, r, errorf(http.StatusNotFound, "job %q not found", req.JobID))
		return
	}
	e := s.lookup(req.JobID)
	if e == nil && s.clusterDown() {
		s.fail(w, r, errorf(http.StatusServiceUnavailable, errClusterDown))
		return
	}
	if e == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "job %q not found", req.JobID))
		return
	}
	if err := s.submit(e, p); err != nil {
		var he *httpError
		if errors.As(err, &he) && he.status == http.StatusConflict {
			writeJSON(w, http.StatusConflict, apiError{Error: "Generation already in progress", Status: "conflict", JobID: req.JobID})
			return
		}
		if errors.As(err, &he) && he.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "5")
		}
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, generateResponse{
		JobID: req.JobID, Status: stateQueued, Format: p.ext, Quality: p.qualityInput,
		QualityLevel: string(p.quality), Mode: string(p.mode),
		StatusURL: "/api/job-status/" + req.JobID, EventsURL: "/api/job-events/" + req.JobID,
	})
}

// generationKey is the registry key of a new generation of job id. Every generation is its own
// work (it reads and writes the job's own folder, with the parameters of its request), so no two
// share a key: a second generate-3d of a job in flight, identical or not, is the registry's
// conflict, and nothing is ever shared between jobs.
func generationKey(id string) string { return id + "#" + jobs.NewID() }

// submit queues a generation of e with p. A job whose generation is queued or processing gets
// 409 (any second request, identical or not: exactly one generation runs per job at a time);
// a full queue 429; a closing registry 503. From then on the registry is the generation's state
// machine; record keeps the manifest in step with it.
func (s *Service) submit(e *entry, p genParams) error {
	e.mu.Lock()
	id, kind, removed := e.m.ID, e.m.Kind, e.removed
	e.mu.Unlock()
	switch {
	case removed:
		return errorf(http.StatusNotFound, "job %q not found", id)
	case kind != kindImage:
		return errorf(http.StatusBadRequest, "job %q holds a mesh, not an image to generate from", id)
	}
	if s.cl != nil {
		// The manifest as this front end reads it now (the previous generation's model
		// included) is what the new generation's record is overlaid on.
		e.mu.Lock()
		err := s.persist(e)
		e.mu.Unlock()
		if err != nil {
			return fmt.Errorf("submit generation: %w", err)
		}
	}
	err := s.reg.Submit(id, p, func(snap jobs.Snapshot[generated]) { s.record(e, p, snap) })
	switch {
	case errors.Is(err, jobs.ErrJobConflict):
		return errorf(http.StatusConflict, "generation already in progress")
	case errors.Is(err, jobs.ErrQueueFull):
		s.metrics.inc(&s.metrics.queueFull)
		return errorf(http.StatusTooManyRequests, "generation queue is full, retry later")
	case errors.Is(err, jobs.ErrClosed):
		return errShuttingDown
	case err != nil:
		return fmt.Errorf("submit generation: %w", err)
	}
	return nil
}
