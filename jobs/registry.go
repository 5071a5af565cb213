package jobs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// Func is the work a job runs. ctx is cancelled when every job sharing the
// execution has been cancelled, or when Close gives up waiting; progress
// reports a stage name and a fraction in [0, 1] and may be called from any
// goroutine until Func returns (later calls are ignored).
type Func[T any] func(ctx context.Context, progress func(stage string, fraction float64)) (T, error)

// State is where a job is in its life: Queued, then Running, then one of
// the terminal states Succeeded, Failed or Canceled.
type State uint8

// The states of a job. The zero State is not a valid state.
const (
	Queued State = iota + 1
	Running
	Succeeded
	Failed
	Canceled
)

var stateNames = [...]string{"unknown", "queued", "running", "succeeded", "failed", "canceled"}

// String returns the lower-case name of the state ("queued", ...).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// MarshalText encodes the state as its name, for JSON and friends.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Terminal reports whether the state is final (Succeeded, Failed or
// Canceled).
func (s State) Terminal() bool { return s >= Succeeded }

// Snapshot is a copy of one job at one moment. It shares nothing with the
// registry except Result, which all jobs of one execution share.
type Snapshot[T any] struct {
	ID       string
	Key      string
	State    State
	Stage    string  // latest progress stage ("" before the first report)
	Fraction float64 // latest progress fraction in [0, 1]; 1 once Succeeded
	Created  time.Time
	Started  time.Time // zero while queued, or if it never ran
	Ended    time.Time // zero until terminal
	Result   T         // set when Succeeded
	Err      error     // set when Failed (the work's error, or a *PanicError) or Canceled (wraps ErrCanceled)
}

// Stats are counts over the registry's life. Queued and Running are jobs
// now; the others are totals since New. At any moment
// Submitted == Queued + Running + Succeeded + Failed + Canceled.
type Stats struct {
	Queued    int // jobs waiting for their execution to start
	Running   int // jobs whose execution is running
	Succeeded int
	Failed    int
	Canceled  int
	Submitted int // submissions that created a job
	Joined    int // submissions answered with the job already in flight under that ID
	Rejected  int // submissions refused with ErrQueueFull
	Conflicts int // submissions refused with ErrJobConflict
	Retained  int // finished jobs still held for Get/List/Wait
}

// Registry runs jobs on a fixed pool of workers. Create it with New; it is
// safe for concurrent use; Close it to stop its goroutines.
type Registry[T any] struct {
	opt       Options
	queueSize int // executions that may wait beyond the workers
	clock     Clock
	sem       *semaphore.Weighted

	mu    sync.Mutex
	cond  sync.Cond // workers wait here for the queue
	jobs  map[string]*job[T]
	execs map[string]*execution[T] // key -> live execution (queued or running, with live jobs)
	head  *execution[T]            // FIFO of executions waiting for a worker
	tail  *execution[T]
	nq    int // executions in the FIFO
	busy  int // executions taken by a worker and not yet finished
	idle  int // workers waiting on cond
	alive int // worker goroutines alive
	stats Stats

	finished []*job[T] // terminal jobs in the order they ended, for the janitor
	fhead    int

	closing     bool
	workersDone chan struct{}
	stopJanitor chan struct{}
	janitorDone chan struct{}
	closed      chan struct{}
	closeErr    error
}

type job[T any] struct {
	id, key                 string
	state                   State
	created, started, ended time.Time
	exec                    *execution[T] // nil once terminal
	stage                   string        // progress, frozen when terminal
	fraction                float64
	result                  T
	err                     error
	subs                    []*subscriber[T]
	done                    chan struct{}     // made by the first Wait, closed when terminal
	hook                    func(Snapshot[T]) // from WithHook, or nil
}

// execution is one run of a Func, shared by every job with its key that
// arrives while it is queued or running.
type execution[T any] struct {
	key      string
	fn       Func[T]
	weight   int64
	ctx      context.Context
	cancel   context.CancelFunc
	jobs     []*job[T]  // every job attached, live or not
	first    [1]*job[T] // jobs' initial backing array: most executions have one job
	live     int        // attached jobs not yet terminal
	queued   bool       // in the FIFO
	running  bool
	finished bool
	stage    string
	fraction float64
	progress func(string, float64)

	prev, next *execution[T]
}

// New returns a registry with its workers (and, when finished jobs are
// retained, a janitor) started. Call Close to stop them.
func New[T any](opt Options) *Registry[T] {
	opt = opt.withDefaults()
	r := &Registry[T]{
		opt:         opt,
		queueSize:   opt.QueueSize,
		clock:       opt.Clock,
		jobs:        make(map[string]*job[T]),
		execs:       make(map[string]*execution[T]),
		alive:       opt.Workers,
		workersDone: make(chan struct{}),
		stopJanitor: make(chan struct{}),
		janitorDone: make(chan struct{}),
		closed:      make(chan struct{}),
	}
	r.cond.L = &r.mu
	if opt.MemoryBudget > 0 {
		r.sem = semaphore.NewWeighted(opt.MemoryBudget)
	}
	for range opt.Workers {
		go r.worker()
	}
	if opt.Retain > 0 {
		go r.janitor(opt.Clock.NewTicker(sweepInterval(opt.Retain)))
	} else {
		close(r.janitorDone)
	}
	return r
}

// MaxIDLen is the longest job ID Submit accepts.
const MaxIDLen = 128

// checkID accepts 1..MaxIDLen bytes of the URL-unreserved alphabet
// (RFC 3986 section 2.3: A-Z a-z 0-9 - . _ ~), so an ID is safe in a URL
// path, a header or a log line as it is.
func checkID(id string) error {
	if len(id) > MaxIDLen {
		return fmt.Errorf("%w: job ID of %d bytes, limit %d", ErrInvalid, len(id), MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			continue
		}
		return fmt.Errorf("%w: job ID %q: byte %#x at %d is not in [A-Za-z0-9._~-]", ErrInvalid, id, c, i)
	}
	return nil
}

// NewID returns a fresh random job ID: 128 bits from crypto/rand, in
// unpadded URL-safe base64 (22 characters).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Submit starts a job named id doing the work named key. An empty id gets
// a generated one (NewID). The returned snapshot is of the job now in
// flight under the ID.
//
//   - If a job with this ID is queued or running with the same key, Submit
//     joins it: nothing new is created and its snapshot is returned.
//   - If it is in flight with another key, the error is a *ConflictError
//     (errors.Is ErrJobConflict).
//   - Otherwise a new job is created (replacing a finished one retained
//     under the ID). If an execution for key is queued or running, the job
//     shares it and takes no queue slot; if not, a new execution of fn is
//     queued, or refused with ErrQueueFull when Workers+QueueSize
//     executions are already in flight.
//
// When the submission joins a job or shares an execution, its fn and
// options are not used: equal keys must name equal work. Invalid arguments
// fail with ErrInvalid (or ErrOverBudget for a weight above the budget);
// after Close, Submit fails with ErrClosed.
func (r *Registry[T]) Submit(id, key string, fn Func[T], opts ...SubmitOption) (Snapshot[T], error) {
	var cfg submitConfig
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(r.opt.MemoryBudget); err != nil {
		return Snapshot[T]{}, err
	}
	if key == "" {
		return Snapshot[T]{}, fmt.Errorf("%w: empty key", ErrInvalid)
	}
	if fn == nil {
		return Snapshot[T]{}, fmt.Errorf("%w: nil work function", ErrInvalid)
	}
	var hook func(Snapshot[T])
	if cfg.hook != nil {
		h, ok := cfg.hook.(func(Snapshot[T]))
		if !ok {
			return Snapshot[T]{}, fmt.Errorf("%w: hook %T for a registry of %T results", ErrInvalid, cfg.hook, *new(T))
		}
		hook = h
	}
	generated := id == ""
	if generated {
		id = NewID()
	} else if err := checkID(id); err != nil {
		return Snapshot[T]{}, err
	}

	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return Snapshot[T]{}, fmt.Errorf("submit %q: %w", id, ErrClosed)
	}
	old := r.jobs[id]
	for generated && old != nil { // 2^-128; cheap to be certain
		id = NewID()
		old = r.jobs[id]
	}
	if old != nil && !old.state.Terminal() {
		if old.key == key {
			r.stats.Joined++
			s := old.snapshot()
			r.mu.Unlock()
			return s, nil
		}
		r.stats.Conflicts++
		r.mu.Unlock()
		return Snapshot[T]{}, &ConflictError{ID: id, Key: old.key, SubmittedKey: key}
	}
	e := r.execs[key]
	if e == nil {
		if r.busy+r.nq >= r.opt.Workers+r.queueSize {
			r.stats.Rejected++
			err := &queueFullError{id: id, running: r.busy, queued: r.nq}
			r.mu.Unlock()
			return Snapshot[T]{}, err
		}
		e = &execution[T]{key: key, fn: fn}
		e.jobs = e.first[:0]
		if r.sem != nil {
			e.weight = cfg.weight
		}
		e.ctx, e.cancel = context.WithCancel(context.Background())
		r.execs[key] = e
		r.push(e)
		if r.idle > 0 {
			r.cond.Signal()
		}
	}
	j := &job[T]{id: id, key: key, exec: e, created: r.clock.Now(), hook: hook}
	if e.running {
		j.state, j.started = Running, j.created
		r.stats.Running++
	} else {
		j.state = Queued
		r.stats.Queued++
	}
	e.jobs = append(e.jobs, j)
	e.live++
	r.jobs[id] = j // a retained record under id, if any, is replaced
	r.stats.Submitted++
	s := j.snapshot()
	if j.hook != nil {
		j.hook(s)
	}
	r.mu.Unlock()
	return s, nil
}

// Cancel cancels the job: it ends at once in the Canceled state (its Wait
// returns, its subscribers get the terminal event). A queued execution
// that no live job needs any more is removed and never runs; a running one
// has its context cancelled when the last job sharing it is cancelled.
// Cancelling a finished job does nothing and returns nil; an unknown ID
// returns ErrNotFound.
func (r *Registry[T]) Cancel(id string) error {
	r.mu.Lock()
	j := r.jobs[id]
	if j == nil {
		r.mu.Unlock()
		return fmt.Errorf("cancel %q: %w", id, ErrNotFound)
	}
	if j.state.Terminal() {
		r.mu.Unlock()
		return nil
	}
	e := j.exec
	r.end(j, Canceled, ErrCanceled, r.clock.Now())
	var cancel context.CancelFunc
	if e.live == 0 {
		cancel = r.abandon(e)
	} else if len(e.jobs) > 2*e.live+8 {
		// Many sharers came and cancelled while the execution lives on:
		// forget them, so a hot key cannot grow its job list without bound.
		e.jobs = slices.DeleteFunc(e.jobs, func(j *job[T]) bool { return j.state.Terminal() })
	}
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// abandon detaches an execution no live job needs: its key is free for a
// new execution, a queued one leaves the FIFO and never runs, and the
// returned function cancels its context (call it after unlocking).
func (r *Registry[T]) abandon(e *execution[T]) context.CancelFunc {
	if r.execs[e.key] == e {
		delete(r.execs, e.key)
	}
	if e.queued {
		r.unlink(e)
		e.finished = true
	}
	return e.cancel
}

// Get returns a snapshot of the job, or ErrNotFound.
func (r *Registry[T]) Get(id string) (Snapshot[T], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.jobs[id]
	if j == nil {
		return Snapshot[T]{}, fmt.Errorf("get %q: %w", id, ErrNotFound)
	}
	return j.snapshot(), nil
}

// List returns snapshots of every job in flight or retained, ordered by
// creation time, then ID.
func (r *Registry[T]) List() []Snapshot[T] {
	r.mu.Lock()
	out := make([]Snapshot[T], 0, len(r.jobs))
	for _, j := range r.jobs {
		out = append(out, j.snapshot())
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Snapshot[T]) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out
}

// Wait blocks until the job is terminal and returns its final snapshot; the
// job's own outcome is in Snapshot.State and Snapshot.Err, and the returned
// error is nil. It fails with ErrNotFound for an unknown ID, or with ctx's
// error (and the latest snapshot) when ctx ends first.
func (r *Registry[T]) Wait(ctx context.Context, id string) (Snapshot[T], error) {
	r.mu.Lock()
	j := r.jobs[id]
	if j == nil {
		r.mu.Unlock()
		return Snapshot[T]{}, fmt.Errorf("wait %q: %w", id, ErrNotFound)
	}
	if j.state.Terminal() {
		s := j.snapshot()
		r.mu.Unlock()
		return s, nil
	}
	if j.done == nil {
		j.done = make(chan struct{})
	}
	done := j.done
	r.mu.Unlock()

	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("wait %q: %w", id, ctx.Err())
	}
	r.mu.Lock()
	s := j.snapshot()
	r.mu.Unlock()
	return s, err
}

// Stats returns the registry's counts.
func (r *Registry[T]) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Retained = len(r.jobs) - s.Queued - s.Running
	return s
}

// Close stops accepting work (Submit fails with ErrClosed), lets queued and
// running jobs finish until ctx ends, then cancels the rest, and returns
// once every goroutine the registry started has exited. It returns nil if
// everything drained, or an error wrapping ctx's error if jobs had to be
// cancelled. Jobs cancelled this way end Canceled with an Err that matches
// both ErrCanceled and ErrClosed. A work function that ignores its context
// holds Close up until it returns. Finished jobs stay readable after Close. Calling Close again
// waits for the first call to complete (or for its own ctx) and returns the
// same result. Close must not be called from a work function, which would
// wait for itself.
func (r *Registry[T]) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		select {
		case <-r.closed:
			return r.closeErr
		case <-ctx.Done():
			return fmt.Errorf("jobs: close: %w", ctx.Err())
		}
	}
	r.closing = true
	r.cond.Broadcast()
	r.mu.Unlock()

	var err error
	select {
	case <-r.workersDone:
	case <-ctx.Done():
		err = fmt.Errorf("jobs: close: unfinished jobs canceled: %w", ctx.Err())
		r.cancelAll()
		<-r.workersDone
	}
	close(r.stopJanitor)
	<-r.janitorDone
	r.closeErr = err
	close(r.closed)
	return err
}

// errClosedCanceled is the error of jobs that Close cancelled: it matches ErrCanceled and
// ErrClosed.
var errClosedCanceled = fmt.Errorf("%w: %w", ErrCanceled, ErrClosed)

// cancelAll ends every job still in flight as Canceled and cancels the
// contexts of their executions.
func (r *Registry[T]) cancelAll() {
	r.mu.Lock()
	now := r.clock.Now()
	var cancels []context.CancelFunc
	for _, e := range r.execs { // order is immaterial: every one is cancelled
		for _, j := range e.jobs {
			if !j.state.Terminal() {
				r.end(j, Canceled, errClosedCanceled, now)
			}
		}
		cancels = append(cancels, r.abandon(e))
	}
	r.mu.Unlock()
	for _, c := range cancels {
		c()
	}
}

func (r *Registry[T]) push(e *execution[T]) {
	e.queued = true
	e.prev = r.tail
	if r.tail == nil {
		r.head = e
	} else {
		r.tail.next = e
	}
	r.tail = e
	r.nq++
}

func (r *Registry[T]) unlink(e *execution[T]) {
	if e.prev == nil {
		r.head = e.next
	} else {
		e.prev.next = e.next
	}
	if e.next == nil {
		r.tail = e.prev
	} else {
		e.next.prev = e.prev
	}
	e.prev, e.next, e.queued = nil, nil, false
	r.nq--
}

// worker runs executions from the FIFO until the registry closes and the
// FIFO is empty. Called with nothing held.
func (r *Registry[T]) worker() {
	var current *execution[T]
	acquired := false
	inRun := false
	defer func() {
		if !inRun {
			return
		}
		// The work function called runtime.Goexit (t.FailNow, say):
		// nothing can stop this goroutine from ending, so fail the
		// execution and start a replacement worker.
		var zero T
		if acquired {
			r.sem.Release(current.weight)
		}
		current.cancel()
		r.mu.Lock()
		r.finish(current, zero, newPanicError(nil))
		r.mu.Unlock()
		go r.worker()
	}()

	var now time.Time // when the previous execution finished, if this worker has not waited since
	r.mu.Lock()
	for {
		e, waited := r.next()
		if e == nil {
			break
		}
		current = e
		if r.sem != nil && e.weight > 0 {
			r.mu.Unlock()
			err := r.sem.Acquire(e.ctx, e.weight)
			r.mu.Lock()
			if err != nil { // only when every job was cancelled
				r.discard(e)
				continue
			}
			acquired, waited = true, true
		}
		if e.live == 0 { // every job was cancelled while it waited
			if acquired {
				r.sem.Release(e.weight)
				acquired = false
			}
			r.discard(e)
			continue
		}
		if waited || now.IsZero() {
			now = r.clock.Now()
		}
		r.start(e, now)
		r.mu.Unlock()

		inRun = true
		res, err := r.run(e)
		inRun = false
		if acquired {
			r.sem.Release(e.weight)
			acquired = false
		}
		e.cancel() // releases the context's resources

		r.mu.Lock()
		now = r.finish(e, res, err)
	}
	r.alive--
	if r.alive == 0 {
		close(r.workersDone)
	}
	r.mu.Unlock()
}

// next takes the head of the FIFO, waiting for one, and says whether it
// had to wait; nil once closing and the FIFO is empty. Called with r.mu
// held.
func (r *Registry[T]) next() (e *execution[T], waited bool) {
	for r.head == nil {
		if r.closing {
			return nil, waited
		}
		r.idle++
		r.cond.Wait()
		r.idle--
		waited = true
	}
	e = r.head
	r.unlink(e)
	r.busy++
	return e, waited
}

// discard retires an execution a worker took but must not run.
func (r *Registry[T]) discard(e *execution[T]) {
	r.busy--
	e.finished = true
	e.cancel()
}

// start marks the execution and its live jobs running. Called with r.mu held.
func (r *Registry[T]) start(e *execution[T], now time.Time) {
	e.running = true
	e.progress = func(stage string, f float64) { r.report(e, stage, f) }
	for _, j := range e.jobs {
		if j.state == Queued {
			j.state, j.started = Running, now
			r.stats.Queued--
			r.stats.Running++
			r.changed(j)
		}
	}
}

// run calls the work function, turning a panic into a *PanicError.
func (r *Registry[T]) run(e *execution[T]) (res T, err error) {
	defer func() {
		if v := recover(); v != nil {
			var zero T
			res, err = zero, newPanicError(v)
		}
	}()
	return e.fn(e.ctx, e.progress)
}

// finish ends the live jobs of an execution with its outcome and returns
// the time it did. Called with r.mu held.
func (r *Registry[T]) finish(e *execution[T], res T, err error) time.Time {
	r.busy--
	e.finished = true
	if r.execs[e.key] == e {
		delete(r.execs, e.key)
	}
	state := Succeeded
	if err != nil {
		state = Failed
	} else {
		e.fraction = 1
	}
	now := r.clock.Now()
	for _, j := range e.jobs {
		if !j.state.Terminal() {
			j.result = res
			r.end(j, state, err, now)
		}
	}
	e.jobs = nil
	return now
}

// end moves a live job to a terminal state, delivers the terminal event,
// wakes waiters and hands the record to retention. Called with r.mu held.
func (r *Registry[T]) end(j *job[T], state State, err error, now time.Time) {
	e := j.exec
	j.stage, j.fraction = e.stage, e.fraction
	j.exec = nil
	e.live--
	if j.state == Queued {
		r.stats.Queued--
	} else {
		r.stats.Running--
	}
	j.state, j.err, j.ended = state, err, now
	switch state {
	case Succeeded:
		r.stats.Succeeded++
	case Failed:
		r.stats.Failed++
	case Canceled:
		r.stats.Canceled++
	}
	r.changed(j)
	if j.done != nil {
		close(j.done)
	}
	if r.opt.Retain < 0 {
		if r.jobs[j.id] == j {
			delete(r.jobs, j.id)
		}
		return
	}
	r.finished = append(r.finished, j)
}

// changed announces a new state of j: first to its hook, then to its subscribers. Called with
// r.mu held.
func (r *Registry[T]) changed(j *job[T]) {
	if j.hook != nil {
		j.hook(j.snapshot())
	}
	r.notifyState(j)
}

// report is the progress callback of a running execution.
func (r *Registry[T]) report(e *execution[T], stage string, f float64) {
	switch {
	case math.IsNaN(f):
		f = 0
	case f < 0:
		f = 0
	case f > 1:
		f = 1
	}
	r.mu.Lock()
	if !e.finished {
		e.stage, e.fraction = stage, f
		for _, j := range e.jobs {
			if len(j.subs) > 0 && !j.state.Terminal() {
				r.notifyProgress(j)
			}
		}
	}
	r.mu.Unlock()
}

func (j *job[T]) snapshot() Snapshot[T] {
	s := Snapshot[T]{
		ID: j.id, Key: j.key, State: j.state,
		Stage: j.stage, Fraction: j.fraction,
		Created: j.created, Started: j.started, Ended: j.ended,
		Result: j.result, Err: j.err,
	}
	if e := j.exec; e != nil {
		s.Stage, s.Fraction = e.stage, e.fraction
	}
	return s
}

// janitor drops finished jobs older than Retain, once per tick, until Close.
func (r *Registry[T]) janitor(t Ticker) {
	defer close(r.janitorDone)
	defer t.Stop()
	for {
		select {
		case <-r.stopJanitor:
			return
		case <-t.C():
			r.sweep()
		}
	}
}

// sweepBatch bounds how long one sweep holds the lock.
const sweepBatch = 1024

// sweep removes the records that ended at least Retain ago. Jobs end in
// clock order, so the expired ones are a prefix of r.finished.
func (r *Registry[T]) sweep() {
	for {
		r.mu.Lock()
		cutoff := r.clock.Now().Add(-r.opt.Retain)
		n := 0
		for r.fhead < len(r.finished) && n < sweepBatch {
			j := r.finished[r.fhead]
			if j.ended.After(cutoff) {
				break
			}
			if r.jobs[j.id] == j { // not replaced by a newer job under the ID
				delete(r.jobs, j.id)
			}
			r.finished[r.fhead] = nil
			r.fhead++
			n++
		}
		more := n == sweepBatch
		if r.fhead == len(r.finished) {
			r.finished, r.fhead = r.finished[:0], 0
		} else if r.fhead > 4096 && r.fhead > len(r.finished)/2 {
			k := copy(r.finished, r.finished[r.fhead:])
			clear(r.finished[k:])
			r.finished, r.fhead = r.finished[:k], 0
		}
		r.mu.Unlock()
		if !more {
			return
		}
	}
}
