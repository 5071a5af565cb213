package modes

import (
	"context"
	"math"
	"runtime"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/par"
)

// ReliefSource returns the plane a relief's heights come from: the depth map when in has one,
// else the luminance.
func ReliefSource(in *backends.Input) []float32 {
	if in.Depth != nil {
		return in.Depth
	}
	return in.Luminance
}

// Clamp01 maps a plane value into [0, 1]; NaN becomes 0, so that no input can put a non-finite
// coordinate into a mesh. kernels/blur.cu's blur_prep computes the same.
func Clamp01(v float32) float64 {
	if !(v > 0) {
		return 0
	}
	if v > 1 {
		return 1
	}
	return float64(v)
}

// ReliefPrepare returns the plane src mapped into [0, 1] by Clamp01 in float64, inverted (1 − v)
// when invert is set: the relief's field before smoothing. kernels/blur.cu's blur_prep computes
// the same.
func ReliefPrepare(src []float32, invert bool) []float64 {
	f := make([]float64, len(src))
	for i, v := range src {
		f[i] = Clamp01(v)
		if invert {
			f[i] = 1 - f[i]
		}
	}
	return f
}

// GaussianKernel returns the normalised weights, from −r to r, of the relief's smoothing of a w×h
// field: a Gaussian of standard deviation sigma samples (capped at the field's size: beyond it a
// wider kernel changes nothing that matters, and the cap keeps the kernel finite), truncated at 3σ.
// The CUDA backend uploads these weights to kernels/blur.cu.
func GaussianKernel(sigma float64, w, h int) []float64 { return gaussianKernel[float64](sigma, w, h) }

// gaussianKernel is GaussianKernel in T: each weight is computed in float64, rounded to T and
// divided, in T, by the float64 sum rounded to T.
func gaussianKernel[T float32 | float64](sigma float64, w, h int) []T {
	sigma = min(sigma, float64(max(w, h)))
	r := int(math.Ceil(3 * sigma))
	k := make([]T, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		v := math.Exp(-d * d / (2 * sigma * sigma))
		k[i] = T(v)
		sum += v
	}
	for i := range k {
		k[i] /= T(sum)
	}
	return k
}

// GaussianBlur blurs the w×h plane f in place with GaussianKernel(sigma, w, h) in f's precision,
// rows then columns, extending the edges by clamping; sigma ≤ 0 (or NaN) leaves f as it is. Each
// output is summed in the kernel's order, from −r to r, as kernels/blur.cu does for the float64
// relief field; the extrusion smooths its float32 coverage mask with the same code. Bands of rows
// run on all cores (each output is still its own sum in that order, so the result does not
// depend on how many). It checks ctx once every band of 64 rows and returns its error unwrapped.
func GaussianBlur[T float32 | float64](ctx context.Context, f []T, w, h int, sigma float64) error {
	return gaussianBlur(ctx, f, w, h, sigma, runtime.GOMAXPROCS(0))
}

// blurBand is how many rows a goroutine of gaussianBlur takes at a time.
const blurBand = 64

// gaussianBlur is GaussianBlur on up to workers goroutines.
func gaussianBlur[T float32 | float64](ctx context.Context, f []T, w, h int, sigma float64, workers int) error {
	if !(sigma > 0) {
		return nil
	}
	k := gaussianKernel[T](sigma, w, h)
	r := len(k) / 2
	tmp := make([]T, w*h)
	var failed atomic.Bool
	bands := func(row func(y int)) error {
		par.For((h+blurBand-1)/blurBand, workers, func(b int) {
			if failed.Load() || ctx.Err() != nil {
				failed.Store(true)
				return
			}
			for y := b * blurBand; y < min(h, (b+1)*blurBand); y++ {
				row(y)
			}
		})
		if failed.Load() {
			return ctx.Err()
		}
		return nil
	}
	err := bands(func(y int) {
		src, dst := f[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range w {
			var s T
			for i, kv := range k {
				s += kv * src[min(max(x+i-r, 0), w-1)]
			}
			dst[x] = s
		}
	})
	if err != nil {
		return err
	}
	// Columns, a whole output row at a time so that memory is read in order.
	return bands(func(y int) {
		dst := f[y*w : (y+1)*w]
		clear(dst)
		for i, kv := range k {
			src := tmp[min(max(y+i-r, 0), h-1)*w:][:w]
			for x, v := range src {
				dst[x] += kv * v
			}
		}
	})
}
