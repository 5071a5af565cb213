// Package raster holds float32 image-plane operations: cleaning a foreground mask and finding its
// bounds (the generator's preparation), Gaussian blur and bilinear sampling. The distance
// transform, which only the backends use, is backends/internal/distance.
package raster

import "math"

// Blur returns a copy of the w×h plane blurred by a Gaussian of the given sigma (pixels), done as
// two separable passes with the kernel truncated at 3σ and edges clamped. A sigma ≤ 0 returns an
// unchanged copy.
func Blur(src []float32, w, h int, sigma float64) []float32 {
	out := append([]float32(nil), src...)
	if sigma <= 0 || w == 0 || h == 0 {
		return out
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float64
	for i := -r; i <= r; i++ {
		v := math.Exp(-float64(i*i) / (2 * sigma * sigma))
		k[i+r] = float32(v)
		sum += v
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	tmp := make([]float32, len(src))
	for y := range h {
		row := src[y*w : (y+1)*w]
		for x := range w {
			var s float32
			for i := -r; i <= r; i++ {
				xx := min(max(x+i, 0), w-1)
				s += k[i+r] * row[xx]
			}
			tmp[y*w+x] = s
		}
	}
	for y := range h {
		for x := range w {
			var s float32
			for i := -r; i <= r; i++ {
				yy := min(max(y+i, 0), h-1)
				s += k[i+r] * tmp[yy*w+x]
			}
			out[y*w+x] = s
		}
	}
	return out
}

// Bilinear samples the w×h plane at (x, y) in pixel units with pixel centres at half-integers
// (x right, y down from the top row), clamping at the edges.
func Bilinear(p []float32, w, h int, x, y float64) float32 {
	fx, fy := x-0.5, y-0.5
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	tx, ty := float32(fx-float64(x0)), float32(fy-float64(y0))
	at := func(i, j int) float32 { return p[min(max(j, 0), h-1)*w+min(max(i, 0), w-1)] }
	a := at(x0, y0)*(1-tx) + at(x0+1, y0)*tx
	b := at(x0, y0+1)*(1-tx) + at(x0+1, y0+1)*tx
	return a*(1-ty) + b*ty
}
