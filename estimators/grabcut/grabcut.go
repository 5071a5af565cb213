package grabcut

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
)

// ErrTooLarge is returned for an image with more than Options.MaxPixels pixels.
var ErrTooLarge = errors.New("grabcut: image too large")

// Options tune a [Segmenter]. The zero value gives the documented defaults.
type Options struct {
	// MaxSide is the longest side, in pixels, of the copy the cut runs on (default 256); the
	// mask is brought back to the image's size edge-aware. Larger is slower (about
	// quadratically) and keeps thinner parts, but on the composite set 320 and 384 scored a
	// lower mean IoU than 256 (bench/RESULTS.md, issue 16).
	MaxSide int
	// Iterations bounds the rounds of model fitting and cutting (default 6; at most 50).
	Iterations int
	// Components is the number of Gaussians in each colour model (default 5, at most 8).
	Components int
	// Border is the width of the band along each edge taken as definite background, as a
	// fraction of that side (default 0.03; at least one pixel).
	Border float64
	// Gamma weighs smoothness against colour fit (default 250; the paper's 50 left many
	// background bits on photo backgrounds: mean IoU 0.74 against 0.80 on the composite set).
	Gamma float64
	// KeepRatio: subject pieces smaller than this fraction of the largest are dropped
	// (default 0.02: pac-man's dots stay; 0.1 scored 0.799/0.755 against 0.806/0.763 on the
	// two composite seeds).
	KeepRatio float64
	// MaxHoleRatio: enclosed background regions smaller than this fraction of the subject's
	// area are filled; larger ones are kept as real holes (default 0.005).
	MaxHoleRatio float64
	// Prior chooses how the first labelling is made beyond the border band (default
	// PriorBorder: everything inside the band starts as subject).
	Prior Prior
	// CentreWeight is PriorCentre's cost, in nats, of subject at the image's corners
	// (default 2).
	CentreWeight float64
	// MaxPixels bounds the input's pixel count (default 1<<28, about 268 megapixels); a
	// larger image is refused with ErrTooLarge rather than read.
	MaxPixels int64
	// Hard makes the mask 0 or 255 only; by default the outline is soft (anti-aliased).
	Hard bool
}

func (o Options) withDefaults() Options {
	if o.MaxSide <= 0 {
		o.MaxSide = 256
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
		o.Gamma = 250
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 1 << 28
	}
	if !(o.CentreWeight > 0) {
		o.CentreWeight = 2
	}
	if !(o.KeepRatio > 0) {
		o.KeepRatio = 0.02
	}
	if !(o.MaxHoleRatio > 0) {
		o.MaxHoleRatio = 0.005
	}
	return o
}

// Prior chooses an optional prior on where the subject is, besides the border band. On the
// composite set (bench/RESULTS.md, issue 16) neither option beat the default: PriorCentre
// scored a mean IoU of 0.798 against 0.799 at Gamma 250, PriorDistinct 0.689 against 0.709 at
// Gamma 50; they are kept for callers whose photos are centred or whose subjects stand out.
type Prior int

const (
	// PriorBorder: only the border band is known; everything inside it starts as subject.
	PriorBorder Prior = 0
	// PriorDistinct starts the subject as the inside pixels whose colours the band's colour
	// model explains poorly, the rest of the inside as background.
	PriorDistinct Prior = 1
	// PriorCentre adds a cost to subject that grows with the distance from the centre.
	PriorCentre Prior = 2
	// PriorDistinct | PriorCentre (3) applies both.
)

// Segmenter finds the subject of a photo with GrabCut. It holds only its options: one value is
// safe for concurrent use, and each call allocates its own working memory. A call spreads its
// row loops, and the two halves of each max-flow (split.go), over up to GOMAXPROCS goroutines,
// all ended when it returns, which read the image concurrently (as the standard library's
// images allow); the mask does not depend on how many.
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
	// texture with none. It is the product of
	//   - Separation (the colour models tell the sides apart),
	//   - (1 − Rim)² (the subject does not run into the border band),
	//   - a share factor: 1 for a subject share between 2 % and 60 %, falling linearly to 0
	//     at 0.2 % and at 90 % (a speck, or the whole frame),
	//   - a pieces factor: 1 up to 3 pieces, then 3/Pieces (a scatter is not one subject),
	//   - a fill factor: min(1, Fill/0.15) (pieces spread thinly over the frame).
	// An empty mask has confidence 0. 0.5 and up is an object on a background (bench/RESULTS.md,
	// issue 16, measures how this separates composites from whole scenes and textures).
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
	// EdgeContrast is the mean squared colour step across the mask's outline (between a
	// subject pixel and its background 4-neighbour, at the working size) over the mean squared
	// step between any two neighbours: well above 1 when the outline follows real edges.
	EdgeContrast float64
	// Fill is the subject's share of the bounding box of all its pieces: low when the
	// "subject" is a scatter of small bits (stars, specks).
	Fill float64
	// Pieces is the number of separate subject pieces kept.
	Pieces int
	// Iterations is the number of cut rounds run.
	Iterations int
	// WorkSize is the size the cut ran at.
	WorkSize image.Point
}

// Segment returns the subject mask at img's size and bounds: 255 subject, 0 background (soft
// edges allowed). It returns ctx.Err() if ctx ends first, and ErrTooLarge (wrapped) for an
// image over Options.MaxPixels; nothing else.
func (s *Segmenter) Segment(ctx context.Context, img image.Image) (*image.Alpha, error) {
	r, err := s.SegmentDetail(ctx, img)
	if err != nil {
		return nil, err
	}
	return r.Mask, nil
}

// SegmentDetail is Segment plus how sure it is.
func (s *Segmenter) SegmentDetail(ctx context.Context, img image.Image) (Result, error) {
	return s.segment(ctx, img, math.Inf(-1))
}

// SegmentDetailAbove is SegmentDetail, except that a result whose Confidence is below min (or
// NaN) comes without its Mask (nil): the mask is not brought back to the image's size, which a
// caller that would drop it anyway need not wait for. Every other field is SegmentDetail's.
func (s *Segmenter) SegmentDetailAbove(ctx context.Context, img image.Image, min float64) (Result, error) {
	return s.segment(ctx, img, min)
}

// segment is SegmentDetailAbove.
func (s *Segmenter) segment(ctx context.Context, img image.Image, min float64) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	if W <= 0 || H <= 0 {
		return Result{Mask: image.NewAlpha(b)}, nil
	}
	o := s.opts
	if int64(W)*int64(H) > o.MaxPixels {
		return Result{}, fmt.Errorf("%w: %d×%d", ErrTooLarge, W, H)
	}
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
	ring := ringOf(cr.fixed, w, h)
	pieces := clean(cr.fg, ring, w, h, o.KeepRatio, o.MaxHoleRatio)
	res := Result{Pieces: pieces, Iterations: cr.iterations, WorkSize: image.Pt(w, h)}
	measure(&res, cr, ring, w, h)
	// min is −Inf for SegmentDetail, which always returns the mask (a NaN confidence too).
	if min > math.Inf(-1) && !(res.Confidence >= min) {
		return res, nil
	}
	if res.Mask, err = upsample(ctx, cr.fg, px, w, h, read, b, o.Hard); err != nil {
		return Result{}, err
	}
	return res, nil
}

// measure fills in the figures behind the confidence.
func measure(r *Result, cr cutResult, ringMask []bool, w, h int) {
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
	ring, on := 0, 0
	for i, in := range ringMask {
		if in {
			ring++
			if cr.fg[i] {
				on++
			}
		}
	}
	if ring > 0 {
		r.Rim = float64(on) / float64(ring)
	}
	if cr.energy0 > 0 {
		r.EnergyDrop = math.Max(0, 1-cr.energy/cr.energy0)
	}
	// The outline's contrast and the pieces' bounding box.
	var step float64
	steps := 0
	x0, y0, x1, y1 := w, h, -1, -1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !cr.fg[i] {
				continue
			}
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				xx, yy := x+d[0], y+d[1]
				if xx < 0 || xx >= w || yy < 0 || yy >= h || cr.fg[yy*w+xx] {
					continue
				}
				j := yy*w + xx
				for c := 0; c < 3; c++ {
					dz := float64(cr.px[3*i+c] - cr.px[3*j+c])
					step += dz * dz
				}
				steps++
			}
		}
	}
	if steps > 0 && cr.meanDiff2 > 0 {
		r.EdgeContrast = step / float64(steps) / cr.meanDiff2
	}
	if area > 0 {
		r.Fill = float64(area) / float64((x1-x0+1)*(y1-y0+1))
	}
	r.Confidence = r.Separation * (1 - r.Rim) * (1 - r.Rim) * fractionFactor(r.Fraction) *
		min(1, 3/float64(max(1, r.Pieces))) * min(1, r.Fill/0.15)
}

// fractionFactor is 1 for plausible subject shares and falls to 0 for a speck or for nearly
// the whole image.
func fractionFactor(f float64) float64 {
	switch {
	case f <= 0.002 || f >= 0.9:
		return 0
	case f < 0.02:
		return (f - 0.002) / 0.018
	case f > 0.6:
		return (0.9 - f) / 0.3
	}
	return 1
}

// ringOf marks the pixels outside the band next to it (8-connected).
func ringOf(fixed []bool, w, h int) []bool {
	ring := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if fixed[y*w+x] {
				continue
			}
			for dy := -1; dy <= 1 && !ring[y*w+x]; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx >= 0 && xx < w && yy >= 0 && yy < h && fixed[yy*w+xx] {
						ring[y*w+x] = true
						break
					}
				}
			}
		}
	}
	return ring
}
