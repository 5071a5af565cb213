package jobs

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

// checkEventOrder asserts the shape every subscription must have: states
// never go backwards, progress only comes while running and never goes
// backwards (when the work reports it monotonically), and exactly one
// terminal event, the last.
func checkEventOrder(t *testing.T, evs []Event[int], want State) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	if evs[0].Kind != StateEvent {
		t.Fatalf("first event is %v, want the state at subscription", evs[0].Kind)
	}
	last := evs[len(evs)-1]
	if last.Kind != StateEvent || last.Job.State != want {
		t.Fatalf("last event %v %v, want the terminal state %v", last.Kind, last.Job.State, want)
	}
	prevState, prevFrac := State(0), -1.0
	for i, ev := range evs {
		if ev.Job.State < prevState {
			t.Fatalf("event %d: state %v after %v", i, ev.Job.State, prevState)
		}
		if ev.Kind == StateEvent && ev.Job.State == prevState {
			t.Fatalf("event %d: state %v delivered twice", i, ev.Job.State)
		}
		if ev.Job.State.Terminal() && i != len(evs)-1 {
			t.Fatalf("event %d: terminal state before the end", i)
		}
		if ev.Kind == ProgressEvent && ev.Job.State != Running {
			t.Fatalf("event %d: progress while %v", i, ev.Job.State)
		}
		if ev.Job.Fraction < prevFrac {
			t.Fatalf("event %d: fraction %v after %v", i, ev.Job.Fraction, prevFrac)
		}
		prevState, prevFrac = ev.Job.State, ev.Job.Fraction
	}
}

// queueBehindBlocker occupies the only worker so the next job stays queued
// until release is closed.
func queueBehindBlocker(t *testing.T, r *Registry[int]) (release chan struct{}) {
	release = make(chan struct{})
	started := make(chan struct{}, 1)
	mustSubmit(t, r, "blocker", "blocker", gated(release, started, 0))
	recv(t, started, "the blocker to start")
	return release
}

func steps(n int, gate <-chan struct{}) Func[int] {
	return func(ctx context.Context, progress func(string, float64)) (int, error) {
		if gate != nil {
			<-gate
		}
		for i := 1; i <= n; i++ {
			progress("step", float64(i)/float64(n))
		}
		return n, nil
	}
}

func TestSubscriberGetsOrderedEventsEndingWithTerminal(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	release := queueBehindBlocker(t, r)
	mustSubmit(t, r, "job", "job", steps(200, nil))
	ch, unsubscribe, err := r.Subscribe("job")
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	// A second job's subscriber sees only that job.
	other := mustSubmit(t, r, "other", "other", steps(5, nil))
	otherCh, _, err := r.Subscribe(other.ID)
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan []Event[int])
	go func() {
		var evs []Event[int]
		for ev := range ch {
			evs = append(evs, ev)
		}
		done <- evs
	}()
	close(release)
	evs := <-done
	checkEventOrder(t, evs, Succeeded)
	if evs[0].Job.State != Queued || evs[1].Job.State != Running {
		t.Fatalf("first events %v, %v; want queued then running", evs[0].Job.State, evs[1].Job.State)
	}
	progress := 0
	for _, ev := range evs {
		if ev.Job.ID != "job" {
			t.Fatalf("event for job %q delivered to job's subscriber", ev.Job.ID)
		}
		if ev.Kind == ProgressEvent {
			progress++
		}
	}
	if progress == 0 {
		t.Fatal("no progress events reached an attentive subscriber")
	}
	if last := evs[len(evs)-1].Job; last.Result != 200 || last.Fraction != 1 {
		t.Fatalf("terminal event carries %d at %v, want the result 200 at 1", last.Result, last.Fraction)
	}

	var otherEvs []Event[int]
	for ev := range otherCh {
		if ev.Job.ID != "other" {
			t.Fatalf("event for %q on other's channel", ev.Job.ID)
		}
		otherEvs = append(otherEvs, ev)
	}
	checkEventOrder(t, otherEvs, Succeeded)
}

func TestStalledSubscriberDoesNotStallTheJob(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	release := queueBehindBlocker(t, r)
	const n = 20000
	mustSubmit(t, r, "job", "job", steps(n, nil))
	ch, unsubscribe, err := r.Subscribe("job") // never read until the job is over
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	close(release)
	if s := mustWait(t, r, "job"); s.State != Succeeded {
		t.Fatalf("job %v, want succeeded despite a stalled subscriber", s.State)
	}
	var evs []Event[int]
	for ev := range ch {
		evs = append(evs, ev)
	}
	checkEventOrder(t, evs, Succeeded)
	if len(evs) > subBuffer {
		t.Fatalf("%d events buffered, want at most %d (progress coalesced)", len(evs), subBuffer)
	}
	if evs[0].Job.State != Queued || evs[1].Job.State != Running {
		t.Fatalf("state events lost: first %v, %v", evs[0].Job.State, evs[1].Job.State)
	}
}

func TestStalledSubscriberStillGetsCancellation(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	started := make(chan struct{}, 1)
	mustSubmit(t, r, "job", "job", func(ctx context.Context, progress func(string, float64)) (int, error) {
		started <- struct{}{}
		for i := 0; ctx.Err() == nil; i++ {
			progress("spin", float64(i%1000)/1000)
			runtime.Gosched()
		}
		return 0, ctx.Err()
	})
	ch, _, err := r.Subscribe("job")
	if err != nil {
		t.Fatal(err)
	}
	recv(t, started, "the job to start")
	for { // fill the buffer while the subscriber is stalled
		r.mu.Lock()
		full := len(r.jobs["job"].subs) == 1 && len(r.jobs["job"].subs[0].ch) >= subBuffer-1
		r.mu.Unlock()
		if full {
			break
		}
		runtime.Gosched()
	}
	if err := r.Cancel("job"); err != nil {
		t.Fatal(err)
	}
	var last Event[int]
	for ev := range ch {
		last = ev
	}
	if last.Kind != StateEvent || last.Job.State != Canceled {
		t.Fatalf("last event %v %v, want canceled", last.Kind, last.Job.State)
	}
}

func TestSubscribeFinishedUnknownAndShared(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 2})
	mustSubmit(t, r, "done", "done", value(3))
	mustWait(t, r, "done")
	ch, unsubscribe, err := r.Subscribe("done")
	if err != nil {
		t.Fatal(err)
	}
	var evs []Event[int]
	for ev := range ch {
		evs = append(evs, ev)
	}
	unsubscribe()
	if len(evs) != 1 || evs[0].Job.State != Succeeded || evs[0].Job.Result != 3 {
		t.Fatalf("subscription to a finished job: %+v, want one terminal event", evs)
	}
	if _, _, err := r.Subscribe("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Subscribe to an unknown ID: %v, want ErrNotFound", err)
	}

	// Jobs sharing an execution each have their own subscribers; cancelling
	// one ends only its own stream.
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	mustSubmit(t, r, "a", "shared", gated(gate, started, 9))
	recv(t, started, "the shared execution to start")
	mustSubmit(t, r, "b", "shared", gated(gate, started, 9))
	chA, _, _ := r.Subscribe("a")
	chB, _, _ := r.Subscribe("b")
	if err := r.Cancel("a"); err != nil {
		t.Fatal(err)
	}
	var a []Event[int]
	for ev := range chA {
		a = append(a, ev)
	}
	checkEventOrder(t, a, Canceled)
	close(gate)
	var b []Event[int]
	for ev := range chB {
		if ev.Job.ID != "b" {
			t.Fatalf("b's subscriber got an event of %q", ev.Job.ID)
		}
		b = append(b, ev)
	}
	checkEventOrder(t, b, Succeeded)
}

func TestUnsubscribeFreesTheSubscription(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	release := queueBehindBlocker(t, r)
	mustSubmit(t, r, "job", "job", steps(10, nil))
	ch1, unsub1, _ := r.Subscribe("job")
	ch2, unsub2, _ := r.Subscribe("job")
	defer unsub2()
	unsub1()
	unsub1() // idempotent
	for range ch1 {
	}
	r.mu.Lock()
	n := len(r.jobs["job"].subs)
	r.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d subscriptions held after one of two unsubscribed, want 1", n)
	}
	close(release)
	var evs []Event[int]
	for ev := range ch2 {
		evs = append(evs, ev)
	}
	checkEventOrder(t, evs, Succeeded)
	r.mu.Lock()
	n = len(r.jobs["job"].subs)
	r.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d subscriptions held by a finished job, want 0", n)
	}
}

func TestManySubscribersLeaveNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	r := New[int](Options{Workers: 2})
	gate := make(chan struct{})
	mustSubmit(t, r, "job", "job", steps(100, gate))
	var chans []<-chan Event[int]
	for range 100 {
		ch, _, err := r.Subscribe("job")
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	close(gate)
	if err := r.Close(guardCtx(t)); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		var last Event[int]
		for ev := range ch {
			last = ev
		}
		if last.Job.State != Succeeded {
			t.Fatalf("a subscriber ended on %v", last.Job.State)
		}
	}
	checkGoroutines(t, before)
}
