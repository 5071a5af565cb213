//go:build cgo

package estimators

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// The binding keeps one ONNX Runtime environment per process; env guards it.
var env struct {
	sync.Mutex
	lib string // the library the environment was created from; "" before
}

func initEnvironment(lib string) error {
	env.Lock()
	defer env.Unlock()
	if env.lib != "" {
		if env.lib != lib {
			return &UnavailableError{Library: lib, Reason: fmt.Sprintf(
				"ONNX Runtime is already loaded in this process from %q; a process loads one library", env.lib)}
		}
		return nil
	}
	ort.SetSharedLibraryPath(lib)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return &UnavailableError{Library: lib, Reason: "the library did not load (ONNX Runtime ≥ 1.24 is needed)", Err: err}
	}
	env.lib = lib
	return nil
}

func ortVersion() string {
	env.Lock()
	defer env.Unlock()
	if env.lib == "" {
		return ""
	}
	return ort.GetVersion()
}

type ortSession struct {
	s      *ort.DynamicAdvancedSession
	output string
}

func newSession(name string, data []byte, opts RuntimeOptions) (Info, session, provider, error) {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return Info{}, nil, provider{}, &ModelError{Model: name, Reason: "ONNX Runtime cannot read it: " + err.Error()}
	}
	if len(ins) != 1 || len(outs) == 0 {
		return Info{}, nil, provider{}, &ModelError{Model: name, Reason: fmt.Sprintf("want one input and at least one output, have %d and %d", len(ins), len(outs))}
	}
	in, out := ins[0], outs[0]
	if in.OrtValueType != ort.ONNXTypeTensor || in.DataType != ort.TensorElementDataTypeFloat ||
		out.OrtValueType != ort.ONNXTypeTensor || out.DataType != ort.TensorElementDataTypeFloat {
		return Info{}, nil, provider{}, &ModelError{Model: name, Reason: fmt.Sprintf("want float32 tensors, have input %v and output %v", &in, &out)}
	}
	info := Info{Input: in.Name, Output: out.Name,
		InputShape: append([]int64(nil), in.Dimensions...), OutputShape: append([]int64(nil), out.Dimensions...)}
	ep := provider{name: ProviderCPU}
	if opts.Provider == ProviderCUDA || opts.Provider == ProviderAuto {
		// ONNX Runtime looks for the provider beside its own library; say so plainly where it is
		// missing (npm's onnxruntime-node ships a CPU-only library) rather than pass on its log.
		pl := filepath.Join(filepath.Dir(opts.Library), "libonnxruntime_providers_cuda.so")
		if _, err := os.Stat(pl); err != nil {
			ep.note = "CUDA execution provider unavailable, running on the CPU: no " + pl +
				" beside the ONNX Runtime library (a GPU build of ONNX Runtime has it; npm's onnxruntime-node is CPU-only)"
		} else if s, err := createSession(data, in.Name, out.Name, opts, true); err == nil {
			return info, &ortSession{s: s, output: out.Name}, provider{name: ProviderCUDA}, nil
		} else {
			ep.note = "CUDA execution provider unavailable, running on the CPU: " + err.Error()
		}
	}
	s, err := createSession(data, in.Name, out.Name, opts, false)
	if err != nil {
		return Info{}, nil, provider{}, &ModelError{Model: name, Reason: "session: " + err.Error()}
	}
	return info, &ortSession{s: s, output: out.Name}, ep, nil
}

// createSession makes a session for the model, on the CUDA execution provider when cuda is set
// (an error when it does not load, which the caller turns into a CPU session).
func createSession(data []byte, in, out string, opts RuntimeOptions, cuda bool) (*ort.DynamicAdvancedSession, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	if opts.Threads > 0 {
		if err := so.SetIntraOpNumThreads(opts.Threads); err != nil {
			return nil, err
		}
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	if cuda {
		if err := preloadCUDA(opts.CUDALibraryDir); err != nil {
			return nil, err
		}
		co, err := ort.NewCUDAProviderOptions()
		if err != nil {
			return nil, err
		}
		defer co.Destroy()
		if err := so.AppendExecutionProviderCUDA(co); err != nil {
			return nil, err
		}
	}
	return ort.NewDynamicAdvancedSessionWithONNXData(data, []string{in}, []string{out}, so)
}

func (s *ortSession) run(ctx context.Context, in Tensor) (Tensor, error) {
	x, err := ort.NewTensor(ort.NewShape(in.Shape...), in.Data)
	if err != nil {
		return Tensor{}, err
	}
	defer x.Destroy()
	ro, err := ort.NewRunOptions()
	if err != nil {
		return Tensor{}, err
	}
	defer ro.Destroy()
	// Terminate from another goroutine is what the flag is for; wait for it before ro.Destroy.
	terminated := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(terminated)
		_ = ro.Terminate()
	})
	outs := []ort.Value{nil}
	err = s.s.RunWithOptions([]ort.Value{x}, outs, ro)
	if !stop() {
		<-terminated
	}
	if err != nil {
		return Tensor{}, err
	}
	defer outs[0].Destroy()
	t, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return Tensor{}, fmt.Errorf("output %s is %T, want a float32 tensor", s.output, outs[0])
	}
	return Tensor{Shape: append([]int64(nil), t.GetShape()...), Data: append([]float32(nil), t.GetData()...)}, nil
}

func (s *ortSession) destroy() { _ = s.s.Destroy() }

// haveCgo says whether this build can load ONNX Runtime.
const haveCgo = true
