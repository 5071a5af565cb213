package jobs

import (
	"context"
	"errors"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDuplicateIDConflictJoinAndReuse(t *testing.T) {
	r := newTestRegistry[string](t, Options{Workers: 1})
	gate := make(chan struct{})
	first := mustSubmit(t, r, "a", "k1", gated(gate, nil, "one"))

	_, err := r.Submit("a", "k2", value("two"))
	if !errors.Is(err, ErrJobConflict) {
		t.Fatalf("different key under an in-flight ID: err = %v, want ErrJobConflict", err)
	}
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.ID != "a" || ce.Key != "k1" || ce.SubmittedKey != "k2" {
		t.Fatalf("conflict error = %#v, want ID a, Key k1, SubmittedKey k2", ce)
	}
	if msg := err.Error(); !strings.Contains(msg, `"a"`) || !strings.Contains(msg, "k2") {
		t.Fatalf("conflict message %q does not name the ID and key", msg)
	}

	var joinRan atomic.Bool
	joined, err := r.Submit("a", "k1", func(context.Context, func(string, float64)) (string, error) {
		joinRan.Store(true)
		return "joined", nil
	})
	if err != nil {
		t.Fatalf("same key under an in-flight ID: %v, want a join", err)
	}
	if joined.ID != "a" || !joined.Created.Equal(first.Created) || joined.Key != "k1" {
		t.Fatalf("join returned %+v, want the existing job %+v", joined, first)
	}

	close(gate)
	if s := mustWait(t, r, "a"); s.State != Succeeded || s.Result != "one" {
		t.Fatalf("first run: %v %q, want succeeded \"one\"", s.State, s.Result)
	}
	if joinRan.Load() {
		t.Fatal("the joining submission's function ran; a join must not start work")
	}

	// The ID is free once the job has ended; the new run replaces the record.
	mustSubmit(t, r, "a", "k2", value("two"))
	if s := mustWait(t, r, "a"); s.State != Succeeded || s.Result != "two" || s.Key != "k2" {
		t.Fatalf("reused ID: %+v, want succeeded \"two\" with key k2", s)
	}
	st := r.Stats()
	if st.Submitted != 2 || st.Joined != 1 || st.Conflicts != 1 || st.Succeeded != 2 {
		t.Fatalf("stats %+v, want Submitted 2, Joined 1, Conflicts 1, Succeeded 2", st)
	}
	if got := len(r.List()); got != 1 {
		t.Fatalf("List has %d jobs after reuse, want 1 (the record is replaced)", got)
	}
}

func TestEqualKeysShareOneExecution(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 4})
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	var runs atomic.Int32
	fn := func(ctx context.Context, p func(string, float64)) (int, error) {
		runs.Add(1)
		return gated(gate, started, 42)(ctx, p)
	}
	for _, id := range []string{"x", "y", "z"} {
		mustSubmit(t, r, id, "same", fn)
	}
	recv(t, started, "the shared execution to start")
	// A job arriving while the execution runs joins it, already running.
	late := mustSubmit(t, r, "late", "same", fn)
	if late.State != Running || late.Started.IsZero() {
		t.Fatalf("job joining a running execution: %v, started %v; want running", late.State, late.Started)
	}
	if st := r.Stats(); st.Running != 4 || st.Queued != 0 {
		t.Fatalf("stats %+v, want 4 running jobs on one execution", st)
	}
	close(gate)
	for _, id := range []string{"x", "y", "z", "late"} {
		if s := mustWait(t, r, id); s.State != Succeeded || s.Result != 42 {
			t.Fatalf("%s: %v %d, want succeeded 42", id, s.State, s.Result)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("work ran %d times for one key, want 1", n)
	}
	// The sharing scope is "while queued or running": afterwards the key runs anew.
	mustSubmit(t, r, "again", "same", fn)
	mustWait(t, r, "again")
	if n := runs.Load(); n != 2 {
		t.Fatalf("work ran %d times after the first execution ended, want 2", n)
	}
}

func TestSharedExecutionCancelledOnlyWhenAllJobsAre(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 2})
	ctxs := make(chan context.Context, 1)
	exited := make(chan error, 1)
	fn := func(ctx context.Context, _ func(string, float64)) (int, error) {
		ctxs <- ctx
		<-ctx.Done()
		exited <- ctx.Err()
		return 0, ctx.Err()
	}
	mustSubmit(t, r, "a", "k", fn)
	mustSubmit(t, r, "b", "k", fn)
	var ctx context.Context
	select {
	case ctx = <-ctxs:
	case <-time.After(guard):
		t.Fatal("work did not start")
	}

	if err := r.Cancel("a"); err != nil {
		t.Fatal(err)
	}
	a := mustWait(t, r, "a")
	if a.State != Canceled || !errors.Is(a.Err, ErrCanceled) || !errors.Is(a.Err, context.Canceled) {
		t.Fatalf("cancelled job: %v, err %v; want canceled wrapping ErrCanceled and context.Canceled", a.State, a.Err)
	}
	if ctx.Err() != nil {
		t.Fatal("execution context cancelled while job b still needs it")
	}
	if s, _ := r.Get("b"); s.State != Running {
		t.Fatalf("job b is %v after cancelling a, want running", s.State)
	}

	if err := r.Cancel("b"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(guard):
		t.Fatal("execution context not cancelled after every job sharing it was")
	}
	<-exited
	if s := mustWait(t, r, "b"); s.State != Canceled {
		t.Fatalf("job b: %v, want canceled", s.State)
	}
	if err := r.Cancel("b"); err != nil {
		t.Fatalf("cancelling a finished job: %v, want nil", err)
	}
	if err := r.Cancel("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancelling an unknown job: %v, want ErrNotFound", err)
	}
	st := r.Stats()
	if st.Canceled != 2 || st.Running != 0 || st.Failed != 0 {
		t.Fatalf("stats %+v, want 2 canceled and nothing failed", st)
	}
}

func TestCancelQueuedJobNeverRuns(t *testing.T) {
	r := newTestRegistry[string](t, Options{Workers: 1})
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	mustSubmit(t, r, "blocker", "b", gated(gate, started, "b"))
	recv(t, started, "the blocker to start")

	var ran, sharedRan atomic.Int32
	mustSubmit(t, r, "q", "q", func(context.Context, func(string, float64)) (string, error) {
		ran.Add(1)
		return "q", nil
	})
	shared := func(context.Context, func(string, float64)) (string, error) {
		sharedRan.Add(1)
		return "s", nil
	}
	mustSubmit(t, r, "s1", "s", shared)
	mustSubmit(t, r, "s2", "s", shared)
	mustSubmit(t, r, "after", "after", value("after"))

	if err := r.Cancel("q"); err != nil {
		t.Fatal(err)
	}
	if err := r.Cancel("s1"); err != nil {
		t.Fatal(err)
	}
	if s, _ := r.Get("q"); s.State != Canceled || !s.Started.IsZero() {
		t.Fatalf("cancelled queued job: %v, started %v; want canceled, never started", s.State, s.Started)
	}
	if st := r.Stats(); st.Queued != 2 || st.Canceled != 2 {
		t.Fatalf("stats %+v, want 2 queued (s2, after), 2 canceled", st)
	}
	close(gate)
	mustWait(t, r, "after") // FIFO: q and s were ahead of it
	if n := ran.Load(); n != 0 {
		t.Fatalf("cancelled queued job ran %d times", n)
	}
	if s := mustWait(t, r, "s2"); s.State != Succeeded || sharedRan.Load() != 1 {
		t.Fatalf("s2: %v after %d runs; the queued execution must still run once for it", s.State, sharedRan.Load())
	}
	if s, _ := r.Get("s1"); s.State != Canceled {
		t.Fatalf("s1: %v, want canceled even though its execution ran", s.State)
	}
}

func TestQueueFullFailsAtOnce(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1, QueueSize: 2})
	gate := make(chan struct{})
	for i, key := range []string{"k0", "k1", "k2"} {
		mustSubmit(t, r, key, key, gated(gate, nil, i))
	}
	_, err := r.Submit("k3", "k3", value(3))
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("fourth execution with 1 worker and queue 2: %v, want ErrQueueFull", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "queue full") || !strings.Contains(msg, `"k3"`) {
		t.Fatalf("queue-full message %q does not say what was refused", msg)
	}
	// Sharing an execution in flight takes no slot.
	if _, err := r.Submit("also-k2", "k2", value(9)); err != nil {
		t.Fatalf("job sharing a queued execution: %v, want accepted", err)
	}
	if _, err := r.Get("k3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused job is visible: %v", err)
	}
	if st := r.Stats(); st.Rejected != 1 || st.Submitted != 4 {
		t.Fatalf("stats %+v, want Rejected 1, Submitted 4", st)
	}
	close(gate)
	if s := mustWait(t, r, "also-k2"); s.Result != 2 {
		t.Fatalf("also-k2 got %d, want the shared result 2", s.Result)
	}
	mustWait(t, r, "k0")
	mustWait(t, r, "k1")
	mustSubmit(t, r, "k3", "k3", value(3))
	mustWait(t, r, "k3")

	// A negative QueueSize leaves no waiting room.
	r0 := newTestRegistry[int](t, Options{Workers: 1, QueueSize: -1})
	gate0 := make(chan struct{})
	defer close(gate0)
	mustSubmit(t, r0, "a", "a", gated(gate0, nil, 1))
	if _, err := r0.Submit("b", "b", value(2)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("no queue, one worker busy: %v, want ErrQueueFull", err)
	}
}

func TestCancelRunningReachesContext(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	started := make(chan struct{}, 1)
	exited := make(chan error, 1)
	mustSubmit(t, r, "run", "k", func(ctx context.Context, _ func(string, float64)) (int, error) {
		started <- struct{}{}
		<-ctx.Done()
		exited <- ctx.Err()
		return 0, ctx.Err()
	})
	recv(t, started, "the job to start")
	if err := r.Cancel("run"); err != nil {
		t.Fatal(err)
	}
	// The job is terminal as soon as Cancel returns.
	if s, _ := r.Get("run"); s.State != Canceled || s.Ended.IsZero() {
		t.Fatalf("after Cancel: %v, ended %v; want canceled", s.State, s.Ended)
	}
	select {
	case err := <-exited:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("work saw %v, want context.Canceled", err)
		}
	case <-time.After(guard):
		t.Fatal("cancellation never reached the work's context")
	}
	// The ID and key are free again at once.
	mustSubmit(t, r, "run", "k", value(7))
	if s := mustWait(t, r, "run"); s.Result != 7 {
		t.Fatalf("resubmitted job got %d, want 7", s.Result)
	}
}

func TestPanickingWorkFailsJobRegistryLives(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	mustSubmit(t, r, "boom", "boom", func(context.Context, func(string, float64)) (int, error) {
		panic("kaboom")
	})
	s := mustWait(t, r, "boom")
	var pe *PanicError
	if s.State != Failed || !errors.As(s.Err, &pe) {
		t.Fatalf("panicking job: %v, err %v; want failed with *PanicError", s.State, s.Err)
	}
	if pe.Value != "kaboom" || !strings.Contains(pe.Error(), "kaboom") || !strings.Contains(string(pe.Stack), "TestPanickingWorkFailsJobRegistryLives") {
		t.Fatalf("panic error lacks value or stack: %v", pe)
	}

	// runtime.Goexit (t.FailNow inside work, say) kills the worker
	// goroutine; the registry fails the job and replaces the worker.
	mustSubmit(t, r, "exit", "exit", func(context.Context, func(string, float64)) (int, error) {
		runtime.Goexit()
		return 0, nil
	})
	if s := mustWait(t, r, "exit"); s.State != Failed || !errors.As(s.Err, &pe) || pe.Value != nil {
		t.Fatalf("Goexit job: %v, err %v; want failed with a nil-valued *PanicError", s.State, s.Err)
	}
	mustSubmit(t, r, "ok", "ok", value(1))
	if s := mustWait(t, r, "ok"); s.State != Succeeded || s.Result != 1 {
		t.Fatalf("job after a panic: %v %d, want succeeded 1", s.State, s.Result)
	}
	if st := r.Stats(); st.Failed != 2 || st.Succeeded != 1 {
		t.Fatalf("stats %+v, want 2 failed, 1 succeeded", st)
	}
}

func TestWorkErrorFailsJob(t *testing.T) {
	r := newTestRegistry[int](t, Options{})
	errBad := errors.New("bad input")
	mustSubmit(t, r, "e", "e", func(context.Context, func(string, float64)) (int, error) {
		return 0, errBad
	})
	if s := mustWait(t, r, "e"); s.State != Failed || !errors.Is(s.Err, errBad) {
		t.Fatalf("%v %v, want failed with the work's error", s.State, s.Err)
	}
}

func TestCloseDrainsQueuedAndRunningJobs(t *testing.T) {
	before := runtime.NumGoroutine()
	r := New[int](Options{Workers: 2, QueueSize: 10})
	gate := make(chan struct{})
	for i := range 8 {
		id := string(rune('a' + i))
		mustSubmit(t, r, id, id, gated(gate, nil, i))
	}
	ch, unsubscribe, err := r.Subscribe("h")
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()

	closed := make(chan error, 1)
	go func() { closed <- r.Close(guardCtx(t)) }()
	// Close refuses new work at once, while the old work is still waiting.
	for {
		_, err := r.Submit("late", "late", value(0))
		if errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			t.Fatalf("submit during Close: %v", err)
		}
		runtime.Gosched() // Close has not begun yet
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v before queued jobs finished", err)
	default:
	}
	close(gate)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v, want nil after a full drain", err)
	}
	for _, s := range r.List() {
		if s.State != Succeeded {
			t.Fatalf("job %s: %v after a drain, want succeeded", s.ID, s.State)
		}
	}
	var last Event[int]
	for ev := range ch {
		last = ev
	}
	if last.Job.State != Succeeded {
		t.Fatalf("subscriber's last event %v, want succeeded", last.Job.State)
	}
	if _, err := r.Submit("x", "x", value(0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close: %v, want ErrClosed", err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v, want the first one's nil", err)
	}
	checkGoroutines(t, before)
}

func TestCloseCancelsWhatIsLeftWhenContextEnds(t *testing.T) {
	before := runtime.NumGoroutine()
	r := New[int](Options{Workers: 1, MemoryBudget: 10})
	started := make(chan struct{}, 1)
	mustSubmit(t, r, "running", "r", gated(nil, started, 1), WithWeight(6)) // nil gate: waits for ctx
	recv(t, started, "the first job to start")
	var ran atomic.Int32
	mustSubmit(t, r, "queued", "q", func(context.Context, func(string, float64)) (int, error) {
		ran.Add(1)
		return 2, nil
	}, WithWeight(6))
	ch, _, err := r.Subscribe("queued")
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = r.Close(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Close with an ended context: %v, want context.Canceled", err)
	}
	for _, id := range []string{"running", "queued"} {
		s, _ := r.Get(id)
		if s.State != Canceled || !errors.Is(s.Err, ErrCanceled) {
			t.Fatalf("%s after a forced Close: %v %v, want canceled", id, s.State, s.Err)
		}
	}
	if ran.Load() != 0 {
		t.Fatal("queued job ran although Close cancelled it")
	}
	var states []State
	for ev := range ch {
		states = append(states, ev.Job.State)
	}
	if len(states) != 2 || states[0] != Queued || states[1] != Canceled {
		t.Fatalf("subscriber saw %v, want [queued canceled]", states)
	}
	if err2 := r.Close(context.Background()); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("second Close: %v, want the first one's %v", err2, err)
	}
	checkGoroutines(t, before)
}

func TestWaitHonoursContext(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	gate := make(chan struct{})
	defer close(gate)
	mustSubmit(t, r, "w", "w", gated(gate, nil, 1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := r.Wait(ctx, "w")
	if !errors.Is(err, context.Canceled) || s.ID != "w" || s.State.Terminal() {
		t.Fatalf("Wait with an ended context: %+v, %v; want the live snapshot and context.Canceled", s, err)
	}
	if _, err := r.Wait(context.Background(), "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Wait on an unknown ID: %v, want ErrNotFound", err)
	}
	if _, err := r.Get("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on an unknown ID: %v, want ErrNotFound", err)
	}
}

func TestGeneratedIDs(t *testing.T) {
	r := newTestRegistry[int](t, Options{})
	seen := map[string]bool{}
	for range 200 {
		s := mustSubmit(t, r, "", "k", value(1))
		if len(s.ID) != 22 || checkID(s.ID) != nil {
			t.Fatalf("generated ID %q: want 22 URL-safe characters", s.ID)
		}
		if seen[s.ID] {
			t.Fatalf("generated ID %q twice", s.ID)
		}
		seen[s.ID] = true
	}
}

func TestInvalidSubmissions(t *testing.T) {
	r := newTestRegistry[int](t, Options{MemoryBudget: 100})
	long := strings.Repeat("a", MaxIDLen+1)
	for _, tc := range []struct {
		name, id, key string
		fn            Func[int]
		opts          []SubmitOption
		want          error
	}{
		{"empty key", "a", "", value(1), nil, ErrInvalid},
		{"nil func", "a", "k", nil, nil, ErrInvalid},
		{"slash in ID", "a/b", "k", value(1), nil, ErrInvalid},
		{"space in ID", "a b", "k", value(1), nil, ErrInvalid},
		{"non-ASCII ID", "é", "k", value(1), nil, ErrInvalid},
		{"long ID", long, "k", value(1), nil, ErrInvalid},
		{"negative weight", "a", "k", value(1), []SubmitOption{WithWeight(-1)}, ErrInvalid},
		{"over budget", "a", "k", value(1), []SubmitOption{WithWeight(101)}, ErrOverBudget},
	} {
		if _, err := r.Submit(tc.id, tc.key, tc.fn, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if st := r.Stats(); st.Submitted != 0 {
		t.Fatalf("invalid submissions created %d jobs", st.Submitted)
	}
	mustSubmit(t, r, strings.Repeat("Az09-._~", MaxIDLen/8), "k", value(1))
}

func TestWeightedAdmissionStaysWithinBudget(t *testing.T) {
	const budget = 10
	r := newTestRegistry[int](t, Options{Workers: 4, MemoryBudget: budget})
	var inUse, peak atomic.Int64
	var mu sync.Mutex
	work := func(w int64) Func[int] {
		return func(context.Context, func(string, float64)) (int, error) {
			n := inUse.Add(w)
			mu.Lock()
			if n > peak.Load() {
				peak.Store(n)
			}
			mu.Unlock()
			time.Sleep(time.Millisecond) // let the others try to overlap
			inUse.Add(-w)
			return int(w), nil
		}
	}
	weights := []int64{6, 6, 3, 4, 7, 1, 10, 2}
	for i, w := range weights {
		id := string(rune('a' + i))
		mustSubmit(t, r, id, id, work(w), WithWeight(w))
	}
	for i, w := range weights {
		if s := mustWait(t, r, string(rune('a'+i))); s.State != Succeeded || s.Result != int(w) {
			t.Fatalf("job %d: %v %d", i, s.State, s.Result)
		}
	}
	if p := peak.Load(); p > budget {
		t.Fatalf("peak weight in use %d exceeds budget %d", p, budget)
	}

	// A job waiting for budget is still queued, and cancelling it means it never runs.
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	mustSubmit(t, r, "big", "big", gated(gate, started, 0), WithWeight(budget))
	recv(t, started, "the heavy job to start")
	var ran atomic.Bool
	mustSubmit(t, r, "waiting", "waiting", func(context.Context, func(string, float64)) (int, error) {
		ran.Store(true)
		return 0, nil
	}, WithWeight(1))
	for { // until a worker has taken it from the FIFO and waits for budget
		r.mu.Lock()
		taken := r.nq == 0 && r.busy == 2
		r.mu.Unlock()
		if taken {
			break
		}
		runtime.Gosched()
	}
	if s, _ := r.Get("waiting"); s.State != Queued {
		t.Fatalf("job waiting for budget is %v, want queued", s.State)
	}
	if err := r.Cancel("waiting"); err != nil {
		t.Fatal(err)
	}
	close(gate)
	mustWait(t, r, "big")
	mustSubmit(t, r, "probe", "probe", value(1), WithWeight(budget))
	mustWait(t, r, "probe")
	if ran.Load() {
		t.Fatal("job cancelled while waiting for budget ran")
	}
	if st := r.Stats(); st.Running != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v, want nothing in flight", st)
	}
}

func TestListIsOrderedByCreationThenID(t *testing.T) {
	clock := newFakeClock()
	r := newTestRegistry[int](t, Options{Clock: clock})
	for _, id := range []string{"c", "a", "b"} { // same instant: ordered by ID
		mustSubmit(t, r, id, id, value(0))
	}
	clock.Advance(time.Second)
	mustSubmit(t, r, "0-later", "z", value(0))
	var got []string
	for _, s := range r.List() {
		got = append(got, s.ID)
	}
	if want := "a b c 0-later"; strings.Join(got, " ") != want {
		t.Fatalf("List order %v, want %s", got, want)
	}
}

func TestProgressIsClampedAndIgnoredAfterReturn(t *testing.T) {
	r := newTestRegistry[int](t, Options{})
	report := make(chan func(string, float64), 1)
	seen := make(chan [3]float64, 1)
	mustSubmit(t, r, "p", "p", func(ctx context.Context, p func(string, float64)) (int, error) {
		var got [3]float64
		for i, f := range []float64{math.NaN(), -3, 7} {
			p("stage", f)
			s, _ := r.Get("p")
			got[i] = s.Fraction
		}
		p("last", 0.5)
		seen <- got
		report <- p
		return 1, nil
	})
	if got := <-seen; got != [3]float64{0, 0, 1} {
		t.Fatalf("fractions after NaN, -3, 7: %v, want [0 0 1]", got)
	}
	s := mustWait(t, r, "p")
	if s.Stage != "last" || s.Fraction != 1 {
		t.Fatalf("succeeded job shows %q %v, want the last stage and fraction 1", s.Stage, s.Fraction)
	}
	(<-report)("too late", 0.1)
	if s2, _ := r.Get("p"); s2.Stage != "last" || s2.Fraction != 1 {
		t.Fatalf("progress after return changed the job to %q %v", s2.Stage, s2.Fraction)
	}
}

func TestRetentionDropsFinishedJobs(t *testing.T) {
	clock := newFakeClock()
	r := newTestRegistry[int](t, Options{Clock: clock, Retain: time.Hour})
	mustSubmit(t, r, "old", "k", value(1))
	mustWait(t, r, "old")
	mustSubmit(t, r, "reused", "k", value(1))
	mustWait(t, r, "reused")
	clock.Advance(30 * time.Minute)
	mustSubmit(t, r, "reused", "k", value(2)) // replaces the record
	mustWait(t, r, "reused")

	clock.Advance(29 * time.Minute)
	r.sweep()
	if _, err := r.Get("old"); err != nil {
		t.Fatalf("job dropped before Retain elapsed: %v", err)
	}
	clock.Advance(2 * time.Minute)
	r.sweep()
	if _, err := r.Get("old"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("job kept after Retain: %v", err)
	}
	if s, err := r.Get("reused"); err != nil || s.Result != 2 {
		t.Fatalf("the newer record under a reused ID was dropped with the old one: %v %v", s, err)
	}
	if st := r.Stats(); st.Retained != 1 {
		t.Fatalf("Retained %d, want 1", st.Retained)
	}

	// The janitor does the same on its own, on the injected clock's ticks.
	clock.Advance(time.Hour)
	deadline := time.Now().Add(guard)
	for {
		if _, err := r.Get("reused"); errors.Is(err, ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the janitor never dropped an expired job")
		}
		clock.Advance(time.Minute)
		time.Sleep(time.Millisecond)
	}
	r.mu.Lock()
	n := len(r.finished) - r.fhead
	r.mu.Unlock()
	if n != 0 {
		t.Fatalf("janitor left %d expired records queued", n)
	}
}

func TestNegativeRetainDropsAtFinish(t *testing.T) {
	r := newTestRegistry[int](t, Options{Retain: -1})
	gate := make(chan struct{})
	mustSubmit(t, r, "j", "j", gated(gate, nil, 5))
	waited := make(chan Snapshot[int], 1)
	go func() {
		s, _ := r.Wait(context.Background(), "j")
		waited <- s
	}()
	for {
		r.mu.Lock()
		n := 0
		if j := r.jobs["j"]; j != nil && j.done != nil {
			n = 1
		}
		r.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	close(gate)
	if s := <-waited; s.State != Succeeded || s.Result != 5 {
		t.Fatalf("waiter got %v %d, want succeeded 5", s.State, s.Result)
	}
	if _, err := r.Get("j"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("finished job retained with Retain < 0: %v", err)
	}
}

func TestStateNames(t *testing.T) {
	for s, want := range map[State]string{Queued: "queued", Running: "running", Succeeded: "succeeded", Failed: "failed", Canceled: "canceled", 0: "unknown", 9: "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", s, got, want)
		}
	}
	if b, _ := Canceled.MarshalText(); string(b) != "canceled" {
		t.Errorf("MarshalText = %q", b)
	}
	if StateEvent.String() != "state" || ProgressEvent.String() != "progress" || EventKind(0).String() != "EventKind(0)" {
		t.Error("EventKind names are wrong")
	}
	if Running.Terminal() || !Failed.Terminal() {
		t.Error("Terminal is wrong")
	}
}

func TestCancelledSharersAreForgotten(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 1})
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	mustSubmit(t, r, "keeper", "hot", gated(gate, started, 1))
	recv(t, started, "the hot execution to start")
	for i := range 1000 {
		id := "c" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		if _, err := r.Submit(id, "hot", value(0)); err != nil {
			t.Fatal(err)
		}
		if err := r.Cancel(id); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.Lock()
	n := len(r.execs["hot"].jobs)
	r.mu.Unlock()
	if n > 10 {
		t.Fatalf("execution holds %d jobs for 1 live sharer", n)
	}
	close(gate)
	if s := mustWait(t, r, "keeper"); s.State != Succeeded {
		t.Fatalf("keeper %v", s.State)
	}
}

func TestSweepManyRecordsInBatches(t *testing.T) {
	clock := newFakeClock()
	r := newTestRegistry[int](t, Options{Clock: clock, Retain: time.Hour, QueueSize: 10000})
	submitBatch := func(prefix string, n int) {
		for i := range n {
			mustSubmit(t, r, prefix+strconv.Itoa(i), prefix+strconv.Itoa(i), value(i))
		}
		mustWait(t, r, prefix+strconv.Itoa(n-1))
		for r.Stats().Succeeded < r.Stats().Submitted {
			runtime.Gosched()
		}
	}
	submitBatch("old", 5*sweepBatch+5)
	clock.Advance(30 * time.Minute)
	submitBatch("new", sweepBatch)
	clock.Advance(31 * time.Minute)
	r.sweep()
	if st := r.Stats(); st.Retained != sweepBatch {
		t.Fatalf("%d retained after the first expiry, want %d", st.Retained, sweepBatch)
	}
	// The janitor may sweep too (the fake clock's ticker fires on Advance): read under the lock.
	r.mu.Lock()
	n, head := len(r.finished), r.fhead
	referenced := -1
	for i, j := range r.finished[:r.fhead] {
		if j != nil {
			referenced = i
			break
		}
	}
	r.mu.Unlock()
	if n-head != sweepBatch || n > 2*sweepBatch {
		t.Fatalf("retention queue not compacted: len %d head %d", n, head)
	}
	if referenced >= 0 {
		t.Fatalf("swept record %d still referenced", referenced)
	}
	clock.Advance(31 * time.Minute)
	r.sweep()
	if st := r.Stats(); st.Retained != 0 || len(r.List()) != 0 {
		t.Fatalf("%d retained after every record expired", st.Retained)
	}
	r.mu.Lock()
	n, head = len(r.finished), r.fhead
	r.mu.Unlock()
	if n != 0 || head != 0 {
		t.Fatalf("retention queue not reset: len %d head %d", n, head)
	}
}
