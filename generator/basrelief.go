package generator

// Gradient-domain bas-relief compression, after Weyrich, Deng, Barnes, Rusinkiewicz and
// Finkelstein, "Digital bas-relief from 3D scenes" (SIGGRAPH 2007), and Kerber, Belyaev and
// Seidel, "Feature sensitive bas relief generation" (2009):
//
//  1. Take the depth map's gradient by forward differences, in units of the depth's range per
//     the image's longest side (a plane rising through the whole range across the image has
//     slope 1), so the parameters do not depend on the working resolution.
//  2. Silhouettes: a gradient steeper than the threshold is a depth discontinuity (a face in
//     front of a wall), not a surface; it is set to zero, so the object sits on what is behind it
//     instead of standing on a cliff.
//  3. Attenuate the rest with Weyrich's compressive function C(s) = ln(1 + αs)/α: shallow detail
//     keeps its slope, steep slopes are flattened, so the overall depth shrinks far more than
//     the detail does.
//  4. Reintegrate: the height field whose forward differences best match the compressed
//     gradients in the least-squares sense solves the Poisson equation DᵀD h = Dᵀg with natural
//     (Neumann) boundaries, where D is the forward-difference operator. It is solved by
//     conjugate gradients preconditioned with an aggregation multigrid V-cycle (poisson.go).
//  5. Rescale: the 0.2nd to 99.8th percentiles of h map to 0..1, which the relief then scales to
//     its requested depth.
//
// Depth Anything and MiDaS give relative inverse depth up to an unknown scale and shift, so
// Weyrich's logarithm of depth has no meaning for them: the gradients are taken of the
// normalised map itself.

import (
	"context"
	"fmt"
	"math"
)

// BasReliefOptions tune the bas-relief compression of an estimated depth map (see BasRelief).
// The zero value means the defaults.
type BasReliefOptions struct {
	// Threshold is the slope, in depth range per the image's longest side, above which a
	// gradient is a silhouette (a depth discontinuity) and is dropped (default 10: at 512 px, a
	// step of 2 % of the depth range between neighbouring pixels). Negative: none dropped.
	Threshold float64
	// Compression is α in the attenuation C(s) = ln(1 + αs)/α of every remaining slope s
	// (default 4: a slope of 0.1 keeps 84 % of itself, a slope of 5 keeps 15 %). Negative: no
	// attenuation.
	Compression float64
}

func (o BasReliefOptions) defaults() BasReliefOptions {
	o.Threshold = orDefault(o.Threshold, 10)
	o.Compression = orDefault(o.Compression, 4)
	return o
}

// BasReliefReport says what the compression did.
type BasReliefReport struct {
	// Discontinuities is the share of gradients dropped as silhouettes.
	Discontinuities float64 `json:"discontinuities"`
	// Iterations is how many conjugate-gradient iterations the Poisson solve took, and Residual
	// its final residual relative to the right-hand side's.
	Iterations int     `json:"iterations"`
	Residual   float64 `json:"residual"`
}

// Poisson solve limits: the residual relative to the right-hand side's at which the solve
// stops (1e-4: on a 5 mm relief far below a micron, and above float32's floor on large grids),
// and the most iterations it may take (the preconditioned solve needs about ten).
const (
	poissonTolerance = 1e-4
	poissonMaxIter   = 200
)

// BasRelief compresses a w×h depth map (row-major, 0..1, 1 nearest) into bas-relief heights in
// 0..1 by gradient-domain compression (see the algorithm at the top of this file): silhouettes
// dropped, slopes attenuated, reintegrated by a Poisson solve and rescaled. It honours ctx
// between solver iterations and returns its error.
func BasRelief(ctx context.Context, depth []float32, w, h int, o BasReliefOptions) ([]float32, BasReliefReport, error) {
	var rep BasReliefReport
	if w < 1 || h < 1 || len(depth) != w*h {
		return nil, rep, fmt.Errorf("bas-relief: %d values for a %d×%d map", len(depth), w, h)
	}
	o = o.defaults()
	L := float64(max(w, h))
	thr, alpha := o.Threshold, o.Compression
	dropped, edges := 0, 0
	compress := func(g float32) float32 {
		if math.IsNaN(float64(g)) {
			return 0
		}
		edges++
		s := math.Abs(float64(g)) * L
		if thr > 0 && s > thr {
			dropped++
			return 0
		}
		c := s
		if alpha > 0 {
			c = math.Log1p(alpha*s) / alpha
		}
		return float32(math.Copysign(c/L, float64(g)))
	}
	gx := make([]float32, w*h)
	gy := make([]float32, w*h)
	for y := range h {
		for x := range w {
			k := y*w + x
			if x < w-1 {
				gx[k] = compress(depth[k+1] - depth[k])
			}
			if y < h-1 {
				gy[k] = compress(depth[k+w] - depth[k])
			}
		}
	}
	if edges > 0 {
		rep.Discontinuities = float64(dropped) / float64(edges)
	}
	// b = Dᵀg: what flows in from the left and above, less what flows out.
	b := make([]float32, w*h)
	for y := range h {
		for x := range w {
			k := y*w + x
			v := -gx[k] - gy[k]
			if x > 0 {
				v += gx[k-1]
			}
			if y > 0 {
				v += gy[k-w]
			}
			b[k] = v
		}
	}
	hts, it, res, err := solvePoisson(ctx, b, w, h, poissonTolerance, poissonMaxIter)
	if err != nil {
		return nil, rep, err
	}
	rep.Iterations, rep.Residual = it, res
	normalizePercentiles(hts, 0.002)
	return hts, rep, nil
}

// normalizePercentiles maps v's tail-th and (1−tail)-th quantiles to 0 and 1 in place, clamping
// beyond them, so that a few outliers do not take the whole depth. A flat v becomes 0.
func normalizePercentiles(v []float32, tail float64) {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	if !(hi > lo) {
		clear(v)
		return
	}
	const bins = 4096
	var hist [bins]int
	bin := func(x float32) int { return min(bins-1, int(float64(x-lo)/float64(hi-lo)*bins)) }
	for _, x := range v {
		hist[bin(x)]++
	}
	quantile := func(q float64) float32 {
		target := int(q * float64(len(v)))
		n := 0
		for i, c := range hist {
			n += c
			if n > target {
				return lo + (hi-lo)*float32(i)/bins
			}
		}
		return hi
	}
	a, z := quantile(tail), quantile(1-tail)+(hi-lo)/bins
	if !(z > a) {
		a, z = lo, hi
	}
	for i, x := range v {
		v[i] = clamp01((x - a) / (z - a))
	}
}
