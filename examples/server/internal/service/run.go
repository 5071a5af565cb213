package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/jobs"
)

// generated is what a generation's work hands to its job: the model, written and synced to a
// temporary file in the job's folder, and the generator's report.
type generated struct {
	model  tempFile
	report []byte
}

// run is the work of one generation: it reads the stored upload, generates and writes the model
// to a temporary file. It changes no state: the registry does, and record commits the model
// when the job succeeds.
func (s *Service) run(ctx context.Context, id string, p genParams, progress func(string, float64)) (generated, error) {
	return s.runIn(ctx, s.jobDir(id), id, p, progress)
}

// runIn is run with the model and its extras written in dir (a worker's scratch folder on NATS).
func (s *Service) runIn(ctx context.Context, dir, id string, p genParams, progress func(string, float64)) (generated, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, s.cfg.OperationTimeout, errDeadline)
	defer cancel()
	if d := s.cfg.GenerateDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return generated{}, s.ended(ctx)
		}
	}
	img, err := s.readBlob(ctx, id, uploadFile)
	if err != nil {
		return generated{}, fmt.Errorf("read upload: %w", err)
	}
	req := p.request(img)
	req.Progress = progress
	res, err := s.gen.Generate(ctx, req)
	if err != nil {
		if context.Cause(ctx) == errDeadline {
			return generated{}, s.ended(ctx)
		}
		return generated{}, &generateError{err}
	}
	report, err := json.Marshal(res.Report)
	if err != nil {
		return generated{}, fmt.Errorf("encode report: %w", err)
	}
	if err := writeExtras(ctx, dir, res.Mesh, p.format); err != nil {
		return generated{}, fmt.Errorf("write preview: %w", err)
	}
	tmp, err := s.fs.Create(dir)
	if err != nil {
		s.storage.note(err)
		return generated{}, err
	}
	if err := res.Encode(tmp, p.format); err != nil {
		tmp.Abort()
		s.storage.note(err)
		return generated{}, fmt.Errorf("write model: %w", err)
	}
	if err := tmp.Sync(); err != nil { // now, so that the commit under the locks is quick
		tmp.Abort()
		s.storage.note(err)
		return generated{}, fmt.Errorf("write model: %w", err)
	}
	if ctx.Err() != nil { // every job of this generation was cancelled, or the deadline passed
		tmp.Abort()
		return generated{}, s.ended(ctx)
	}
	return generated{model: tmp, report: report}, nil
}

// ended is the error of a generation whose context ctx ended: the operation's deadline is a
// failure that names it (a generateError, which the job shows), where a cancellation stays
// ctx.Err(), so that the registry records it as canceled.
func (s *Service) ended(ctx context.Context) error {
	if context.Cause(ctx) == errDeadline {
		return &generateError{fmt.Errorf("%w (%v)", errDeadline, s.cfg.OperationTimeout)}
	}
	return ctx.Err()
}

// record is the registry's hook for one generation of e with p: it writes each state change of
// the job into the manifest before the registry lets anyone see it, so the manifest on disk is
// never behind what a client was told. On success it commits the model under its name first; a
// model that cannot be stored fails the job in the manifest. The job is completed only once its
// completed manifest is on disk: when that write fails (a full disk), the model is removed
// again and the job fails, so that a client is never told of a result a restart would lose
// (clients read terminal states from the entry, not from the registry). A shutdown's cancellation is
// recorded as failed ("interrupted"), a request's as canceled. It runs with the registry
// locked, so it never calls the registry.
func (s *Service) record(e *entry, p genParams, snap jobs.Snapshot[generated]) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.removed {
		if snap.Result.model != nil {
			snap.Result.model.Abort()
		}
		return
	}
	m := &e.m
	if snap.Key != e.key { // the generation's first change: Submit accepted it
		e.key = snap.Key
		m.Error, m.ErrorCode = "", ""
		m.Format, m.Quality, m.Mode = p.ext, string(p.quality), string(p.mode)
		m.Report, m.Seconds = nil, 0
	}
	now := time.Now()
	ran := !snap.Started.IsZero()
	took := snap.Ended.Sub(snap.Started)
	switch snap.State {
	case jobs.Queued:
		m.State = stateQueued
	case jobs.Running:
		m.State = stateProcessing
	case jobs.Succeeded:
		if err := snap.Result.model.Commit(modelFile(p.ext)); err != nil {
			s.storage.note(err)
			s.failed(e, fmt.Errorf("store model: %w", err), took)
			break
		}
		prev := *m
		m.State, m.Error, m.ErrorCode, m.Seconds, m.Updated = stateCompleted, "", "", took.Seconds(), now
		m.Models = append([]string(nil), m.Models...)
		m.addModel(p.ext)
		m.Report = snap.Result.report
		if err := s.persist(e); err != nil {
			// Not durable: undo, so that neither a client nor a restart sees a model that
			// no manifest describes.
			os.Remove(filepath.Join(s.jobDir(m.ID), modelFile(p.ext)))
			*m = prev
			m.Models = slices.DeleteFunc(slices.Clone(m.Models), func(x string) bool { return x == p.ext })
			s.failed(e, fmt.Errorf("store manifest: %w", err), took)
		} else {
			if ran {
				s.metrics.generation(m.State, took)
			}
			return
		}
	case jobs.Failed:
		s.failed(e, snap.Err, took)
	case jobs.Canceled:
		if errors.Is(snap.Err, jobs.ErrClosed) {
			m.State, m.Error, m.ErrorCode = stateFailed, errInterrupted, ""
			if ran {
				m.Seconds = took.Seconds()
			}
		} else {
			m.State, m.Error, m.ErrorCode = stateCanceled, "canceled by request", ""
		}
	}
	m.Updated = now
	_ = s.persist(e) // a failure is logged, and the write retried once the folder takes writes
	if snap.State.Terminal() && ran {
		s.metrics.generation(m.State, took)
	}
}

// failed marks e's generation failed with err's message for the user; called with e.mu held.
func (s *Service) failed(e *entry, err error, took time.Duration) {
	e.m.State, e.m.Error, e.m.Seconds = stateFailed, genErrorMessage(err, s.closing.Load()), took.Seconds()
	e.m.ErrorCode = errorCode(err)
	s.log.Warn("generation failed", "job_id", e.m.ID, "error", err)
}

// errorCodeNoSubject is a failed job's error_code when the image has no usable subject for the
// mode (generator.ErrNoSubject): the client's image, not the server, is the cause.
const errorCodeNoSubject = "no_subject"

// errorCode is the machine-readable code of a failed job's error, "" when it has none.
func errorCode(err error) string {
	if errors.Is(err, generator.ErrNoSubject) {
		return errorCodeNoSubject
	}
	return ""
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
	case closing && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) && !errors.Is(err, errDeadline):
		return errInterrupted
	case errors.Is(err, generator.ErrNoSubject):
		// Not a failure of the server's: the image has nothing to build (see the reason).
		var ns *generator.NoSubjectError
		if errors.As(err, &ns) {
			return "no usable subject in the image for " + string(ns.Mode) + ": " + ns.Reason
		}
		return err.Error()
	case errors.As(err, &ge):
		return err.Error()
	case storageProblem(err) != "":
		return storageError(storageProblem(err)).msg
	}
	return "internal error while storing the model"
}
