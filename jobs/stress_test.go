package jobs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentSubmissionsInWaves submits 10,000 jobs from 64 goroutines
// over 100 keys and 1,000 IDs, in waves. Within a wave every execution is
// held until all submissions are in, so every accepted submission of a key
// must share the wave's single execution of it.
func TestConcurrentSubmissionsInWaves(t *testing.T) {
	const (
		waves      = 10
		perWave    = 1000
		goroutines = 64
		nIDs       = 1000
		nKeys      = 100
	)
	// 8 workers + 72 queued < 100 keys: some executions are refused.
	r := newTestRegistry[string](t, Options{Workers: 8, QueueSize: 72})

	type outcome struct {
		id, key string
		err     error
	}
	var total struct{ accepted, conflicts, full int }

	for wave := range waves {
		before := r.Stats()
		var runs [nKeys]atomic.Int32
		gate := make(chan struct{})
		work := func(k int) Func[string] {
			return func(ctx context.Context, progress func(string, float64)) (string, error) {
				runs[k].Add(1)
				progress("held", 0.5)
				select {
				case <-gate:
				case <-ctx.Done():
					return "", ctx.Err()
				}
				return fmt.Sprintf("wave %d key %d", wave, k), nil
			}
		}

		outcomes := make([][]outcome, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(wave), uint64(g)))
				for i := g; i < perWave; i += goroutines {
					id := rng.IntN(nIDs)
					k := (id*7 + wave) % nKeys // an ID mostly asks for one key...
					if rng.IntN(10) == 0 {
						k = rng.IntN(nKeys) // ...but sometimes for another: a conflict if in flight
					}
					key := fmt.Sprintf("key-%d", k)
					idStr := fmt.Sprintf("id-%d", id)
					_, err := r.Submit(idStr, key, work(k))
					outcomes[g] = append(outcomes[g], outcome{idStr, key, err})
				}
			})
		}
		wg.Wait()
		close(gate)

		acceptedKeys := map[string]bool{}
		var accepted, conflicts, full int
		for _, os := range outcomes {
			for _, o := range os {
				var ce *ConflictError
				switch {
				case o.err == nil:
					accepted++
					acceptedKeys[o.key] = true
					s := mustWait(t, r, o.id)
					if s.Key != o.key {
						t.Fatalf("wave %d: submission %s/%s was accepted into a job with key %s", wave, o.id, o.key, s.Key)
					}
					var k int
					fmt.Sscanf(o.key, "key-%d", &k)
					if want := fmt.Sprintf("wave %d key %d", wave, k); s.State != Succeeded || s.Result != want {
						t.Fatalf("wave %d: %s got %v %q, want succeeded %q", wave, o.id, s.State, s.Result, want)
					}
				case errors.As(o.err, &ce):
					conflicts++
					if ce.ID != o.id || ce.SubmittedKey != o.key || ce.Key == o.key || !errors.Is(o.err, ErrJobConflict) {
						t.Fatalf("wave %d: bad conflict %+v for %s/%s", wave, ce, o.id, o.key)
					}
				case errors.Is(o.err, ErrQueueFull):
					full++
				default:
					t.Fatalf("wave %d: %s/%s: untyped error %v", wave, o.id, o.key, o.err)
				}
			}
		}
		if accepted+conflicts+full != perWave {
			t.Fatalf("wave %d: %d outcomes, want %d", wave, accepted+conflicts+full, perWave)
		}
		for k := range nKeys {
			want := int32(0)
			if acceptedKeys[fmt.Sprintf("key-%d", k)] {
				want = 1
			}
			if got := runs[k].Load(); got != want {
				t.Fatalf("wave %d: key %d ran %d times, want %d", wave, k, got, want)
			}
		}

		after := r.Stats()
		created := after.Submitted - before.Submitted
		if joined := after.Joined - before.Joined; created+joined != accepted {
			t.Fatalf("wave %d: %d created + %d joined != %d accepted", wave, created, joined, accepted)
		}
		if d := after.Conflicts - before.Conflicts; d != conflicts {
			t.Fatalf("wave %d: Stats counted %d conflicts, callers saw %d", wave, d, conflicts)
		}
		if d := after.Rejected - before.Rejected; d != full {
			t.Fatalf("wave %d: Stats counted %d rejections, callers saw %d", wave, d, full)
		}
		if d := after.Succeeded - before.Succeeded; d != created {
			t.Fatalf("wave %d: %d succeeded, %d created", wave, d, created)
		}
		if after.Queued != 0 || after.Running != 0 || after.Failed != 0 || after.Canceled != 0 {
			t.Fatalf("wave %d: stats %+v, want nothing in flight, failed or canceled", wave, after)
		}
		if after.Submitted != after.Queued+after.Running+after.Succeeded+after.Failed+after.Canceled {
			t.Fatalf("wave %d: counts do not add up: %+v", wave, after)
		}
		total.accepted += accepted
		total.conflicts += conflicts
		total.full += full
	}
	t.Logf("%d accepted, %d conflicts, %d refused as queue full", total.accepted, total.conflicts, total.full)
	if total.conflicts == 0 || total.full == 0 || total.accepted == 0 {
		t.Fatalf("the mix did not exercise every outcome: %+v", total)
	}
}

// TestConcurrentSubmitCancelWait races Submit, Cancel, Get, List, Wait and
// Subscribe over a small ID space, then checks the invariants.
func TestConcurrentSubmitCancelWait(t *testing.T) {
	r := newTestRegistry[int](t, Options{Workers: 4, QueueSize: 16})
	var ran [20]atomic.Int32
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(7, uint64(g)))
			for range 300 {
				id := fmt.Sprintf("id-%d", rng.IntN(40))
				k := rng.IntN(20)
				switch rng.IntN(6) {
				case 0, 1:
					_, err := r.Submit(id, fmt.Sprint(k), func(ctx context.Context, p func(string, float64)) (int, error) {
						ran[k].Add(1)
						for i := range 10 {
							if ctx.Err() != nil {
								return 0, ctx.Err()
							}
							p("loop", float64(i)/10)
						}
						return k, nil
					})
					if err != nil && !errors.Is(err, ErrJobConflict) && !errors.Is(err, ErrQueueFull) {
						t.Errorf("Submit: %v", err)
					}
				case 2:
					if err := r.Cancel(id); err != nil && !errors.Is(err, ErrNotFound) {
						t.Errorf("Cancel: %v", err)
					}
				case 3:
					ch, unsub, err := r.Subscribe(id)
					if err == nil {
						if rng.IntN(2) == 0 {
							unsub()
						}
						for range ch { // terminates: closed at terminal or by unsub
						}
					}
				case 4:
					ctx, cancel := context.WithCancel(context.Background())
					if rng.IntN(2) == 0 {
						cancel()
					}
					s, err := r.Wait(ctx, id)
					cancel()
					if err == nil && !s.State.Terminal() {
						t.Errorf("Wait returned %v without error", s.State)
					}
					if err == nil && s.State == Succeeded && fmt.Sprint(s.Result) != s.Key {
						t.Errorf("job %s with key %s got result %d", s.ID, s.Key, s.Result)
					}
				case 5:
					_ = r.List()
					st := r.Stats()
					if st.Submitted != st.Queued+st.Running+st.Succeeded+st.Failed+st.Canceled {
						t.Errorf("counts do not add up: %+v", st)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := r.Close(guardCtx(t)); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.Queued != 0 || st.Running != 0 || st.Failed != 0 || st.Submitted != st.Succeeded+st.Canceled {
		t.Fatalf("after Close: %+v", st)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.execs) != 0 || r.nq != 0 || r.busy != 0 || r.head != nil {
		t.Fatalf("executions left: %d live, %d queued, %d busy", len(r.execs), r.nq, r.busy)
	}
}
