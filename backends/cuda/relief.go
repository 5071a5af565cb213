//go:build cgo

package cuda

/*
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"
*/
import "C"

import (
	"context"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
)

// reliefBytes is the device memory smoothDevice needs for in.
func reliefBytes(in *backends.Input) uint64 { return 28*uint64(in.Width*in.Height) + 1<<16 }

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
		k := modes.GaussianKernel(sigma, w, h)
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
