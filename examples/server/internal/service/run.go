package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/orfeas3d/orfeas/examples/internal/atomicfile"
)

// errStale ends a generation that was cancelled before it could start or finish.
var errStale = errors.New("generation cancelled")

// run is the work of one generation: it reads the stored upload, generates, writes the model to
// a temporary file and, unless the job was cancelled meanwhile, renames it into place and marks
// the job completed. Failures mark the job failed with the reason.
func (s *Service) run(ctx context.Context, e *entry, gen uint64, p genParams, progress func(string, float64)) (err error) {
	e.mu.Lock()
	if e.gen != gen || e.m.State != stateQueued || e.removed {
		e.mu.Unlock()
		return errStale
	}
	id := e.m.ID
	e.m.State, e.m.Updated = stateProcessing, time.Now()
	s.persist(e)
	e.mu.Unlock()

	start := time.Now()
	dir := s.jobDir(id)
	var tmp *atomicfile.File
	var report []byte
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("generation panicked: %v", v)
		}
		outcome := s.finish(e, gen, p, err, tmp, report, time.Since(start))
		if outcome != "" {
			s.metrics.generation(outcome, time.Since(start))
		}
	}()

	if d := s.cfg.GenerateDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	img, err := os.ReadFile(filepath.Join(dir, uploadFile))
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	req := p.request(img)
	req.Progress = progress
	res, err := s.gen.Generate(ctx, req)
	if err != nil {
		return &generateError{err}
	}
	if report, err = json.Marshal(res.Report); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if tmp, err = atomicfile.Create(dir); err != nil {
		return err
	}
	if err = res.Encode(tmp, p.format); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// finish ends generation gen of e: on success it renames the model into place and marks the
// job completed; on failure it marks it failed. A generation that is no longer the job's live
// one (cancelled, or removed by retention) changes nothing and its temporary file is removed.
// It returns the outcome for the metrics, "" when the generation was stale.
func (s *Service) finish(e *entry, gen uint64, p genParams, err error, tmp *atomicfile.File, report []byte, took time.Duration) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen != gen || e.m.State != stateProcessing || e.removed {
		if tmp != nil {
			tmp.Abort()
		}
		return stateCanceled
	}
	now := time.Now()
	if err == nil {
		if err = tmp.Commit(modelFile(p.ext)); err != nil {
			err = fmt.Errorf("store model: %w", err)
		}
	}
	if err != nil {
		if tmp != nil {
			tmp.Abort()
		}
		e.m.State, e.m.Error = stateFailed, genErrorMessage(err, s.closing.Load())
		s.log.Warn("generation failed", "job_id", e.m.ID, "error", err)
	} else {
		e.m.State, e.m.Error = stateCompleted, ""
		e.m.addModel(p.ext)
		e.m.Report = report
	}
	e.m.Updated, e.m.Seconds = now, took.Seconds()
	s.persist(e)
	return e.m.State
}

// generateError is an error of generator.Generate, whose message is meant for the user.
type generateError struct{ err error }

func (e *generateError) Error() string { return e.err.Error() }
func (e *generateError) Unwrap() error { return e.err }

// genErrorMessage is what a failed job's error says: "interrupted" when a shutdown stopped it,
// the generator's reason (a bad request or image, a backend failure), or, for the server's own
// failures (files), a generic message: their details, paths included, go to the log only.
func genErrorMessage(err error, closing bool) string {
	var ge *generateError
	switch {
	case closing && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return errInterrupted
	case errors.As(err, &ge):
		return err.Error()
	}
	return "internal error while storing the model"
}
