// Package generator turns a 2D image into a closed, printable 3D mesh. It is the part of orfeas
// that users call: a Generator wraps a compute backend (the GPU where one answers, else the CPU
// reference), and Generate takes a Request (the image, a mode, a quality level, a size in
// millimetres, the mode's options) and returns a Result: the mesh and a report about it.
//
// # Pipeline
//
// Generate validates the request (every problem at once), decodes untrusted bytes through
// package imagecheck (bounded, typed errors, EXIF orientation), prepares the working image that
// every backend shares, runs the backend, and checks what comes back. Preparation computes, at
// the quality level's working resolution (area averaging when shrinking; images are never
// enlarged):
//
//   - luminance: the Rec. 709 luma of the sRGB values, alpha-weighted;
//   - the foreground mask: the alpha channel, or, when the border is a plain background, that
//     background flood-filled from the border within Request.MaskTolerance (see MaskSource);
//   - the colour, for the modes that colour their mesh (all but lithophanes);
//   - the depth map's luma, when one is given.
//
// The mask is then cleaned (specks and islands under 0.5 % of the largest part dropped, small
// holes filled; see ForegroundOptions). Auto picks Inflate when that foreground is clean and covers
// 5–95 % of the image, Relief otherwise, and says why in Report.ModeReason. The outline modes
// (Extrude, Inflate) work on the foreground's bounding box plus a margin, so their pixels are
// spent on the object.
//
// # Sizes and placement
//
// Width defaults to 100 mm and Height to the image's aspect ratio; both given with another
// ratio stretch the image. Every Result is closed, oriented outward, and lies on Z = 0 with its
// corner at the origin: reliefs and flat lithophanes are exactly Width × Height mm; for the
// outline modes the object itself (not the canvas around it) is Width wide (see Result.Mesh).
// Depth sets the mode's own depth (see Request.Depth).
//
// # Colour
//
// Reliefs, extrusions and inflated shapes carry vertex colours sampled from the image and planar
// UVs, with the working image as the mesh's texture: OBJ and PLY get the vertex colours, GLB the
// texture.
//
// # Quality
//
// The levels set the working resolution, the face budget and the surface tolerance:
//
//	level     scale  resolution  faces      tolerance (of the mode's depth)
//	draft     1–2    256 px      50,000     4 %    (0.2 mm on a 5 mm relief)
//	standard  3–6    512 px      200,000    2 %    (0.1 mm)
//	high      7–8    1024 px     500,000    1 %    (0.05 mm)
//	ultra     9–10   2048 px     2,000,000  0.4 %  (0.02 mm)
//
// Request.FaceBudget and Request.Tolerance override a level's.
//
// # Errors
//
// A request with bad fields fails before any work with every problem at once, each wrapping
// ErrInvalidRequest; image problems wrap imagecheck's sentinels (imagecheck.ErrCorrupt,
// imagecheck.ErrTooLarge, ...); cancellation wraps ctx.Err(); a backend that cannot run wraps
// backends.ErrUnavailable, a mode it lacks backends.ErrUnsupportedMode; a backend's mesh that is
// not a closed solid gives ErrNotClosed, never a mesh; Generate after Close wraps ErrClosed.
//
// # Names shared with package backends
//
// A name that means the same in both packages is one value, so that nothing converts between
// them and the two cannot drift apart:
//
//   - Mode is backends.Mode (a type alias) and Relief, Lithophane, Extrude and Inflate are its
//     constants; the generator adds only Auto, which no backend sees, because Generate resolves
//     it once, from the prepared image, before it builds the backend's Input.
//   - Modes is backends.Modes, the one list of the built modes, with Auto appended.
//   - ErrClosed is backends.ErrClosed, so errors.Is(err, ErrClosed) holds whether the Generator
//     or a backend under it was closed. Package jobs keeps its own jobs.ErrClosed: it is a leaf
//     that imports nothing of orfeas, and a closed registry is not a closed backend.
//
// Several problems at once (Request.Validate's, the pixel limits of a decoded image) come back in
// one *multierror.Error (github.com/hashicorp/go-multierror, the module's one multi-error
// package, as in imagecheck), whose message is one line: "generator: invalid request: 2 problems:
// a; b". errors.Join is not used: its messages span lines.
package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/backends/cuda"
	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/mesh"
)

var (
	// ErrInvalidRequest is wrapped by every problem Request.Validate (and Generate) finds in a
	// request's fields.
	ErrInvalidRequest = errors.New("generator: invalid request")
	// ErrInvalidConfig is wrapped when New is given a Config it cannot use.
	ErrInvalidConfig = errors.New("generator: invalid config")
	// ErrNotClosed is wrapped when a backend returns a mesh that is not a valid, closed,
	// outward-oriented solid. It is a bug in that backend; Generate never hands such a mesh on.
	ErrNotClosed = errors.New("generator: backend returned a mesh that is not a closed solid")
	// ErrClosed is wrapped by Generate after Close. It is backends.ErrClosed itself, so that
	// errors.Is(err, ErrClosed) also holds when a Config.Custom backend was closed under the
	// Generator, and errors.Is(err, backends.ErrClosed) after Close.
	ErrClosed = backends.ErrClosed
)

// Backend names for Config.Backend.
const (
	BackendAuto = "auto"
	BackendCPU  = "cpu"
	BackendCUDA = "cuda"
	// BackendHunyuan is a Hunyuan3D-2 server (package backends/hunyuan) at Config.Hunyuan.URL.
	BackendHunyuan = "hunyuan"
)

// Config sets up a Generator. The zero value means the "auto" backend.
type Config struct {
	// Backend is "auto" (or ""): the CUDA backend where a GPU answers, else the CPU one;
	// "cpu"; or "cuda", which fails with an error wrapping backends.ErrUnavailable where there
	// is no GPU. Case does not matter.
	Backend string
	// Custom, when not nil, is the backend to use; Backend must then be empty. The Generator does
	// not close it: it stays the caller's.
	Custom backends.Backend
	// Hunyuan configures the "hunyuan" backend; its URL is required for it.
	Hunyuan hunyuan.Options
	// TextImage, when not nil, turns GenerateText's prompts into images (see text.go).
	TextImage TextToImage
	// Segmenter, when not nil, finds the subject of photos (opaque images whose border has no
	// plain colour) for Auto, Extrude and Inflate, instead of the built-in classical segmenter;
	// see estimators.NewSegmenter for an IS-Net model. Auto then builds the object, not the
	// frame (Report.Image.MaskSource is MaskModel).
	Segmenter Segmenter
	// Depth, when not nil, estimates the depth of photos built as reliefs (Relief, or Auto's
	// relief of a photo with no separate object): the heights come from that depth, bas-relief
	// compressed (BasRelief), instead of brightness; see estimators.NewDepthEstimator.
	Depth DepthEstimator
}

// Generator turns images into meshes with one backend. It is safe for concurrent use; Close it
// when done to release the backend.
type Generator struct {
	backend  backends.Backend
	owned    bool // the Generator opened backend and closes it
	full3D   bool // the backend builds whole objects: Auto means Inflate (see text.go)
	text     TextToImage
	fallback string // why "auto" did not pick the GPU

	segmenter Segmenter      // Config.Segmenter
	depth     DepthEstimator // Config.Depth

	mu     sync.RWMutex
	closed bool
}

// New returns a Generator using the backend cfg names.
func New(cfg Config) (*Generator, error) {
	g, err := newGenerator(cfg)
	if err != nil {
		return nil, err
	}
	_, g.full3D = g.backend.(*hunyuan.Backend)
	g.text = cfg.TextImage
	g.segmenter, g.depth = cfg.Segmenter, cfg.Depth
	return g, nil
}

func newGenerator(cfg Config) (*Generator, error) {
	if cfg.Custom != nil {
		if cfg.Backend != "" {
			return nil, fmt.Errorf("%w: both a custom backend and the backend name %q given", ErrInvalidConfig, cfg.Backend)
		}
		return &Generator{backend: cfg.Custom}, nil
	}
	switch strings.ToLower(strings.TrimSpace(cfg.Backend)) {
	case "", BackendAuto:
		b, err := openCUDA()
		if err == nil {
			return &Generator{backend: b, owned: true}, nil
		}
		if !errors.Is(err, backends.ErrUnavailable) {
			return nil, fmt.Errorf("generator: opening the cuda backend: %w", err)
		}
		return &Generator{backend: openCPU(), owned: true, fallback: err.Error()}, nil
	case BackendCPU:
		return &Generator{backend: openCPU(), owned: true}, nil
	case BackendCUDA:
		b, err := openCUDA()
		if err != nil {
			return nil, fmt.Errorf("generator: opening the cuda backend: %w", err)
		}
		return &Generator{backend: b, owned: true}, nil
	case BackendHunyuan:
		opt := cfg.Hunyuan
		opt.LeaveBudget = true // finish simplifies in the final coordinates
		b, err := hunyuan.New(opt)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		return &Generator{backend: b, owned: true}, nil
	}
	return nil, fmt.Errorf("%w: unknown backend %q (want auto, cpu, cuda or hunyuan)", ErrInvalidConfig, cfg.Backend)
}

// openCPU opens the CPU reference backend, which cannot fail.
func openCPU() backends.Backend { return cpu.New(cpu.Options{}) }

// openCUDA opens the GPU backend, never returning a typed nil.
func openCUDA() (backends.Backend, error) {
	// The stages the GPU does not run go to the CPU reference, injected here so that the CUDA
	// package never imports its sibling.
	b, err := cuda.New(cuda.Options{Host: openCPU()})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Backend returns the name of the backend in use, such as "cpu".
func (g *Generator) Backend() string { return g.backend.Name() }

// Close releases the backend the Generator opened (a Config.Custom backend stays open). Generate
// calls after Close fail with an error wrapping ErrClosed; Close waits for none of the calls in flight, so cancel
// them first.
func (g *Generator) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	if g.owned {
		return g.backend.Close()
	}
	return nil
}

// Generate builds the mesh req asks for. See Request for the options and their defaults, and
// Report for what the Result says about the mesh. It returns the first error met, and no mesh
// with it: a request with bad fields (every problem at once, wrapping ErrInvalidRequest), an
// image imagecheck rejects (wrapping its sentinel), a cancelled ctx (wrapping ctx.Err(), within
// milliseconds, with no goroutine left running), or a backend failure.
func (g *Generator) Generate(ctx context.Context, req Request) (*Result, error) {
	g.mu.RLock()
	closed := g.closed
	g.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("generator: Generate after Close: %w", ErrClosed)
	}
	start := time.Now()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generator: %w", err)
	}
	pl := g.newPlan(&req)
	pl.est = g.newEstimates(&req)
	tr := newTracker(req.Progress)
	defer tr.finish()

	// Decode, once: a fallback reuses the image.
	tr.enter("decode", 0)
	img, info, depthImg, err := decodeAll(ctx, pl.source)
	if err != nil {
		return nil, err
	}

	// Build, and where Auto's choice turns out useless, fall back to the next sensible mode.
	var tried []string
	for attempt := 0; ; attempt++ {
		res, err := g.build(ctx, tr, pl, img, depthImg, info)
		if err != nil {
			return nil, err
		}
		why := useless(&res.Report, pl.requested == Auto)
		if why == "" {
			if len(tried) > 0 {
				res.Report.ModeReason += "; after " + strings.Join(tried, ", ")
			}
			tr.within(bandBackend, 1)(1)
			res.Report.Timings = tr.finish()
			res.Report.Total = time.Since(start)
			return res, nil
		}
		next, ok := fallbackMode(pl)
		blank := res.Report.Warnings[0].Kind == WarnBlank
		if pl.requested != Auto || !ok || attempt >= 2 {
			if !blank {
				// Auto's strict test failed but there is nothing better: hand the result over,
				// its warnings saying what is wrong.
				res.Report.Timings = tr.finish()
				res.Report.Total = time.Since(start)
				return res, nil
			}
			return nil, &NoSubjectError{Mode: pl.mode, Reason: "the model came out blank: " + why}
		}
		tried = append(tried, fmt.Sprintf("%s: %s", pl.mode, why))
		r := req
		r.Mode = next
		est := pl.est
		pl = g.newPlan(&r)
		pl.est, pl.fallback = est, true
	}
}

// newPlan is newPlan with what g's backend changes: a full 3D backend places Auto's object as
// an inflated solid, and shapes it from the image's colour, which it therefore gets whatever
// Request.NoColor says (the mesh's colours are dropped after it instead: see dropColour).
func (g *Generator) newPlan(r *Request) *plan {
	pl := newPlan(r)
	if g.full3D {
		if pl.requested == Auto {
			pl.requested = Inflate // a whole object is sized and placed as an inflated solid is
		}
		pl.prep.wantColor = wantsColor(pl.requested)
	}
	return pl
}

// dropColour strips m of its colours, UVs and texture (Request.NoColor), for a backend that
// made them from a colour plane it needed for the shape.
func dropColour(m *mesh.Mesh) {
	if m != nil {
		m.Colors, m.UVs, m.Texture = nil, nil, nil
	}
}

// build prepares img (and its depth map) for pl, resolving pl, runs the backend and finishes
// the Result.
//
// The planes build prepares are its own and are spent by it: the relief may be built over its
// source plane (ownsSource), the input's planes are released after the backend, and the
// self-check writes its height source over p's plane. A fallback therefore prepares again; what
// survives between attempts (pl.est) is turned into fresh planes each time. Caching a prepared
// image across attempts would have to copy those planes first.
func (g *Generator) build(ctx context.Context, tr *tracker, pl *plan, img, depthImg image.Image, info imagecheck.Info) (*Result, error) {
	// Prepare, and resolve what the image decides.
	tr.enter("prepare", bandDecode)
	p, err := prepareForeground(ctx, img, depthImg, pl, tr.within(bandDecode, bandPrepare))
	if err != nil {
		if errors.Is(err, ErrNoSubject) {
			return nil, err
		}
		return nil, fmt.Errorf("generator: preparing the image: %w", err)
	}
	in, err := pl.input(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("generator: smoothing: %w", err)
	}
	if err := in.Validate(); err != nil {
		// Request.Validate has checked the parameters; what is left is the prepared image.
		return nil, fmt.Errorf("generator: preparing the image: %w", oneLine(err))
	}

	// Reconstruct.
	tr.enterQuiet(stageReconstruct)
	reconstruct := g.backend.Reconstruct
	if ip, ok := g.backend.(inPlaceReconstructor); ok && ownsSource(in, p) {
		reconstruct = ip.ReconstructInPlace
	}
	m, brep, err := reconstruct(ctx, in, tr.backend)
	if err != nil && errors.Is(err, backends.ErrNoForeground) {
		return nil, &NoSubjectError{Mode: pl.mode, Reason: "nothing of the foreground is left to build once its outline is traced (" + oneLine(err).Error() + ")"}
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			return nil, fmt.Errorf("generator: %s backend: %w (%w)", g.backend.Name(), cerr, err)
		}
		return nil, fmt.Errorf("generator: %s backend: %w", g.backend.Name(), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generator: %w", err)
	}
	// What finish reads of the planes is p's height source and mask (the self-check), and the
	// colour only where the mesh still wants its texture (attachTexture): the others are let go
	// before the self-check's planes are made.
	in.Luminance, in.Depth = nil, nil
	if pl.noColor {
		dropColour(m)
	}
	if m != nil && (m.Texture != nil || m.UVs == nil) {
		in.Color, p.color = nil, nil
	}

	// Finish: simplify to the budget where the backend did not, place, verify, report.
	res, err := g.finish(ctx, tr, pl, p, in, m, brep)
	if err != nil {
		return nil, err
	}
	res.Report.Mode, res.Report.ModeReason = pl.mode, pl.reason
	if g.full3D {
		res.Report.ModeReason = "a full 3D model from the " + g.backend.Name() + " server, sized as an inflated solid"
	}
	res.Report.Backend, res.Report.BackendFallback = g.backend.Name(), g.fallback
	res.Report.Quality = pl.quality
	res.Report.Image = ImageReport{
		Format: string(info.Format), Width: p.srcW, Height: p.srcH, Orientation: info.Orientation,
		WorkingWidth: p.w, WorkingHeight: p.h, PixelSize: p.pixelSize,
		MaskSource: p.maskSource, Stretched: p.stretched, DepthMap: depthImg != nil, Cropped: p.cropped,
		DepthSource: p.depthSource, BasRelief: p.basRelief,
	}
	if depthImg != nil {
		res.Report.Image.DepthSource = DepthGiven
	}
	if p.depthSource == DepthModel {
		res.Report.Image.DepthEstimator = pl.est.depthName
	}
	if s := p.subject; s != nil {
		res.Report.Image.Segmenter = s.name
		if s.confidence >= 0 {
			res.Report.Image.SegmentConfidence = s.confidence
		}
	} else if pl.est != nil && pl.est.segDone {
		res.Report.Image.SegmentNote = pl.est.segNote
	}
	return res, nil
}

// inPlaceReconstructor is a backend that can build a relief over its source plane
// (cpu.(*Backend).ReconstructInPlace): the same mesh, one plane fewer in memory.
type inPlaceReconstructor interface {
	ReconstructInPlace(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error)
}

// ownsSource reports whether in is a relief whose source plane (in.Depth when set, else
// in.Luminance) is a plane of the generator's own, made for in (smoothed, or its edges
// unmixed), rather than p's, which the self-check reads after the backend: only then may the
// backend write its heights over it.
func ownsSource(in *backends.Input, p *prepared) bool {
	if in.Mode != backends.Relief {
		return false
	}
	src, prep := in.Luminance, p.lum
	if in.Depth != nil {
		src, prep = in.Depth, p.dpth
	}
	return len(src) > 0 && (len(prep) == 0 || &src[0] != &prep[0])
}

// decodeAll decodes the image and depth map of src, and checks that their sizes agree.
func decodeAll(ctx context.Context, src source) (img image.Image, info imagecheck.Info, depth image.Image, err error) {
	img, info, err = decodeImage(ctx, src.image, src.reader, src.decoded, src.limits)
	if err != nil {
		return nil, info, nil, fmt.Errorf("generator: image: %w", err)
	}
	if !src.hasDepth() {
		return img, info, nil, nil
	}
	depth, _, err = decodeImage(ctx, src.depthMap, nil, src.depthImage, src.limits)
	if err != nil {
		return nil, info, nil, fmt.Errorf("generator: depth map: %w", err)
	}
	ib, db := img.Bounds(), depth.Bounds()
	if ib.Dx() != db.Dx() || ib.Dy() != db.Dy() {
		return nil, info, nil, invalidf("the depth map is %d×%d pixels, the image %d×%d: they must be the same size",
			db.Dx(), db.Dy(), ib.Dx(), ib.Dy())
	}
	return img, info, depth, nil
}

// decodeImage returns the upright image from exactly one of data, r and decoded.
func decodeImage(ctx context.Context, data []byte, r io.Reader, decoded image.Image, lim imagecheck.Limits) (image.Image, imagecheck.Info, error) {
	if decoded != nil {
		b := decoded.Bounds()
		if err := checkDecodedSize(b.Dx(), b.Dy(), lim); err != nil {
			return nil, imagecheck.Info{}, err
		}
		return decoded, imagecheck.Info{Width: b.Dx(), Height: b.Dy(), Orientation: 1, Frames: 1}, nil
	}
	if data != nil {
		r = bytes.NewReader(data)
	}
	return imagecheck.Decode(ctx, r, lim)
}

// checkDecodedSize holds an already decoded image to the pixel limits that encoded ones meet in
// imagecheck (MaxSide and MaxPixels, their defaults for zero fields), so that an image such as an
// image.Uniform, whose bounds are nearly infinite, fails with a typed error instead of an
// impossible allocation. The errors are *imagecheck.LimitError values, matching
// imagecheck.ErrDimensions and imagecheck.ErrTooLarge, several in one *multierror.Error worded
// as imagecheck words them.
func checkDecodedSize(w, h int, lim imagecheck.Limits) error {
	maxSide, maxPixels := lim.MaxSide, lim.MaxPixels
	if maxSide <= 0 {
		maxSide = imagecheck.DefaultMaxSide
	}
	if maxPixels <= 0 {
		maxPixels = imagecheck.DefaultMaxPixels
	}
	var errs []error
	for _, side := range []struct {
		name string
		v    int
	}{{"width", w}, {"height", h}} {
		if side.v > maxSide {
			errs = append(errs, &imagecheck.LimitError{Name: side.name, Value: int64(side.v), Max: int64(maxSide)})
		}
	}
	if px := int64(w) * int64(h); px > maxPixels {
		errs = append(errs, &imagecheck.LimitError{Name: "pixels", Value: px, Max: maxPixels})
	}
	return combineAs("imagecheck", errs)
}

// wantsColor reports whether the colour plane must be prepared for a request in mode m: every
// mode but Lithophane colours its mesh, and Auto may choose any of those.
func wantsColor(m Mode) bool { return m != Lithophane }

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// oneLine gives a *multierror.Error a one-line message (its problems joined by "; "), leaving
// errors.Is and errors.As to find each of them; other errors are returned as they are.
func oneLine(err error) error {
	me, ok := err.(*multierror.Error)
	if !ok {
		return err
	}
	return &multierror.Error{Errors: me.Errors, ErrorFormat: func(es []error) string { return joinProblems(es, "") }}
}
