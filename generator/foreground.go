package generator

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"math"
	"slices"
	"strings"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/raster"
)

// ForegroundOptions control how the foreground mask is cleaned and cropped. The zero value means
// the defaults; a negative field disables its step.
type ForegroundOptions struct {
	// MinIslandRatio drops foreground components smaller than this fraction of the largest one:
	// specks and floating islands (default 0.005).
	MinIslandRatio float64
	// MaxHoleRatio fills holes in the foreground (background regions that do not reach the
	// image's border) of at most this fraction of the image's pixels (default 0.0005).
	MaxHoleRatio float64
	// Margin is the background kept around the foreground's bounding box when a silhouette mode
	// (extrude, inflate) crops to it, as a fraction of the box's longest side (default 0.03).
	Margin float64
}

func (o ForegroundOptions) defaults() ForegroundOptions {
	o.MinIslandRatio = orDefault(o.MinIslandRatio, 0.005)
	o.MaxHoleRatio = orDefault(o.MaxHoleRatio, 0.0005)
	o.Margin = orDefault(o.Margin, 0.03)
	return o
}

// Auto builds the subject (extrude or inflate) when the foreground covers between these
// fractions of the image, else a relief of the whole picture.
const (
	autoMinCoverage = 0.002
	autoMaxCoverage = 0.95
)

// cleanMask cleans p's mask in place per o and returns the foreground's coverage (1 without a
// mask).
func cleanMask(p *prepared, o ForegroundOptions) float64 {
	if p.mask == nil {
		return 1
	}
	island := max(o.MinIslandRatio, 0)
	hole := 0
	if o.MaxHoleRatio > 0 {
		hole = int(o.MaxHoleRatio * float64(p.w*p.h))
	}
	m, st := raster.CleanMask(p.mask, p.w, p.h, island, hole)
	colourFilledHoles(p, m)
	p.mask = m
	return st.Coverage
}

// shape describes a foreground mask for Auto's choice.
type shape struct {
	coverage    float64 // of the image
	fill        float64 // foreground pixels over its bounding box's
	strokeWidth float64 // 2·area/perimeter in pixels: the width of a stroke, the diameter of a disc
	minSide     int     // the bounding box's smaller side in pixels
	parts       int     // 8-connected components
}

// measureShape measures p's cleaned mask.
func measureShape(p *prepared, coverage float64) shape {
	s := shape{coverage: coverage}
	x0, y0, x1, y1, ok := raster.Bounds(p.mask, p.w, p.h)
	if !ok {
		return s
	}
	s.minSide = min(x1-x0, y1-y0)
	area, perim := 0, 0
	fg := func(x, y int) bool { return x >= 0 && y >= 0 && x < p.w && y < p.h && p.mask[y*p.w+x] >= 0.5 }
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if !fg(x, y) {
				continue
			}
			area++
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				if !fg(x+d[0], y+d[1]) {
					perim++
				}
			}
		}
	}
	s.fill = float64(area) / float64((x1-x0)*(y1-y0))
	if perim > 0 {
		s.strokeWidth = 2 * float64(area) / float64(perim)
	}
	s.parts, _ = maskParts(p.mask, p.w, p.h)
	return s
}

// lineArt reports whether s is thin strokes: a stroke width under lineArtWidth of the subject's
// smaller side, or strokes that fill little of their box.
func (s shape) lineArt() bool {
	side := float64(max(s.minSide, 1))
	return s.strokeWidth < lineArtWidth*side || (s.fill < 0.15 && s.strokeWidth < 2*lineArtWidth*side)
}

// Auto's thresholds: strokes thinner than lineArtWidth of the subject's smaller side are line
// art; more than manyParts parts go on one base plate.
const (
	lineArtWidth = 0.04
	manyParts    = 8
)

// chooseMode resolves the request's mode to the one the backend builds, and says why. For Auto:
// a depth map or a full-frame photo is a relief; a foreground (from transparency or a plain
// background) covering almost all the image is a relief too; thin strokes (line art) and
// subjects in many parts are extruded on a base plate, one printable piece (base reports so);
// other subjects, clip art and icons, are inflated.
func chooseMode(m Mode, p *prepared, coverage float64) (mode backends.Mode, reason string, base bool) {
	if m != Auto {
		return backends.Mode(m), "requested", false
	}
	if p.dpth != nil {
		return backends.Relief, "auto: a depth map was given", false
	}
	if p.maskSource == MaskNone {
		return backends.Relief, "auto: a photo (the image is opaque and its border has no plain colour, so there is no separate subject)", false
	}
	pct := 100 * coverage
	if coverage > autoMaxCoverage || coverage < autoMinCoverage {
		return backends.Relief, fmt.Sprintf("auto: the foreground (from %s) covers %.1f %% of the image, outside %.1f–%.0f %%: a picture, not a subject", p.maskOrigin(), pct, 100*autoMinCoverage, 100*autoMaxCoverage), false
	}
	s := measureShape(p, coverage)
	switch {
	case s.lineArt():
		return backends.Extrude, fmt.Sprintf("auto: line art (strokes %.1f px wide on a %d px subject, filling %.0f %% of its box), extruded on a base plate as one piece", s.strokeWidth, s.minSide, 100*s.fill), true
	case s.parts > manyParts:
		return backends.Extrude, fmt.Sprintf("auto: a subject in %d parts, extruded on a base plate as one piece", s.parts), true
	}
	if p.subject != nil {
		return backends.Inflate, fmt.Sprintf("auto: an object in a photo (found by %s, %.1f %% of the image, strokes %.0f px wide), inflated", p.maskOrigin(), pct, s.strokeWidth), false
	}
	return backends.Inflate, fmt.Sprintf("auto: a solid subject (from %s, %.1f %% of the image, strokes %.0f px wide): clip art or an icon, inflated", p.maskSource, pct, s.strokeWidth), false
}

// maskOrigin names where p's mask came from, for the report's reasons: the mask source, or the
// segmenter that found a photo's subject.
func (p *prepared) maskOrigin() string {
	if p.subject != nil {
		return p.subject.describe()
	}
	return string(p.maskSource)
}

// fallbackMode returns the mode Auto tries when pl's mode came out blank (or, for an inflated
// solid, not one grounded piece per part of the subject).
func fallbackMode(pl *plan) (Mode, bool) {
	switch pl.mode {
	case backends.Inflate:
		return Extrude, true
	case backends.Extrude:
		if !pl.params.extrude.BasePlate {
			return Relief, true
		}
	}
	return "", false
}

// useless returns why r is no result to hand over for its mode, or "": blank; or, for an
// inflated solid that Auto chose, more pieces than the subject has parts, pieces off the bed or
// holes the image does not have, which an extrusion of the same outline avoids (strict says
// so).
func useless(r *Report, strict bool) string {
	var why []string
	for _, w := range r.Warnings {
		switch {
		case w.Kind == WarnBlank:
			return w.Message
		case strict && r.Mode == Inflate && (w.Kind == WarnPieces || w.Kind == WarnFloating || w.Kind == WarnTunnels):
			why = append(why, w.Message)
		}
	}
	return strings.Join(why, "; ")
}

// silhouette reports whether mode m builds from the foreground's outline, and so crops to it.
func silhouette(m backends.Mode) bool { return m == backends.Extrude || m == backends.Inflate }

// cropRect returns the source-image rectangle that holds p's foreground plus the margin, and
// false when cropping would keep (nearly) the whole image or there is no foreground.
func cropRect(p *prepared, src image.Rectangle, margin float64) (image.Rectangle, bool) {
	if p.mask == nil {
		return image.Rectangle{}, false
	}
	x0, y0, x1, y1, ok := raster.Bounds(p.mask, p.w, p.h)
	if !ok {
		return image.Rectangle{}, false
	}
	sx := float64(src.Dx()) / float64(p.w)
	sy := float64(src.Dy()) / float64(p.h)
	m := max(margin, 0) * math.Max(float64(x1-x0)*sx, float64(y1-y0)*sy)
	m = math.Max(m, 2) // at least two source pixels, so the border stays background
	r := image.Rect(
		int(math.Floor(float64(x0)*sx-m)), int(math.Floor(float64(y0)*sy-m)),
		int(math.Ceil(float64(x1)*sx+m)), int(math.Ceil(float64(y1)*sy+m)),
	).Add(src.Min).Intersect(src)
	if r.Dx()*r.Dy() >= src.Dx()*src.Dy()*97/100 {
		return image.Rectangle{}, false
	}
	return r, true
}

// subImage returns the part r of img, sharing pixels where the image type allows.
func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	dst := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(dst, dst.Bounds(), img, r.Min, draw.Src)
	return dst
}

// prepareForeground prepares the image, cleans its mask, and resolves the plan (pl.resolve): the
// mode from that first preparation and, for a silhouette mode, the model's size from a second one
// of the foreground's crop, so that the working grid spends its pixels on the object and the
// requested width is the object's. It returns the final working image.
func prepareForeground(ctx context.Context, img, depth image.Image, pl *plan, fraction func(float64)) (*prepared, error) {
	p, err := prepare(ctx, img, depth, pl.prep, fraction)
	if err != nil {
		return nil, err
	}
	var border []float32 // a textured border's mask, while a segmented subject is tried instead
	if (p.maskSource == MaskNone || texturedBorder(p)) && p.dpth == nil && pl.wantsSubject() {
		// A photo (or one whose textured table or wall passed for a plain border): its subject,
		// if the segmenter finds one; else the border's mask, if any, stands.
		s, err := segmentPhoto(ctx, pl, img)
		if err != nil {
			return nil, err
		}
		if s != nil {
			if p.maskSource == MaskBorder {
				border = p.mask
			}
			if err := applySubject(ctx, p, s); err != nil {
				return nil, err
			}
		}
	}
	var colour []float32
	if p.subject != nil {
		colour = slices.Clone(p.color) // mask cleaning colours filled holes: kept for a rejected subject
	}
	coverage := cleanMask(p, pl.foreground)
	if p.subject != nil {
		if rejectSubject(pl, p, p.subject, coverage) {
			p.mask, p.maskSource, p.subject, p.color, coverage = nil, MaskNone, nil, colour, 1
			if border != nil {
				p.mask, p.maskSource, coverage = border, MaskBorder, cleanMask(p, pl.foreground)
			}
		} else {
			colourSubject(p)
		}
	}
	tiled := false
	if pl.requested == Auto && p.dpth == nil && p.subject == nil {
		if t, tc, cc, err := untile(ctx, img, p, pl, coverage); err != nil {
			return nil, err
		} else if t != nil {
			img, p, coverage, tiled = t, tc, cc, true
		}
	}
	if err := checkSubject(pl, p, coverage); err != nil {
		return nil, err
	}
	mode, reason, base := chooseMode(pl.requested, p, coverage)
	if base {
		pl.params.extrude.BasePlate = true
	}
	if tiled {
		reason += " (the tile it sits on taken as background)"
	}
	if pl.fallback {
		reason = "auto: fallback to " + string(mode)
	}
	if pl.requested == Auto && mode == backends.Relief && p.maskSource == MaskNone && pl.est != nil && pl.est.segDone && !pl.fallback {
		reason = "auto: a photo with no separate object (" + pl.est.segNote + "), built as a relief"
	}
	if mode == backends.Relief && (p.maskSource == MaskNone || texturedBorder(p)) && p.dpth == nil {
		note, err := estimateDepth(ctx, pl, img, p)
		if err != nil {
			return nil, err
		}
		reason += note
	}
	if silhouette(mode) {
		if c, err := cropForeground(ctx, img, p, pl); err != nil {
			return nil, err
		} else if c != nil {
			p = c
		}
	}
	if silhouette(mode) && pl.minStroke > 0 && p.mask != nil && p.pixelSize > 0 {
		m, added, err := thickenStrokes(ctx, p.mask, p.w, p.h, pl.minStroke/p.pixelSize)
		if err != nil {
			return nil, err
		}
		if added > 0 {
			// The pixels widening adds were background: they take the subject's colour, as the
			// holes mask cleaning fills do.
			colourFilledHoles(p, m)
			p.mask, p.widenedTo, p.widenedPixels = m, max(pl.minStroke, minStrokePixels*p.pixelSize), added
		}
	}
	pl.resolve(mode, reason, p)
	return p, nil
}

// checkSubject refuses an image with nothing to build for pl's mode: one flat colour, or no
// foreground for a silhouette mode.
func checkSubject(pl *plan, p *prepared, coverage float64) error {
	mode := pl.requested
	if p.dpth == nil && stddev(p.lum) < 1e-3 && (p.mask == nil || coverage == 0 || coverage >= 0.999) {
		return &NoSubjectError{Mode: mode, Reason: "the image is one flat colour"}
	}
	if p.mask != nil && coverage == 0 {
		return &NoSubjectError{Mode: mode, Reason: fmt.Sprintf("the foreground (from %s) is empty", p.maskSource)}
	}
	return nil
}

// untile handles an icon on a tile: a foreground that is one solid block filling its bounding
// box (a coloured tile, square or with rounded corners, on a transparent or plain background)
// whose own inside has a plain border of its colour. It returns that inside, cropped from img
// and prepared, when its border reads as a background (the tile's colour) around a subject that
// covers a reasonable share of it; else nil.
func untile(ctx context.Context, img image.Image, p *prepared, pl *plan, coverage float64) (image.Image, *prepared, float64, error) {
	if p.mask == nil || coverage < 0.2 {
		return nil, nil, 0, nil
	}
	x0, y0, x1, y1, ok := raster.Bounds(p.mask, p.w, p.h)
	if !ok {
		return nil, nil, 0, nil
	}
	if s := measureShape(p, coverage); s.parts != 1 || s.fill < 0.75 {
		return nil, nil, 0, nil
	}
	// Inset past rounded corners.
	src := img.Bounds()
	sx := float64(src.Dx()) / float64(p.w)
	sy := float64(src.Dy()) / float64(p.h)
	in := 0.08 * float64(min(x1-x0, y1-y0))
	r := image.Rect(
		int(math.Ceil((float64(x0)+in)*sx)), int(math.Ceil((float64(y0)+in)*sy)),
		int(math.Floor((float64(x1)-in)*sx)), int(math.Floor((float64(y1)-in)*sy)),
	).Add(src.Min).Intersect(src)
	if r.Dx() < 8 || r.Dy() < 8 {
		return nil, nil, 0, nil
	}
	sub := subImage(img, r)
	c, err := prepare(ctx, sub, nil, pl.prep, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	if c.maskSource != MaskBorder {
		return nil, nil, 0, nil
	}
	cc := cleanMask(c, pl.foreground)
	if cc < 0.02 || cc > 0.9 {
		return nil, nil, 0, nil
	}
	return sub, c, cc, nil
}

// cropForeground prepares again the foreground's crop of img, whose whole is p, and returns nil
// when the whole image is to be kept.
func cropForeground(ctx context.Context, img image.Image, p *prepared, pl *plan) (*prepared, error) {
	r, ok := cropRect(p, img.Bounds(), pl.foreground.Margin)
	if !ok {
		return nil, nil
	}
	opt := pl.prep
	if p.subject != nil {
		opt.subject = p.subject.crop(r)
	}
	c, err := prepare(ctx, subImage(img, r), nil, opt, nil)
	if err != nil {
		return nil, err
	}
	if c.maskSource != p.maskSource {
		// The crop's border no longer reads as the same background; keep the whole image.
		return nil, nil
	}
	cleanMask(c, pl.foreground)
	c.cropped = true
	return c, nil
}

// photoBorderNoise is the border noise (see borderBackground) above which a "plain" border is a
// photo's textured surface rather than a drawn background: 5/255 RMS, above JPEG's noise on a
// white logo background.
const photoBorderNoise = 5.0 / 255

// texturedBorder reports whether p's border mask came from an opaque photo's textured surface
// (a table, a wall) of one hue, where a segmenter knows the subject better than a colour fill.
func texturedBorder(p *prepared) bool {
	return p.maskSource == MaskBorder && p.borderNoise > photoBorderNoise && !p.hasAlpha
}
