//go:build cgo

package cuda

/*
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"
*/
import "C"

import (
	"context"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
)

// reliefBytes is the device memory smoothRelief needs.
func reliefBytes(in *backends.Input) uint64 { return 28*uint64(in.Width*in.Height) + 1<<16 }

// gaussianKernel returns the normalised weights, from −r to r, of the CPU reference's relief
// smoothing (sigma capped at the field's size, truncated at 3σ).
func gaussianKernel(sigma float64, w, h int) []float64 {
	sigma = min(sigma, float64(max(w, h)))
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// smoothDevice returns the source plane mapped into [0, 1] (inverted when asked) and blurred by a
// Gaussian of sigma pixels, in float64, as the CPU reference's relief computes it.
func smoothDevice(ctx context.Context, s gpu.Stream, src []float32, w, h int, sigma float64, invert bool) ([]float64, error) {
	n := w * h
	sp, err := upload(s, src)
	if err != nil {
		return nil, err
	}
	f, err := allocN[float64](s, n)
	if err != nil {
		return nil, err
	}
	pa := C.struct_blur_prep_args{src: dptr(sp), f: dptr(f), n: C.u32(n)}
	if invert {
		pa.invert = 1
	}
	if err := launch(s, kBlurPrep, uint64(n), &pa); err != nil {
		return nil, err
	}
	if sigma > 0 {
		k := gaussianKernel(sigma, w, h)
		kp, err := upload(s, k)
		if err != nil {
			return nil, err
		}
		tmp, err := allocN[float64](s, n)
		if err != nil {
			return nil, err
		}
		r := C.int(len(k) / 2)
		ra := C.struct_blur_pass_args{src: dptr(f), dst: dptr(tmp), k: dptr(kp), r: r, w: C.int(w), h: C.int(h)}
		if err := launch(s, kBlurRows, uint64(n), &ra); err != nil {
			return nil, err
		}
		ca := C.struct_blur_pass_args{src: dptr(tmp), dst: dptr(f), k: dptr(kp), r: r, w: C.int(w), h: C.int(h)}
		if err := launch(s, kBlurCols, uint64(n), &ca); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return download[float64](s, f, n)
}

// smoothRelief returns a copy of in whose source plane (the depth map, else the luminance) is
// smoothed on the device, with Smooth and Invert cleared, so that the CPU triangulator sees the
// relief it would have computed itself (to float32 rounding of the smoothed heights).
func smoothRelief(ctx context.Context, s gpu.Stream, in *backends.Input) (*backends.Input, error) {
	p := in.Relief.Defaults()
	src := in.Luminance
	if in.Depth != nil {
		src = in.Depth
	}
	f, err := smoothDevice(ctx, s, src, in.Width, in.Height, p.Smooth, p.Invert)
	if err != nil {
		return nil, err
	}
	out := *in
	out.Depth = make([]float32, len(f))
	for i, v := range f {
		out.Depth[i] = float32(v)
	}
	out.Relief.Smooth = 0
	out.Relief.Invert = false
	return &out, nil
}
