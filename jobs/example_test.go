package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/orfeas3d/orfeas/jobs"
)

// A registry runs work in the background; callers submit it under an ID,
// then wait for it, poll it or subscribe to it.
func Example() {
	r := jobs.New[string](jobs.Options{Workers: 2, QueueSize: 16})
	defer r.Close(context.Background())

	shout := func(ctx context.Context, progress func(string, float64)) (string, error) {
		progress("shouting", 0.5)
		return strings.ToUpper("hello"), nil
	}
	if _, err := r.Submit("greeting-1", "shout:hello", shout); err != nil {
		fmt.Println("submit:", err)
		return
	}
	s, err := r.Wait(context.Background(), "greeting-1")
	if err != nil {
		fmt.Println("wait:", err)
		return
	}
	fmt.Println(s.ID, s.State, s.Result, s.Fraction)
	// Output: greeting-1 succeeded HELLO 1
}

// Resubmitting an ID that is still in flight joins the job when the key is
// the same and is refused when it is not; different IDs with the same key
// share one execution.
func ExampleRegistry_Submit() {
	r := jobs.New[int](jobs.Options{Workers: 1})
	defer r.Close(context.Background())

	release := make(chan struct{})
	runs := 0
	square := func(ctx context.Context, _ func(string, float64)) (int, error) {
		runs++ // safe: this execution is the only one
		select {
		case <-release:
			return 7 * 7, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}

	r.Submit("a", "square:7", square)
	_, err := r.Submit("a", "square:8", square)
	fmt.Println("other key:", errors.Is(err, jobs.ErrJobConflict))
	_, err = r.Submit("a", "square:7", square)
	fmt.Println("same key joins:", err == nil)
	r.Submit("b", "square:7", square) // shares a's execution

	close(release)
	a, _ := r.Wait(context.Background(), "a")
	b, _ := r.Wait(context.Background(), "b")
	fmt.Println(a.Result, b.Result, "in", runs, "run")
	// Output:
	// other key: true
	// same key joins: true
	// 49 49 in 1 run
}

// A subscriber receives one job's state changes and progress, ending with
// its terminal state; then the channel is closed.
func ExampleRegistry_Subscribe() {
	r := jobs.New[int](jobs.Options{Workers: 1})
	defer r.Close(context.Background())

	start := make(chan struct{})
	count := func(ctx context.Context, progress func(string, float64)) (int, error) {
		<-start
		for _, stage := range []string{"read", "mesh", "write"} {
			progress(stage, 0.3)
		}
		return 3, nil
	}
	r.Submit("job", "count", count)
	events, unsubscribe, err := r.Subscribe("job")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unsubscribe()
	close(start)
	for ev := range events {
		switch {
		case ev.Kind == jobs.ProgressEvent:
			fmt.Println("progress:", ev.Job.Stage)
		case ev.Job.State.Terminal():
			fmt.Println("done:", ev.Job.State, ev.Job.Result)
		}
	}
	// Output:
	// progress: read
	// progress: mesh
	// progress: write
	// done: succeeded 3
}

// Cancel ends a job at once; its work sees its context cancelled.
func ExampleRegistry_Cancel() {
	r := jobs.New[int](jobs.Options{})
	defer r.Close(context.Background())

	started := make(chan struct{})
	r.Submit("long", "forever", func(ctx context.Context, _ func(string, float64)) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-started
	r.Cancel("long")
	s, _ := r.Wait(context.Background(), "long")
	fmt.Println(s.State, errors.Is(s.Err, jobs.ErrCanceled))
	// Output: canceled true
}

// Close refuses new work, lets what was submitted finish (until its
// context ends) and stops every goroutine of the registry.
func ExampleRegistry_Close() {
	r := jobs.New[int](jobs.Options{Workers: 1})
	r.Submit("j", "one", func(context.Context, func(string, float64)) (int, error) { return 1, nil })
	fmt.Println(r.Close(context.Background()))
	_, err := r.Submit("k", "two", func(context.Context, func(string, float64)) (int, error) { return 2, nil })
	fmt.Println(errors.Is(err, jobs.ErrClosed))
	s, _ := r.Get("j")
	fmt.Println(s.State, r.Stats().Succeeded)
	// Output:
	// <nil>
	// true
	// succeeded 1
}

// A hook sees each state change of its job before anyone else can, so a service can persist
// the state (here, print it) and know that a client never sees a state the store lacks.
func ExampleWithHook() {
	r := jobs.New[string](jobs.Options{Workers: 1})
	defer r.Close(context.Background())

	persist := func(s jobs.Snapshot[string]) {
		fmt.Printf("stored: %s %s %q\n", s.ID, s.State, s.Result)
	}
	work := func(context.Context, func(string, float64)) (string, error) { return "model.stl", nil }
	if _, err := r.Submit("job-1", "mesh:1", work, jobs.WithHook(persist)); err != nil {
		fmt.Println(err)
		return
	}
	s, _ := r.Wait(context.Background(), "job-1")
	fmt.Println("seen:", s.State)
	// Output:
	// stored: job-1 queued ""
	// stored: job-1 running ""
	// stored: job-1 succeeded "model.stl"
	// seen: succeeded
}
