// Package distance holds the exact Euclidean distance transform of a raster and the signed
// distance of a coverage mask to its sub-pixel outline, which the inflate mode of both backends
// grows its solid from (backends/cpu on the CPU; backends/cuda's edt.cu kernels, seeded by
// OutlineSeeds, follow SquaredDistance step for step).
package distance

import (
	"math"

	"github.com/orfeas3d/orfeas/backends/internal/contour"
)

// SquaredDistance returns, for every pixel of the w×h raster, the squared Euclidean distance in
// pixels to the nearest pixel where target is true (+Inf when there is none), and the index of
// that pixel (-1 when there is none). It is exact, and runs in O(w·h) time as two passes of the
// 1D transform of Felzenszwalb & Huttenlocher (2012), "Distance Transforms of Sampled
// Functions", Theory of Computing 8, extended to carry the argument of the minimum.
func SquaredDistance(target []bool, w, h int) ([]float64, []int32) {
	inf := math.Inf(1)
	d := make([]float64, w*h)
	rowOf := make([]int32, w*h) // after the column pass: the row of the nearest target in the column
	for i, t := range target {
		if !t {
			d[i] = inf
		}
	}
	n := max(w, h)
	f := make([]float64, n)
	out := make([]float64, n)
	arg := make([]int32, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	for x := range w {
		for y := range h {
			f[y] = d[y*w+x]
		}
		dt1(f[:h], out[:h], arg[:h], v, z)
		for y := range h {
			d[y*w+x] = out[y]
			rowOf[y*w+x] = arg[y]
		}
	}
	idx := make([]int32, w*h)
	for y := range h {
		copy(f[:w], d[y*w:(y+1)*w])
		dt1(f[:w], out[:w], arg[:w], v, z)
		copy(d[y*w:(y+1)*w], out[:w])
		for x := range w {
			if a := arg[x]; a < 0 {
				idx[y*w+x] = -1
			} else {
				idx[y*w+x] = rowOf[y*w+int(a)]*int32(w) + a
			}
		}
	}
	return d, idx
}

// dt1 computes out[q] = min_p (q−p)² + f[p], the lower envelope of parabolas rooted at the
// finite samples of f, and arg[q] the minimising p (-1 when every f is infinite). v and z are
// scratch space of len(f) and len(f)+1.
func dt1(f, out []float64, arg []int32, v []int, z []float64) {
	n := len(f)
	k := -1
	for q := range n {
		if math.IsInf(f[q], 1) {
			continue
		}
		for k >= 0 {
			p := v[k]
			s := ((f[q] + float64(q*q)) - (f[p] + float64(p*p))) / float64(2*(q-p))
			if s <= z[k] {
				k--
				continue
			}
			break
		}
		k++
		v[k] = q
		if k == 0 {
			z[0] = math.Inf(-1)
		} else {
			p := v[k-1]
			z[k] = ((f[q] + float64(q*q)) - (f[p] + float64(p*p))) / float64(2*(q-p))
		}
		z[k+1] = math.Inf(1)
	}
	if k < 0 {
		for q := range out {
			out[q], arg[q] = math.Inf(1), -1
		}
		return
	}
	j := 0
	for q := range n {
		for z[j+1] < float64(q) {
			j++
		}
		p := v[j]
		out[q] = float64((q-p)*(q-p)) + f[p]
		arg[q] = int32(p)
	}
}

// SignedDistance returns, for a coverage mask (1 inside, 0 outside, fractions on anti-aliased
// edges), the signed distance in pixels from each pixel centre to the mask's 0.5 outline:
// positive inside, negative outside. The outline is traced with sub-pixel accuracy (marching
// squares); each pixel it crosses keeps the outline point nearest its centre as a seed, and every
// pixel measures its exact distance to the seed points of its nearest seed pixel (found by the
// exact transform above) and of the seed pixels up to two pixels from it. On smooth outlines the error
// stays within 0.2 px near the outline (mostly the
// marching-squares interpolation of coverage values) and within 1% farther away. Pixels on the raster's edge count as bordered by background.
func SignedDistance(mask []float32, w, h int) []float32 {
	seeds, pts := OutlineSeeds(mask, w, h)
	_, idx := SquaredDistance(seeds, w, h)
	sd := make([]float32, w*h)
	for i := range sd {
		x, y := float64(i%w)+0.5, float64(i/w)+0.5
		d := math.Inf(1)
		if q := int(idx[i]); q >= 0 {
			// The nearest seed pixel's centre is within half a pixel of the nearest seed point;
			// its neighbours' points settle which is really nearest.
			qc, qr := q%w, q/w
			for r := max(qr-2, 0); r <= min(qr+2, h-1); r++ {
				for c := max(qc-2, 0); c <= min(qc+2, w-1); c++ {
					if j := r*w + c; seeds[j] {
						d = min(d, math.Hypot(x-pts[j][0], y-pts[j][1]))
					}
				}
			}
		}
		if mask[i] >= 0.5 {
			sd[i] = float32(d)
		} else {
			sd[i] = float32(-d)
		}
	}
	return sd
}

// OutlineSeeds traces the 0.5 outline of a coverage mask (marching squares, sub-pixel) and returns,
// for every pixel the outline crosses, the outline point nearest the pixel's centre, in image
// coordinates (x right, y down, pixel centres at half-integers); seeds marks those pixels. It is
// the first half of SignedDistance, exposed for the CUDA backend, which does the rest on the GPU.
func OutlineSeeds(mask []float32, w, h int) (seeds []bool, pts [][2]float64) {
	seeds = make([]bool, w*h)
	pts = make([][2]float64, w*h) // the seed point in image coordinates (x right, y down)
	best := make([]float64, w*h)
	for i := range best {
		best[i] = math.Inf(1)
	}
	add := func(x, y float64) {
		c, r := int(math.Floor(x)), int(math.Floor(y))
		if c < 0 || r < 0 || c >= w || r >= h {
			return
		}
		i := r*w + c
		dx, dy := x-(float64(c)+0.5), y-(float64(r)+0.5)
		if d := dx*dx + dy*dy; d < best[i] {
			best[i], pts[i], seeds[i] = d, [2]float64{x, y}, true
		}
	}
	for _, ring := range contour.Trace(mask, w, h, 0.5) {
		for k, a := range ring {
			b := ring[(k+1)%len(ring)]
			// Sample the segment densely enough that every pixel it crosses gets a point.
			steps := int(math.Ceil(math.Hypot(b[0]-a[0], b[1]-a[1])*4)) + 1
			for s := range steps {
				t := float64(s) / float64(steps)
				x := a[0] + t*(b[0]-a[0])
				y := float64(h) - (a[1] + t*(b[1]-a[1]))
				add(x, y)
			}
		}
	}
	return seeds, pts
}
