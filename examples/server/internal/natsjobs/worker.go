package natsjobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Result is what a worker's RunFunc produced: one file, stored as BlobName(job ID, Name).
type Result struct {
	Name string
	// Data is the file's content. Models are 1–100 MB; held in memory once, then streamed to
	// the object store.
	Data []byte
	// Report goes into the record, opaque to this package.
	Report json.RawMessage
}

// RunFunc runs one generation described by rec (rec.Params is the submitter's), reporting
// progress as it goes. It must honour ctx: it is cancelled when the job is cancelled, and when
// the worker stops.
type RunFunc func(ctx context.Context, rec Record, progress func(stage string, fraction float64)) (Result, error)

// errCanceledByRequest is the cause of a generation's context when Cancel flagged its record.
var errCanceledByRequest = errors.New("natsjobs: canceled by request")

// progressEvery is how often a running generation's latest progress is written to its record.
const progressEvery = 100 * time.Millisecond

// fetchWait bounds one pull, so that Work notices its context ending within it.
const fetchWait = time.Second

// Work pulls generations from the queue and runs them with run, one at a time, until ctx ends;
// run several Works for several at once. worker names this worker in the records. When ctx ends
// during a generation, Work returns without acking it: the queue redelivers it to another
// worker after AckWait, as it does for a worker that died. Work returns nil when ctx ended,
// else the error that stopped it.
func (c *Cluster) Work(ctx context.Context, worker string, run RunFunc) error {
	return c.WorkDrain(ctx, nil, worker, run)
}

// WorkDrain is Work that also stops pulling when drain closes, and returns once the generation
// it runs then has finished (or ctx ended); a nil drain never closes.
func (c *Cluster) WorkDrain(ctx context.Context, drain <-chan struct{}, worker string, run RunFunc) error {
	draining := func() bool {
		select {
		case <-drain:
			return true
		default:
			return false
		}
	}
	cons, err := c.stream.Consumer(ctx, "workers")
	if err != nil {
		return fmt.Errorf("natsjobs: consumer: %w", err)
	}
	actx, stopAnnounce := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopAnnounce()
	wg.Go(func() { c.announce(actx, worker) })
	// A pull waiting for a message ends at once when drain closes, so that a stopping worker
	// does not wait out fetchWait; the generation it runs goes on with ctx.
	pullCtx, stopPull := context.WithCancel(ctx)
	defer stopPull()
	wg.Go(func() {
		select {
		case <-drain:
			stopPull()
		case <-pullCtx.Done():
		}
	})
	for ctx.Err() == nil && !draining() {
		fctx, cancel := context.WithTimeout(pullCtx, fetchWait)
		batch, err := cons.Fetch(1, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			if ctx.Err() != nil || draining() {
				break
			}
			// The server is unreachable for now (a restart): try again after a pause.
			select {
			case <-ctx.Done():
			case <-time.After(fetchWait):
			}
			continue
		}
		for msg := range batch.Messages() {
			c.handle(ctx, worker, msg, run)
		}
		cancel()
	}
	return nil
}

// handle runs the generation msg names, when its record says it is still to run.
func (c *Cluster) handle(ctx context.Context, worker string, msg jetstream.Msg, run RunFunc) {
	var m message
	meta, err := msg.Metadata()
	if err != nil || json.Unmarshal(msg.Data(), &m) != nil {
		_ = msg.Term() // not ours: never redeliver it
		return
	}
	current := func(r *Record) bool { return r.Gen == m.Gen && r.InFlight() }
	if meta.NumDelivered > uint64(c.cfg.MaxDeliver) {
		// A poison job: every worker that took it died or stopped. Fail it, never loop.
		_, _ = c.update(ctx, m.ID, func(r *Record) error {
			if !current(r) {
				return errSkip
			}
			r.State, r.Cancel = StateFailed, false
			r.Error = fmt.Sprintf("no worker finished it in %d deliveries", c.cfg.MaxDeliver)
			return nil
		})
		// Acked, not termed: the ack is confirmed, so the message has left the queue when
		// this returns (a term is not).
		_ = msg.DoubleAck(ctx)
		return
	}
	rec, err := c.update(ctx, m.ID, func(r *Record) error {
		if !current(r) {
			return errSkip
		}
		r.State, r.Worker, r.Deliveries, r.Started = StateProcessing, worker, int(meta.NumDelivered), time.Now().UTC()
		r.Stage, r.Fraction = "", 0
		if meta.NumDelivered > 1 {
			c.redelivered.Add(1)
		}
		return nil
	})
	switch {
	case errors.Is(err, errSkip), errors.Is(err, ErrNotFound):
		_ = msg.Ack() // ended already (canceled while queued, completed before a redelivery) or removed
		return
	case err != nil:
		return // the state is unreachable: leave the message for a redelivery
	}
	if rec.Cancel {
		c.finish(ctx, msg, m, nil, errCanceledByRequest)
		return
	}

	jobCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu     sync.Mutex
		latest struct {
			stage string
			f     float64
			dirty bool
		}
	)
	progress := func(stage string, f float64) {
		mu.Lock()
		latest.stage, latest.f, latest.dirty = stage, f, true
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		c.tend(jobCtx, cancel, stop, msg, m, func() (string, float64, bool) {
			mu.Lock()
			defer mu.Unlock()
			d := latest.dirty
			latest.dirty = false
			return latest.stage, latest.f, d
		})
	})
	res, runErr := run(jobCtx, rec, progress)
	close(stop)
	wg.Wait()
	if ctx.Err() != nil {
		// This worker is stopping: hand the job back now, for another worker, rather than
		// after AckWait (a worker that dies cannot, and the queue redelivers after AckWait).
		_ = msg.Nak()
		return
	}
	if context.Cause(jobCtx) == errCanceledByRequest {
		runErr = errCanceledByRequest
	}
	if runErr != nil {
		c.finish(ctx, msg, m, nil, runErr)
		return
	}
	c.finish(ctx, msg, m, &res, nil)
}

// tend keeps a running generation alive until stop closes: it heartbeats the message (so the
// queue does not redeliver it), writes the latest progress into the record, and cancels the
// generation's context when Cancel flags the record.
func (c *Cluster) tend(ctx context.Context, cancel context.CancelCauseFunc, stop <-chan struct{}, msg jetstream.Msg, m message, latest func() (string, float64, bool)) {
	beat := time.NewTicker(max(c.cfg.AckWait/3, 10*time.Millisecond))
	defer beat.Stop()
	flush := time.NewTicker(progressEvery)
	defer flush.Stop()
	var updates <-chan jetstream.KeyValueEntry
	// From the current value on: a cancel written before the watch started is seen too.
	if w, err := c.kv.Watch(ctx, m.ID); err == nil {
		defer w.Stop()
		updates = w.Updates()
	}
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-beat.C:
			_ = msg.InProgress()
		case <-flush.C:
			stage, f, dirty := latest()
			if !dirty {
				continue
			}
			_, _ = c.update(ctx, m.ID, func(r *Record) error {
				if r.Gen != m.Gen || r.State != StateProcessing {
					return errSkip
				}
				r.Stage, r.Fraction = stage, f
				return nil
			})
		case e, ok := <-updates:
			if !ok {
				updates = nil
				continue
			}
			var r Record
			if e != nil && json.Unmarshal(e.Value(), &r) == nil && r.Gen == m.Gen && r.Cancel {
				cancel(errCanceledByRequest)
			}
		}
	}
}

// finish records a generation's outcome and acks its message: completed with res stored (unless
// a cancel came first: then canceled, nothing stored), canceled, or failed with runErr.
func (c *Cluster) finish(ctx context.Context, msg jetstream.Msg, m message, res *Result, runErr error) {
	var blob string
	if res != nil {
		if r, err := c.Get(ctx, m.ID); err == nil && r.Gen == m.Gen && r.Cancel {
			res, runErr = nil, errCanceledByRequest
		}
	}
	if res != nil {
		blob = BlobName(m.ID, res.Name)
		if err := c.PutBlob(ctx, blob, bytes.NewReader(res.Data)); err != nil {
			res, runErr = nil, err
		}
	}
	_, err := c.update(ctx, m.ID, func(r *Record) error {
		if r.Gen != m.Gen || !r.InFlight() {
			return errSkip
		}
		r.Cancel = false
		switch {
		case res != nil:
			r.State, r.Blob, r.Report, r.Stage, r.Fraction, r.Error = StateCompleted, blob, res.Report, "done", 1, ""
		case errors.Is(runErr, errCanceledByRequest):
			r.State, r.Error = StateCanceled, "canceled by request"
		default:
			r.State, r.Error = StateFailed, runErr.Error()
			var coded CodedError
			if errors.As(runErr, &coded) {
				r.ErrorCode = coded.ErrorCode()
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errSkip) {
		return // not recorded: no ack, so that another delivery finishes it
	}
	_ = msg.DoubleAck(ctx)
}

// announce keeps worker's key in the worker bucket until ctx ends, then removes it.
func (c *Cluster) announce(ctx context.Context, worker string) {
	key := workerKey(worker)
	t := time.NewTicker(announceEvery)
	defer t.Stop()
	for {
		_, _ = c.workers.Put(ctx, key, []byte(time.Now().UTC().Format(time.RFC3339)))
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = c.workers.Delete(dctx, key)
			cancel()
			return
		case <-t.C:
		}
	}
}

// workerKey is worker's name with what a KV key cannot hold replaced by '_'.
func workerKey(worker string) string {
	b := []byte(worker)
	for i, ch := range b {
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_' || ch == '=') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// Redelivered counts the generations this Cluster's workers took on a second or later
// delivery (a worker died or stopped while running them).
func (c *Cluster) Redelivered() int64 { return c.redelivered.Load() }
