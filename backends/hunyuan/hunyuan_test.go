package hunyuan

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/checktools"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

var big = flag.Bool("hunyuan.big", false, "also run the 500k-face model")

// testInput is a 64×48 working image with a centred disc of subject, 0.5 mm pixels.
func testInput(budget int) *backends.Input {
	w, h := 64, 48
	in := &backends.Input{Width: w, Height: h, PixelSize: 0.5, Mode: backends.Inflate, FaceBudget: budget}
	in.Luminance = make([]float32, w*h)
	in.Mask = make([]float32, w*h)
	in.Color = make([]float32, 3*w*h)
	for y := range h {
		for x := range w {
			i := y*w + x
			in.Luminance[i] = 0.5
			in.Color[3*i], in.Color[3*i+1], in.Color[3*i+2] = 0.9, 0.6, 0.1
			if dx, dy := float64(x-32), float64(y-24); dx*dx+dy*dy < 20*20 {
				in.Mask[i] = 1
			}
		}
	}
	return in
}

func quick(url string, async bool) Options {
	// A generous deadline: the race detector on a loaded machine slows solidify tenfold. The
	// failure tests set their own short one.
	return Options{URL: url, Async: async, PollInterval: 5 * time.Millisecond, RetryDelay: 5 * time.Millisecond,
		Timeout: time.Minute, SolidifyResolution: 64}
}

// checkPrintable checks the contract and the external checkers' verdicts.
func checkPrintable(t *testing.T, m *mesh.Mesh, budget int, width float64) {
	t.Helper()
	top := m.Topology()
	if !top.Closed() || !top.Outward {
		t.Fatalf("not closed: %+v", top)
	}
	if budget > 0 && len(m.Faces) > budget {
		t.Errorf("%d faces over the budget %d", len(m.Faces), budget)
	}
	b := m.Bounds()
	if math.Abs(float64(b.Max[0]-b.Min[0])-width) > 1e-3*width || math.Abs(float64(b.Min[2])) > 1e-4 || b.Min[0] != 0 || b.Min[1] != 0 {
		t.Errorf("bounds %v, want %v mm wide from the origin, resting on Z = 0", b, width)
	}
	// An ellipsoid 1.5 times taller than wide (Z up survived the round trip).
	if s := b.Size(); s[2] < 1.2*s[0] || s[2] > 1.6*s[0] {
		t.Errorf("size %v: the model is not upright", s)
	}
	if m.Colors == nil {
		t.Error("no colours")
	}
	for _, f := range []meshio.Format{meshio.STL, meshio.GLB} {
		var buf bytes.Buffer
		if err := meshio.Encode(&buf, m, f); err != nil {
			t.Fatal(err)
		}
		if f == meshio.STL {
			checktools.CheckSTL(t, buf.Bytes(), len(m.Faces), 1)
		} else {
			checktools.ValidateGLB(t, buf.Bytes())
		}
	}
}

func TestReconstructDefective(t *testing.T) {
	f := newFake(t)
	for _, async := range []bool{false, true} {
		for _, behaviour := range []string{"ok", "textured", "closed"} {
			t.Run(behaviour+map[bool]string{false: "/sync", true: "/async"}[async], func(t *testing.T) {
				b, err := New(quick(f.url(behaviour), async))
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				in := testInput(20000)
				m, rep, err := b.Reconstruct(context.Background(), in, nil)
				if err != nil {
					t.Fatal(err)
				}
				if behaviour == "closed" {
					if top := m.Topology(); !top.Closed() || len(m.Faces) != 12 {
						t.Fatalf("a clean box was rebuilt: %d faces", len(m.Faces))
					}
					if p := rep.Printable; p == nil || !p.Repaired || p.Solidified || p.HausdorffMM != 0 {
						t.Errorf("clean box: printable %+v, want repaired only", p)
					}
					return
				}
				checkPrintable(t, m, 20000, subjectWidth(in))
				if !(rep.MaxError > 0) || !(rep.Tolerance > 0) {
					t.Errorf("no Hausdorff figure in the report: %+v", rep)
				}
				if p := rep.Printable; p == nil || !p.Solidified || p.HausdorffMM != rep.MaxError || p.VoxelMM != rep.Tolerance ||
					p.FacesBefore == 0 || p.FloatersRemoved == 0 {
					t.Errorf("printable %+v: want solidified, its Hausdorff and voxel, the floater removed", p)
				}
				f.mu.Lock()
				p := f.last
				f.mu.Unlock()
				if p.OctreeResolution != 128 || p.Steps != 5 || p.Seed != 1234 || p.Type != "glb" {
					t.Errorf("draft parameters sent: %+v", p)
				}
				if behaviour == "textured" {
					// The texture is red on x < 0 and green on x > 0: after posing, the left half red.
					mid := m.Bounds().Size()[0] / 2
					var wrong, n int
					for i, q := range m.Positions {
						if d := q[0] - mid; d < -2 || d > 2 {
							n++
							c := m.Colors[i]
							if (d < 0) != (c[0] > c[1]) {
								wrong++
							}
						}
					}
					if wrong > n/50 {
						t.Errorf("%d of %d vertices have the other side's colour", wrong, n)
					}
				}
			})
		}
	}
}

func TestReconstructBig(t *testing.T) {
	if !*big {
		t.Skip("the 500k-face model: run with -hunyuan.big")
	}
	f := newFake(t)
	b, _ := New(quick(f.url("big"), false))
	o := b.opt
	o.Timeout = 5 * time.Minute
	o.SolidifyResolution = 160 // the standard tier's grid
	b.opt = o
	start := time.Now()
	m, rep, err := b.Reconstruct(context.Background(), testInput(200000), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v, %d faces, Hausdorff %.3f mm at a %.3f mm voxel", time.Since(start), len(m.Faces), rep.MaxError, rep.Tolerance)
	checkPrintable(t, m, 200000, 19.5)
}

func TestReconstructFailures(t *testing.T) {
	f := newFake(t)
	for _, c := range []struct {
		behaviour string
		async     bool
		check     func(error) bool
		within    time.Duration
	}{
		{"error", false, func(err error) bool {
			var se *ServerError
			return errors.As(err, &se) && se.Status == 404 && se.Code == 1 && se.Text == "CUDA out of memory"
		}, time.Second},
		{"error", true, func(err error) bool { var se *ServerError; return errors.As(err, &se) }, time.Second},
		{"never", true, func(err error) bool {
			return errors.Is(err, ErrTimeout) && errors.Is(err, context.DeadlineExceeded)
		}, 2 * time.Second},
		{"truncated", false, func(err error) bool { return errors.Is(err, ErrUnreachable) && errors.Is(err, backends.ErrUnavailable) }, time.Second},
		{"truncated", true, func(err error) bool { return errors.Is(err, ErrUnreachable) }, time.Second},
		{"huge", false, func(err error) bool { return errors.Is(err, ErrTooLarge) }, time.Second},
		{"huge", true, func(err error) bool { return errors.Is(err, ErrTooLarge) }, time.Second},
		{"slow", false, func(err error) bool { return errors.Is(err, ErrTimeout) }, 2 * time.Second},
		{"nothing-here", false, func(err error) bool { var se *ServerError; return errors.As(err, &se) && se.Status == 404 }, time.Second},
	} {
		t.Run(c.behaviour, func(t *testing.T) {
			o := quick(f.url(c.behaviour), c.async)
			// The cases that wait for the deadline get a short one; the others a long one, so
			// that on a loaded machine (the race detector, packages tested in parallel) a slow
			// exchange cannot turn their error into ErrTimeout.
			o.Timeout = 30 * time.Second
			if c.behaviour == "never" || c.behaviour == "slow" {
				o.Timeout = 500 * time.Millisecond
			}
			o.MaxResponseBytes = 1 << 20
			b, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			m, _, err := b.Reconstruct(context.Background(), testInput(5000), nil)
			if m != nil || err == nil || !c.check(err) {
				t.Fatalf("mesh %v, error %v", m != nil, err)
			}
			if d := time.Since(start); d > c.within+2*time.Second { // slack for a loaded machine
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestHeaderTimeout checks that a server that takes the request and sends no headers ("slow":
// 10 s) fails with ErrTimeout within Options.HeaderTimeout, well before Options.Timeout, in sync
// mode (/generate) and async (/send), without a retry.
func TestHeaderTimeout(t *testing.T) {
	if b, _ := New(Options{URL: "http://127.0.0.1:1"}); b.opt.HeaderTimeout != DefaultHeaderTimeout || b.headerTimeout("/status/x") != QuickHeaderTimeout {
		t.Errorf("defaults: %v, %v", b.opt.HeaderTimeout, b.headerTimeout("/status/x"))
	}
	f := newFake(t)
	for _, async := range []bool{false, true} {
		o := quick(f.url("slow"), async)
		o.Timeout = time.Minute
		o.HeaderTimeout = 300 * time.Millisecond
		b, _ := New(o)
		f.calls.Store(0)
		start := time.Now()
		_, _, err := b.Reconstruct(context.Background(), testInput(5000), nil)
		d := time.Since(start)
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("async %v: %v, want ErrTimeout", async, err)
		}
		if d < o.HeaderTimeout || d > o.HeaderTimeout+3*time.Second { // generous: a loaded machine
			t.Errorf("async %v: took %v, want about %v", async, d, o.HeaderTimeout)
		}
		if n := f.calls.Load(); n != 1 {
			t.Errorf("async %v: %d calls, want 1 (a header timeout is not retried)", async, n)
		}
	}
}

func TestRetriesOn5xx(t *testing.T) {
	f := newFake(t)
	b, _ := New(quick(f.url("flaky"), false))
	if _, _, err := b.Reconstruct(context.Background(), testInput(5000), nil); err != nil {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("%d calls, want 3 (two 503s, then the model)", n)
	}
	// No retry on a 404.
	f.calls.Store(0)
	b, _ = New(quick(f.url("error"), false))
	b.Reconstruct(context.Background(), testInput(5000), nil)
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d calls after a 404, want 1", n)
	}
}

func TestUnreachable(t *testing.T) {
	f := newFake(t)
	url := f.srv.URL
	f.srv.Close()
	b, _ := New(quick(url, false))
	start := time.Now()
	_, _, err := b.Reconstruct(context.Background(), testInput(5000), nil)
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("%v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	if err := b.Ping(context.Background()); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Ping: %v", err)
	}
}

func TestCancel(t *testing.T) {
	f := newFake(t)
	b, _ := New(quick(f.url("slow"), false))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := b.Reconstruct(ctx, testInput(5000), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("cancel took %v", d)
	}
}

func TestContract(t *testing.T) {
	if _, err := New(Options{URL: "gpu-box:8080"}); !errors.Is(err, backends.ErrInvalidInput) {
		t.Errorf("relative URL: %v", err)
	}
	f := newFake(t)
	b, _ := New(quick(f.url("ok"), false))
	in := testInput(5000)
	in.Mode = backends.Relief
	if _, _, err := b.Reconstruct(context.Background(), in, nil); !errors.Is(err, backends.ErrUnsupportedMode) {
		t.Errorf("relief: %v", err)
	}
	b.Close()
	if _, _, err := b.Reconstruct(context.Background(), testInput(5000), nil); !errors.Is(err, backends.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestReconstructText(t *testing.T) {
	f := newFake(t)
	b, _ := New(quick(f.url("ok"), true))
	m, _, err := b.ReconstructText(context.Background(), "a red vase", 80, 10000, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPrintable(t, m, 10000, 80)
	if f.last.Text != "a red vase" || f.last.Image != "" {
		t.Errorf("sent %+v", f.last)
	}
	if _, _, err := b.ReconstructText(context.Background(), " ", 80, 0, nil); !errors.Is(err, backends.ErrInvalidInput) {
		t.Errorf("empty prompt: %v", err)
	}
}

// BenchmarkClientOverhead reports the time the client adds to the server's own (a fixed 200 ms
// per model): for "defective" (a 4k-face GLB with every defect: repair, then solidify on the
// draft grid) and "clean" (a closed box: the transport, decoding and repair alone), by
// /generate (sync) and by /send and /status polled every 20 ms (async).
func BenchmarkClientOverhead(b *testing.B) {
	f := newFake(b)
	f.delay = 200 * time.Millisecond
	for _, model := range []string{"delay", "delay-closed"} {
		for _, async := range []bool{false, true} {
			name := map[string]string{"delay": "defective", "delay-closed": "clean"}[model] + map[bool]string{false: "/sync", true: "/async"}[async]
			b.Run(name, func(b *testing.B) {
				o := quick(f.url(model), async)
				o.PollInterval = 20 * time.Millisecond
				o.SolidifyResolution = 0 // the draft tier's 96, as measured in bench/RESULTS.md
				bk, _ := New(o)
				in := testInput(50000)
				var total time.Duration
				for b.Loop() {
					start := time.Now()
					if _, _, err := bk.Reconstruct(context.Background(), in, nil); err != nil {
						b.Fatal(err)
					}
					total += time.Since(start)
				}
				b.ReportMetric(float64(total-time.Duration(b.N)*f.delay)/float64(b.N)/1e6, "overhead_ms/op")
			})
		}
	}
}
