package jobs

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// hookLog records what a hook saw. Hooks run with the registry locked, so the test only reads
// it once the registry has announced the change some other way.
type hookLog[T any] struct {
	mu    sync.Mutex
	snaps []Snapshot[T]
}

func (l *hookLog[T]) hook(s Snapshot[T]) {
	l.mu.Lock()
	l.snaps = append(l.snaps, s)
	l.mu.Unlock()
}

func (l *hookLog[T]) states() []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []State
	for _, s := range l.snaps {
		out = append(out, s.State)
	}
	return out
}

func (l *hookLog[T]) last() Snapshot[T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snaps[len(l.snaps)-1]
}

// TestHookBeforeObservers checks that the hook sees Queued before Submit returns, Running
// before the work starts, and the terminal state, with its result, before Wait returns and
// before the subscriber's terminal event.
func TestHookBeforeObservers(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	var log hookLog[int]
	gate, started := make(chan struct{}), make(chan struct{}, 1)
	mustSubmit(t, r, "a", "k", func(ctx context.Context, p func(string, float64)) (int, error) {
		if got := log.states(); !slices.Equal(got, []State{Queued, Running}) {
			t.Errorf("the work started after hooks %v, want [queued running]", got)
		}
		return gated(gate, started, 42)(ctx, p)
	}, WithHook(log.hook))
	if got := log.states(); len(got) < 1 || got[0] != Queued {
		t.Fatalf("after Submit the hook saw %v, want queued first", got)
	}
	events, unsubscribe, err := r.Subscribe("a")
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	recv(t, started, "start")
	close(gate)
	for ev := range events {
		if ev.Job.State.Terminal() {
			if got := log.states(); !slices.Contains(got, Succeeded) {
				t.Errorf("terminal event delivered before the hook saw it: %v", got)
			}
		}
	}
	s := mustWait(t, r, "a")
	if got := log.states(); !slices.Equal(got, []State{Queued, Running, Succeeded}) {
		t.Fatalf("hook saw %v, want [queued running succeeded]", got)
	}
	last := log.last()
	if last.ID != "a" || last.Result != 42 || last.Fraction != 1 || last.Ended.IsZero() || !last.Ended.Equal(s.Ended) {
		t.Errorf("terminal hook snapshot %+v, Wait's %+v", last, s)
	}
}

// TestHookFailedAndCanceled checks the terminal states other than success: a failed job's hook
// gets its error, and a cancelled job's hook has run when Cancel returns.
func TestHookFailedAndCanceled(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 2})
	boom := errors.New("boom")
	var failed, canceled hookLog[int]
	mustSubmit(t, r, "f", "fail", func(context.Context, func(string, float64)) (int, error) { return 0, boom }, WithHook(failed.hook))
	mustWait(t, r, "f")
	if got := failed.states(); !slices.Equal(got, []State{Queued, Running, Failed}) || !errors.Is(failed.last().Err, boom) {
		t.Errorf("failed job's hook saw %v, last err %v", got, failed.last().Err)
	}

	gate := make(chan struct{})
	defer close(gate)
	started := make(chan struct{}, 1)
	mustSubmit(t, r, "c", "cancel", gated(gate, started, 1), WithHook(canceled.hook))
	recv(t, started, "start")
	if err := r.Cancel("c"); err != nil {
		t.Fatal(err)
	}
	if got := canceled.states(); !slices.Equal(got, []State{Queued, Running, Canceled}) || !errors.Is(canceled.last().Err, ErrCanceled) {
		t.Errorf("cancelled job's hook saw %v, last err %v", got, canceled.last().Err)
	}
	if errors.Is(canceled.last().Err, ErrClosed) {
		t.Error("a job cancelled by Cancel matches ErrClosed")
	}
}

// TestHookOwnJobOnly checks that a hook belongs to the job its submission created: a sharer's
// hook sees its own ID, a joining or refused submission's hook is never called, and the
// original hook stays.
func TestHookOwnJobOnly(t *testing.T) {
	r := newTestRegistry[string](t, Options{Workers: 1})
	gate, started := make(chan struct{}), make(chan struct{}, 1)
	var a, b, joined, refused hookLog[string]
	mustSubmit(t, r, "a", "k", gated(gate, started, "v"), WithHook(a.hook))
	recv(t, started, "start")
	mustSubmit(t, r, "b", "k", gated(gate, nil, "unused"), WithHook(b.hook))      // shares a's execution
	mustSubmit(t, r, "a", "k", gated(gate, nil, "unused"), WithHook(joined.hook)) // joins a
	if _, err := r.Submit("a", "other", value("x"), WithHook(refused.hook)); !errors.Is(err, ErrJobConflict) {
		t.Fatalf("conflicting submission: %v", err)
	}
	close(gate)
	mustWait(t, r, "a")
	mustWait(t, r, "b")
	if got := a.states(); !slices.Equal(got, []State{Queued, Running, Succeeded}) {
		t.Errorf("a's hook saw %v", got)
	}
	if got := b.states(); !slices.Equal(got, []State{Running, Succeeded}) || b.last().ID != "b" || b.last().Result != "v" {
		t.Errorf("b's hook saw %v, last %+v", got, b.last())
	}
	if len(joined.states()) != 0 || len(refused.states()) != 0 {
		t.Errorf("hooks of a joining (%v) or refused (%v) submission were called", joined.states(), refused.states())
	}
}

// TestHookClose checks that jobs Close cancels reach their hooks with an error matching both
// ErrCanceled and ErrClosed, before Close returns.
func TestHookClose(t *testing.T) {
	r := New[int](Options{Workers: 1})
	gate := make(chan struct{})
	defer close(gate)
	started := make(chan struct{}, 1)
	var running, queued hookLog[int]
	mustSubmit(t, r, "run", "k1", gated(gate, started, 1), WithHook(running.hook))
	recv(t, started, "start")
	mustSubmit(t, r, "wait", "k2", gated(gate, nil, 2), WithHook(queued.hook))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // give up at once: both jobs are cancelled
	if err := r.Close(ctx); err == nil {
		t.Fatal("Close with a done context and jobs in flight returned nil")
	}
	for name, l := range map[string]*hookLog[int]{"running": &running, "queued": &queued} {
		got := l.states()
		if len(got) == 0 || got[len(got)-1] != Canceled {
			t.Errorf("%s job's hook saw %v", name, got)
			continue
		}
		if err := l.last().Err; !errors.Is(err, ErrCanceled) || !errors.Is(err, ErrClosed) {
			t.Errorf("%s job's error %v: want ErrCanceled and ErrClosed", name, err)
		}
	}
	if got := queued.states(); !slices.Equal(got, []State{Queued, Canceled}) {
		t.Errorf("queued job's hook saw %v", got)
	}
}

func TestHookWrongType(t *testing.T) {
	r := newTestRegistry[int](t, Options{})
	_, err := r.Submit("a", "k", value(1), WithHook(func(Snapshot[string]) {}))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("hook of another result type: %v, want ErrInvalid", err)
	}
	if _, err := r.Get("a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("refused submission left a job: %v", err)
	}
}
