package raster

import "math"

// SquaredDistance returns, for every pixel of the w×h raster, the squared Euclidean distance in
// pixels to the nearest pixel where target is true (+Inf when there is none). It is exact, and
// runs in O(w·h) time as two passes of the 1D transform of Felzenszwalb & Huttenlocher (2012),
// "Distance Transforms of Sampled Functions", Theory of Computing 8.
func SquaredDistance(target []bool, w, h int) []float64 {
	inf := math.Inf(1)
	d := make([]float64, w*h)
	for i, t := range target {
		if !t {
			d[i] = inf
		}
	}
	n := max(w, h)
	f := make([]float64, n)
	out := make([]float64, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	for x := range w { // columns
		for y := range h {
			f[y] = d[y*w+x]
		}
		dt1(f[:h], out[:h], v, z)
		for y := range h {
			d[y*w+x] = out[y]
		}
	}
	for y := range h { // rows
		copy(f[:w], d[y*w:(y+1)*w])
		dt1(f[:w], out[:w], v, z)
		copy(d[y*w:(y+1)*w], out[:w])
	}
	return d
}

// dt1 computes out[q] = min_p (q−p)² + f[p], the lower envelope of parabolas rooted at the
// finite samples of f. v and z are scratch space of len(f) and len(f)+1.
func dt1(f, out []float64, v []int, z []float64) {
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
			k++
			v[k], z[k] = q, s
			break
		}
		if k < 0 {
			k = 0
			v[0], z[0] = q, math.Inf(-1)
		}
		z[k+1] = math.Inf(1)
	}
	if k < 0 {
		for q := range out {
			out[q] = math.Inf(1)
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
	}
}

// SignedDistance returns, for a coverage mask (1 inside, 0 outside, fractions on anti-aliased
// edges), the signed distance in pixels from each pixel centre to the mask's 0.5 outline:
// positive inside, negative outside. Distances are measured between pixel centres and placed
// half-way (the boundary lies between an inside and an outside pixel), then shifted by the
// coverage of edge pixels for sub-pixel accuracy.
func SignedDistance(mask []float32, w, h int) []float32 {
	in := make([]bool, len(mask))
	out := make([]bool, len(mask))
	for i, m := range mask {
		in[i] = m >= 0.5
		out[i] = !in[i]
	}
	dOut := SquaredDistance(out, w, h) // inside pixels: distance to the nearest outside pixel
	dIn := SquaredDistance(in, w, h)
	sd := make([]float32, len(mask))
	for i, m := range mask {
		var s float64
		if in[i] {
			s = math.Sqrt(dOut[i]) - 0.5
			if math.IsInf(s, 1) {
				// No outside pixel: the raster's edge is the boundary.
				x, y := i%w, i/w
				s = float64(min(x, y, w-1-x, h-1-y)) + 0.5
			}
		} else {
			s = -(math.Sqrt(dIn[i]) - 0.5)
			if math.IsInf(s, -1) {
				s = -float64(w + h)
			}
		}
		// An edge pixel's coverage m places a straight boundary m − 0.5 from its centre.
		if m > 0 && m < 1 {
			s = float64(m) - 0.5
		}
		sd[i] = float32(s)
	}
	// The raster's own edge bounds the foreground too.
	for i := range sd {
		x, y := i%w, i/w
		if e := float32(min(x, y, w-1-x, h-1-y)) + 0.5; sd[i] > e {
			sd[i] = e
		}
	}
	return sd
}
