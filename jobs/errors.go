package jobs

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// Sentinel errors. Every error a Registry method returns wraps one of these, so
// callers branch with errors.Is; ConflictError and PanicError carry fields
// for errors.As.
var (
	// ErrJobConflict: a job with the submitted ID is queued or running with
	// a different key. The returned error is a *ConflictError.
	ErrJobConflict = errors.New("jobs: job ID in use by different work")
	// ErrQueueFull: every worker is busy and the queue holds QueueSize
	// executions already. Submit fails at once instead of waiting.
	ErrQueueFull = errors.New("jobs: queue full")
	// ErrClosed: Close has been called; the registry accepts no more work.
	ErrClosed = errors.New("jobs: registry closed")
	// ErrNotFound: no job with that ID is queued, running or retained.
	ErrNotFound = errors.New("jobs: job not found")
	// ErrInvalid: a malformed argument (an ID outside the allowed
	// alphabet, an empty key, a nil function, a negative weight).
	ErrInvalid = errors.New("jobs: invalid argument")
	// ErrOverBudget: the submitted weight exceeds Options.MemoryBudget, so
	// the job could never be admitted.
	ErrOverBudget = errors.New("jobs: weight exceeds memory budget")
	// ErrCanceled is the error of a job that ended in the Canceled state,
	// by Cancel or by Close (then the error matches ErrClosed too). It
	// wraps context.Canceled.
	ErrCanceled = fmt.Errorf("jobs: job canceled: %w", context.Canceled)
)

// ConflictError is returned by Submit when the ID names a job that is still
// queued or running with a different key. It matches ErrJobConflict.
type ConflictError struct {
	ID           string // the contested job ID
	Key          string // the key of the job in flight under ID
	SubmittedKey string // the key the refused submission carried
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("jobs: job %q is in flight with key %q, refused key %q", e.ID, e.Key, e.SubmittedKey)
}

// Unwrap makes errors.Is(err, ErrJobConflict) true.
func (e *ConflictError) Unwrap() error { return ErrJobConflict }

// PanicError is the error of a job whose work function panicked (or called
// runtime.Goexit). The registry recovers, fails every job sharing the
// execution with it, and keeps running.
type PanicError struct {
	Value any    // the value passed to panic; nil after runtime.Goexit
	Stack []byte // the panicking goroutine's stack
}

// Error implements error; it includes the panic value and the stack.
func (e *PanicError) Error() string {
	if e.Value == nil {
		return fmt.Sprintf("jobs: work function called runtime.Goexit\n%s", e.Stack)
	}
	return fmt.Sprintf("jobs: work function panicked: %v\n%s", e.Value, e.Stack)
}

// queueFullError is ErrQueueFull with the submission's context. It formats
// only when asked, so refusing work under overload stays cheap.
type queueFullError struct {
	id              string
	running, queued int
}

func (e *queueFullError) Error() string {
	return fmt.Sprintf("%v: job %q refused, %d running and %d queued", ErrQueueFull, e.id, e.running, e.queued)
}

func (e *queueFullError) Unwrap() error { return ErrQueueFull }

func newPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}
