package generator

import (
	"context"
	"math"
	"runtime"

	"github.com/orfeas3d/orfeas/internal/par"
)

// DefaultMinStrokeWidth is the narrowest part of a silhouette (extrude, inflate), in mm at the
// model's size, that is printed as drawn; narrower strokes are widened to it (see
// Request.MinStrokeWidth). 0.8 mm is two passes of a 0.4 mm nozzle.
const DefaultMinStrokeWidth = 0.8

// minStrokePixels is the narrowest stroke, in working pixels, that the extrusion's outline
// tracing (a blur of 0.7 px, then the 0.5 level) keeps whole: thinner strokes are widened to it
// whatever their width in mm.
const minStrokePixels = 2.5

// thinCoverage is the coverage from which a pixel that is no part of a wide region counts as a
// stroke to widen: a hairline drawn antialiased, thinner than a pixel, covers its pixels less
// than half and would otherwise vanish.
const thinCoverage = 0.25

// thickenStrokes widens the parts of the w×h mask (foreground ≥ 0.5) narrower than width pixels
// to at least that width, leaving wider parts as they are: the pixels (of coverage at least
// thinCoverage, so antialiased hairlines count) that lie beyond the morphological opening by a
// disc of diameter width (the thin strokes; beyond its corners' and rim's shortfall) are dilated
// by that disc and added to the foreground, antialiased. It returns the new mask (mask itself when nothing is thin)
// and how many pixels it added. Distances are exact Euclidean (Felzenszwalb and Huttenlocher's
// transform), computed row- then column-wise in parallel, so the result does not depend on
// GOMAXPROCS.
func thickenStrokes(ctx context.Context, mask []float32, w, h int, width float64) ([]float32, int, error) {
	if mask == nil {
		return mask, 0, nil
	}
	r := max(width, minStrokePixels) / 2
	r2 := r * r
	n := w * h
	// Squared distance of every pixel to the background: the centres of discs of radius r that
	// fit inside the foreground (the opening's core) are those farther than r.
	d := make([]float64, n)
	for i, m := range mask {
		if m >= 0.5 {
			d[i] = math.Inf(1)
		}
	}
	if err := distanceTransform(ctx, d, w, h); err != nil {
		return nil, 0, err
	}
	for i := range d {
		if d[i] > r2 {
			d[i] = 0 // core
		} else {
			d[i] = math.Inf(1)
		}
	}
	if err := distanceTransform(ctx, d, w, h); err != nil {
		return nil, 0, err
	}
	// Thin: foreground, or hairline, farther from the core than the opening reaches (r), with
	// the opening's own shortfall at a wide shape's corners (up to r·√2 from the core) and its
	// antialiased rim (a pixel) left alone, so that wide shapes keep their outline.
	thin := 0
	lim := (r*math.Sqrt2 + 1) * (r*math.Sqrt2 + 1)
	for i, m := range mask {
		if m >= thinCoverage && d[i] > lim {
			d[i] = 0
			thin++
		} else {
			d[i] = math.Inf(1)
		}
	}
	if thin == 0 {
		return mask, 0, nil
	}
	if err := distanceTransform(ctx, d, w, h); err != nil {
		return nil, 0, err
	}
	out := append([]float32(nil), mask...)
	added := 0
	// The widened strokes are antialiased: coverage falls from 1 to 0 over the pixel around
	// distance r, so their traced outline is smooth rather than a pixel staircase.
	for i := range out {
		c := float32(min(max(r+0.5-math.Sqrt(d[i]), 0), 1))
		if c > out[i] {
			if out[i] < 0.5 && c >= 0.5 {
				added++
			}
			out[i] = c
		}
	}
	return out, added, nil
}

// distanceTransform replaces the w×h grid d (0 at the sites, +Inf elsewhere) by every pixel's
// squared Euclidean distance to the nearest site, in pixels².
func distanceTransform(ctx context.Context, d []float64, w, h int) error {
	workers := runtime.GOMAXPROCS(0)
	const band = 16
	pass := func(lines, length, stride, step int) error {
		par.For((lines+band-1)/band, workers, func(b int) {
			if ctx.Err() != nil {
				return
			}
			f := make([]float64, length)
			buf := newEDT1(length)
			for l := b * band; l < min((b+1)*band, lines); l++ {
				for k := range length {
					f[k] = d[l*stride+k*step]
				}
				buf.run(f)
				for k := range length {
					d[l*stride+k*step] = f[k]
				}
			}
		})
		return ctx.Err()
	}
	if err := pass(h, w, w, 1); err != nil {
		return err
	}
	return pass(w, h, 1, w)
}

// edt1 is the scratch of the one-dimensional squared distance transform of a sampled function
// (the lower envelope of parabolas).
type edt1 struct {
	v []int
	z []float64
	o []float64
}

func newEDT1(n int) *edt1 {
	return &edt1{v: make([]int, n), z: make([]float64, n+1), o: make([]float64, n)}
}

// run replaces f by its distance transform: out[q] = min over p of (q−p)² + f[p].
func (e *edt1) run(f []float64) {
	n := len(f)
	sites := true
	for _, v := range f {
		if math.Float64bits(v) != 0 { // +0 only: the envelope's output is never −0
			sites = false
			break
		}
	}
	if sites {
		return // every sample a site: every distance is 0, as the envelope would give
	}
	k := -1
	for q := range n {
		if math.IsInf(f[q], 1) {
			continue
		}
		for k >= 0 {
			p := e.v[k]
			s := ((f[q] + float64(q*q)) - (f[p] + float64(p*p))) / float64(2*(q-p))
			if s > e.z[k] {
				k++
				e.v[k], e.z[k] = q, s
				e.z[k+1] = math.Inf(1)
				break
			}
			k--
		}
		if k < 0 {
			k = 0
			e.v[0], e.z[0], e.z[1] = q, math.Inf(-1), math.Inf(1)
		}
	}
	if k < 0 {
		return // no site on this line: all +Inf
	}
	j := 0
	for q := range n {
		for e.z[j+1] < float64(q) {
			j++
		}
		p := e.v[j]
		e.o[q] = float64((q-p)*(q-p)) + f[p]
	}
	copy(f, e.o)
}
