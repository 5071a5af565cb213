package jobs

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// guard bounds how long a test waits for something that must happen; it
// only turns a hang into a failure and is never a timing assertion.
const guard = 20 * time.Second

func guardCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

// newTestRegistry returns a registry that is closed when the test ends.
func newTestRegistry[T any](t testing.TB, opt Options) *Registry[T] {
	r := New[T](opt)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		_ = r.Close(ctx)
	})
	return r
}

// gated returns work that reports started (once) and then waits for gate
// or for its context, returning v or the context's error.
func gated[T any](gate <-chan struct{}, started chan<- struct{}, v T) Func[T] {
	return func(ctx context.Context, _ func(string, float64)) (T, error) {
		if started != nil {
			started <- struct{}{}
		}
		select {
		case <-gate:
			return v, nil
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

func value[T any](v T) Func[T] {
	return func(context.Context, func(string, float64)) (T, error) { return v, nil }
}

func mustSubmit[T any](t testing.TB, r *Registry[T], id, key string, fn Func[T], opts ...SubmitOption) Snapshot[T] {
	t.Helper()
	s, err := r.Submit(id, key, fn, opts...)
	if err != nil {
		t.Fatalf("Submit(%q, %q): %v", id, key, err)
	}
	return s
}

func mustWait[T any](t testing.TB, r *Registry[T], id string) Snapshot[T] {
	t.Helper()
	s, err := r.Wait(guardCtx(t), id)
	if err != nil {
		t.Fatalf("Wait(%q): %v", id, err)
	}
	return s
}

func recv(t testing.TB, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// checkGoroutines fails unless the goroutine count returns to at most
// before. A goroutine that has signalled its exit may still be counted for
// a moment, hence the polling.
func checkGoroutines(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
}

type fakeTicker struct {
	c       chan time.Time
	d       time.Duration
	next    time.Time
	stopped bool
	clock   *fakeClock
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTicker(d time.Duration) Ticker {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTicker{c: make(chan time.Time, 1), d: d, next: c.now.Add(d), clock: c}
	c.tickers = append(c.tickers, t)
	return t
}

// Advance moves the clock and fires the tickers that came due, dropping
// ticks a slow reader has not taken, as time.Ticker does.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.tickers {
		for !t.stopped && !t.next.After(c.now) {
			select {
			case t.c <- c.now:
			default:
			}
			t.next = t.next.Add(t.d)
		}
	}
}

func (t *fakeTicker) C() <-chan time.Time { return t.c }

func (t *fakeTicker) Stop() {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	t.stopped = true
}
