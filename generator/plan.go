package generator

import (
	"cmp"
	"context"
	"fmt"
	"image"
	"io"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/internal/raster"
)

// plan is a valid Request resolved once, with its quality level's settings: Generate builds it
// with newPlan right after Validate, and every stage below Generate (decoding, preparation,
// the backend's Input, simplification, placement, the report) reads the plan, never the Request.
//
// What the request alone decides is set by newPlan. What needs the prepared image (Auto's
// choice, the model's size in mm, a tolerance that is a fraction of that size) is set once, by
// resolve, when preparation has seen the image; the stages after preparation read it from here.
type plan struct {
	source source // the image and depth map to decode

	quality    Quality           // the level; Standard for the zero Quality
	prep       prepOptions       // the working resolution, requested size in mm, colour, mask tolerance
	foreground ForegroundOptions // its defaults applied
	requested  Mode              // the Request's mode; Auto for the zero Mode
	params     modeParams        // every mode's parameters, Request.Depth applied to each one's depth
	depth      float64           // Request.Depth: an inflated solid's extent along Z (zero: as built)
	smoothing  float64           // Request.Smoothing
	minStroke  float64           // Request.MinStrokeWidth, its default applied (≤ 0: none)
	faceBudget int               // Request.FaceBudget, or the level's

	// tolerance is in mm: Request.Tolerance, or, from resolve on, toleranceFraction of the
	// mode's characteristic size (see characteristicSize).
	tolerance         float64
	toleranceFraction float64

	fallback bool // Auto's first choice came out blank: this plan is the fallback
	noColor  bool // Request.NoColor: the mesh is handed over without colours, UVs or texture

	est *estimates // the Config's segmenter and depth estimator, and what they found; nil: none

	// Set once by resolve.
	mode              backends.Mode // what the backend builds: the requested mode or Auto's choice
	reason            string        // why: Report.ModeReason
	widthMM, heightMM float64       // the model's size in mm, from the final working image
}

// source is what decodeAll decodes: exactly one of image, reader and decoded, and at most one
// depth map, within limits.
type source struct {
	image      []byte
	reader     io.Reader
	decoded    image.Image
	depthMap   []byte
	depthImage image.Image
	limits     imagecheck.Limits
}

// hasDepth reports whether a depth map was given.
func (s source) hasDepth() bool { return s.depthMap != nil || s.depthImage != nil }

// modeParams are the parameters of every mode.
type modeParams struct {
	relief     backends.ReliefParams
	lithophane backends.LithophaneParams
	extrude    backends.ExtrudeParams
	inflate    backends.InflateParams
}

// validate checks mode m's parameters by the backend contract's rules (see
// backends.ReliefParams.Validate).
func (p modeParams) validate(m backends.Mode) error {
	switch m {
	case backends.Relief:
		return p.relief.Validate()
	case backends.Lithophane:
		return p.lithophane.Validate()
	case backends.Extrude:
		return p.extrude.Validate()
	case backends.Inflate:
		return p.inflate.Validate()
	}
	return fmt.Errorf("%w: unknown mode %q", backends.ErrInvalidInput, m)
}

// newPlan resolves r, which Validate has accepted, and its quality level.
func newPlan(r *Request) *plan {
	settings, _ := r.Quality.Settings()
	requested := cmp.Or(r.Mode, Auto)
	pl := &plan{
		source: source{
			image: r.Image, reader: r.Reader, decoded: r.Decoded,
			depthMap: r.DepthMap, depthImage: r.DepthMapImage, limits: r.Limits,
		},
		quality: cmp.Or(r.Quality, Standard),
		prep: prepOptions{
			resolution:    settings.Resolution,
			width:         r.Width,
			height:        r.Height,
			wantColor:     wantsColor(requested) && !r.NoColor,
			maskTolerance: orDefault(r.MaskTolerance, DefaultMaskTolerance),
		},
		foreground:        r.Foreground.defaults(),
		requested:         requested,
		params:            r.params(),
		depth:             r.Depth,
		smoothing:         r.Smoothing,
		minStroke:         orDefault(r.MinStrokeWidth, DefaultMinStrokeWidth),
		faceBudget:        settings.FaceBudget,
		tolerance:         r.Tolerance,
		toleranceFraction: settings.ToleranceFraction,
		noColor:           r.NoColor,
	}
	if r.FaceBudget > 0 {
		pl.faceBudget = r.FaceBudget
	}
	return pl
}

// resolve records what only the image decides: mode, the mode the backend builds, and why
// (chooseMode's verdict on the first preparation), and, from p, the final working image, the
// model's size in mm and the tolerance where the request left it to the quality level.
// prepareForeground calls it once per plan; a second call is a bug, and panics.
func (pl *plan) resolve(mode backends.Mode, reason string, p *prepared) {
	if pl.mode != "" {
		panic(fmt.Sprintf("generator: plan resolved twice (%s, then %s)", pl.mode, mode))
	}
	pl.mode, pl.reason = mode, reason
	pl.widthMM, pl.heightMM = p.widthMM, p.heightMM
	if pl.tolerance == 0 {
		pl.tolerance = pl.toleranceFraction * characteristicSize(mode, pl.params, pl.widthMM, pl.heightMM)
	}
}

// DefaultSubjectLift is the share of a relief's depth its foreground is raised by when the image
// has one (see backends.ReliefParams.SubjectLift).
const DefaultSubjectLift = 0.3

// input assembles the backend's Input from the resolved plan and the final working image p: for
// a relief or flat lithophane, the height source smoothed (see guidedFilter) and, for a relief of
// an image with a foreground, the foreground raised above a background kept at the base.
func (pl *plan) input(ctx context.Context, p *prepared) (*backends.Input, error) {
	in := &backends.Input{
		Width: p.w, Height: p.h,
		Luminance: p.lum, Mask: p.mask, Color: p.color, Depth: p.dpth,
		PixelSize:  p.pixelSize,
		Mode:       pl.mode,
		Relief:     pl.params.relief,
		Lithophane: pl.params.lithophane,
		Extrude:    pl.params.extrude,
		Inflate:    pl.params.inflate,
		FaceBudget: pl.faceBudget,
		Tolerance:  pl.tolerance,
	}
	if pl.mode == backends.Lithophane {
		in.Color = nil // a lithophane is one plain material, lit from behind
	}
	if pl.mode == backends.Relief && p.mask != nil {
		// The band: the guided filter's radius, the outline ramp's (modes.ReliefHeights), and one.
		band := smoothingRadius(pl.smoothing, p.w, p.h) + int(math.Ceil(2/p.pixelSize)) + 1
		in.Luminance = unmixEdges(in.Luminance, p.mask, p.w, p.h, band)
		in.Relief.UseMask = true
		if in.Relief.SubjectLift == 0 {
			in.Relief.SubjectLift = DefaultSubjectLift
		}
	}
	if pl.fullFrame() {
		r := smoothingRadius(pl.smoothing, p.w, p.h)
		var err error
		if in.Depth != nil {
			in.Depth, err = guidedFilter(ctx, in.Depth, p.w, p.h, r)
		} else {
			in.Luminance, err = guidedFilter(ctx, in.Luminance, p.w, p.h, r)
		}
		if err != nil {
			return nil, err
		}
	}
	return in, nil
}

// fullFrame reports whether the plan's mode fills the frame: a relief or a flat lithophane,
// whose footprint is exactly the model's size.
func (pl *plan) fullFrame() bool {
	return pl.mode == backends.Relief ||
		(pl.mode == backends.Lithophane && pl.params.lithophane.Defaults().Shape == backends.Flat)
}

// unmixEdges returns lum with every pixel within band pixels of the subject but outside its core (mask below
// raster.FillCore: the background and the antialiased edge, whose luminance mixes in the
// background's) given the luminance of the subject pixels nearest to it (raster.FillOutward).
// The relief's heights read only the subject's pixels, but the edge-preserving smoothing that
// follows reads across the outline: with the background left as it is, a white background would
// brighten the subject's rim into a crest of higher teeth around a raised subject.
//
// A mask that is not antialiased (a background found by colour is 0 or 1) does not mark the
// edge, though the luminance there is mixed all the same: a subject pixel with a background
// pixel among its 8 neighbours counts as edge too.
func unmixEdges(lum, mask []float32, w, h, band int) []float32 {
	rgb := make([]float32, 3*len(lum))
	for i, v := range lum {
		rgb[3*i], rgb[3*i+1], rgb[3*i+2] = v, v, v
	}
	core := append([]float32(nil), mask...)
	for y := range h {
		for x := range w {
			k := y*w + x
			if mask[k] < raster.FillCore {
				continue
			}
		near:
			for yy := max(y-1, 0); yy <= min(y+1, h-1); yy++ {
				for xx := max(x-1, 0); xx <= min(x+1, w-1); xx++ {
					if mask[yy*w+xx] < 0.5 {
						core[k] = 0.5
						break near
					}
				}
			}
		}
	}
	raster.FillOutwardInPlace(rgb, core, w, h) // rgb is this call's own: no copy of it (12 B a pixel)
	// Only a band around the subject, as wide as the smoothing and the relief's outline ramp
	// reach, needs the subject's values; the far background keeps its own.
	near := dilate(mask, w, h, band)
	out := append([]float32(nil), lum...)
	for i := range out {
		if near[i] {
			out[i] = rgb[3*i]
		}
	}
	return out
}

// dilate returns the pixels within Chebyshev distance r of a pixel whose mask is at least 0.5.
func dilate(mask []float32, w, h, r int) []bool {
	row := make([]bool, w*h)
	for y := range h {
		last := -1 << 30 // the column of the last subject pixel seen, scanning right
		for x := range w {
			if mask[y*w+x] >= 0.5 {
				last = x
			}
			row[y*w+x] = x-last <= r
		}
		last = 1 << 30
		for x := w - 1; x >= 0; x-- {
			if mask[y*w+x] >= 0.5 {
				last = x
			}
			row[y*w+x] = row[y*w+x] || last-x <= r
		}
	}
	out := make([]bool, w*h)
	for x := range w {
		last := -1 << 30
		for y := range h {
			if row[y*w+x] {
				last = y
			}
			out[y*w+x] = y-last <= r
		}
		last = 1 << 30
		for y := h - 1; y >= 0; y-- {
			if row[y*w+x] {
				last = y
			}
			out[y*w+x] = out[y*w+x] || last-y <= r
		}
	}
	return out
}

// characteristicSize is the length in mm that the quality's tolerance fraction applies to for
// mode m: the relief depth, or the lithophane's thickness range; for the outline modes, extrude
// and inflate, a twentieth of the model's longest side (5 mm on a 100 mm model, so that their
// tolerances are those of a default relief at that size).
func characteristicSize(m backends.Mode, params modeParams, widthMM, heightMM float64) float64 {
	switch m {
	case backends.Relief:
		return params.relief.Defaults().Depth
	case backends.Lithophane:
		l := params.lithophane.Defaults()
		return l.MaxThickness - l.MinThickness
	}
	return math.Max(widthMM, heightMM) / 20
}
