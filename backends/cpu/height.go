package cpu

import (
	"context"
	"fmt"
	"math"
)

// clamp01 maps a plane value into [0, 1]; NaN becomes 0, so that no input can put a non-finite
// coordinate into a mesh.
func clamp01(v float32) float64 {
	if !(v > 0) {
		return 0
	}
	if v > 1 {
		return 1
	}
	return float64(v)
}

// gaussianBlur blurs the w×h field f in place with a separable Gaussian of standard deviation
// sigma samples, extending the edges by clamping. It checks ctx once per row.
func gaussianBlur(ctx context.Context, f []float64, w, h int, sigma float64) error {
	if !(sigma > 0) {
		return nil
	}
	// Beyond the field's size a wider kernel changes nothing that matters; the cap keeps the
	// kernel finite.
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
	tmp := make([]float64, w*h)
	for y := range h {
		if y%64 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("cpu: smoothing: %w", err)
			}
		}
		src, dst := f[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range w {
			var s float64
			for i, kv := range k {
				s += kv * src[min(max(x+i-r, 0), w-1)]
			}
			dst[x] = s
		}
	}
	// Columns, a whole output row at a time so that memory is read in order.
	for y := range h {
		if y%64 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("cpu: smoothing: %w", err)
			}
		}
		dst := f[y*w : (y+1)*w]
		clear(dst)
		for i, kv := range k {
			src := tmp[min(max(y+i-r, 0), h-1)*w:][:w]
			for x, v := range src {
				dst[x] += kv * v
			}
		}
	}
	return nil
}

// inFrame reports whether sample (i, j) of a w×h grid spanning wmm × hmm lies within fw mm of the
// model's outer edge.
func inFrame(i, j, w, h int, wmm, hmm, fw float64) bool {
	if fw <= 0 {
		return false
	}
	x := float64(i) * wmm / float64(w-1)
	y := float64(j) * hmm / float64(h-1)
	return min(x, wmm-x, y, hmm-y) < fw
}
