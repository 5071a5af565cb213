//go:build cgo

package cuda

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// Backend is the CUDA backend. It is safe for concurrent use: every call runs on its own CUDA
// stream, and calls wait for their share of the memory budget. The zero value has no GPU: its
// Reconstruct reports backends.ErrUnavailable.
type Backend struct {
	dev    *device
	pool   pool
	sem    *semaphore.Weighted
	budget uint64
	host   backends.Backend
	closed atomic.Bool
	once   sync.Once
	err    error
}

var _ backends.Backend = (*Backend)(nil)

// errZero is what the zero Backend reports.
var errZero = fmt.Errorf("%w: cuda: backend not opened with New", backends.ErrUnavailable)

// New opens the GPU that opts name (the zero Options: the first, with the default budget and no
// host backend). Without a usable GPU (no driver, no device, a driver too old for the kernels)
// the error wraps backends.ErrUnavailable and says why.
func New(opts Options) (*Backend, error) {
	d, err := openDevice(opts.Device)
	if err != nil {
		return nil, err
	}
	b := &Backend{dev: d, host: opts.Host}
	b.pool.d = d
	b.budget = opts.MemoryBudget
	if b.budget == 0 {
		b.budget = d.info.FreeMemory / 5 * 4
	}
	d.info.Budget = b.budget
	b.sem = semaphore.NewWeighted(int64(b.budget))
	return b, nil
}

// Available reports whether the driver loads and sees at least one GPU. It does not open one.
func Available() bool { return loadDriver() == nil }

// Name returns "cuda".
func (*Backend) Name() string { return "cuda" }

// Info describes the GPU; the zero Info for the zero Backend.
func (b *Backend) Info() Info {
	if b.dev == nil {
		return Info{}
	}
	return b.dev.info
}

// Reconstruct builds the mesh for in and reports on it as every backend does (backends.Report);
// the package doc says which stages run on the GPU and which on Options.Host. Errors wrap
// backends.ErrInvalidInput, backends.ErrUnsupportedMode (a host stage without Options.Host),
// backends.ErrUnavailable (the zero Backend), ErrOutOfMemory, backends.ErrClosed, or the
// context's error.
func (b *Backend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	m, rep, err := b.reconstruct(ctx, in, progress)
	if err != nil {
		return nil, backends.Report{}, err
	}
	return m, rep, nil
}

func (b *Backend) reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	if b.dev == nil {
		if err := ctx.Err(); err != nil {
			return nil, backends.Report{}, err
		}
		return nil, backends.Report{}, errZero
	}
	if err := backends.Check(ctx, "cuda", b.closed.Load(), in); err != nil {
		return nil, backends.Report{}, err
	}
	return dispatch(ctx, in, progress, b.onDevice, b.host, b.budget)
}

// deviceRunner runs f on a stream once need bytes of device memory may be used.
type deviceRunner func(ctx context.Context, need uint64, f func(gpu.Stream) error) error

// dispatch runs in's mode: its device stages through onDevice, its CPU stages in host. budget is
// the device memory budget (0: no limit), which decides whether a heightfield fits the device.
func dispatch(ctx context.Context, in *backends.Input, progress backends.Progress, onDevice deviceRunner, host backends.Backend, budget uint64) (*mesh.Mesh, backends.Report, error) {
	switch in.Mode {
	case backends.Inflate:
		m, _, err := inflate(ctx, in, progress, onDevice)
		if err != nil {
			return nil, backends.Report{}, fmt.Errorf("cuda: inflate: %w", err)
		}
		return m, backends.Counted(in, m), nil
	case backends.Relief, backends.Lithophane:
		if !heightfieldOnDevice(in, budget) {
			return onHost(ctx, host, in, progress)
		}
		var m *mesh.Mesh
		var rep backends.Report
		var err error
		if in.Mode == backends.Relief {
			m, rep, err = relief(ctx, in, progress, onDevice)
		} else {
			progress.Report("height", 0)
			g := modes.LithophaneThickness(in, in.Lithophane.Defaults())
			progress.Report("height", 1)
			m, rep, err = heightfieldMesh(ctx, in, g, progress, onDevice)
		}
		if err != nil {
			return nil, backends.Report{}, fmt.Errorf("cuda: %s: %w", in.Mode, err)
		}
		if in.Mode == backends.Relief && in.Color != nil {
			modes.ColourByProjection(m, in, runtime.GOMAXPROCS(0))
		}
		return m, rep, nil
	case backends.Extrude:
		return onHost(ctx, host, in, progress)
	}
	return nil, backends.Report{}, fmt.Errorf("cuda: %w: %q", backends.ErrUnsupportedMode, in.Mode)
}

// onHost runs the stages that stay on the CPU, on the injected host backend.
func onHost(ctx context.Context, host backends.Backend, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	if host == nil {
		return nil, backends.Report{}, fmt.Errorf("cuda: %w: %s needs a host backend (Options.Host)", backends.ErrUnsupportedMode, hostStage(in))
	}
	return host.Reconstruct(ctx, in, progress)
}

// hostStage names what in asks of the host, for the error when there is none.
func hostStage(in *backends.Input) string {
	switch {
	case in.Mode == backends.Lithophane && in.Lithophane.Defaults().Shape == backends.Cylinder:
		return "a cylinder lithophane"
	case in.Mode == backends.Extrude:
		return "an extrusion"
	}
	return fmt.Sprintf("a %s this large", in.Mode)
}

// reserve is what a call whose buffers add up to need bytes holds of the memory budget: the pool
// rounds every buffer up to its size class, at most a quarter more (sizeClass).
func reserve(need uint64) uint64 { return need + need/4 }

// onDevice runs f on a fresh stream once reserve(need) bytes of the memory budget are free, and
// returns the stream's memory to the pool.
func (b *Backend) onDevice(ctx context.Context, need uint64, f func(gpu.Stream) error) (err error) {
	need = reserve(need)
	if need > b.budget {
		return fmt.Errorf("%w: the call needs about %d MiB, the budget is %d MiB", ErrOutOfMemory, need>>20, b.budget>>20)
	}
	if err := b.sem.Acquire(ctx, int64(need)); err != nil {
		return err
	}
	defer b.sem.Release(int64(need))
	if b.closed.Load() {
		return errClosed
	}
	s, err := newStream(b.dev, &b.pool)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.release()) }()
	return f(s)
}

// Close waits for the calls in flight, then frees the device memory pool, unloads the kernels and
// releases the GPU. Later calls return an error wrapping backends.ErrClosed; Close is
// idempotent. A host backend from Options.Host is not closed.
func (b *Backend) Close() error {
	if b.dev == nil {
		return errZero
	}
	b.once.Do(func() {
		b.closed.Store(true)
		// Every call holds part of the budget while it runs: taking all of it waits for them.
		_ = b.sem.Acquire(context.Background(), int64(b.budget))
		b.err = errors.Join(b.pool.drain(), b.dev.close())
		b.sem.Release(int64(b.budget))
	})
	return b.err
}
