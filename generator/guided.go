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
// file's comment) in a plane of its own; r ≤ 0 returns p itself. See guidedFilterInto.
func guidedFilter(ctx context.Context, p []float32, w, h, r int) ([]float32, error) {
	if r <= 0 || p == nil {
		return p, nil
	}
	out := make([]float32, len(p))
	if err := guidedFilterInto(ctx, p, out, w, h, r, guidedBand); err != nil {
		return nil, err
	}
	return out, nil
}

// guidedBand is the number of rows guidedFilterInto's stages advance by at a time.
const guidedBand = 64

// guidedFilterInto writes to out the w×h plane p filtered by the self-guided filter of radius
// r ≥ 1; out may be p itself (each output row is written once every read of that input row is
// done). It runs the filter's four box means as streams down the image, band rows at a time:
// the means of I and I², the linear models a and b of each window from them, their means, and
// the output rows, so that no float64 plane is ever whole (about 8·(band+2r+1) rows of float64
// instead of five planes). Every pixel's sums are taken in the same order as in one whole-plane
// serial pass, so the output does not depend on band or GOMAXPROCS (TestGuidedFilterMatchesSerial,
// TestGuidedFilterBands). It checks ctx once per band.
func guidedFilterInto(ctx context.Context, p, out []float32, w, h, r, band int) error {
	band = max(band, 1)
	workers := runtime.GOMAXPROCS(0)
	sI, sII := newBoxStream(w, h, r, band), newBoxStream(w, h, r, band)
	sA, sB := newBoxStream(w, h, r, band), newBoxStream(w, h, r, band)
	// The source rows of the first stage (I and I² of up to band+r rows), its output rows (the
	// means, then the models over them) and the second stage's (up to band+r rows).
	srcI, srcII := make([]float64, (band+r)*w), make([]float64, (band+r)*w)
	mean, sq := make([]float64, band*w), make([]float64, band*w)
	ma, mb := make([]float64, (band+r)*w), make([]float64, (band+r)*w)
	for sI.out < h {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Stage 1: the means of I and I² for rows y0..y1-1, from their rows up to y1-1+r.
		y0, y1 := sI.out, min(sI.out+band, h)
		in0, in1 := sI.in, min(y1+r, h)
		src := p[in0*w : in1*w]
		for i, v := range src {
			srcI[i] = float64(v)
			srcII[i] = float64(v) * float64(v)
		}
		sI.ingest(srcI[:len(src)], in1-in0, workers)
		sII.ingest(srcII[:len(src)], in1-in0, workers)
		sI.emit(mean, y1-y0, workers)
		sII.emit(sq, y1-y0, workers)
		// The models of rows y0..y1-1: a over sq, b over mean.
		n := (y1 - y0) * w
		a, b := sq[:n], mean[:n]
		for i := range n {
			v := max(sq[i]-mean[i]*mean[i], 0)
			ak := v / (v + guidedEpsilon)
			a[i], b[i] = ak, (1-ak)*mean[i]
		}
		sA.ingest(a, y1-y0, workers)
		sB.ingest(b, y1-y0, workers)
		// Stage 2: the means of a and b for the rows whose windows the models now cover, and
		// the output rows from them.
		z1 := y1 - r
		if y1 == h {
			z1 = h
		}
		if z1 <= sA.out {
			continue
		}
		z0 := sA.out
		k := z1 - z0
		sA.emit(ma, k, workers)
		sB.emit(mb, k, workers)
		for i, v := range p[z0*w : z1*w] {
			out[z0*w+i] = clamp01(float32(ma[i]*float64(v) + mb[i]))
		}
	}
	return nil
}

// boxStream is boxMean's two passes over a plane whose rows arrive in order: the horizontal
// means of the rows ingested so far are kept in a ring of band+2r+1 rows, enough for the windows
// of the next band output rows, and the vertical running sums in col, so that every sum is taken
// in boxMean's order.
type boxStream struct {
	w, h, r int
	ring    []float64 // horizontal means, row y at (y mod rows)·w
	rows    int
	col     []float64 // the running sums of the columns for the next output row
	in, out int       // rows ingested, rows emitted
}

// newBoxStream returns the stream of a w×h plane's box means of radius r, band output rows at a
// time at most.
func newBoxStream(w, h, r, band int) *boxStream {
	rows := min(band+2*r+1, h+r+1)
	return &boxStream{w: w, h: h, r: r, rows: rows, ring: make([]float64, rows*w), col: make([]float64, w)}
}

// ingest takes the next k rows of the plane, f (k·w values), into the ring as their horizontal
// means (rows in parallel).
func (s *boxStream) ingest(f []float64, k, workers int) {
	w, r, y0 := s.w, s.r, s.in
	par.For(k, workers, func(j int) {
		y := y0 + j
		row, dst := f[j*w:(j+1)*w], s.ring[(y%s.rows)*w:][:w]
		var sum float64
		for x := range min(r, w) {
			sum += row[x]
		}
		for x := range w {
			if x+r < w {
				sum += row[x+r]
			}
			if x-r-1 >= 0 {
				sum -= row[x-r-1]
			}
			dst[x] = sum / float64(min(x+r, w-1)-max(x-r, 0)+1)
		}
	})
	s.in += k
}

// emit writes the next k output rows to out (k·w values, strips of columns in parallel); the
// rows their windows reach must have been ingested.
func (s *boxStream) emit(out []float64, k, workers int) {
	w, h, r, y0 := s.w, s.h, s.r, s.out
	row := func(y int) []float64 { return s.ring[(y%s.rows)*w:][:w] }
	par.For((w+boxColumns-1)/boxColumns, workers, func(c int) {
		x0, x1 := c*boxColumns, min((c+1)*boxColumns, w)
		col := s.col[x0:x1]
		if y0 == 0 {
			for y := range min(r, h) {
				for x, v := range row(y)[x0:x1] {
					col[x] += v
				}
			}
		}
		for y := y0; y < y0+k; y++ {
			if y+r < h {
				for x, v := range row(y + r)[x0:x1] {
					col[x] += v
				}
			}
			if y-r-1 >= 0 {
				for x, v := range row(y - r - 1)[x0:x1] {
					col[x] -= v
				}
			}
			cnt := float64(min(y+r, h-1) - max(y-r, 0) + 1)
			dst := out[(y-y0)*w+x0 : (y-y0)*w+x1]
			for x := range dst {
				dst[x] = col[x] / cnt
			}
		}
	})
	s.out += k
}

// boxColumns is the width of the column strips boxStream's vertical pass hands to one worker.
const boxColumns = 64
