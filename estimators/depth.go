package estimators

import (
	"context"
	"fmt"
	"image"
	"math"
	"path/filepath"
)

// DepthOptions configures a [DepthEstimator]. The zero value fits Depth Anything V2 (ViT-S/B/L,
// 518 px, ImageNet normalisation, relative inverse depth out) and MiDaS v3 DPT exports.
type DepthOptions struct {
	// Size is the input's longest side before rounding to Multiple; the other side keeps the
	// aspect ratio. Ignored where the model's input shape is fixed (the image is stretched to
	// it). 0: 518.
	Size int
	// Multiple rounds both input sides to a multiple of it (14 for DINOv2 patches). 0: 14.
	Multiple int
	// Normalization of the input; zero: [ImageNetNormalization].
	Normalization Normalization
	// Metric says the model outputs depth (far is larger) rather than inverse depth (near is
	// larger, as Depth Anything and MiDaS do); the map is flipped so 1 is always nearest.
	Metric bool
}

// DepthMap is a relative depth map at the image's size: Values[y*Width+x] in [0, 1], 1 nearest
// the viewer, 0 farthest (min-max normalised, as backends.Input.Depth takes it).
type DepthMap struct {
	Width, Height int
	Values        []float32
}

// DepthEstimator estimates relative depth with a 1×3×H×W → 1×H×W (or 1×1×H×W) model. Safe for
// concurrent use.
type DepthEstimator struct {
	model *Model
	opts  DepthOptions
	fixed [2]int // the model's fixed input width and height, or 0
}

// NewDepthEstimator checks that m has the depth layout and fills opts' defaults.
func NewDepthEstimator(m *Model, opts DepthOptions) (*DepthEstimator, error) {
	in, out := m.info.InputShape, m.info.OutputShape
	if len(in) != 4 || (in[1] != 3 && in[1] > 0) {
		return nil, &ModelError{Model: m.name, Reason: fmt.Sprintf("input shape %v, want 1×3×H×W", in)}
	}
	if len(out) != 3 && !(len(out) == 4 && (out[1] == 1 || out[1] < 0)) {
		return nil, &ModelError{Model: m.name, Reason: fmt.Sprintf("output shape %v, want 1×H×W or 1×1×H×W", out)}
	}
	if opts.Size == 0 {
		opts.Size = 518
	}
	if opts.Multiple == 0 {
		opts.Multiple = 14
	}
	if opts.Size < 1 || opts.Size > 4096 || opts.Multiple < 1 || opts.Multiple > opts.Size {
		return nil, fmt.Errorf("estimators: depth Size %d / Multiple %d out of range", opts.Size, opts.Multiple)
	}
	if opts.Normalization.isZero() {
		opts.Normalization = ImageNetNormalization
	}
	d := &DepthEstimator{model: m, opts: opts}
	if in[2] > 0 && in[3] > 0 {
		d.fixed = [2]int{int(in[3]), int(in[2])}
	}
	return d, nil
}

// inputSize is the model input's width and height for a w×h image.
func (d *DepthEstimator) inputSize(w, h int) (int, int) {
	if d.fixed[0] > 0 {
		return d.fixed[0], d.fixed[1]
	}
	s := float64(d.opts.Size) / float64(max(w, h))
	m := float64(d.opts.Multiple)
	round := func(v int) int { return max(int(math.Round(float64(v)*s/m)), 1) * d.opts.Multiple }
	return round(w), round(h)
}

// Estimate returns img's relative depth map at its size.
func (d *DepthEstimator) Estimate(ctx context.Context, img image.Image) (*DepthMap, error) {
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("estimators: depth: empty image")
	}
	iw, ih := d.inputSize(b.Dx(), b.Dy())
	out, err := d.model.Run(ctx, toInput(toPlanes(img), iw, ih, d.opts.Normalization))
	if err != nil {
		return nil, err
	}
	ow, oh := 0, 0
	if n := len(out.Shape); n >= 2 {
		ow, oh = int(out.Shape[n-1]), int(out.Shape[n-2])
	}
	if ow*oh != len(out.Data) || ow < 1 {
		return nil, &ModelError{Model: d.model.name, Reason: fmt.Sprintf("output shape %v is not 1×H×W", out.Shape)}
	}
	v := resample(out.Data, ow, oh, b.Dx(), b.Dy())
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	for i, x := range v {
		if hi > lo {
			x = (x - lo) / (hi - lo)
		} else {
			x = 0
		}
		if d.opts.Metric {
			x = 1 - x
		}
		v[i] = x
	}
	return &DepthMap{Width: b.Dx(), Height: b.Dy(), Values: v}, nil
}

// EstimateDepth returns img's relative depth as a 16-bit map at its bounds, 65535 nearest: the
// form generator.DepthEstimator takes.
func (d *DepthEstimator) EstimateDepth(ctx context.Context, img image.Image) (*image.Gray16, error) {
	m, err := d.Estimate(ctx, img)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	g := image.NewGray16(b)
	for y := 0; y < m.Height; y++ {
		for x := 0; x < m.Width; x++ {
			v := uint16(math.Round(float64(min(max(m.Values[y*m.Width+x], 0), 1)) * 65535))
			i := y*g.Stride + 2*x
			g.Pix[i], g.Pix[i+1] = uint8(v>>8), uint8(v)
		}
	}
	return g, nil
}

// Name returns the model file's base name and the execution provider its session runs on, as
// reports show it: "isnet-small.onnx (cpu)".
func (d *DepthEstimator) Name() string {
	return filepath.Base(d.model.name) + " (" + d.model.ep.name + ")"
}
