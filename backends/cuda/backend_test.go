//go:build cgo

package cuda

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"golang.org/x/sync/semaphore"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/emu"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
)

func TestCallBeyondBudgetIsOutOfMemory(t *testing.T) {
	b := &Backend{budget: 1 << 20, sem: semaphore.NewWeighted(1 << 20)}
	called := false
	err := b.onDevice(context.Background(), 2<<20, func(gpu.Stream) error { called = true; return nil })
	if !errors.Is(err, ErrOutOfMemory) || called {
		t.Fatalf("err = %v (ran: %v), want ErrOutOfMemory without running", err, called)
	}
	// A call that fits waits for its share; a cancelled wait returns the context's error.
	if !b.sem.TryAcquire(1 << 20) {
		t.Fatal("budget not free")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.onDevice(ctx, 1, func(gpu.Stream) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestDeviceOutOfMemory runs inflate on an emulated device too small for it: a typed error, no
// panic.
func TestDeviceOutOfMemory(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	in := testInput(r, 60, 50, backends.InflateParams{Symmetric: true, MaxThickness: -1}, 0)
	for _, limit := range []uint64{1, 1 << 10, 1 << 16, 1 << 20} {
		small := func(_ context.Context, _ uint64, f func(gpu.Stream) error) error {
			s := emu.NewStream(limit)
			defer s.Close()
			return f(s)
		}
		_, _, err := inflate(context.Background(), in, nil, small)
		if !errors.Is(err, ErrOutOfMemory) {
			t.Fatalf("limit %d: err = %v, want ErrOutOfMemory", limit, err)
		}
	}
}

// TestInflateBytesCoversUse checks that the budget estimate is not below what the pipeline
// allocates on the emulator.
func TestInflateBytesCoversUse(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for _, p := range []backends.InflateParams{{}, {Profile: backends.Dome, Thickness: 3}, {FlatBack: true}} {
		in := testInput(r, 70, 45, p, 0)
		// emuRunner fails the test when the stages use more than the estimate.
		if _, _, err := inflate(context.Background(), in, nil, emuRunner(t)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSizeClass(t *testing.T) {
	prev := uint64(0)
	for size := uint64(1); size < 1<<24; size = size*5/4 + 1 {
		c := sizeClass(size)
		if c < size || (size > 256 && float64(c) > 1.25*float64(size)+1) || c < prev {
			t.Fatalf("sizeClass(%d) = %d", size, c)
		}
		prev = c
	}
}
