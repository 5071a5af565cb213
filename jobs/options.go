package jobs

import (
	"fmt"
	"runtime"
	"time"
)

// Defaults applied where an Options field is zero.
const (
	DefaultQueueSize = 64
	DefaultRetain    = 24 * time.Hour
)

// Options configure a Registry. The zero value means the documented
// defaults.
type Options struct {
	// Workers is how many executions run at once. Zero or negative means
	// runtime.GOMAXPROCS(0) at New.
	Workers int
	// QueueSize is how many executions may wait, in FIFO order, for a
	// worker; beyond Workers+QueueSize, Submit fails with ErrQueueFull.
	// Zero means DefaultQueueSize; negative means no waiting room at all.
	QueueSize int
	// Retain is how long a finished job stays visible to Get, List, Wait
	// and Subscribe before the janitor drops it. Zero means DefaultRetain;
	// negative means finished jobs are dropped as they finish.
	Retain time.Duration
	// Clock supplies time for timestamps and the janitor. Nil means the
	// system clock. Tests inject a fake one.
	Clock Clock
	// MemoryBudget, when positive, turns on weighted admission: an
	// execution submitted WithWeight(w) starts only once w units of the
	// budget are free (golang.org/x/sync/semaphore, FIFO). Zero disables
	// it and weights are ignored.
	MemoryBudget int64
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.QueueSize == 0:
		o.QueueSize = DefaultQueueSize
	case o.QueueSize < 0:
		o.QueueSize = 0
	}
	if o.Retain == 0 {
		o.Retain = DefaultRetain
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.MemoryBudget < 0 {
		o.MemoryBudget = 0
	}
	return o
}

// sweepInterval is how often the janitor looks for expired records: an
// eighth of Retain, within [10ms, 1min]. A record therefore lives at most
// Retain plus one interval.
func sweepInterval(retain time.Duration) time.Duration {
	d := retain / 8
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	if d > time.Minute {
		d = time.Minute
	}
	return d
}

// SubmitOption adjusts one submission.
type SubmitOption func(*submitConfig)

type submitConfig struct {
	weight int64
	hook   any // a func(Snapshot[T]) from WithHook
}

// WithWeight declares what the execution costs against
// Options.MemoryBudget (for example its estimated peak memory in bytes).
// It has no effect when the registry has no budget, or when the submission
// joins an execution that already exists. A weight larger than the budget
// is refused with ErrOverBudget; a negative one with ErrInvalid.
func WithWeight(w int64) SubmitOption {
	return func(c *submitConfig) { c.weight = w }
}

// WithHook has the registry call hook with the job's snapshot after each change of its state:
// Queued (or Running, when it shares an execution already running) inside Submit, then
// Running, then its terminal state. Progress reports do not call it.
//
// The hook runs with the registry locked, before the change can be seen by Get, List, Wait or
// Subscribe, so a hook that persists the state (a manifest, a database row) has done so before
// anyone learns of the change, and the hooks of one job run one at a time, in order. It must
// therefore be quick, must not panic and must not call the registry.
//
// The hook belongs to the job the submission creates. A submission that joins a job already in
// flight under its ID does not add it, and a submission that is refused never calls it. A hook
// whose T is not the registry's result type makes Submit fail with ErrInvalid.
func WithHook[T any](hook func(Snapshot[T])) SubmitOption {
	return func(c *submitConfig) { c.hook = hook }
}

func (c *submitConfig) check(budget int64) error {
	if c.weight < 0 {
		return fmt.Errorf("%w: negative weight %d", ErrInvalid, c.weight)
	}
	if budget > 0 && c.weight > budget {
		return fmt.Errorf("%w: weight %d, budget %d", ErrOverBudget, c.weight, budget)
	}
	return nil
}

// Clock is the registry's source of time. The janitor runs on its tickers.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker is what Clock.NewTicker returns: a channel of ticks, and Stop.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTicker(d time.Duration) Ticker { return systemTicker{time.NewTicker(d)} }

type systemTicker struct{ t *time.Ticker }

func (t systemTicker) C() <-chan time.Time { return t.t.C }
func (t systemTicker) Stop()               { t.t.Stop() }
