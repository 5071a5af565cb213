package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
)

type rejected struct {
	Filename string `json:"filename"`
	Error    string `json:"error"`
	JobID    string `json:"job_id,omitempty"` // set when the image was stored but not queued
}

type batchResponse struct {
	JobIDs    []string   `json:"job_ids"`
	TotalJobs int        `json:"total_jobs"`
	Rejected  []rejected `json:"rejected"`
	Format    string     `json:"format"`
	Quality   any        `json:"quality"`
	Mode      string     `json:"mode"`
}

// handleBatch stores every valid image in files[] as a new job and queues its generation with
// the form's format, quality and mode. Files that fail validation, and generations the queue
// refuses, are listed in rejected with the reason; the request fails as a whole (400) only when
// the parameters are bad or nothing was accepted.
func (s *Service) handleBatch(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		s.fail(w, r, errShuttingDown)
		return
	}
	var stored []*entry
	var rej []rejected
	files := 0
	removeStored := func() {
		for _, e := range stored {
			s.remove(e)
		}
	}
	fields, err := s.readForm(w, r, 4*s.cfg.MaxUploadBytes+1<<20, func(f formFile) error {
		if f.field != "files[]" && f.field != "files" {
			return nil
		}
		files++
		if files > s.cfg.MaxBatchFiles {
			rej = append(rej, rejected{Filename: f.filename, Error: fmt.Sprintf("more than %d files in one batch", s.cfg.MaxBatchFiles)})
			return nil
		}
		e, err := s.storeUpload(r.Context(), f)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				return err
			}
			rej = append(rej, rejected{Filename: f.filename, Error: he.msg})
			return nil
		}
		stored = append(stored, e)
		return nil
	})
	if err != nil {
		removeStored()
		s.fail(w, r, err)
		return
	}
	q := fields["quality"]
	p, err := parseParams(fields["format"], q, q != "" && (q[0] == '-' || '0' <= q[0] && q[0] <= '9'), fields["mode"], [3]*float64{})
	if err != nil {
		removeStored()
		s.fail(w, r, err)
		return
	}
	if files == 0 {
		s.fail(w, r, errorf(http.StatusBadRequest, "no files in the form field \"files[]\""))
		return
	}
	resp := batchResponse{JobIDs: []string{}, Rejected: rej, Format: p.ext, Quality: p.qualityInput, Mode: string(p.mode)}
	for _, e := range stored {
		id, name := e.m.ID, e.m.Filename
		if err := s.submit(e, p); err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				he = errorf(http.StatusInternalServerError, "internal error")
				s.log.Error("batch submit", "request_id", requestID(r.Context()), "job_id", id, "error", err)
			}
			resp.Rejected = append(resp.Rejected, rejected{Filename: name, Error: he.msg, JobID: id})
			continue
		}
		resp.JobIDs = append(resp.JobIDs, id)
	}
	if resp.Rejected == nil {
		resp.Rejected = []rejected{}
	}
	resp.TotalJobs = len(resp.JobIDs)
	code := http.StatusAccepted
	if resp.TotalJobs == 0 {
		code = http.StatusBadRequest
	}
	writeJSON(w, code, resp)
}

// remove forgets a job and deletes its folder.
func (s *Service) remove(e *entry) {
	e.mu.Lock()
	e.removed = true
	id := e.m.ID
	e.mu.Unlock()
	if s.cl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
		defer cancel()
		_ = s.cl.c.DeleteJob(ctx, id)
		return
	}
	s.mu.Lock()
	delete(s.entries, id)
	s.mu.Unlock()
	os.RemoveAll(s.jobDir(id))
}
