package grabcut

import (
	"context"
	"image"
	"math"
)

// Options tune a [Segmenter]. The zero value gives the documented defaults.
type Options struct {
	// MaxSide is the longest side, in pixels, of the copy the cut runs on (default 384); the
	// mask is brought back to the image's size edge-aware. Larger is slower (about
	// quadratically) and follows finer detail.
	MaxSide int
	// Iterations bounds the rounds of model fitting and cutting (default 6; at most 50).
	Iterations int
	// Components is the number of Gaussians in each colour model (default 5, at most 8).
	Components int
	// Border is the width of the band along each edge taken as definite background, as a
	// fraction of that side (default 0.03; at least one pixel).
	Border float64
	// Gamma weighs smoothness against colour fit (default 50, the paper's value).
	Gamma float64
	// KeepRatio: subject pieces smaller than this fraction of the largest are dropped
	// (default 0.1).
	KeepRatio float64
	// MaxHoleRatio: enclosed background regions smaller than this fraction of the subject's
	// area are filled; larger ones are kept as real holes (default 0.005).
	MaxHoleRatio float64
	// Hard makes the mask 0 or 255 only; by default the outline is soft (anti-aliased).
	Hard bool
}

func (o Options) withDefaults() Options {
	if o.MaxSide <= 0 {
		o.MaxSide = 384
	}
	o.MaxSide = max(o.MaxSide, 8)
	if o.Iterations <= 0 {
		o.Iterations = 6
	}
	o.Iterations = min(o.Iterations, 50)
	if o.Components <= 0 {
		o.Components = 5
	}
	o.Components = min(o.Components, maxK)
	if !(o.Border > 0) {
		o.Border = 0.03
	}
	o.Border = min(o.Border, 0.5)
	if !(o.Gamma > 0) {
		o.Gamma = 50
	}
	if !(o.KeepRatio > 0) {
		o.KeepRatio = 0.1
	}
	if !(o.MaxHoleRatio > 0) {
		o.MaxHoleRatio = 0.005
	}
	return o
}

// Segmenter finds the subject of a photo with GrabCut. It holds only its options: one value is
// safe for concurrent use, and each call allocates its own working memory.
type Segmenter struct {
	opts Options
}

// New returns a segmenter with opts (zero fields take their defaults).
func New(opts Options) *Segmenter { return &Segmenter{opts: opts.withDefaults()} }

// Result is a mask and what a caller needs to decide whether to trust it.
type Result struct {
	// Mask is the subject at the image's size and bounds: 255 subject, 0 background, values
	// between on the outline unless Options.Hard.
	Mask *image.Alpha
	// Confidence, 0–1, that the image is one subject on a background rather than a scene or
	// texture with none: Separation × (1 − Rim)² × a fraction factor that is 1 for subject
	// shares between 1 % and 60 % and falls linearly to 0 at 0.2 % and at 90 %. About 0.5
	// and up is an object on a background (see bench/RESULTS.md, issue 16).
	Confidence float64
	// Fraction is the subject's share of the image's area (0–1).
	Fraction float64
	// Rim is the share of the ring just inside the border band that came out subject: near 0
	// for an object with background all round it, near 1 for a scene the "subject" fills.
	Rim float64
	// Separation, 0–1, is how well the two colour models tell the two sides apart: the mean
	// over subject pixels of p(subject | colour) plus the mean over background pixels of
	// p(background | colour), minus 1 (equal priors).
	Separation float64
	// EnergyDrop is 1 − (final energy / energy of the first labelling, all inside the band
	// subject): how much the cut found to separate.
	EnergyDrop float64
	// Pieces is the number of separate subject pieces kept.
	Pieces int
	// Iterations is the number of cut rounds run.
	Iterations int
	// WorkSize is the size the cut ran at.
	WorkSize image.Point
}

// Segment returns the subject mask at img's size and bounds: 255 subject, 0 background (soft
// edges allowed). It returns ctx.Err() if ctx ends first.
func (s *Segmenter) Segment(ctx context.Context, img image.Image) (*image.Alpha, error) {
	r, err := s.SegmentDetail(ctx, img)
	if err != nil {
		return nil, err
	}
	return r.Mask, nil
}

// SegmentDetail is Segment plus how sure it is.
func (s *Segmenter) SegmentDetail(ctx context.Context, img image.Image) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	if W <= 0 || H <= 0 {
		return Result{Mask: image.NewAlpha(b)}, nil
	}
	o := s.opts
	w, h := workSize(W, H, o.MaxSide)
	read := newRowReader(img)
	px, err := shrink(ctx, read, W, H, w, h)
	if err != nil {
		return Result{}, err
	}
	cr, err := runCut(ctx, px, w, h, o)
	if err != nil {
		return Result{}, err
	}
	pieces := clean(cr.fg, w, h, o.KeepRatio, o.MaxHoleRatio)
	mask, err := upsample(ctx, cr.fg, px, w, h, read, b, o.Hard)
	if err != nil {
		return Result{}, err
	}
	res := Result{Mask: mask, Pieces: pieces, Iterations: cr.iterations, WorkSize: image.Pt(w, h)}
	measure(&res, cr, w, h, o)
	return res, nil
}

// measure fills in the figures behind the confidence.
func measure(r *Result, cr cutResult, w, h int, o Options) {
	n := w * h
	area := 0
	var sf, sb float64
	nb := 0
	for i := 0; i < n; i++ {
		if cr.fg[i] {
			area++
			sf += float64(cr.post[i])
		} else {
			nb++
			sb += 1 - float64(cr.post[i])
		}
	}
	r.Fraction = float64(area) / float64(n)
	if area > 0 && nb > 0 {
		r.Separation = max(0, sf/float64(area)+sb/float64(nb)-1)
	}
	// The ring of unknown pixels next to the band.
	ring, on := 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if cr.fixed[i] {
				continue
			}
			edge := false
			for dy := -1; dy <= 1 && !edge; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx >= 0 && xx < w && yy >= 0 && yy < h && cr.fixed[yy*w+xx] {
						edge = true
						break
					}
				}
			}
			if edge {
				ring++
				if cr.fg[i] {
					on++
				}
			}
		}
	}
	if ring > 0 {
		r.Rim = float64(on) / float64(ring)
	}
	if cr.energy0 > 0 {
		r.EnergyDrop = math.Max(0, 1-cr.energy/cr.energy0)
	}
	r.Confidence = r.Separation * (1 - r.Rim) * (1 - r.Rim) * fractionFactor(r.Fraction)
}

// fractionFactor is 1 for plausible subject shares and falls to 0 for a speck or for nearly
// the whole image.
func fractionFactor(f float64) float64 {
	switch {
	case f <= 0.002 || f >= 0.9:
		return 0
	case f < 0.01:
		return (f - 0.002) / 0.008
	case f > 0.6:
		return (0.9 - f) / 0.3
	}
	return 1
}
