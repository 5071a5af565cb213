//go:build cgo && linux

package cuda

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/rtin"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// TestFakeDriver runs the backend through its real driver layer (dlopen, dlsym, primary context,
// modules, pool, streams, launches) against testdata/fakecuda, a libcuda.so.1 that runs the
// kernels on the host emulator. The library is built with the C compiler and loaded by a child
// process of this test binary, since the dynamic loader reads LD_LIBRARY_PATH only at start-up.
func TestFakeDriver(t *testing.T) {
	if os.Getenv("ORFEAS_FAKE_CUDA") != "" {
		return // in the child: the Child tests below do the work
	}
	if testing.Short() {
		t.Skip("builds a shared library")
	}
	cc := os.Getenv("CC")
	if cc == "" {
		out, err := exec.Command("go", "env", "CC").Output()
		if err != nil {
			t.Skipf("no C compiler: %v", err)
		}
		cc = strings.TrimSpace(string(out))
	}
	dir := t.TempDir()
	build := exec.Command(cc, "-shared", "-fPIC", "-O1", "-o", filepath.Join(dir, "libcuda.so.1"),
		filepath.Join("testdata", "fakecuda", "fakecuda.c"), "-lm", "-lpthread")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("cannot build the fake driver with %s: %v\n%s", cc, err, out)
	}
	for _, c := range []struct {
		name string
		env  []string
		run  string
	}{
		{"device", nil, "TestFakeChildDevice"},
		{"no device", []string{"FAKE_CUDA_NO_DEVICE=1"}, "TestFakeChildNoDevice"},
		{"small memory", []string{"FAKE_CUDA_MEMORY=2000000"}, "TestFakeChildSmallMemory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stats := filepath.Join(t.TempDir(), "stats")
			cmd := exec.Command(os.Args[0], "-test.run", "^"+c.run+"$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "ORFEAS_FAKE_CUDA=1", "LD_LIBRARY_PATH="+dir, "FAKE_CUDA_STATS="+stats)
			cmd.Env = append(cmd.Env, c.env...)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: "+c.run) {
				t.Fatalf("child %s: %v\n%s", c.run, err, out)
			}
			b, err := os.ReadFile(stats)
			if err != nil {
				if c.name == "no device" {
					return // nothing was opened
				}
				t.Fatalf("no stats from the fake driver: %v\n%s", err, out)
			}
			var bytes, allocs, contexts, modules, streams, launches, badpops, peak int64
			if _, err := fmt.Sscanf(string(b), "bytes %d allocs %d contexts %d modules %d streams %d launches %d badpops %d peak %d",
				&bytes, &allocs, &contexts, &modules, &streams, &launches, &badpops, &peak); err != nil {
				t.Fatalf("stats %q: %v", b, err)
			}
			if bytes != 0 || allocs != 0 || contexts != 0 || modules != 0 || streams != 0 || badpops != 0 {
				t.Fatalf("the backend left driver resources behind: %s", b)
			}
			t.Logf("fake driver: %s", strings.TrimSpace(string(b)))
		})
	}
}

func fakeChild(t *testing.T) {
	if os.Getenv("ORFEAS_FAKE_CUDA") == "" {
		t.Skip("run by TestFakeDriver")
	}
}

func TestFakeChildDevice(t *testing.T) {
	fakeChild(t)
	if !Available() {
		t.Fatal("Available() = false with the fake driver")
	}
	b, err := New(withHost())
	if err != nil {
		t.Fatal(err)
	}
	info := b.Info()
	if !strings.HasPrefix(info.Name, "Fake CUDA") || info.ComputeCapability != [2]int{7, 0} || info.Budget == 0 || info.Budget > info.FreeMemory {
		t.Fatalf("Info() = %+v", info)
	}
	ctx := context.Background()
	r := rand.New(rand.NewPCG(21, 22))
	var inputs []*backends.Input
	for _, p := range []backends.InflateParams{{}, {Profile: backends.Dome, FlatBack: true}} {
		inputs = append(inputs, testInput(r, 50, 40, p, 0))
	}
	// Concurrent calls, each on its own stream, reusing pooled memory.
	var wg sync.WaitGroup
	errs := make([]error, 2*len(inputs))
	for i := range errs {
		wg.Go(func() {
			in := inputs[i%len(inputs)]
			got, _, err := b.Reconstruct(ctx, in, nil)
			if err != nil {
				errs[i] = err
				return
			}
			want, _, err := cpu.New(cpu.Options{}).Reconstruct(ctx, in, nil)
			if err != nil {
				errs[i] = err
				return
			}
			if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) || !slices.Equal(got.Colors, want.Colors) {
				errs[i] = fmt.Errorf("call %d: mesh differs from the reference", i)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// Reliefs and flat lithophanes run on the device (smoothing, the RTIN's error bounds) and
	// build the CPU's RTIN of the same heights; cylinders and extrusions go to the host backend.
	host := &recordingHost{}
	b.host = host
	lum := make([]float32, 40*30)
	for i := range lum {
		lum[i] = r.Float32()
	}
	for _, mode := range []backends.Mode{backends.Relief, backends.Lithophane} {
		in := &backends.Input{Width: 40, Height: 30, PixelSize: 1, Mode: mode, Luminance: lum, Relief: backends.ReliefParams{Smooth: 0}}
		got, _, err := b.Reconstruct(ctx, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		var g heightfield.Grid
		if mode == backends.Relief {
			g = modes.ReliefHeights(in, in.Relief.Defaults(), modes.ReliefPrepare(lum, false))
		} else {
			g = modes.LithophaneThickness(in, in.Lithophane.Defaults())
		}
		ref, err := rtin.Triangulate(ctx, g, modes.HeightfieldTolerance(in), 0)
		if err != nil {
			t.Fatal(err)
		}
		want := heightfield.Solid(ref, 40, 30)
		if host.in != nil || !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
			t.Fatalf("%s: host called (%v) or mesh (%d faces) differs from the RTIN reference (%d faces)", mode, host.in != nil, len(got.Faces), len(want.Faces))
		}
	}
	cyl := &backends.Input{Width: 40, Height: 30, PixelSize: 1, Mode: backends.Lithophane, Luminance: lum, Lithophane: backends.LithophaneParams{Shape: backends.Cylinder}}
	if _, _, err := b.Reconstruct(ctx, cyl, nil); err != nil || host.in != cyl {
		t.Fatalf("cylinder lithophane: err %v, host given %p, want %p", err, host.in, cyl)
	}
	if _, _, err := b.Reconstruct(ctx, &backends.Input{}, nil); !errors.Is(err, backends.ErrInvalidInput) {
		t.Fatalf("invalid input: err = %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := b.Reconstruct(ctx, inputs[0], nil); !errors.Is(err, backends.ErrClosed) {
		t.Fatalf("after Close: err = %v, want backends.ErrClosed", err)
	}
	runtime.GC()
}

// recordingHost is a host backend that keeps the Input it was given.
type recordingHost struct{ in *backends.Input }

func (*recordingHost) Name() string { return "recording" }
func (*recordingHost) Close() error { return nil }
func (h *recordingHost) Reconstruct(_ context.Context, in *backends.Input, _ backends.Progress) (*mesh.Mesh, backends.Report, error) {
	h.in = in
	return meshtest.Cuboid([3]float32{}, [3]float32{1, 1, 1}), backends.Report{}, nil
}

func TestFakeChildNoDevice(t *testing.T) {
	fakeChild(t)
	if _, err := New(Options{}); !errors.Is(err, backends.ErrUnavailable) || !strings.Contains(err.Error(), "no CUDA device") {
		t.Fatalf("err = %v, want ErrUnavailable saying there is no device", err)
	}
	if Available() {
		t.Fatal("Available() = true without a device")
	}
}

func TestFakeChildSmallMemory(t *testing.T) {
	fakeChild(t)
	// A budget larger than the device: the budget admits the call, the device refuses memory.
	b, err := New(Options{MemoryBudget: 1 << 40, Host: cpu.New(cpu.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	in := testInput(rand.New(rand.NewPCG(23, 24)), 120, 100, backends.InflateParams{}, 0)
	if _, _, err := b.Reconstruct(context.Background(), in, nil); !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("err = %v, want ErrOutOfMemory", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// With the default budget (80 % of free memory) the call cannot ever fit.
	b, err = New(withHost())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, _, err := b.Reconstruct(context.Background(), in, nil); !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("err = %v, want ErrOutOfMemory", err)
	}
}

// withHost is the Options the tests open a backend with: the CPU reference as the host, as the
// generator injects it.
func withHost() Options { return Options{Host: cpu.New(cpu.Options{})} }
