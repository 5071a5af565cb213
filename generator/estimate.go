package generator

import (
	"context"
	"fmt"
	"image"
	"math"
)

// Segmenter finds the subject of a photo: a matte at the image's bounds, 255 subject, 0
// background. estimators.Segmenter (an IS-Net-style ONNX model) satisfies it; so does
// grabcut.Segmenter. A Segmenter that also has a Name() string method is named by it in the
// report.
type Segmenter interface {
	Segment(ctx context.Context, img image.Image) (*image.Alpha, error)
}

// ConfidentSegmenter is a Segmenter that also says how sure it is that the image is an object
// on a background (1) rather than a scene (0). Generate uses its matte only when the confidence
// reaches MinSegmentConfidence; below it, SegmentConfidence may return no matte (nil).
type ConfidentSegmenter interface {
	Segmenter
	SegmentConfidence(ctx context.Context, img image.Image) (*image.Alpha, float64, error)
}

// DepthEstimator estimates a photo's relative depth: a map at the image's bounds, white
// (65535) nearest the viewer. estimators.DepthEstimator satisfies it (Depth Anything V2 and
// MiDaS-style ONNX models). A DepthEstimator with a Name() string method is named by it in the
// report.
type DepthEstimator interface {
	EstimateDepth(ctx context.Context, img image.Image) (*image.Gray16, error)
}

// MinSegmentConfidence is the least confidence a ConfidentSegmenter must give for its matte to
// be a photo's subject.
const MinSegmentConfidence = 0.5

// Segmented photos: a subject covering less than minPhotoSubject of the image is a speck the
// segmenter latched on to, not the object of the photo.
const minPhotoSubject = 0.01

// Mask sources for a photo's subject (see MaskSource).
const (
	// MaskModel: Config.Segmenter found the subject (ImageReport.Segmenter names it).
	MaskModel MaskSource = "model"
	// MaskGrabCut: the built-in GrabCut segmenter found the subject, with
	// ImageReport.SegmentConfidence at least MinSegmentConfidence.
	MaskGrabCut MaskSource = "grabcut"
)

// DepthSource says where a relief's heights came from when not from brightness.
type DepthSource string

const (
	// DepthNone: the relief follows brightness.
	DepthNone DepthSource = ""
	// DepthGiven: Request.DepthMap or Request.DepthMapImage, used as given.
	DepthGiven DepthSource = "depth map"
	// DepthModel: Config.Depth estimated the photo's depth, which gradient-domain bas-relief
	// compression turned into heights (see BasReliefOptions).
	DepthModel DepthSource = "model"
)

// builtinSegmenter returns the segmenter auto uses on photos when Config.Segmenter is nil, or
// nil for none. It is the seam where the classical GrabCut segmenter (package
// estimators/grabcut) plugs in.
var builtinSegmenter func() ConfidentSegmenter

// subjectMask is a photo's subject matte at the source image's bounds and where it came from.
type subjectMask struct {
	alpha      *image.Alpha
	source     MaskSource
	name       string  // the segmenter's name
	confidence float64 // -1: not given
}

// crop returns the subject's matte for the source rectangle r.
func (s *subjectMask) crop(r image.Rectangle) *subjectMask {
	c := *s
	c.alpha = s.alpha.SubImage(r).(*image.Alpha)
	return &c
}

// describe names the mask's origin for the report's reasons: "the segmentation model NAME" or
// "GrabCut (confidence 0.82)".
func (s *subjectMask) describe() string {
	if s.source == MaskGrabCut {
		return fmt.Sprintf("GrabCut (confidence %.2f)", s.confidence)
	}
	return "the segmentation model " + s.name
}

// estimates holds what the Config's estimators found for one Generate call, so that Auto's
// fallback plans reuse them instead of running a model again.
type estimates struct {
	segmenter ConfidentSegmenter // nil: none
	segName   string
	segSource MaskSource
	depth     DepthEstimator // nil: none
	depthName string
	basRelief BasReliefOptions

	segDone  bool
	subject  *subjectMask // nil: none accepted
	segNote  string       // why there is no subject, when segmentation ran or could not
	depthMap *image.Gray16
}

// nameOf returns v's Name() when it has one, else fallback.
func nameOf(v any, fallback string) string {
	if n, ok := v.(interface{ Name() string }); ok && n.Name() != "" {
		return n.Name()
	}
	return fallback
}

// plainSegmenter gives a Segmenter without a confidence full confidence.
type plainSegmenter struct{ Segmenter }

func (s plainSegmenter) SegmentConfidence(ctx context.Context, img image.Image) (*image.Alpha, float64, error) {
	a, err := s.Segment(ctx, img)
	return a, -1, err
}

// newEstimates sets up what req may use of g's estimators.
func (g *Generator) newEstimates(req *Request) *estimates {
	e := &estimates{basRelief: req.BasRelief.defaults()}
	if !req.NoSegmentation && !g.full3D {
		switch {
		case g.segmenter != nil:
			e.segName, e.segSource = nameOf(g.segmenter, fmt.Sprintf("%T", g.segmenter)), MaskModel
			if c, ok := g.segmenter.(ConfidentSegmenter); ok {
				e.segmenter = c
			} else {
				e.segmenter = plainSegmenter{g.segmenter}
			}
		case builtinSegmenter != nil:
			e.segmenter, e.segName, e.segSource = builtinSegmenter(), "grabcut", MaskGrabCut
		default:
			e.segNote = "no segmenter is configured"
		}
	} else {
		e.segNote = "segmentation was not asked for"
	}
	if g.depth != nil && !req.NoDepthEstimation {
		e.depth, e.depthName = g.depth, nameOf(g.depth, fmt.Sprintf("%T", g.depth))
	}
	return e
}

// wantsSubject reports whether a photo's subject is looked for under pl: the outline modes and
// Auto, which may build one.
func (pl *plan) wantsSubject() bool {
	return pl.est != nil && pl.est.segmenter != nil &&
		(pl.requested == Auto || pl.requested == Extrude || pl.requested == Inflate)
}

// segmentPhoto runs the segmenter on img once per Generate call and returns the subject it
// accepts (nil, with the reason in pl.est.segNote, when none). A segmenter's failure other than
// cancellation is not the request's: the photo is built without a subject, and the note says
// why.
func segmentPhoto(ctx context.Context, pl *plan, img image.Image) (*subjectMask, error) {
	e := pl.est
	if e.segDone {
		return e.subject, nil
	}
	e.segDone = true
	a, conf, err := e.segmenter.SegmentConfidence(ctx, img)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("generator: segmenting the photo: %w", cerr)
		}
		e.segNote = fmt.Sprintf("segmentation by %s failed: %v", e.segName, err)
		return nil, nil
	}
	// The confidence first: below MinSegmentConfidence a segmenter need not give a matte.
	if math.IsNaN(conf) || (conf >= 0 && conf < MinSegmentConfidence) {
		e.segNote = fmt.Sprintf("%s found no clear object (confidence %.2f, below %.2f): a scene", e.segName, conf, MinSegmentConfidence)
		return nil, nil
	}
	if a == nil || a.Bounds() != img.Bounds() {
		e.segNote = fmt.Sprintf("segmentation by %s gave no matte of the image's size", e.segName)
		return nil, nil
	}
	e.subject = &subjectMask{alpha: a, source: e.segSource, name: e.segName, confidence: conf}
	return e.subject, nil
}

// rejectSubject drops a subject, cleaned into p's mask, that is no object of the photo, and says
// why: one whose coverage is outside minPhotoSubject–autoMaxCoverage, or, from the classical
// segmenter, one in several pieces (GrabCut splitting a person at a white collar, say, which
// inflated would float a head beside a body); a model's several pieces are taken as several
// objects.
func rejectSubject(pl *plan, p *prepared, s *subjectMask, coverage float64) bool {
	switch {
	case coverage < minPhotoSubject || coverage > autoMaxCoverage:
		pl.est.segNote = fmt.Sprintf("%s covers %.1f %% of the photo, outside %.0f–%.0f %%: no separate object",
			s.describe(), 100*coverage, 100*minPhotoSubject, 100*autoMaxCoverage)
	case s.source == MaskGrabCut:
		n, _ := maskParts(p.mask, p.w, p.h)
		if n <= 1 {
			return false
		}
		pl.est.segNote = fmt.Sprintf("%s found the subject in %d pieces: no one clear object", s.describe(), n)
	default:
		return false
	}
	pl.est.subject = nil
	return true
}

// alphaPlane area-averages a matte at the source's bounds to the w×h working grid, as 0..1.
func alphaPlane(ctx context.Context, a *image.Alpha, w, h int) ([]float32, error) {
	b := a.Bounds()
	sw := b.Dx()
	planes, err := resample(ctx, sw, b.Dy(), w, h, 1, func() rowFunc {
		return func(y int, dst []float32, _ bool) {
			row := a.Pix[y*a.Stride : y*a.Stride+sw]
			for x, v := range row {
				dst[x] = float32(v) / 255
			}
		}
	}, nil)
	if err != nil {
		return nil, err
	}
	m := planes[0]
	for i := range m {
		m[i] = clamp01(m[i])
	}
	return m, nil
}

// gray16Plane area-averages a 16-bit map at the source's bounds to the w×h working grid, as
// 0..1.
func gray16Plane(ctx context.Context, d *image.Gray16, w, h int) ([]float32, error) {
	b := d.Bounds()
	sw := b.Dx()
	planes, err := resample(ctx, sw, b.Dy(), w, h, 1, func() rowFunc {
		return func(y int, dst []float32, _ bool) {
			row := d.Pix[y*d.Stride : y*d.Stride+2*sw]
			for x := range sw {
				dst[x] = float32(uint16(row[2*x])<<8|uint16(row[2*x+1])) / 65535
			}
		}
	}, nil)
	if err != nil {
		return nil, err
	}
	m := planes[0]
	for i := range m {
		m[i] = clamp01(m[i])
	}
	return m, nil
}

// estimateDepth gives p, a photo to be built as a relief, the heights of its estimated depth,
// bas-relief compressed, and returns what the report's reason adds; "" when there is no depth
// estimator. A failing estimator other than by cancellation leaves the relief on brightness,
// and the reason says why.
func estimateDepth(ctx context.Context, pl *plan, img image.Image, p *prepared) (string, error) {
	e := pl.est
	if e == nil || e.depth == nil {
		return "", nil
	}
	if e.depthMap == nil {
		d, err := e.depth.EstimateDepth(ctx, img)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return "", fmt.Errorf("generator: estimating depth: %w", cerr)
			}
			return fmt.Sprintf("; depth estimation by %s failed (%v): heights from brightness", e.depthName, err), nil
		}
		if d == nil || d.Bounds() != img.Bounds() {
			return fmt.Sprintf("; depth estimation by %s gave no map of the image's size: heights from brightness", e.depthName), nil
		}
		e.depthMap = d
	}
	// Depth models see the photo at about 518 px: the compression runs at most at
	// maxBasReliefSide, and its heights are interpolated up to the working grid.
	sw, sh := p.w, p.h
	if s := float64(maxBasReliefSide) / float64(max(p.w, p.h)); s < 1 {
		sw, sh = max(2, int(math.Round(float64(p.w)*s))), max(2, int(math.Round(float64(p.h)*s)))
	}
	d, err := gray16Plane(ctx, e.depthMap, sw, sh)
	if err != nil {
		return "", err
	}
	h, rep, err := BasRelief(ctx, d, sw, sh, e.basRelief)
	if err != nil {
		return "", fmt.Errorf("generator: bas-relief: %w", err)
	}
	if sw != p.w || sh != p.h {
		h = bilinear(h, sw, sh, p.w, p.h)
	}
	p.dpth, p.depthSource, p.basRelief = h, DepthModel, &rep
	// The depth says what stands out: a textured border's colour mask would raise the subject on
	// a cliff that the compression has just taken away.
	p.mask, p.maskSource = nil, MaskNone
	return fmt.Sprintf("; heights from the depth %s estimated, bas-relief compressed", e.depthName), nil
}

// maxBasReliefSide is the longest side the bas-relief compression of an estimated depth runs
// at: above the depth models' own resolution (518 px for Depth Anything V2), where a finer grid
// adds solver time but no depth detail.
const maxBasReliefSide = 640

// bilinear resizes a w×h plane to dw×dh by bilinear interpolation between pixel centres.
func bilinear(src []float32, w, h, dw, dh int) []float32 {
	out := make([]float32, dw*dh)
	for y := range dh {
		fy := min(max((float64(y)+0.5)*float64(h)/float64(dh)-0.5, 0), float64(h-1))
		y0 := min(int(fy), h-2)
		ty := float32(fy - float64(y0))
		if h == 1 {
			y0, ty = 0, 0
		}
		for x := range dw {
			fx := min(max((float64(x)+0.5)*float64(w)/float64(dw)-0.5, 0), float64(w-1))
			x0 := min(int(fx), w-2)
			tx := float32(fx - float64(x0))
			if w == 1 {
				x0, tx = 0, 0
			}
			at := func(xx, yy int) float32 { return src[min(yy, h-1)*w+min(xx, w-1)] }
			top := at(x0, y0)*(1-tx) + at(x0+1, y0)*tx
			bot := at(x0, y0+1)*(1-tx) + at(x0+1, y0+1)*tx
			out[y*dw+x] = top*(1-ty) + bot*ty
		}
	}
	return out
}
