package estimators

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/sync/semaphore"
)

// LibraryEnv names the environment variable that gives the ONNX Runtime shared library's path
// when [RuntimeOptions.Library] is empty.
const LibraryEnv = "ORFEAS_ONNXRUNTIME_LIB"

// RuntimeOptions configures [OpenRuntime]. The zero value means the documented defaults.
type RuntimeOptions struct {
	// Library is the path of libonnxruntime (ONNX Runtime ≥ 1.24). Empty: $ORFEAS_ONNXRUNTIME_LIB.
	Library string
	// Threads is the intra-op thread count of each session. 0: ONNX Runtime's default (one per
	// physical core).
	Threads int
	// MaxRuns bounds the runs in flight across all of this runtime's models; more wait their
	// turn (or for their context). 0: 1.
	MaxRuns int
	// Provider is the execution provider sessions ask for: ProviderCPU ("" or "cpu"),
	// ProviderCUDA ("cuda"), or ProviderAuto ("auto", CUDA where it loads, else CPU). A session
	// for which CUDA does not load runs on the CPU; [Model.Provider] says which ran and
	// [Model.ProviderNote] why.
	Provider string
	// CUDALibraryDir, for the CUDA provider, is a folder whose CUDA and cuDNN libraries
	// (libcudart, libcublas, libcublasLt, libcufft, libcurand, libcudnn*) are loaded before the
	// provider, for machines where they are not on the loader's path. ONNX Runtime itself
	// loads libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so from the
	// folder of Library, as in Microsoft's GPU release archives. Empty: the loader's path.
	CUDALibraryDir string
}

// Execution providers for RuntimeOptions.Provider.
const (
	ProviderCPU  = "cpu"
	ProviderCUDA = "cuda"
	ProviderAuto = "auto"
)

// Tensor is a dense float32 tensor in row-major order (NCHW for images).
type Tensor struct {
	Shape []int64
	Data  []float32
}

// Info describes a model's first input and first output, as the model declares them; a
// dimension of -1 is free (symbolic).
type Info struct {
	Input, Output           string
	InputShape, OutputShape []int64
}

// Runtime is a loaded ONNX Runtime. Its models share one run semaphore. Safe for concurrent use.
//
// ONNX Runtime's environment is process-wide: it is created by the first successful OpenRuntime
// and lives until the process ends, so later runtimes must name the same library.
type Runtime struct {
	opts RuntimeOptions
	sem  *semaphore.Weighted

	mu     sync.Mutex
	closed bool
	models map[*Model]struct{}
}

// Model is one ONNX model with its session, created once and shared: concurrent Run calls are
// safe (ONNX Runtime sessions are) and bounded by the runtime's semaphore.
type Model struct {
	rt   *Runtime
	name string
	info Info
	sess session
	ep   provider

	mu     sync.RWMutex
	closed bool
}

// session is what the cgo engine (ort.go) or the stub provides.
type session interface {
	run(ctx context.Context, in Tensor) (Tensor, error)
	destroy()
}

// OpenRuntime loads ONNX Runtime from opts.Library (or $ORFEAS_ONNXRUNTIME_LIB). It returns an
// [*UnavailableError] when the library is not given, cannot be loaded, or the binary was built
// without cgo.
func OpenRuntime(opts RuntimeOptions) (*Runtime, error) {
	if opts.Library == "" {
		opts.Library = os.Getenv(LibraryEnv)
	}
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = 1
	}
	if opts.Threads < 0 {
		return nil, fmt.Errorf("estimators: Threads %d is negative", opts.Threads)
	}
	switch opts.Provider = strings.ToLower(strings.TrimSpace(opts.Provider)); opts.Provider {
	case "":
		opts.Provider = ProviderCPU
	case ProviderCPU, ProviderCUDA, ProviderAuto:
	default:
		return nil, fmt.Errorf("estimators: unknown execution provider %q (want cpu, cuda or auto)", opts.Provider)
	}
	if opts.Library == "" {
		return nil, &UnavailableError{Reason: "no library path: set " + LibraryEnv +
			" or RuntimeOptions.Library (scripts/fetch-onnxruntime.sh fetches one)"}
	}
	if _, err := os.Stat(opts.Library); err != nil {
		return nil, &UnavailableError{Library: opts.Library, Reason: "library not found", Err: err}
	}
	if err := initEnvironment(opts.Library); err != nil {
		return nil, err
	}
	return &Runtime{opts: opts, sem: semaphore.NewWeighted(int64(opts.MaxRuns)),
		models: map[*Model]struct{}{}}, nil
}

// Version returns the loaded ONNX Runtime's version, e.g. "1.30.0".
func (r *Runtime) Version() string { return ortVersion() }

// LoadModel creates the session for the ONNX model at path.
func (r *Runtime) LoadModel(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("estimators: load model: %w", err)
	}
	return r.load(path, data)
}

// LoadModelBytes creates the session for an ONNX model held in memory.
func (r *Runtime) LoadModelBytes(data []byte) (*Model, error) { return r.load("<bytes>", data) }

func (r *Runtime) load(name string, data []byte) (*Model, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	info, sess, ep, err := newSession(name, data, r.opts)
	if err != nil {
		return nil, err
	}
	m := &Model{rt: r, name: name, info: info, sess: sess, ep: ep}
	r.models[m] = struct{}{}
	return m, nil
}

// Close destroys the sessions of every model this runtime loaded. Runs in flight finish first.
func (r *Runtime) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	models := r.models
	r.models = nil
	r.mu.Unlock()
	for m := range models {
		m.close()
	}
	return nil
}

// Info returns the model's first input and output as the model declares them.
func (m *Model) Info() Info { return m.info }

// provider is the execution provider a session got, and why not the one asked for.
type provider struct {
	name, note string
}

// Provider returns the execution provider the model's session runs on: "cpu" or "cuda".
func (m *Model) Provider() string { return m.ep.name }

// ProviderNote says why the model runs on the CPU when RuntimeOptions.Provider asked for CUDA
// (the provider library or the CUDA libraries did not load, no device); empty otherwise.
func (m *Model) ProviderNote() string { return m.ep.note }

// Name returns the model's path ("<bytes>" when loaded from memory).
func (m *Model) Name() string { return m.name }

// Run feeds in to the model's first input and returns its first output. It waits for a run slot
// (the runtime's semaphore) and returns ctx's error if the context ends first; a context that
// ends during the run sets ONNX Runtime's terminate flag, and Run returns ctx's error as soon as
// the runtime notices (between operator kernels).
func (m *Model) Run(ctx context.Context, in Tensor) (Tensor, error) {
	n := int64(1)
	for _, d := range in.Shape {
		if d <= 0 {
			return Tensor{}, fmt.Errorf("estimators: input shape %v has a non-positive dimension", in.Shape)
		}
		n *= d
	}
	if n != int64(len(in.Data)) {
		return Tensor{}, fmt.Errorf("estimators: input shape %v needs %d values, have %d", in.Shape, n, len(in.Data))
	}
	if err := m.rt.sem.Acquire(ctx, 1); err != nil {
		return Tensor{}, err
	}
	defer m.rt.sem.Release(1)
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return Tensor{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return Tensor{}, err
	}
	out, err := m.sess.run(ctx, in)
	if cerr := ctx.Err(); cerr != nil {
		return Tensor{}, cerr
	}
	if err != nil {
		return Tensor{}, fmt.Errorf("estimators: run %s: %w", m.name, err)
	}
	return out, nil
}

// Close destroys the model's session after runs in flight finish.
func (m *Model) Close() error {
	m.rt.mu.Lock()
	if m.rt.models != nil {
		delete(m.rt.models, m)
	}
	m.rt.mu.Unlock()
	m.close()
	return nil
}

func (m *Model) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		m.sess.destroy()
	}
}
