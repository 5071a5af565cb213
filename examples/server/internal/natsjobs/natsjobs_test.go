package natsjobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/orfeas3d/orfeas/examples/server/internal/natstest"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// startServer runs an embedded nats-server and returns a client connection to it, both closed
// at the end of the test.
func startServer(t *testing.T) *nats.Conn {
	t.Helper()
	return natstest.Connect(t, natstest.Start(t))
}

func open(t *testing.T, nc *nats.Conn, cfg Config) *Cluster {
	t.Helper()
	cfg.Storage = jetstream.MemoryStorage
	c, err := Open(t.Context(), nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// work runs c.Work with run until the test ends, and waits for it to return.
func work(t *testing.T, c *Cluster, name string, run RunFunc) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Work(ctx, name, run); err != nil {
			t.Errorf("Work %s: %v", name, err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return cancel
}

// disc is a PNG of a dark disc on white: something every mode can build.
func disc(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			c := color.RGBA{255, 255, 255, 255}
			if dx, dy := x-32, y-32; dx*dx+dy*dy < 20*20 {
				c = color.RGBA{40, 40, 40, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// generate is a worker's RunFunc around the real generator: the upload from the object store,
// a draft STL into the result.
func generate(c *Cluster, gen *generator.Generator, started chan<- string) RunFunc {
	return func(ctx context.Context, rec Record, progress func(string, float64)) (Result, error) {
		if started != nil {
			started <- rec.ID
		}
		b, err := c.OpenBlob(ctx, BlobName(rec.ID, "upload.png"))
		if err != nil {
			return Result{}, err
		}
		img, err := io.ReadAll(b)
		b.Close()
		if err != nil {
			return Result{}, err
		}
		res, err := gen.Generate(ctx, generator.Request{Image: img, Quality: generator.Draft, Progress: progress})
		if err != nil {
			return Result{}, err
		}
		var out bytes.Buffer
		if err := res.Encode(&out, meshio.STL); err != nil {
			return Result{}, err
		}
		report, _ := json.Marshal(res.Report)
		return Result{Name: "model.stl", Data: out.Bytes(), Report: report}, nil
	}
}

// waitState watches id until it reaches a terminal state and returns it, with every state seen.
func waitState(t *testing.T, c *Cluster, id string) (Record, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ch, err := c.Watch(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var last Record
	var seen []string
	for r := range ch {
		if len(seen) == 0 || seen[len(seen)-1] != r.State {
			seen = append(seen, r.State)
		}
		last = r
	}
	if last.InFlight() {
		t.Fatalf("job %s still %s after 20 s (states %v)", id, last.State, seen)
	}
	return last, seen
}

func TestSubmitWorkDownload(t *testing.T) {
	nc := startServer(t)
	front := open(t, nc, Config{})
	back := open(t, nc, Config{}) // the worker's own handle on the same cluster
	gen, err := generator.New(generator.Config{Backend: generator.BackendCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer gen.Close()
	started := make(chan string, 1)
	release := make(chan struct{})
	run := generate(back, gen, nil)
	work(t, back, "w1", func(ctx context.Context, rec Record, progress func(string, float64)) (Result, error) {
		started <- rec.ID
		<-release // hold the job processing while the front end checks the conflict
		return run(ctx, rec, progress)
	})

	const id = "job1"
	if err := front.PutBlob(t.Context(), BlobName(id, "upload.png"), bytes.NewReader(disc(t))); err != nil {
		t.Fatal(err)
	}
	if _, err := front.Submit(t.Context(), id, []byte(`{"format":"stl"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := front.Submit(t.Context(), id, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("second Submit while queued: %v, want ErrConflict", err)
	}
	<-started
	if _, err := front.Submit(t.Context(), id, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("second Submit while processing: %v, want ErrConflict", err)
	}
	if r, err := front.Get(t.Context(), id); err != nil || r.State != StateProcessing || r.Worker != "w1" {
		t.Fatalf("record while running: %+v, %v; want processing on w1", r, err)
	}
	close(release)
	rec, seen := waitState(t, front, id)
	if rec.State != StateCompleted || rec.Blob != BlobName(id, "model.stl") || len(rec.Report) == 0 {
		t.Fatalf("final record %+v (states %v), want completed with model.stl and a report", rec, seen)
	}
	if seen[0] != StateProcessing || seen[len(seen)-1] != StateCompleted {
		t.Errorf("states %v: want processing … completed", seen)
	}
	b, err := front.OpenBlob(t.Context(), rec.Blob)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m, err := meshio.Decode(b, meshio.STL)
	if err != nil {
		t.Fatalf("stored model: %v", err)
	}
	if len(m.Faces) == 0 {
		t.Fatal("stored model has no faces")
	}
	if st, err := front.Stats(t.Context()); err != nil || st.Queued != 0 || st.Running != 0 {
		t.Errorf("stats after completion: %+v, %v; want an empty queue", st, err)
	}
	// Ended: a new generation is accepted, and numbered after the first.
	r2, err := front.Submit(t.Context(), id, nil)
	if err != nil || r2.Gen != 2 {
		t.Fatalf("re-generation: %+v, %v; want gen 2 accepted", r2, err)
	}
}

func TestProgressVisible(t *testing.T) {
	nc := startServer(t)
	c := open(t, nc, Config{})
	work(t, c, "w1", func(ctx context.Context, rec Record, progress func(string, float64)) (Result, error) {
		for i := 1; i <= 5; i++ {
			progress("build", float64(i)/10)
			time.Sleep(3 * progressEvery)
		}
		return Result{Name: "model.stl", Data: []byte("x")}, nil
	})
	if _, err := c.Submit(t.Context(), "p", nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ch, err := c.Watch(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	var fractions []float64
	for r := range ch {
		if r.State == StateProcessing && r.Stage == "build" {
			fractions = append(fractions, r.Fraction)
		}
	}
	if len(fractions) < 2 {
		t.Fatalf("progress seen through the watch: %v, want several values", fractions)
	}
	for i := 1; i < len(fractions); i++ {
		if fractions[i] < fractions[i-1] {
			t.Fatalf("progress went back: %v", fractions)
		}
	}
}

func TestQueueFull(t *testing.T) {
	nc := startServer(t)
	c := open(t, nc, Config{QueueSize: 2}) // no worker: everything stays queued
	for _, id := range []string{"a", "b"} {
		if _, err := c.Submit(t.Context(), id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Submit(t.Context(), "c", nil); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third Submit into a queue of 2: %v, want ErrQueueFull", err)
	}
	// Refused, so not recorded: it can be submitted once there is room.
	if _, err := c.Get(t.Context(), "c"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused job's record: %v, want ErrNotFound", err)
	}
	if st, err := c.Stats(t.Context()); err != nil || st.Queued != 2 {
		t.Fatalf("stats: %+v, %v; want 2 queued", st, err)
	}
}

func TestCancel(t *testing.T) {
	nc := startServer(t)
	c := open(t, nc, Config{})
	started := make(chan struct{}, 1)
	var ran atomic.Int32
	work(t, c, "w1", func(ctx context.Context, rec Record, _ func(string, float64)) (Result, error) {
		ran.Add(1)
		started <- struct{}{}
		<-ctx.Done()
		return Result{}, context.Cause(ctx)
	})
	if _, err := c.Submit(t.Context(), "k", nil); err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := c.Cancel(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	rec, _ := waitState(t, c, "k")
	if rec.State != StateCanceled || rec.Blob != "" {
		t.Fatalf("after cancel: %+v, want canceled with no model", rec)
	}
	if _, err := c.Cancel(t.Context(), "k"); !errors.Is(err, ErrNotInFlight) {
		t.Fatalf("cancel of an ended job: %v, want ErrNotInFlight", err)
	}
	if n := ran.Load(); n != 1 {
		t.Fatalf("ran %d times, want 1", n)
	}
}

// TestRedelivery: a worker stops mid-generation without acking (as a killed one would); the
// queue redelivers the job to the other worker, which completes it, once.
func TestRedelivery(t *testing.T) {
	nc := startServer(t)
	cfg := Config{AckWait: 500 * time.Millisecond}
	c := open(t, nc, cfg)
	started := make(chan string, 4)
	var completions atomic.Int32
	run := func(name string) RunFunc {
		return func(ctx context.Context, rec Record, _ func(string, float64)) (Result, error) {
			started <- name
			select {
			case <-ctx.Done():
				return Result{}, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			completions.Add(1)
			return Result{Name: "model.stl", Data: []byte(name)}, nil
		}
	}
	stopDoomed := work(t, c, "doomed", func(ctx context.Context, rec Record, p func(string, float64)) (Result, error) {
		started <- "doomed"
		<-ctx.Done() // "killed": never finishes
		return Result{}, ctx.Err()
	})
	if _, err := c.Submit(t.Context(), "r", nil); err != nil {
		t.Fatal(err)
	}
	if w := <-started; w != "doomed" {
		t.Fatalf("first delivery to %s", w)
	}
	stopDoomed()
	work(t, c, "survivor", run("survivor"))
	rec, _ := waitState(t, c, "r")
	if rec.State != StateCompleted || rec.Worker != "survivor" || rec.Deliveries != 2 {
		t.Fatalf("after redelivery: %+v, want completed by survivor on delivery 2", rec)
	}
	b, err := c.OpenBlob(t.Context(), rec.Blob)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(b)
	b.Close()
	if string(data) != "survivor" {
		t.Fatalf("stored model %q, want the survivor's", data)
	}
	time.Sleep(2 * cfg.AckWait) // an acked job is never delivered again
	if n := completions.Load(); n != 1 {
		t.Fatalf("completed %d times, want 1", n)
	}
}

// TestPoisonJob: a job that every worker dies on fails after MaxDeliver deliveries, with the
// reason, and is not delivered again.
func TestPoisonJob(t *testing.T) {
	nc := startServer(t)
	c := open(t, nc, Config{AckWait: 300 * time.Millisecond, MaxDeliver: 2})
	if _, err := c.Submit(t.Context(), "poison", nil); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 1)
	dies := func(ctx context.Context, _ Record, _ func(string, float64)) (Result, error) {
		started <- struct{}{}
		<-ctx.Done()
		return Result{}, ctx.Err()
	}
	for range 2 {
		stop := work(t, c, "dies", dies)
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("not delivered")
		}
		stop()
	}
	var ran atomic.Int32
	work(t, c, "last", func(context.Context, Record, func(string, float64)) (Result, error) {
		ran.Add(1)
		return Result{Name: "model.stl"}, nil
	})
	rec, _ := waitState(t, c, "poison")
	if rec.State != StateFailed || rec.Error == "" {
		t.Fatalf("poison job: %+v, want failed with a reason", rec)
	}
	if n := ran.Load(); n != 0 {
		t.Fatalf("ran %d times after MaxDeliver, want 0", n)
	}
	if st, err := c.Stats(t.Context()); err != nil || st.Queued+st.Running != 0 {
		t.Fatalf("stats: %+v, %v; want the message gone", st, err)
	}
}
