package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/orfeas3d/orfeas/estimators"
	"github.com/orfeas3d/orfeas/generator"
)

// ModelFlags are the flags that select the neural estimators: a subject segmentation model and
// a depth model, run by ONNX Runtime. Register them with AddModelFlags (or fill the fields, as
// the server does from its own flag table), then Open them once at startup.
type ModelFlags struct {
	SegmentModel  string // -segment-model: an IS-Net-style ONNX model (1×3×S×S → 1×1×S×S)
	SegmentSize   int    // -segment-size: its input side S (0: the model's own, else 1024)
	SegmentOutput string // -segment-output: probability, logits or minmax
	DepthModel    string // -depth-model: a Depth Anything V2 / MiDaS-style ONNX model
	DepthSize     int    // -depth-size: the input's longest side (0: 518)
	DepthMultiple int    // -depth-multiple: input sides rounded to a multiple of it (0: 14)
	DepthNorm     string // -depth-norm: imagenet or half (mean 0.5, deviation 0.5)
	DepthMetric   bool   // -depth-metric: the model outputs depth (far larger), not inverse depth
	Runtime       string // -onnxruntime: libonnxruntime's path (default $ORFEAS_ONNXRUNTIME_LIB)
	Provider      string // -onnx-provider: cpu, cuda or auto
	CUDALibDir    string // -cuda-lib-dir: folder of the CUDA and cuDNN libraries to preload
	Threads       int    // -onnx-threads: intra-op threads per session (0: one per core)
}

// AddModelFlags registers -segment-model, -segment-size, -segment-output, -depth-model,
// -depth-size, -depth-multiple, -depth-norm, -depth-metric, -onnxruntime, -onnx-provider,
// -cuda-lib-dir and -onnx-threads on fs.
func AddModelFlags(fs *flag.FlagSet) *ModelFlags {
	m := &ModelFlags{}
	fs.StringVar(&m.SegmentModel, "segment-model", "", "subject segmentation ONNX model `path` (IS-Net style; scripts/fetch-isnet.sh extracts one); default: the built-in GrabCut")
	fs.IntVar(&m.SegmentSize, "segment-size", 0, "segment model's square input side in `px` (default: the model's own, else 1024)")
	fs.StringVar(&m.SegmentOutput, "segment-output", "probability", "segment model's output: probability, logits or minmax")
	fs.StringVar(&m.DepthModel, "depth-model", "", "depth ONNX model `path` (Depth Anything V2 / MiDaS style): photo reliefs from depth, bas-relief compressed")
	fs.IntVar(&m.DepthSize, "depth-size", 0, "depth model input's longest side in `px` (default 518; ignored for fixed-size models)")
	fs.IntVar(&m.DepthMultiple, "depth-multiple", 0, "depth model input sides rounded to a multiple of `n` (default 14)")
	fs.StringVar(&m.DepthNorm, "depth-norm", "imagenet", "depth model input normalisation: imagenet or half (mean 0.5, deviation 0.5)")
	fs.BoolVar(&m.DepthMetric, "depth-metric", false, "the depth model outputs depth (far is larger) instead of inverse depth")
	fs.StringVar(&m.Runtime, "onnxruntime", "", "ONNX Runtime library `path` (default $"+estimators.LibraryEnv+"; scripts/fetch-onnxruntime.sh fetches one)")
	fs.StringVar(&m.Provider, "onnx-provider", "cpu", "ONNX execution provider: cpu, cuda or auto (cuda where it loads)")
	fs.StringVar(&m.CUDALibDir, "cuda-lib-dir", "", "`folder` of the CUDA and cuDNN libraries for -onnx-provider cuda (default: the loader's path)")
	fs.IntVar(&m.Threads, "onnx-threads", 0, "ONNX Runtime threads per model (default: one per core)")
	return m
}

// Models are the estimators ModelFlags opened, ready for a generator.Config. Close them when the
// program ends.
type Models struct {
	// Segmenter and Depth are nil when their flag was not given.
	Segmenter generator.Segmenter
	Depth     generator.DepthEstimator
	// Notes say, for people, what was loaded and on which execution provider, and why not CUDA
	// where it was asked for.
	Notes []string
	rt    *estimators.Runtime
}

// ModelError is a model flag whose model cannot be used: the file is missing or unreadable,
// ONNX Runtime is unavailable (errors.Is(err, estimators.ErrUnavailable)), or the model has
// the wrong layout (errors.Is(err, estimators.ErrBadModel)).
type ModelError struct {
	Flag, Path string
	Err        error
}

// Error names the flag, the path and the cause.
func (e *ModelError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("-%s: %v", e.Flag, e.Err)
	}
	return fmt.Sprintf("-%s %s: %v", e.Flag, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *ModelError) Unwrap() error { return e.Err }

// Open loads ONNX Runtime and the models the flags name; with neither model given it loads
// nothing and returns empty Models. Every problem is a *ModelError naming the flag.
func (m *ModelFlags) Open() (*Models, error) {
	out := &Models{}
	if m == nil || (m.SegmentModel == "" && m.DepthModel == "") {
		return out, nil
	}
	var segOut estimators.OutputScale
	switch strings.ToLower(m.SegmentOutput) {
	case "", "probability":
		segOut = estimators.Probability
	case "logits":
		segOut = estimators.Logits
	case "minmax":
		segOut = estimators.MinMax
	default:
		return nil, &ModelError{Flag: "segment-output", Err: Usagef("%q: want probability, logits or minmax", m.SegmentOutput)}
	}
	var norm estimators.Normalization
	switch strings.ToLower(m.DepthNorm) {
	case "", "imagenet":
		norm = estimators.ImageNetNormalization
	case "half":
		norm = estimators.Normalization{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}}
	default:
		return nil, &ModelError{Flag: "depth-norm", Err: Usagef("%q: want imagenet or half", m.DepthNorm)}
	}
	// The files first: a mistyped path is the likeliest problem, and needs no runtime to say.
	for _, f := range []struct{ flag, path string }{{"segment-model", m.SegmentModel}, {"depth-model", m.DepthModel}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return nil, &ModelError{Flag: f.flag, Path: f.path, Err: err}
		}
	}
	rt, err := estimators.OpenRuntime(estimators.RuntimeOptions{
		Library: m.Runtime, Provider: m.Provider, CUDALibraryDir: m.CUDALibDir, Threads: m.Threads,
	})
	if err != nil {
		flag := "onnxruntime"
		if !errors.Is(err, estimators.ErrUnavailable) {
			flag = "onnx-provider"
		}
		return nil, &ModelError{Flag: flag, Path: m.Runtime, Err: err}
	}
	out.rt = rt
	fail := func(e *ModelError) (*Models, error) {
		rt.Close()
		return nil, e
	}
	note := func(what string, mdl *estimators.Model) {
		s := fmt.Sprintf("%s %s on %s (ONNX Runtime %s)", what, mdl.Name(), mdl.Provider(), rt.Version())
		if n := mdl.ProviderNote(); n != "" {
			s += ": " + n
		}
		out.Notes = append(out.Notes, s)
	}
	if m.SegmentModel != "" {
		mdl, err := rt.LoadModel(m.SegmentModel)
		if err != nil {
			return fail(&ModelError{Flag: "segment-model", Path: m.SegmentModel, Err: err})
		}
		seg, err := estimators.NewSegmenter(mdl, estimators.SegmentOptions{Size: m.SegmentSize, Output: segOut})
		if err != nil {
			return fail(&ModelError{Flag: "segment-model", Path: m.SegmentModel, Err: err})
		}
		out.Segmenter = seg
		note("segmentation model", mdl)
	}
	if m.DepthModel != "" {
		mdl, err := rt.LoadModel(m.DepthModel)
		if err != nil {
			return fail(&ModelError{Flag: "depth-model", Path: m.DepthModel, Err: err})
		}
		d, err := estimators.NewDepthEstimator(mdl, estimators.DepthOptions{
			Size: m.DepthSize, Multiple: m.DepthMultiple, Normalization: norm, Metric: m.DepthMetric,
		})
		if err != nil {
			return fail(&ModelError{Flag: "depth-model", Path: m.DepthModel, Err: err})
		}
		out.Depth = d
		note("depth model", mdl)
	}
	return out, nil
}

// Apply puts the models into cfg (a nil *Models changes nothing).
func (ms *Models) Apply(cfg *generator.Config) {
	if ms == nil {
		return
	}
	cfg.Segmenter, cfg.Depth = ms.Segmenter, ms.Depth
}

// Close releases the runtime's sessions.
func (ms *Models) Close() error {
	if ms == nil || ms.rt == nil {
		return nil
	}
	return ms.rt.Close()
}

// OpenGeneratorModels opens the generator for backend with the remote flags r and the models
// (either may be nil), as OpenGeneratorWith does.
func OpenGeneratorModels(backend string, r *RemoteFlags, models *Models) (*generator.Generator, error) {
	cfg, err := r.Config(backend)
	if err != nil {
		return nil, err
	}
	models.Apply(&cfg)
	g, err := generator.New(cfg)
	if err != nil {
		if errors.Is(err, generator.ErrInvalidConfig) {
			return nil, &usageWrap{UsageError{fmt.Sprintf("-backend %s: %v", backend, err)}, err}
		}
		return nil, fmt.Errorf("-backend %s: %w", backend, err)
	}
	return g, nil
}
