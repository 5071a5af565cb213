// Package hunyuan is an orfeas backend that gets full 3D models from a Hunyuan3D-2-compatible
// server (Tencent's api_server.py: POST /generate, or POST /send and GET /status/{uid}) and makes
// them printable: repaired, solidified where repair cannot close them, posed Z up on the bed,
// sized, with their colours.
//
// # What is sent
//
// The backend sends the generator's prepared working image (backends.Input: cropped to the
// subject, at the quality's resolution), encoded as an RGBA PNG: the colour plane (the luminance
// where there is none) with the mask as alpha, so the server's own background removal sees the
// subject orfeas found. The original bytes are not sent: the Input is all a backend receives.
//
// # Quality
//
// The Input's face budget names the quality level (the generator's budgets: 50k draft, 200k
// standard, 500k high, 2M ultra) and sets the server's octree resolution and diffusion steps and
// the solidify grid:
//
//	budget ≤   50,000  octree 128  steps  5  solidify 96 voxels
//	budget ≤  200,000  octree 256  steps 10  solidify 160
//	budget ≤  500,000  octree 384  steps 20  solidify 256
//	larger or none     octree 512  steps 30  solidify 384
//
// Options override each.
//
// # What comes back
//
// The GLB is decoded within bounds (package meshio: metres and Y up become millimetres and Z up),
// then mesh.MakePrintable: Repair (weld, degenerate and duplicate faces, orientation, small holes,
// floaters), and, when the result is still not closed, Solidify on the grid above, then
// simplification to the budget. A texture becomes vertex colours (the generator gives textured
// meshes the working image as their texture, which would not fit a server's UVs). A model
// without colours is coloured from the working image, projected from the front (along +Y).
//
// Pose: by default (RestLowest) the model keeps the server's up axis (Hunyuan3D-2 builds objects
// upright, the image being the front view), so it rests on its lowest point: the lowest vertex
// on Z = 0. With Options.Rest = RestStableFace it is turned onto the largest face of its convex
// hull under which its centre of mass falls (the face it would settle on, flat on Z = 0), for a
// model that stands badly upright; a mesh with no such face (flat) keeps the default. Either way
// it is then scaled uniformly so that its width along X is the subject's width in the Input (the
// mask's bounding box times the pixel size; the whole image without a mask), and its bounding
// box's corner is put at X = Y = 0. The corner, not the centre, goes to the origin because that
// is the backend contract's placement (package backends), which every mode of every backend
// shares and the generator's sizing, the 3MF build plate and the studio's preview all assume; a
// caller who wants it centred translates by half the Report's size. The generator then sizes it
// to the request as it does an inflated solid.
//
// # Failures
//
// Every failure is typed and fast: ErrUnreachable (wrapping backends.ErrUnavailable) after
// Options.Retries retries with exponential backoff on connection errors and 5xx answers only;
// *ServerError with the server's text for its 404 {"text", "error_code"} answers; ErrTimeout
// when Options.Timeout passes (in send/status mode this deadline is what ends a job that failed
// on the server, which stays "processing" forever); ErrTooLarge past Options.MaxResponseBytes,
// checked on the claimed length before reading; ErrInvalidModel for an answer that is no usable
// mesh. The context's cancellation is honoured within milliseconds.
package hunyuan

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// Name is the backend's name.
const Name = "hunyuan"

// Defaults for the zero Options.
const (
	DefaultTimeout          = 10 * time.Minute
	DefaultHeaderTimeout    = 5 * time.Minute
	QuickHeaderTimeout      = 30 * time.Second
	DefaultPollInterval     = time.Second
	DefaultRetries          = 3
	DefaultRetryDelay       = 500 * time.Millisecond
	DefaultMaxResponseBytes = 256 << 20
	DefaultSeed             = 1234
	DefaultGuidanceScale    = 5.0
	DefaultTextureFaces     = 40000
)

// Options configure a Backend. The zero value but for URL means the documented defaults.
type Options struct {
	// URL is the server's base URL, such as "http://gpu-box:8080". Required.
	URL string
	// Async uses POST /send and GET /status/{uid} instead of one long POST /generate.
	Async bool
	// Timeout bounds one whole reconstruction, retries and polling included (default 10 min).
	Timeout time.Duration
	// HeaderTimeout bounds the wait for each answer's headers (default 5 min; negative: no bound
	// but Timeout). api_server sends /generate's headers only with the model, so in sync mode it
	// bounds the server's own generation (Hunyuan3D-2 takes about 17 s for shape on an A100, about
	// a minute with texture): a server that accepted the request and hangs fails with ErrTimeout
	// then, not at Timeout. /send and /status, which answer at once, get at most
	// QuickHeaderTimeout (30 s) of it. A header timeout is not retried.
	HeaderTimeout time.Duration
	// PollInterval is the first wait between two /status calls; it grows to 4 times this
	// (default 1 s).
	PollInterval time.Duration
	// Retries is how many times a request is retried after a connection error or a 5xx answer
	// (default 3; negative: none). RetryDelay is the first wait, doubled each time (default
	// 500 ms).
	Retries    int
	RetryDelay time.Duration
	// MaxResponseBytes bounds an answer (default 256 MiB).
	MaxResponseBytes int64
	// Texture asks the server to texture the model (slower; FaceCount faces, default 40000).
	Texture   bool
	FaceCount int
	// Seed (default 1234), GuidanceScale (default 5), and, overriding the quality's,
	// OctreeResolution, Steps and SolidifyResolution.
	Seed               int
	GuidanceScale      float64
	OctreeResolution   int
	Steps              int
	SolidifyResolution int
	// Rest is how the model is stood on the bed: RestLowest (the default) or RestStableFace.
	Rest Rest
	// LeaveBudget leaves the face budget to the caller: the model is not simplified here. The
	// generator sets it, because its finishing simplifies after placing the mesh at its final
	// size, where simplification's guarantee (no degenerate face) is the one that counts; a
	// simplified mesh rescaled afterwards can lose it to rounding.
	LeaveBudget bool
	// Client is the HTTP client (default: one with bounded dial and handshake times and no
	// overall timeout, since Timeout bounds the call).
	Client *http.Client
}

// Rest is how a model is stood on the bed (see the package doc's Pose).
type Rest int

const (
	// RestLowest keeps the server's up axis: the model stands on its lowest point.
	RestLowest Rest = iota
	// RestStableFace turns the model onto the largest face of its convex hull under which its
	// centre of mass falls, flat on Z = 0.
	RestStableFace
)

// Backend is a client of one Hunyuan3D-2 server. It is safe for concurrent use.
type Backend struct {
	opt    Options
	base   string
	client *http.Client
	closed atomic.Bool
}

// New returns a Backend for the server at opt.URL. It does not contact the server (see Ping).
// A URL that is not absolute http or https fails with an error wrapping backends.ErrInvalidInput.
func New(opt Options) (*Backend, error) {
	u, err := url.Parse(strings.TrimSpace(opt.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: hunyuan: server URL %q must be an absolute http or https URL", backends.ErrInvalidInput, opt.URL)
	}
	opt.Timeout = cmp.Or(opt.Timeout, DefaultTimeout)
	opt.PollInterval = cmp.Or(opt.PollInterval, DefaultPollInterval)
	opt.HeaderTimeout = cmp.Or(opt.HeaderTimeout, DefaultHeaderTimeout)
	if opt.Retries == 0 {
		opt.Retries = DefaultRetries
	}
	opt.Retries = max(opt.Retries, 0)
	opt.RetryDelay = cmp.Or(opt.RetryDelay, DefaultRetryDelay)
	opt.MaxResponseBytes = cmp.Or(opt.MaxResponseBytes, DefaultMaxResponseBytes)
	opt.FaceCount = cmp.Or(opt.FaceCount, DefaultTextureFaces)
	opt.Seed = cmp.Or(opt.Seed, DefaultSeed)
	opt.GuidanceScale = cmp.Or(opt.GuidanceScale, DefaultGuidanceScale)
	b := &Backend{opt: opt, base: strings.TrimRight(u.String(), "/"), client: opt.Client}
	if b.client == nil {
		b.client = &http.Client{Transport: newTransport()}
	}
	return b, nil
}

// Name returns "hunyuan".
func (b *Backend) Name() string { return Name }

// Close marks the backend closed; later calls fail with backends.ErrClosed.
func (b *Backend) Close() error {
	if !b.closed.Swap(true) && b.opt.Client == nil {
		b.client.CloseIdleConnections()
	}
	return nil
}

// Ping reports whether the server answers HTTP at all (any status: api_server has no health
// route), within ctx's deadline. The error wraps ErrUnreachable.
func (b *Backend) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/", nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	resp.Body.Close()
	return nil
}

// tier is a quality's server and solidify settings.
type tier struct{ octree, steps, solidify int }

func tierFor(budget int) tier {
	switch {
	case budget > 0 && budget <= 50000:
		return tier{128, 5, 96}
	case budget > 0 && budget <= 200000:
		return tier{256, 10, 160}
	case budget > 0 && budget <= 500000:
		return tier{384, 20, 256}
	}
	return tier{512, 30, 384}
}

// SolidifyResolution is the solidify grid (voxels along the longest side) this backend uses for
// a face budget: 96 up to 50k faces, 160 up to 200k, 256 up to 500k, 384 beyond or for none.
func SolidifyResolution(budget int) int { return tierFor(budget).solidify }

// params returns the request body for a face budget, without image or text.
func (b *Backend) params(budget int) (Params, tier) {
	t := tierFor(budget)
	t.octree = cmp.Or(b.opt.OctreeResolution, t.octree)
	t.steps = cmp.Or(b.opt.Steps, t.steps)
	t.solidify = cmp.Or(b.opt.SolidifyResolution, t.solidify)
	return Params{
		Seed: b.opt.Seed, OctreeResolution: t.octree, Steps: t.steps, GuidanceScale: b.opt.GuidanceScale,
		Texture: b.opt.Texture, FaceCount: b.opt.FaceCount, Type: "glb",
	}, t
}

// Reconstruct sends in's image to the server and returns its model made printable (see the
// package doc). in.Mode must be backends.Inflate, the mode a full 3D model stands in for (the
// generator picks it for this backend); others fail with backends.ErrUnsupportedMode. The
// Report's MaxError is the solidified mesh's Hausdorff distance to the server's (0 when repair
// alone closed it), Tolerance the voxel size, and Printable what making it printable took.
func (b *Backend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	if err := backends.Check(ctx, Name, b.closed.Load(), in); err != nil {
		return nil, backends.Report{}, err
	}
	if in.Mode != backends.Inflate {
		return nil, backends.Report{}, fmt.Errorf("%w: hunyuan builds full 3D models (inflate), not %s", backends.ErrUnsupportedMode, in.Mode)
	}
	img, err := encodePNG(in)
	if err != nil {
		return nil, backends.Report{}, fmt.Errorf("hunyuan: encoding the image: %w", err)
	}
	p, t := b.params(in.FaceBudget)
	p.Image = base64.StdEncoding.EncodeToString(img)
	width := subjectWidth(in)
	var colorIn *backends.Input
	if in.Color != nil {
		colorIn = in
	}
	m, rep, err := b.run(ctx, &p, t, in.FaceBudget, width, colorIn, progress)
	if err != nil {
		return nil, backends.Report{}, err
	}
	rep.Grid = [2]int{in.Width, in.Height}
	rep.Faces, rep.Vertices = len(m.Faces), len(m.Positions)
	return m, rep, nil
}

// ReconstructText asks the server for a model of prompt (its own text-to-image step runs
// first) and returns it made printable, posed and sized widthMM wide (100 mm when 0), within
// faceBudget faces (0: none). Errors are Reconstruct's; an empty prompt wraps
// backends.ErrInvalidInput.
func (b *Backend) ReconstructText(ctx context.Context, prompt string, widthMM float64, faceBudget int, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	if b.closed.Load() {
		return nil, backends.Report{}, fmt.Errorf("%s: %w", Name, backends.ErrClosed)
	}
	if strings.TrimSpace(prompt) == "" || faceBudget < 0 || !(widthMM >= 0) || math.IsInf(widthMM, 0) {
		return nil, backends.Report{}, fmt.Errorf("%w: hunyuan: prompt %q, width %v mm, face budget %d", backends.ErrInvalidInput, prompt, widthMM, faceBudget)
	}
	p, t := b.params(faceBudget)
	p.Text = prompt
	width := cmp.Or(widthMM, 100)
	m, rep, err := b.run(ctx, &p, t, faceBudget, width, nil, progress)
	if err != nil {
		return nil, backends.Report{}, err
	}
	rep.Faces, rep.Vertices = len(m.Faces), len(m.Positions)
	return m, rep, nil
}

// run fetches, decodes and makes printable one model.
func (b *Backend) run(ctx context.Context, p *Params, t tier, budget int, width float64, colorIn *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, b.opt.Timeout, errTimeout)
	defer cancel()
	progress.Report("remote", 0)
	data, err := b.fetch(ctx, p, func(f float64) { progress.Report("remote", f) })
	if err != nil {
		return nil, backends.Report{}, b.ctxErr(ctx, err)
	}
	progress.Report("remote", 1)
	return b.printable(ctx, data, t, budget, width, colorIn, progress)
}

// printable decodes a model answer and makes it printable, posed width mm wide.
func (b *Backend) printable(ctx context.Context, data []byte, t tier, budget int, width float64, colorIn *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	src, err := meshio.DecodeLimits{MaxBytes: b.opt.MaxResponseBytes}.Decode(bytes.NewReader(data), meshio.GLB)
	if err != nil {
		return nil, backends.Report{}, fmt.Errorf("%w: %w", ErrInvalidModel, err)
	}
	if len(src.Faces) == 0 {
		return nil, backends.Report{}, fmt.Errorf("%w: the model has no faces", ErrInvalidModel)
	}
	if src.Texture != nil && src.UVs != nil {
		mesh.TextureToColors(src)
	}
	progress.Report("printable", 0)
	// Pose first, then simplify in the posed coordinates (see Options.LeaveBudget).
	pose(src, width)
	m, prep, err := mesh.MakePrintable(ctx, src, mesh.PrintableOptions{
		Solidify: mesh.SolidifyOptions{Resolution: t.solidify},
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, backends.Report{}, b.ctxErr(ctx, err)
		}
		return nil, backends.Report{}, fmt.Errorf("%w: making it printable: %w", ErrInvalidModel, err)
	}
	if m.Colors == nil && colorIn != nil {
		projectColors(m, colorIn)
	}
	if b.opt.Rest == RestStableFace {
		if r, ok := stableRotation(ctx, m); ok {
			m.Transform(r)
		} else if err := ctx.Err(); err != nil {
			return nil, backends.Report{}, b.ctxErr(ctx, err)
		}
	}
	rescale := pose(m, width)
	facesAfter := len(m.Faces)
	if budget > 0 && len(m.Faces) > budget && !b.opt.LeaveBudget {
		// The report is not read here, so its deviation measure is skipped.
		s, _, err := mesh.Simplify(ctx, m, mesh.SimplifyOptions{TargetFaces: budget, SkipDeviation: true})
		if err != nil {
			return nil, backends.Report{}, b.ctxErr(ctx, err)
		}
		m = s
		// Simplification moves the extremes a little: back onto the bed and the origin, then mend
		// any sliver that translation left at the degenerate threshold.
		bb := m.Bounds()
		m.Transform(mesh.Translate(-float64(bb.Min[0]), -float64(bb.Min[1]), -float64(bb.Min[2])))
		if m.Topology().DegenerateFaces > 0 {
			if m, _, err = mesh.Repair(ctx, m, mesh.RepairOptions{WeldTolerance: -1, MinComponentRatio: -1}); err != nil {
				return nil, backends.Report{}, b.ctxErr(ctx, err)
			}
		}
	}
	if top := m.Topology(); !top.Closed() || !top.Outward {
		return nil, backends.Report{}, fmt.Errorf("%w: the printable mesh is not closed (%d degenerate faces, %d boundary edges)", ErrInvalidModel, top.DegenerateFaces, top.BoundaryEdges)
	}
	progress.Report("printable", 1)
	// The figures were measured before the last pose, which may turn and rescale the mesh.
	rep := backends.Report{Printable: backends.NewPrintable(prep, facesAfter).Scaled(rescale)}
	if s := rep.Printable; s.Solidified {
		rep.MaxError, rep.Tolerance = s.HausdorffMM, s.VoxelMM
	}
	return m, rep, nil
}

// encodePNG encodes in's colour (or luminance) with the mask as alpha.
func encodePNG(in *backends.Input) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, in.Width, in.Height))
	to8 := func(v float32) uint8 { return uint8(math.Round(float64(min(1, max(0, v))) * 255)) }
	for i := range in.Width * in.Height {
		c := color.NRGBA{A: 255}
		if in.Color != nil {
			c.R, c.G, c.B = to8(in.Color[3*i]), to8(in.Color[3*i+1]), to8(in.Color[3*i+2])
		} else {
			l := to8(in.Luminance[i])
			c.R, c.G, c.B = l, l, l
		}
		if in.Mask != nil {
			c.A = to8(in.Mask[i])
		}
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// subjectRect returns the mask's bounding box in pixels (the whole image without a mask, or
// with an empty one).
func subjectRect(in *backends.Input) image.Rectangle {
	r := image.Rect(0, 0, in.Width, in.Height)
	if in.Mask == nil {
		return r
	}
	var s image.Rectangle
	for y := range in.Height {
		for x := range in.Width {
			if in.Mask[y*in.Width+x] >= 0.5 {
				s = s.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if s.Empty() {
		return r
	}
	return s
}

// subjectWidth is the subject's width in mm.
func subjectWidth(in *backends.Input) float64 { return float64(subjectRect(in).Dx()) * in.PixelSize }

// pose scales m uniformly to width mm along X, puts its lowest point on Z = 0 and its bounding
// box's corner at X = Y = 0, and returns the scale.
func pose(m *mesh.Mesh, width float64) float64 {
	b := m.Bounds()
	w := float64(b.Max[0] - b.Min[0])
	s := 1.0
	if w > 0 && width > 0 {
		s = width / w
	}
	m.Transform(mesh.Translate(-float64(b.Min[0]), -float64(b.Min[1]), -float64(b.Min[2])).Then(mesh.Scale(s, s, s)))
	return s
}

// projectColors colours m from the working image seen from the front: the image's X is the
// model's X, its rows run down the model's Z, the subject's box spanning the model's box.
func projectColors(m *mesh.Mesh, in *backends.Input) {
	r := subjectRect(in)
	b := m.Bounds()
	w, h := float64(b.Max[0]-b.Min[0]), float64(b.Max[2]-b.Min[2])
	m.Colors = make([][4]uint8, len(m.Positions))
	for i, p := range m.Positions {
		u, v := 0.5, 0.5
		if w > 0 {
			u = float64(p[0]-b.Min[0]) / w
		}
		if h > 0 {
			v = float64(b.Max[2]-p[2]) / h
		}
		x := min(r.Max.X-1, r.Min.X+int(u*float64(r.Dx())))
		y := min(r.Max.Y-1, r.Min.Y+int(v*float64(r.Dy())))
		k := 3 * (y*in.Width + x)
		to8 := func(v float32) uint8 { return uint8(math.Round(float64(min(1, max(0, v))) * 255)) }
		m.Colors[i] = [4]uint8{to8(in.Color[k]), to8(in.Color[k+1]), to8(in.Color[k+2]), 255}
	}
}
