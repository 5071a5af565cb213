// Package raster holds float32 image-plane operations: cleaning a foreground mask and finding its
// bounds (the generator's preparation, mask.go) and bilinear sampling. What only the backends use
// lives under backends/internal: the distance transform (distance) and the Gaussian blur (modes).
package raster

import "math"

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
