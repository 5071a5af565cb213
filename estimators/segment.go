package estimators

import (
	"context"
	"fmt"
	"image"
	"math"
	"path/filepath"
)

// OutputScale says how a segmentation model's output maps to a matte in 0..1.
type OutputScale int

const (
	// Probability takes the output as a probability and clamps it to [0, 1] (IS-Net exports
	// whose last layer is a sigmoid, as @imgly/background-removal's are).
	Probability OutputScale = iota
	// Logits applies a sigmoid first (exports that end before it).
	Logits
	// MinMax stretches the output's range to [0, 1] (the DIS reference code's normalisation).
	MinMax
)

// SegmentOptions configures a [Segmenter]. The zero value fits IS-Net at 1024².
type SegmentOptions struct {
	// Size is the model's square input side S. 0: the model's own, where its input shape is
	// fixed, else 1024.
	Size int
	// Normalization of the input; zero: [ISNetNormalization].
	Normalization Normalization
	// Output says how the model's output becomes a matte; zero: [Probability].
	Output OutputScale
}

// Segmenter finds the salient subject of a photo with a 1×3×S×S → 1×1×S×S model (IS-Net style):
// the image is stretched to S×S (antialiased bilinear), normalised, run, and the S×S matte
// resized back to the image. Safe for concurrent use.
type Segmenter struct {
	model *Model
	opts  SegmentOptions
}

// NewSegmenter checks that m has the segmentation layout and fills opts' defaults.
func NewSegmenter(m *Model, opts SegmentOptions) (*Segmenter, error) {
	in, out := m.info.InputShape, m.info.OutputShape
	if len(in) != 4 || (in[1] != 3 && in[1] > 0) {
		return nil, &ModelError{Model: m.name, Reason: fmt.Sprintf("input shape %v, want 1×3×S×S", in)}
	}
	if len(out) != 4 || (out[1] != 1 && out[1] > 0) {
		return nil, &ModelError{Model: m.name, Reason: fmt.Sprintf("output shape %v, want 1×1×S×S", out)}
	}
	if opts.Size == 0 {
		opts.Size = 1024
		if in[2] > 0 && in[2] == in[3] {
			opts.Size = int(in[2])
		}
	}
	if (in[2] > 0 && in[2] != int64(opts.Size)) || (in[3] > 0 && in[3] != int64(opts.Size)) {
		return nil, &ModelError{Model: m.name, Reason: fmt.Sprintf("input shape %v does not take Size %d", in, opts.Size)}
	}
	if opts.Size < 1 || opts.Size > 4096 {
		return nil, fmt.Errorf("estimators: segment Size %d outside 1..4096", opts.Size)
	}
	if opts.Normalization.isZero() {
		opts.Normalization = ISNetNormalization
	}
	return &Segmenter{model: m, opts: opts}, nil
}

// Segment returns the subject's soft matte at img's size and bounds: 255 subject, 0 background.
// [Binarize] makes it a mask.
func (s *Segmenter) Segment(ctx context.Context, img image.Image) (*image.Alpha, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("estimators: segment: empty image")
	}
	S := s.opts.Size
	out, err := s.model.Run(ctx, toInput(toPlanes(img), S, S, s.opts.Normalization))
	if err != nil {
		return nil, err
	}
	if len(out.Data) != S*S {
		return nil, &ModelError{Model: s.model.name, Reason: fmt.Sprintf("output shape %v, want 1×1×%d×%d", out.Shape, S, S)}
	}
	matte := scaleMatte(out.Data, s.opts.Output)
	full := resample(matte, S, S, b.Dx(), b.Dy())
	a := image.NewAlpha(b)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			v := min(max(full[y*b.Dx()+x], 0), 1)
			a.Pix[y*a.Stride+x] = uint8(math.Round(float64(v) * 255))
		}
	}
	return a, nil
}

// scaleMatte maps raw model output to [0, 1] as o says.
func scaleMatte(raw []float32, o OutputScale) []float32 {
	m := make([]float32, len(raw))
	switch o {
	case Logits:
		for i, v := range raw {
			m[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	case MinMax:
		lo, hi := raw[0], raw[0]
		for _, v := range raw {
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi > lo {
			for i, v := range raw {
				m[i] = (v - lo) / (hi - lo)
			}
		}
	default:
		for i, v := range raw {
			m[i] = min(max(v, 0), 1)
		}
	}
	return m
}

// Name returns the model file's base name and the execution provider its session runs on, as
// reports show it: "isnet-small.onnx (cpu)".
func (s *Segmenter) Name() string {
	return filepath.Base(s.model.name) + " (" + s.model.ep.name + ")"
}
