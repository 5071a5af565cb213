package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// registryKey names one generation of a job in the registry.
func registryKey(id string, gen uint64) string { return id + "#" + strconv.FormatUint(gen, 10) }

// submit queues a generation of e with p. A job whose generation is queued or processing gets
// 409 (any second request, identical or not: exactly one generation runs per job at a time);
// a full queue 429; a closing registry 503.
func (s *Service) submit(e *entry, p genParams) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.removed:
		return errorf(http.StatusNotFound, "job %q not found", e.m.ID)
	case e.m.Kind != kindImage:
		return errorf(http.StatusBadRequest, "job %q holds a mesh, not an image to generate from", e.m.ID)
	case inFlight(e.m.State):
		return errorf(http.StatusConflict, "generation already in progress")
	}
	id := e.m.ID
	gen := e.gen + 1
	_, err := s.reg.Submit(id, registryKey(id, gen), func(ctx context.Context, progress func(string, float64)) (struct{}, error) {
		return struct{}{}, s.run(ctx, e, gen, p, progress)
	})
	switch {
	case errors.Is(err, jobs.ErrQueueFull):
		s.metrics.inc(&s.metrics.queueFull)
		return errorf(http.StatusTooManyRequests, "generation queue is full, retry later")
	case errors.Is(err, jobs.ErrClosed):
		return errShuttingDown
	case errors.Is(err, jobs.ErrJobConflict):
		return errorf(http.StatusConflict, "generation already in progress")
	case err != nil:
		return fmt.Errorf("submit generation: %w", err)
	}
	e.gen = gen
	e.m.State, e.m.Error, e.m.Updated = stateQueued, "", time.Now()
	e.m.Format, e.m.Quality, e.m.Mode = p.ext, string(p.quality), string(p.mode)
	e.m.Report, e.m.Seconds = nil, 0
	s.persist(e)
	return nil
}
