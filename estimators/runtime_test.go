package estimators

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/checktools"
)

// testLibrary returns the ONNX Runtime library to test with: $ORFEAS_ONNXRUNTIME_LIB, else the
// one scripts/fetch-onnxruntime.sh puts in .tools/onnxruntime/. Skips (fails under
// ORFEAS_REQUIRE_TOOLS=1) when there is none; skips when built without cgo.
func testLibrary(t testing.TB) string {
	t.Helper()
	if !haveCgo {
		t.Skip("built without cgo: ONNX Runtime cannot load")
	}
	if lib := os.Getenv(LibraryEnv); lib != "" {
		return lib
	}
	lib, _ := filepath.Abs("../.tools/onnxruntime/libonnxruntime.so.1")
	if _, err := os.Stat(lib); err != nil {
		checktools.Missing(t, "ONNX Runtime library: set %s or run scripts/fetch-onnxruntime.sh", LibraryEnv)
	}
	return lib
}

var loadOnce struct {
	sync.Once
	d time.Duration
}

func testRuntime(t testing.TB, opts RuntimeOptions) *Runtime {
	t.Helper()
	opts.Library = testLibrary(t)
	loadOnce.Do(func() {
		start := time.Now()
		_, _ = OpenRuntime(RuntimeOptions{Library: opts.Library})
		loadOnce.d = time.Since(start)
	})
	rt, err := OpenRuntime(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	return rt
}

func TestOpenRuntimeUnavailable(t *testing.T) {
	t.Setenv(LibraryEnv, "")
	for name, lib := range map[string]string{"none": "", "missing": filepath.Join(t.TempDir(), "nope.so")} {
		_, err := OpenRuntime(RuntimeOptions{Library: lib})
		var ue *UnavailableError
		if !errors.Is(err, ErrUnavailable) || !errors.As(err, &ue) || ue.Reason == "" {
			t.Errorf("%s: err = %v, want an *UnavailableError with a reason", name, err)
		}
	}
}

func TestOpenRuntimeLoads(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{})
	if v := rt.Version(); v == "" {
		t.Error("no version")
	} else {
		t.Logf("ONNX Runtime %s loaded in %v", v, loadOnce.d)
	}
	if _, err := OpenRuntime(RuntimeOptions{Library: os.Args[0]}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a second library in one process: err = %v, want ErrUnavailable", err)
	}
}

// pixelInput is a 1×3×h×w tensor whose values tell channel, row and column apart.
func pixelInput(h, w int) Tensor {
	in := Tensor{Shape: []int64{1, 3, int64(h), int64(w)}, Data: make([]float32, 3*h*w)}
	for c := 0; c < 3; c++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				in.Data[(c*h+y)*w+x] = float32(c+1)*0.01 + float32(y)*0.1 - float32(x)*0.03
			}
		}
	}
	return in
}

func TestModelRunComputesConv(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{Threads: 1})
	w := [3]float32{1, 10, 100}
	const b = 0.5
	m, err := rt.LoadModelBytes(pixelModel(w, b, false, false, 4, 5))
	if err != nil {
		t.Fatal(err)
	}
	info := m.Info()
	if info.Input != "input" || info.Output != "output" || len(info.InputShape) != 4 || info.InputShape[3] != 5 {
		t.Errorf("info = %+v", info)
	}
	in := pixelInput(4, 5)
	out, err := m.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Shape) != 4 || out.Shape[1] != 1 || out.Shape[2] != 4 || out.Shape[3] != 5 || len(out.Data) != 20 {
		t.Fatalf("output shape %v, %d values", out.Shape, len(out.Data))
	}
	for i, got := range out.Data {
		want := float64(b)
		for c := 0; c < 3; c++ {
			want += float64(w[c]) * float64(in.Data[c*20+i])
		}
		if math.Abs(float64(got)-want) > 1e-4 {
			t.Errorf("out[%d] = %v, want %v", i, got, want)
		}
	}
}

func TestModelRunConcurrent(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{MaxRuns: 2, Threads: 1})
	m, err := rt.LoadModelBytes(pixelModel([3]float32{1, 0, 0}, 0, false, true, -1, -1))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range errs {
		wg.Go(func() {
			in := pixelInput(3+g, 7)
			out, err := m.Run(context.Background(), in)
			if err == nil && (len(out.Shape) != 3 || out.Shape[1] != int64(3+g) || out.Data[0] != in.Data[0]) {
				err = errors.New("wrong output")
			}
			errs[g] = err
		})
	}
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", g, err)
		}
	}
}

func TestModelRunWaitsForSlot(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{MaxRuns: 1})
	m, err := rt.LoadModelBytes(pixelModel([3]float32{1, 1, 1}, 0, true, false, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.sem.Acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = m.Run(ctx, pixelInput(2, 2))
	rt.sem.Release(1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded while the only slot is held", err)
	}
	if _, err := m.Run(context.Background(), pixelInput(2, 2)); err != nil {
		t.Errorf("after release: %v", err)
	}
}

// A context that ends during a run must stop the run itself (ONNX Runtime's terminate flag),
// not only the wait for it: the session's own error shows the run did not complete.
func TestModelRunTerminates(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{})
	m, err := rt.LoadModelBytes(slowModel(512, 400)) // ~107 GFLOP: seconds on any CPU
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, runErr := m.sess.run(ctx, Tensor{Shape: []int64{1}, Data: []float32{1}})
	t.Logf("terminated after %v: %v", time.Since(start), runErr)
	if runErr == nil {
		t.Fatal("the run completed: the terminate flag did not reach it")
	}
	if _, err := m.Run(ctx, Tensor{Shape: []int64{1}, Data: []float32{1}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run on a cancelled context: err = %v, want context.Canceled", err)
	}
	// The session stays usable after a terminated run.
	small, err := rt.LoadModelBytes(slowModel(4, 2))
	if err != nil {
		t.Fatal(err)
	}
	out, err := small.Run(context.Background(), Tensor{Shape: []int64{1}, Data: []float32{1}})
	if err != nil || len(out.Data) != 1 || out.Data[0] != 1 {
		t.Errorf("small run: %v %v, want [1]", out.Data, err)
	}
}

func TestModelErrors(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{})
	if _, err := rt.LoadModelBytes([]byte("not a model")); !errors.Is(err, ErrBadModel) {
		t.Errorf("garbage: err = %v, want ErrBadModel", err)
	}
	m, err := rt.LoadModelBytes(pixelModel([3]float32{1, 1, 1}, 0, false, false, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(context.Background(), Tensor{Shape: []int64{1, 3, 2, 2}, Data: make([]float32, 5)}); err == nil {
		t.Error("a shape/data mismatch ran")
	}
	if _, err := m.Run(context.Background(), pixelInput(3, 3)); err == nil {
		t.Error("a 3×3 input ran on a 2×2 model")
	}
	rt.Close()
	if _, err := m.Run(context.Background(), pixelInput(2, 2)); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: err = %v, want ErrClosed", err)
	}
	if _, err := rt.LoadModelBytes(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("load after Close: err = %v, want ErrClosed", err)
	}
}

// BenchmarkTinyModelRun reports one run of a 1×1 convolution and sigmoid on 1×3×256×256.
func BenchmarkTinyModelRun(b *testing.B) {
	rt := testRuntime(b, RuntimeOptions{})
	m, err := rt.LoadModelBytes(pixelModel([3]float32{1, 2, 3}, 0, true, false, 256, 256))
	if err != nil {
		b.Fatal(err)
	}
	in := pixelInput(256, 256)
	for b.Loop() {
		if _, err := m.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// Asking for CUDA where it cannot load (npm's CPU build of ONNX Runtime has no CUDA provider;
// there is no GPU here) gives a CPU session and says why; it never fails the load or crashes.
func TestCUDAFallsBackToCPU(t *testing.T) {
	for _, tc := range []struct{ provider, dir string }{
		{ProviderCUDA, ""}, {ProviderAuto, ""}, {ProviderCUDA, t.TempDir()},
	} {
		rt := testRuntime(t, RuntimeOptions{Provider: tc.provider, CUDALibraryDir: tc.dir})
		m, err := rt.LoadModelBytes(pixelModel([3]float32{1, 0, 0}, 0, false, false, 2, 2))
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if m.Provider() == ProviderCUDA {
			t.Logf("%+v: CUDA loaded", tc) // a machine with a GPU build and a GPU
			continue
		}
		if m.Provider() != ProviderCPU || m.ProviderNote() == "" {
			t.Fatalf("%+v: provider %q, note %q; want cpu with a reason", tc, m.Provider(), m.ProviderNote())
		}
		t.Logf("%+v: %s", tc, m.ProviderNote())
		out, err := m.Run(context.Background(), pixelInput(2, 2))
		if err != nil || len(out.Data) != 4 {
			t.Fatalf("%+v: run on the fallback: %v", tc, err)
		}
	}
	if _, err := OpenRuntime(RuntimeOptions{Library: "x", Provider: "tpu"}); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("unknown provider: err = %v", err)
	}
}

// The CUDA library folder: a missing one, one without CUDA libraries and one whose "library" is
// not one are errors, not crashes.
func TestPreloadCUDA(t *testing.T) {
	testLibrary(t) // skips without cgo
	bogus := t.TempDir()
	if err := os.WriteFile(filepath.Join(bogus, "libcudart.so.12"), []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"missing": filepath.Join(t.TempDir(), "nope"), "empty": t.TempDir(), "bogus": bogus} {
		if err := preloadCUDA(dir); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
