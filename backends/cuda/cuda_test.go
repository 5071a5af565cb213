package cuda_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/backends/cuda"
)

// TestUnavailableIsClean runs where there is no GPU (CI, laptops, CGO_ENABLED=0 builds): New
// fails with an error wrapping backends.ErrUnavailable, twice in a row, without a panic and
// without leaving a goroutine behind.
func TestUnavailableIsClean(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 2 {
		b, err := cuda.New(cuda.Options{})
		if err == nil {
			b.Close()
			t.Skip("a GPU is available here; the unavailable path is not exercised")
		}
		if !errors.Is(err, backends.ErrUnavailable) {
			t.Fatalf("New: err = %v, want one wrapping backends.ErrUnavailable", err)
		}
		if b != nil {
			t.Fatal("New returned a backend with an error")
		}
		if _, err := cuda.New(cuda.Options{Device: 3}); !errors.Is(err, backends.ErrUnavailable) {
			t.Fatalf("New(Device 3): err = %v, want one wrapping backends.ErrUnavailable", err)
		}
	}
	if cuda.Available() {
		t.Fatal("Available() = true while New fails")
	}
	// Goroutines that other tests started may still be finishing; give them a moment.
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after New, %d before", n, before)
	}
}

func TestZeroBackendIsUnavailable(t *testing.T) {
	var b cuda.Backend
	if b.Name() != "cuda" {
		t.Fatalf("Name() = %q", b.Name())
	}
	in := &backends.Input{Width: 2, Height: 2, Luminance: make([]float32, 4), PixelSize: 1, Mode: backends.Inflate}
	if _, _, err := b.Reconstruct(context.Background(), in, nil); !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("Reconstruct: err = %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := b.Reconstruct(ctx, in, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Reconstruct with a cancelled context: err = %v", err)
	}
	if err := b.Close(); !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("Close: err = %v, want ErrUnavailable", err)
	}
	if (b.Info() != cuda.Info{}) {
		t.Fatalf("Info() = %+v, want the zero Info", b.Info())
	}
}

func ExampleNew() {
	b, err := cuda.New(cuda.Options{})
	if errors.Is(err, backends.ErrUnavailable) {
		fmt.Println("no GPU here; use the CPU backend")
		return
	}
	if err != nil {
		fmt.Println("GPU error:", err)
		return
	}
	defer b.Close()
	info := b.Info()
	fmt.Printf("using %s: %s, compute capability %d.%d\n", b.Name(), info.Name, info.ComputeCapability[0], info.ComputeCapability[1])
}

func ExampleNew_budget() {
	// Half a gigabyte of device memory for this backend's calls, on the first GPU.
	b, err := cuda.New(cuda.Options{MemoryBudget: 512 << 20})
	if err != nil {
		fmt.Println("falling back to the CPU:", errors.Is(err, backends.ErrUnavailable))
		return
	}
	defer b.Close()
	fmt.Println("budget MiB:", b.Info().Budget>>20)
}

// A service uses the GPU where there is one and the CPU reference elsewhere; both build the same
// inflated shape.
func ExampleBackend_Reconstruct() {
	var b backends.Backend = cpu.New(cpu.Options{})
	if g, err := cuda.New(cuda.Options{}); err == nil {
		defer g.Close()
		b = g
	}
	const n = 48
	in := &backends.Input{Width: n, Height: n, PixelSize: 0.5, Mode: backends.Inflate,
		Luminance: make([]float32, n*n), Mask: make([]float32, n*n)}
	for y := range n {
		for x := range n {
			if dx, dy := float64(x)-n/2+0.5, float64(y)-n/2+0.5; dx*dx+dy*dy < 18*18 {
				in.Mask[y*n+x] = 1
			}
		}
	}
	m, _, err := b.Reconstruct(context.Background(), in, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("closed:", m.Topology().Closed())
	// Output: closed: true
}
