//go:build cgo

package estimators

import (
	"context"
	"fmt"
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

func newSession(name string, data []byte, opts RuntimeOptions) (Info, session, error) {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return Info{}, nil, &ModelError{Model: name, Reason: "ONNX Runtime cannot read it: " + err.Error()}
	}
	if len(ins) != 1 || len(outs) == 0 {
		return Info{}, nil, &ModelError{Model: name, Reason: fmt.Sprintf("want one input and at least one output, have %d and %d", len(ins), len(outs))}
	}
	in, out := ins[0], outs[0]
	if in.OrtValueType != ort.ONNXTypeTensor || in.DataType != ort.TensorElementDataTypeFloat ||
		out.OrtValueType != ort.ONNXTypeTensor || out.DataType != ort.TensorElementDataTypeFloat {
		return Info{}, nil, &ModelError{Model: name, Reason: fmt.Sprintf("want float32 tensors, have input %v and output %v", &in, &out)}
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return Info{}, nil, err
	}
	defer so.Destroy()
	if opts.Threads > 0 {
		if err := so.SetIntraOpNumThreads(opts.Threads); err != nil {
			return Info{}, nil, err
		}
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return Info{}, nil, err
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{in.Name}, []string{out.Name}, so)
	if err != nil {
		return Info{}, nil, &ModelError{Model: name, Reason: "session: " + err.Error()}
	}
	info := Info{Input: in.Name, Output: out.Name,
		InputShape: append([]int64(nil), in.Dimensions...), OutputShape: append([]int64(nil), out.Dimensions...)}
	return info, &ortSession{s: s, output: out.Name}, nil
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
