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
// and how many pixels it added. Distances are exact Euclidean, as far as each test reads them
// (nearSites), computed row- then column-wise in parallel, so the result does not depend on
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
	site := make([]bool, n)
	for i, m := range mask {
		site[i] = m < 0.5
	}
	d, g := make([]int32, n), make([]int32, n)
	if err := nearSites(ctx, site, w, h, r2, d, g); err != nil {
		return nil, 0, err
	}
	for i, v := range d {
		site[i] = float64(v) > r2 // core
	}
	// Thin: foreground, or hairline, farther from the core than the opening reaches (r), with
	// the opening's own shortfall at a wide shape's corners (up to r·√2 from the core) and its
	// antialiased rim (a pixel) left alone, so that wide shapes keep their outline.
	lim := (r*math.Sqrt2 + 1) * (r*math.Sqrt2 + 1)
	if err := nearSites(ctx, site, w, h, lim, d, g); err != nil {
		return nil, 0, err
	}
	thin := 0
	for i, m := range mask {
		site[i] = m >= thinCoverage && float64(d[i]) > lim
		if site[i] {
			thin++
		}
	}
	if thin == 0 {
		return mask, 0, nil
	}
	// Only distances below r+½ widen anything (see below); (r+1)² leaves a margin, and a
	// distance beyond it (nearBeyond) widens nothing either.
	if err := nearSites(ctx, site, w, h, (r+1)*(r+1), d, g); err != nil {
		return nil, 0, err
	}
	out := append([]float32(nil), mask...)
	added := 0
	// The widened strokes are antialiased: coverage falls from 1 to 0 over the pixel around
	// distance r, so their traced outline is smooth rather than a pixel staircase.
	for i := range out {
		c := float32(min(max(r+0.5-math.Sqrt(float64(d[i])), 0), 1))
		if c > out[i] {
			if out[i] < 0.5 && c >= 0.5 {
				added++
			}
			out[i] = c
		}
	}
	return out, added, nil
}

// nearWindow is the largest distance, in pixels, to which nearSites takes the minimum over a
// window of rows; beyond, its column pass is the exact transform's.
const nearWindow = 16

// nearBeyond is nearSites' distance for a pixel farther than its limit from every site.
const nearBeyond = math.MaxInt32

// nearFar is the row distance of nearSites' window for a pixel with no site within the window:
// above every limit it serves, and safe to add the window's dy² to.
const nearFar = 1 << 30

// nearSites sets d[i] to the squared Euclidean distance in pixels from pixel i of the w×h grid to
// the nearest site (site true) where that is at most limit, and to nearBeyond elsewhere: the
// exact transform (distanceTransform) with the distances beyond limit cut off, which is all
// thickenStrokes compares. The squared distance is the minimum over rows of dy² plus the
// squared distance to the row's nearest site (the separable form of Felzenszwalb and
// Huttenlocher, "Distance Transforms of Sampled Functions", Theory of Computing 8, 2012), and
// only rows with dy² ≤ limit, and sites with dx² ≤ limit, can give a distance within limit: the
// row distances are two scans, and for a small limit the minimum over rows is taken directly over
// that window, in integers; beyond nearWindow the exact column transform runs instead. Every
// distance is an integer (the grid's sides are below 2¹⁵), so the result is the exact
// transform's wherever that is at most limit. g is scratch of w·h values. Rows are split among
// workers in bands, each pixel written by one, so the result does not depend on GOMAXPROCS.
func nearSites(ctx context.Context, site []bool, w, h int, limit float64, d, g []int32) error {
	// No squared distance on the grid exceeds (w+h)², so a larger limit (or +Inf) reads the same
	// distances; clamping it keeps R and R² in range.
	limit = min(limit, float64((w+h)*(w+h)))
	R := max(int(math.Sqrt(max(limit, 0))), 0)
	for float64((R+1)*(R+1)) <= limit {
		R++
	}
	for R > 0 && float64(R*R) > limit {
		R--
	}
	workers := runtime.GOMAXPROCS(0)
	const band = 16
	bands := (h + band - 1) / band
	// Row pass: the squared distance to the row's nearest site, nearFar beyond R.
	par.For(bands, workers, func(b int) {
		if ctx.Err() != nil {
			return
		}
		for y := b * band; y < min((b+1)*band, h); y++ {
			row, gr := site[y*w:(y+1)*w], g[y*w:(y+1)*w]
			last := -(1 << 30)
			for x, s := range row {
				if s {
					last = x
				}
				gr[x] = int32(min(x-last, R+1))
			}
			last = 1 << 30
			for x := w - 1; x >= 0; x-- {
				if row[x] {
					last = x
				}
				if dx := min(int(gr[x]), last-x); dx <= R {
					gr[x] = int32(dx * dx)
				} else {
					gr[x] = nearFar
				}
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if R > nearWindow {
		f := make([]float64, w*h)
		for i, v := range g {
			f[i] = float64(v)
			if v == nearFar {
				f[i] = math.Inf(1)
			}
		}
		if err := columnTransform(ctx, f, w, h); err != nil {
			return err
		}
		for i, v := range f {
			d[i] = nearBeyond
			if v <= limit && v < nearBeyond {
				d[i] = int32(v)
			}
		}
		return nil
	}
	lim := int32(min(limit, nearFar-1)) // v ≤ limit ⇔ v ≤ lim for the integers v here
	par.For(bands, workers, func(b int) {
		if ctx.Err() != nil {
			return
		}
		for y := b * band; y < min((b+1)*band, h); y++ {
			o := d[y*w : (y+1)*w : (y+1)*w]
			copy(o, g[y*w:(y+1)*w])
			for dy := 1; dy <= R; dy++ {
				dd := int32(dy * dy)
				if y >= dy {
					for x, v := range g[(y-dy)*w : (y-dy+1)*w] {
						o[x] = min(o[x], v+dd)
					}
				}
				if y+dy < h {
					for x, v := range g[(y+dy)*w : (y+dy+1)*w] {
						o[x] = min(o[x], v+dd)
					}
				}
			}
			for x, v := range o {
				if v > lim {
					o[x] = nearBeyond
				}
			}
		}
	})
	return ctx.Err()
}

// columnTransform is the column pass of the exact transform (see nearSites): every column of the w×h grid d replaced by
// its one-dimensional transform, min over p of (q−p)² + d[p].
func columnTransform(ctx context.Context, d []float64, w, h int) error {
	workers := runtime.GOMAXPROCS(0)
	const band = 16
	par.For((w+band-1)/band, workers, func(b int) {
		if ctx.Err() != nil {
			return
		}
		f := make([]float64, h)
		buf := newEDT1(h)
		for x := b * band; x < min((b+1)*band, w); x++ {
			for y := range h {
				f[y] = d[y*w+x]
			}
			buf.run(f)
			for y := range h {
				d[y*w+x] = f[y]
			}
		}
	})
	return ctx.Err()
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
