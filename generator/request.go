package generator

import (
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/imagecheck"
)

// Mode names what Generate builds from the image. It is backends.Mode, so that a mode crosses
// from a Request to the backend's Input without a conversion; the generator adds Auto, which it
// resolves before any backend sees the Input.
type Mode = backends.Mode

// The modes a Request may ask for. The zero Mode means Auto.
const (
	// Relief is a heightfield on a solid base: brightness (or a depth map) becomes height.
	Relief = backends.Relief
	// Lithophane is a thin plate whose thickness follows darkness, to be lit from behind.
	Lithophane = backends.Lithophane
	// Extrude is the foreground's outline, capped and walled to a height.
	Extrude = backends.Extrude
	// Inflate is a rounded solid grown from the foreground's silhouette.
	Inflate = backends.Inflate
	// Auto picks a mode from the image: Inflate when it has a clean foreground (from alpha or a
	// plain border colour) covering 5–95 % of it, else Relief (always Relief with a depth map).
	// The choice and its reason are in Report.Mode and Report.ModeReason.
	Auto Mode = "auto"
)

// Modes lists every Mode a Request accepts: backends.Modes, in their order, then Auto.
var Modes = append(slices.Clip(backends.Modes), Auto)

// ParseMode returns the Mode named s (case-insensitive; "" is Auto).
func ParseMode(s string) (Mode, error) {
	m := Mode(strings.ToLower(strings.TrimSpace(s)))
	if m == "" {
		return Auto, nil
	}
	for _, k := range Modes {
		if m == k {
			return m, nil
		}
	}
	return "", invalidf("unknown mode %q (want relief, lithophane, extrude, inflate or auto)", s)
}

// Quality is a named level of detail. It sets the working resolution, the face budget and the
// surface tolerance (see QualitySettings). The zero Quality means Standard.
type Quality string

// The quality levels, from fastest to finest.
const (
	// Draft works at 256 px on the longest side, with at most 50,000 faces, within 4 % of the
	// mode's depth.
	Draft Quality = "draft"
	// Standard works at 512 px, with at most 200,000 faces, within 2 %.
	Standard Quality = "standard"
	// High works at 1024 px, with at most 500,000 faces, within 1 %.
	High Quality = "high"
	// Ultra works at 2048 px, with at most 2,000,000 faces, within 0.4 %.
	Ultra Quality = "ultra"
)

// Qualities lists the quality levels from fastest to finest.
var Qualities = []Quality{Draft, Standard, High, Ultra}

// QualitySettings are what a quality level sets.
type QualitySettings struct {
	// Resolution is the longest side, in pixels, of the working image. Larger images are shrunk
	// to it by area averaging; smaller ones are used as they are, never enlarged (enlarging adds
	// faces and time but no detail).
	Resolution int
	// FaceBudget is the most triangles the mesh may have.
	FaceBudget int
	// ToleranceFraction is the largest surface deviation simplification may introduce, as a
	// fraction of the mode's characteristic size: the relief depth, the lithophane's thickness
	// range (MaxThickness − MinThickness), or a twentieth of the model's longest side for extrude
	// and inflate, whose simplification works on outlines. The levels use 4 %, 2 %, 1 % and 0.4 %:
	// on the default 5 mm relief that is 0.2 mm (a coarse FDM layer), 0.1 mm (a fine one),
	// 0.05 mm (resin printing) and 0.02 mm (one 8-bit grey level). Finer tolerances on noisy
	// photos only spend the face budget on sensor noise.
	ToleranceFraction float64
}

// Settings returns the settings of level q; the zero Quality gives Standard's.
func (q Quality) Settings() (QualitySettings, error) {
	switch q {
	case Draft:
		return QualitySettings{Resolution: 256, FaceBudget: 50_000, ToleranceFraction: 0.04}, nil
	case Standard, "":
		return QualitySettings{Resolution: 512, FaceBudget: 200_000, ToleranceFraction: 0.02}, nil
	case High:
		return QualitySettings{Resolution: 1024, FaceBudget: 500_000, ToleranceFraction: 0.01}, nil
	case Ultra:
		return QualitySettings{Resolution: 2048, FaceBudget: 2_000_000, ToleranceFraction: 0.004}, nil
	}
	return QualitySettings{}, invalidf("unknown quality %q (want draft, standard, high, ultra or 1–10)", string(q))
}

// ParseQuality returns the level named s: a level's name (case-insensitive; "" is Standard) or a
// number on the 1–10 scale, where 1–2 is Draft, 3–6 Standard, 7–8 High and 9–10 Ultra.
func ParseQuality(s string) (Quality, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return Standard, nil
	}
	if n, err := strconv.Atoi(t); err == nil {
		return QualityFromScale(n)
	}
	q := Quality(t)
	if _, err := q.Settings(); err != nil {
		return "", err
	}
	return q, nil
}

// QualityFromScale maps n on the 1–10 scale to a level: 1–2 Draft, 3–6 Standard, 7–8 High,
// 9–10 Ultra.
func QualityFromScale(n int) (Quality, error) {
	switch {
	case n >= 1 && n <= 2:
		return Draft, nil
	case n >= 3 && n <= 6:
		return Standard, nil
	case n >= 7 && n <= 8:
		return High, nil
	case n >= 9 && n <= 10:
		return Ultra, nil
	}
	return "", invalidf("quality %d is outside the 1–10 scale", n)
}

// DefaultWidth is the width in millimetres of a model whose Request gives neither Width nor Height.
const DefaultWidth = 100.0

// MaxSize is the largest width, height or depth in millimetres a Request may ask for (10 m).
const MaxSize = 10_000.0

// DefaultMaskTolerance is the default Request.MaskTolerance.
const DefaultMaskTolerance = 0.1

// Request is one image to turn into a mesh, and how. The zero value of every field but the image
// means its documented default; a Request with just Image set builds a 100 mm wide model at
// Standard quality in the Auto mode.
type Request struct {
	// The image: exactly one of Image (encoded bytes), Reader (encoded bytes, read to the end or
	// to Limits.MaxBytes) and Decoded (an image already decoded, used as it is, within the pixel
	// Limits) must be set. Encoded bytes go through imagecheck.Decode with Limits, so untrusted
	// uploads are safe, and are turned upright per their EXIF orientation.
	Image   []byte
	Reader  io.Reader
	Decoded image.Image

	// The optional depth map, for Relief (and Auto, which then picks Relief): at most one of
	// DepthMap (encoded bytes) and DepthMapImage. White is nearest the viewer. It must have the
	// same size in pixels as the image (after EXIF orientation). Its luminance is used, at full
	// precision for 16-bit images.
	DepthMap      []byte
	DepthMapImage image.Image

	// Mode is what to build (default Auto).
	Mode Mode
	// Quality sets the working resolution, face budget and tolerance (default Standard).
	Quality Quality

	// Width is the model's size in mm along X, the image's horizontal (default: from Height and
	// the image's aspect ratio, or DefaultWidth when Height is zero too).
	Width float64
	// Height is the model's size in mm along Y, the image's vertical (default: from Width and the
	// image's aspect ratio). When both Width and Height are given and their ratio differs from the
	// image's, the image is stretched to fit them exactly (see Report.Stretched).
	Height float64
	// Depth, when not zero, sets the mode's own depth in mm: the relief's Depth (the height of
	// the relief surface above its base), the lithophane's MaxThickness (the plate's full
	// thickness), the extrusion's Height, or the inflated solid's full thickness along Z (the
	// mesh is scaled along Z to it). Giving Depth and a different value in that mode parameter
	// is an error.
	Depth float64

	// Each mode's parameters; only the chosen mode's are used. Zero values mean the defaults
	// documented in package backends.
	Relief     backends.ReliefParams
	Lithophane backends.LithophaneParams
	Extrude    backends.ExtrudeParams
	Inflate    backends.InflateParams

	// Smoothing is the radius, in working pixels at 512 px on the longest side (scaled with the
	// working resolution), of the edge-preserving smoothing (a guided filter, He et al. 2010)
	// applied to a relief's or flat lithophane's height source before it becomes height, so that
	// a photo's texture and noise do not become needles (default DefaultSmoothing; negative:
	// none).
	Smoothing float64

	// MinStrokeWidth is the narrowest part of an extruded or inflated silhouette, in mm at the
	// model's size: strokes of the foreground narrower than it (hairline line art) are widened
	// to it before the mesh is built, so that they print, while wider parts keep their outline
	// (default DefaultMinStrokeWidth, 0.8 mm; negative: strokes as drawn). The report says how
	// much was widened (Fidelity.StrokesWidenedTo), and the silhouette figure is then measured
	// against the widened outline.
	MinStrokeWidth float64

	// MaskTolerance is how far, as a fraction of the largest sRGB distance (0..1), a pixel's
	// colour may be from the border's colour and still count as background, for images without
	// transparency (default DefaultMaskTolerance, 0.1).
	MaskTolerance float64
	// Foreground controls how the foreground mask is cleaned and how silhouette modes crop to it.
	Foreground ForegroundOptions

	// NoSegmentation keeps Generate from looking for a photo's subject with Config.Segmenter
	// (or the built-in segmenter): a photo is then one picture, as without a segmenter.
	NoSegmentation bool
	// NoDepthEstimation keeps Generate from estimating a photo's depth with Config.Depth: a
	// relief then follows brightness.
	NoDepthEstimation bool
	// BasRelief tunes the compression of an estimated depth into relief heights.
	BasRelief BasReliefOptions
	// NoColor says the output needs no colour (STL, say): the mesh then has no vertex colours,
	// UVs or texture, and Generate neither builds the image's colour plane nor asks the backend
	// for colour, which saves 12 bytes a working pixel and the texture. The geometry and every
	// figure of the report, fidelity included, are the same as with colour. A backend that reads
	// the colour to shape the model (hunyuan's server) is still given it; only the mesh's colours
	// are dropped.
	NoColor bool

	// FaceBudget, when positive, replaces the quality level's face budget.
	FaceBudget int
	// Tolerance, when positive, replaces the quality level's tolerance, in mm.
	Tolerance float64

	// Limits bound the decoding of Image, Reader and DepthMap, and the size in pixels of Decoded
	// and DepthMapImage (MaxSide, MaxPixels); zero fields take imagecheck's defaults.
	Limits imagecheck.Limits

	// Progress, when not nil, is called with the current stage's name and the overall fraction
	// done (0..1, never decreasing): "decode", "prepare", then the backend's stages, then
	// "simplify" when the backend's mesh exceeds the face budget, then "finish". It is called from the goroutine running Generate or from the backend's
	// goroutines, never concurrently, and should return quickly.
	Progress func(stage string, fraction float64)
}

// Validate reports every problem with the request's fields at once, without decoding anything.
// Each problem wraps ErrInvalidRequest; several come back in one *multierror.Error. Generate
// calls it first; problems only decoding can find (a depth map of another size than the image)
// are reported by Generate.
func (r *Request) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, invalidf(format, a...)) }

	sources := 0
	for _, set := range []bool{r.Image != nil, r.Reader != nil, r.Decoded != nil} {
		if set {
			sources++
		}
	}
	switch {
	case sources == 0:
		bad("no image: set one of Image, Reader or Decoded")
	case sources > 1:
		bad("%d images given: set only one of Image, Reader or Decoded", sources)
	}
	if r.Decoded != nil {
		if b := r.Decoded.Bounds(); b.Dx() < 2 || b.Dy() < 2 {
			bad("image is %d×%d pixels, need at least 2×2", b.Dx(), b.Dy())
		}
	}
	hasDepth := r.DepthMap != nil || r.DepthMapImage != nil
	if r.DepthMap != nil && r.DepthMapImage != nil {
		bad("two depth maps given: set only one of DepthMap or DepthMapImage")
	}
	if r.DepthMapImage != nil {
		if b := r.DepthMapImage.Bounds(); b.Dx() < 2 || b.Dy() < 2 {
			bad("depth map is %d×%d pixels, need at least 2×2", b.Dx(), b.Dy())
		}
	}

	mode, modeErr := ParseMode(string(r.Mode))
	if modeErr != nil || (r.Mode != "" && mode != r.Mode) {
		bad("unknown mode %q (want relief, lithophane, extrude, inflate or auto)", r.Mode)
		mode = ""
	}
	if hasDepth && mode != "" && mode != Relief && mode != Auto {
		bad("a depth map applies to the relief mode only, not %s", mode)
	}
	if _, err := r.Quality.Settings(); err != nil {
		errs = append(errs, err)
	}

	size := func(name string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			bad("%s %v mm must be positive (or zero for the default)", name, v)
		} else if v > MaxSize {
			bad("%s %v mm exceeds the largest size, %v mm", name, v, MaxSize)
		}
	}
	size("width", r.Width)
	size("height", r.Height)
	size("depth", r.Depth)
	if r.FaceBudget < 0 {
		bad("face budget %d is negative", r.FaceBudget)
	}
	if math.IsNaN(r.Tolerance) || math.IsInf(r.Tolerance, 0) || r.Tolerance < 0 {
		bad("tolerance %v mm must be positive (or zero for the quality's)", r.Tolerance)
	}
	if math.IsNaN(r.MinStrokeWidth) || r.MinStrokeWidth > 20 {
		bad("minimum stroke width %v mm must be at most 20 (negative: none)", r.MinStrokeWidth)
	}
	if math.IsNaN(r.Smoothing) || r.Smoothing > 64 {
		bad("smoothing radius %v px must be at most 64 (negative: none)", r.Smoothing)
	}
	if !(r.MaskTolerance >= 0 && r.MaskTolerance <= 1) {
		bad("mask tolerance %v must be in 0..1", r.MaskTolerance)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"foreground island ratio", r.Foreground.MinIslandRatio}, {"foreground hole ratio", r.Foreground.MaxHoleRatio}, {"foreground margin", r.Foreground.Margin}} {
		if math.IsNaN(f.v) || f.v >= 1 {
			bad("%s %v must be below 1 (negative disables)", f.name, f.v)
		}
	}

	// The mode's parameters, with Depth applied, checked by the backend contract's own rules:
	// for Auto, those of every mode it may choose.
	if mode != "" {
		params := r.params()
		for _, bm := range candidateModes(mode) {
			if r.Depth > 0 {
				if err := r.depthConflict(bm); err != nil {
					errs = append(errs, err)
				}
			}
			if err := params.validate(bm); err != nil {
				for _, e := range flatten(err) {
					errs = append(errs, &requestError{msg: strings.TrimPrefix(e.Error(), backends.ErrInvalidInput.Error()+": "), err: e})
				}
			}
		}
	}
	return combine(errs)
}

// candidateModes returns the backend modes a request mode may build: Auto's choices (Relief and
// Inflate, see chooseMode), or the mode itself.
func candidateModes(m Mode) []backends.Mode {
	if m == Auto || m == "" {
		return []backends.Mode{backends.Relief, backends.Inflate}
	}
	return []backends.Mode{backends.Mode(m)}
}

// params returns the request's mode parameters, Depth applied to each mode's own depth: the
// relief's Depth, the lithophane's MaxThickness, the extrusion's Height (an inflated solid's is
// applied when it is placed).
func (r *Request) params() modeParams {
	p := modeParams{relief: r.Relief, lithophane: r.Lithophane, extrude: r.Extrude, inflate: r.Inflate}
	if r.Depth > 0 {
		p.relief.Depth = r.Depth
		p.lithophane.MaxThickness = r.Depth
		p.extrude.Height = r.Depth
	}
	return p
}

// depthConflict reports a Depth that contradicts the depth set in mode m's parameters.
func (r *Request) depthConflict(m backends.Mode) error {
	var name string
	var v float64
	switch m {
	case backends.Relief:
		name, v = "relief depth", r.Relief.Depth
	case backends.Lithophane:
		name, v = "lithophane maximum thickness", r.Lithophane.MaxThickness
	case backends.Extrude:
		name, v = "extrusion height", r.Extrude.Height
	}
	if v != 0 && v != r.Depth {
		return invalidf("depth %v mm contradicts the %s, %v mm: set one of them", r.Depth, name, v)
	}
	return nil
}

// requestError is one problem with a request. It matches ErrInvalidRequest and, when err is set,
// whatever err matches.
type requestError struct {
	msg string
	err error
}

func (e *requestError) Error() string { return ErrInvalidRequest.Error() + ": " + e.msg }

func (e *requestError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrInvalidRequest}
	}
	return []error{ErrInvalidRequest, e.err}
}

func invalidf(format string, a ...any) error {
	return &requestError{msg: fmt.Sprintf(format, a...)}
}

// flatten returns the errors inside a *multierror.Error, or err itself.
func flatten(err error) []error {
	if me, ok := err.(*multierror.Error); ok {
		return me.Errors
	}
	return []error{err}
}

// combine returns nil, the one error, or a *multierror.Error listing several on one line.
func combine(errs []error) error { return combineAs(ErrInvalidRequest.Error(), errs) }

// combineAs returns nil, the one error, or a *multierror.Error listing several on one line
// under prefix: "prefix: N problems: a; b", each problem's own copy of the prefix trimmed. It is
// the one format of the package's multi-problem errors (imagecheck's, for the limits of decoded
// images, too).
func combineAs(prefix string, errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return &multierror.Error{Errors: errs, ErrorFormat: func(es []error) string {
		return fmt.Sprintf("%s: %d problems: %s", prefix, len(es), joinProblems(es, prefix+": "))
	}}
}

// joinProblems joins the errors' messages with "; ", trimming prefix from each.
func joinProblems(es []error, prefix string) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = strings.TrimPrefix(e.Error(), prefix)
	}
	return strings.Join(parts, "; ")
}
