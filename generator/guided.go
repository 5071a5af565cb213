package generator

import (
	"context"
	"math"
	"runtime"

	"github.com/orfeas3d/orfeas/internal/par"
)

// The relief and lithophane heights come from brightness, where a photo's texture (grass, fabric,
// sensor noise, specular highlights) is as strong as its shapes; taken as it is, it becomes a
// field of needles. The generator smooths the height source first with an edge-preserving filter,
// so that flat areas of the picture become flat areas of the model while the outlines of its
// shapes stay sharp.
//
// The filter is the guided filter of He, Sun and Tang, "Guided Image Filtering" (ECCV 2010;
// IEEE TPAMI 35(6), 2013), guided by the image itself: in every window ω of radius r the output
// is the linear model q = a·I + b that best fits the input in the least-squares sense with a
// penalty ε on a, that is a = σ²/(σ² + ε), b = (1 − a)·μ; each pixel averages the models of the
// windows that cover it. Where the local variance σ² is well above ε (an edge) a ≈ 1 and the
// image passes; where it is below (texture, noise) a ≈ 0 and the output is the local mean. Unlike
// the bilateral filter (Tomasi & Manduchi 1998) its cost does not grow with the radius: every
// window mean is a box filter, computed with running sums in O(pixels).

// DefaultSmoothing is the guided filter's radius, in working pixels at 512 px on the longest side,
// that reliefs and lithophanes are smoothed with by default (see Request.Smoothing); it scales
// with the working resolution, so every quality level smooths the same features.
const DefaultSmoothing = 2.0

// guidedEpsilon is the filter's ε: the variance, in the 0..1 luminance scale, below which a
// window is treated as texture (a standard deviation of 0.1, a tenth of the range).
const guidedEpsilon = 0.1 * 0.1

// smoothingRadius returns the guided filter's radius in pixels for a w×h working image and the
// request's Smoothing s (0: DefaultSmoothing; negative: none, radius 0).
func smoothingRadius(s float64, w, h int) int {
	if s < 0 {
		return 0
	}
	if s == 0 {
		s = DefaultSmoothing
	}
	return max(1, int(math.Round(s*float64(max(w, h))/512)))
}

// guidedFilter returns the w×h plane p filtered by the self-guided filter of radius r (see the
// file's comment); r ≤ 0 returns p itself. It checks ctx once per box pass. The passes run on all
// cores, every pixel's sum taken in the same order as a serial pass, so the output does not depend
// on GOMAXPROCS (TestGuidedFilterMatchesSerial).
func guidedFilter(ctx context.Context, p []float32, w, h, r int) ([]float32, error) {
	if r <= 0 || p == nil {
		return p, nil
	}
	n := w * h
	I := make([]float64, n)
	II := make([]float64, n)
	for i, v := range p {
		I[i] = float64(v)
		II[i] = float64(v) * float64(v)
	}
	tmp := make([]float64, n)
	mean, sq := make([]float64, n), make([]float64, n)
	if err := boxMean(ctx, I, w, h, r, tmp, mean); err != nil {
		return nil, err
	}
	if err := boxMean(ctx, II, w, h, r, tmp, sq); err != nil {
		return nil, err
	}
	a, b := II, I // reuse
	for i := range n {
		v := max(sq[i]-mean[i]*mean[i], 0)
		ak := v / (v + guidedEpsilon)
		a[i], b[i] = ak, (1-ak)*mean[i]
	}
	ma, mb := mean, sq // reuse
	if err := boxMean(ctx, a, w, h, r, tmp, ma); err != nil {
		return nil, err
	}
	if err := boxMean(ctx, b, w, h, r, tmp, mb); err != nil {
		return nil, err
	}
	out := make([]float32, n)
	for i, v := range p {
		out[i] = clamp01(float32(ma[i]*float64(v) + mb[i]))
	}
	return out, nil
}

// boxColumns is the width of the column strips boxMean's vertical pass hands to one worker.
const boxColumns = 64

// boxMean writes to out the mean of f over the (2r+1)² window around each pixel, clipped to the
// image (the mean of the pixels it covers), by running sums along rows (rows in parallel) into
// tmp, then down columns (strips of columns in parallel). f, tmp and out are w×h and distinct.
func boxMean(ctx context.Context, f []float64, w, h, r int, tmp, out []float64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	workers := runtime.GOMAXPROCS(0)
	par.For(h, workers, func(y int) {
		row, dst := f[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		var s float64
		for x := range min(r, w) {
			s += row[x]
		}
		for x := range w {
			if x+r < w {
				s += row[x+r]
			}
			if x-r-1 >= 0 {
				s -= row[x-r-1]
			}
			dst[x] = s / float64(min(x+r, w-1)-max(x-r, 0)+1)
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	par.For((w+boxColumns-1)/boxColumns, workers, func(c int) {
		x0, x1 := c*boxColumns, min((c+1)*boxColumns, w)
		var buf [boxColumns]float64
		col := buf[:x1-x0]
		for y := range min(r, h) {
			for x, v := range tmp[y*w+x0 : y*w+x1] {
				col[x] += v
			}
		}
		for y := range h {
			if y+r < h {
				for x, v := range tmp[(y+r)*w+x0 : (y+r)*w+x1] {
					col[x] += v
				}
			}
			if y-r-1 >= 0 {
				for x, v := range tmp[(y-r-1)*w+x0 : (y-r-1)*w+x1] {
					col[x] -= v
				}
			}
			cnt := float64(min(y+r, h-1) - max(y-r, 0) + 1)
			dst := out[y*w+x0 : y*w+x1]
			for x := range dst {
				dst[x] = col[x] / cnt
			}
		}
	})
	return nil
}
