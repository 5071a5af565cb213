package generator

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"math"

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

// Auto chooses Inflate when the foreground covers between these fractions of the image.
const (
	autoMinCoverage = 0.05
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

// chooseMode resolves the request's mode to the one the backend builds, and says why.
func chooseMode(m Mode, p *prepared, coverage float64) (backends.Mode, string) {
	if m != Auto {
		return backends.Mode(m), "requested"
	}
	if p.dpth != nil {
		return backends.Relief, "auto: a depth map was given"
	}
	if p.maskSource == MaskNone {
		return backends.Relief, "auto: no foreground (the image is opaque and its border has no plain colour)"
	}
	pct := 100 * coverage
	if coverage < autoMinCoverage || coverage > autoMaxCoverage {
		return backends.Relief, fmt.Sprintf("auto: the foreground (from %s) covers %.1f %% of the image, outside 5–95 %%", p.maskSource, pct)
	}
	return backends.Inflate, fmt.Sprintf("auto: a clean foreground (from %s) covers %.1f %% of the image", p.maskSource, pct)
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
	coverage := cleanMask(p, pl.foreground)
	mode, reason := chooseMode(pl.requested, p, coverage)
	if silhouette(mode) {
		if c, err := cropForeground(ctx, img, p, pl); err != nil {
			return nil, err
		} else if c != nil {
			p = c
		}
	}
	pl.resolve(mode, reason, p)
	return p, nil
}

// cropForeground prepares again the foreground's crop of img, whose whole is p, and returns nil
// when the whole image is to be kept.
func cropForeground(ctx context.Context, img image.Image, p *prepared, pl *plan) (*prepared, error) {
	r, ok := cropRect(p, img.Bounds(), pl.foreground.Margin)
	if !ok {
		return nil, nil
	}
	c, err := prepare(ctx, subImage(img, r), nil, pl.prep, nil)
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
