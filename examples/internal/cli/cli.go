// Package cli holds what the example programs (img2mesh, batch) share: the flags that describe a
// generator.Request, usage errors, atomic file writing, the JSON form of a result, and terminal
// detection. It is internal to the examples: its API changes with them.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/examples/internal/atomicfile"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// Exit statuses shared by the example programs.
const (
	ExitOK     = 0 // every input succeeded
	ExitFailed = 1 // some input failed (the others were still written)
	ExitUsage  = 2 // a bad flag or option value
)

// UsageError is a problem with the command line; programs exit with ExitUsage on it.
type UsageError struct{ Msg string }

// Error returns the message.
func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// IsUsage reports whether err is, or wraps, a *UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// NewFlagSet returns the flag set of the program name: parse errors are returned
// (flag.ContinueOnError), and errors and usage go to stderr, the usage as
// "usage: name synopsis", a blank line, summary, a blank line, "Flags:" and the flags' defaults.
// It registers -backend (default auto, the name OpenGenerator takes) into backend.
func NewFlagSet(name, synopsis, summary string, stderr io.Writer, backend *string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s %s\n\n%s\n\nFlags:\n", name, synopsis, summary)
		fs.PrintDefaults()
	}
	fs.StringVar(backend, "backend", "auto", "compute backend: auto, cpu, cuda or hunyuan (with -hunyuan-url)")
	return fs
}

// ParseFailed returns the exit status for the error the program name got from parsing its command
// line: ExitOK for -h (flag.ErrHelp), else ExitUsage. For a *UsageError it first writes the
// message and a pointer to -h to stderr; the flag package has already written its own message for
// a bad flag.
func ParseFailed(name string, err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if IsUsage(err) {
		fmt.Fprintf(stderr, "%s: %v\nRun %s -h for help.\n", name, err, name)
	}
	return ExitUsage
}

// FailStatus returns the exit status for a failure: ExitUsage for a usage error (OpenGenerator's
// unknown backend, say), else ExitFailed.
func FailStatus(err error) int {
	if IsUsage(err) {
		return ExitUsage
	}
	return ExitFailed
}

// RequestFlags are the command-line flags that set a generator.Request's options: the mode, the
// quality, the size, and each mode's parameters. Register them with AddRequestFlags and, after
// parsing, read the request with Request.
type RequestFlags struct {
	req                           generator.Request
	mode, quality, shape, profile *string
	frameWidth                    *float64
}

// AddRequestFlags registers the request flags on fs: -mode, -quality, -width, -height, -depth,
// -mask-tolerance, -faces, -tolerance, and the mode parameters (-base, -invert, -gamma, -smooth,
// -use-mask, -frame-width, -frame-height, -min-thickness, -max-thickness, -frame, -mirror,
// -shape, -arc, -base-plate, -base-thickness, -base-margin, -profile, -thickness, -min-rim,
// -flat-back).
func AddRequestFlags(fs *flag.FlagSet) *RequestFlags {
	f := &RequestFlags{}
	r := &f.req
	f.mode = fs.String("mode", "auto", "what to build: relief, lithophane, extrude, inflate or auto")
	f.quality = fs.String("quality", "standard", "quality `level`: draft, standard, high, ultra, or 1–10")
	fs.Float64Var(&r.Width, "width", 0, "model width in `mm` (default 100, or from -height and the aspect ratio)")
	fs.Float64Var(&r.Height, "height", 0, "model height in `mm` (default from the width and the aspect ratio)")
	fs.Float64Var(&r.Depth, "depth", 0, "the mode's depth in `mm`: relief depth, lithophane maximum thickness, extrusion height, inflated thickness")
	fs.Float64Var(&r.MaskTolerance, "mask-tolerance", 0, "background colour tolerance, 0..1 (default 0.1)")
	fs.IntVar(&r.FaceBudget, "faces", 0, "face budget (default from the quality level)")
	fs.Float64Var(&r.Tolerance, "tolerance", 0, "surface tolerance in `mm` (default from the quality level)")
	// Relief.
	fs.Float64Var(&r.Relief.Base, "base", 0, "relief: base thickness in `mm` (default 2)")
	fs.BoolVar(&r.Relief.Invert, "invert", false, "relief: dark is high")
	fs.Float64Var(&r.Relief.Gamma, "gamma", 0, "relief: gamma applied to the height (default 1)")
	fs.Float64Var(&r.Relief.Smooth, "smooth", 0, "relief: Gaussian smoothing sigma in `px`")
	fs.BoolVar(&r.Relief.UseMask, "use-mask", false, "relief: keep the background at the base")
	f.frameWidth = fs.Float64("frame-width", 0, "relief, lithophane: frame width in `mm` (lithophane default 3)")
	fs.Float64Var(&r.Relief.FrameHeight, "frame-height", 0, "relief: frame height above the base in `mm` (default: the depth)")
	// Lithophane.
	fs.Float64Var(&r.Lithophane.MinThickness, "min-thickness", 0, "lithophane: thickness where white, `mm` (default 0.8)")
	fs.Float64Var(&r.Lithophane.MaxThickness, "max-thickness", 0, "lithophane: thickness where black, `mm` (default 3)")
	fs.BoolVar(&r.Lithophane.Frame, "frame", false, "lithophane: add a frame")
	fs.BoolVar(&r.Lithophane.Mirror, "mirror", false, "lithophane: mirror left to right")
	f.shape = fs.String("shape", "", "lithophane: flat or cylinder (default flat)")
	fs.Float64Var(&r.Lithophane.Arc, "arc", 0, "lithophane: cylinder arc in `degrees` (default 360)")
	// Extrude.
	fs.BoolVar(&r.Extrude.BasePlate, "base-plate", false, "extrude: add a base plate")
	fs.Float64Var(&r.Extrude.BaseThickness, "base-thickness", 0, "extrude: base plate thickness in `mm` (default 2)")
	fs.Float64Var(&r.Extrude.BaseMargin, "base-margin", 0, "extrude: base plate margin in `mm` (default 3)")
	// Inflate.
	f.profile = fs.String("profile", "", "inflate: round or dome (default round)")
	fs.Float64Var(&r.Inflate.Thickness, "thickness", 0, "inflate: thickness scale (default 1)")
	fs.Float64Var(&r.Inflate.MinRim, "min-rim", 0, "inflate: least thickness at the outline in `mm` (default 1)")
	fs.BoolVar(&r.Inflate.FlatBack, "flat-back", false, "inflate: flat back")
	return f
}

// Request returns the request the parsed flags describe, without an image. It checks the
// options as far as they can be checked without one (with a depth map when withDepthMap is
// set), since they are the same for every input; a problem is a *UsageError.
func (f *RequestFlags) Request(withDepthMap bool) (generator.Request, error) {
	r := f.req
	var err error
	if r.Mode, err = generator.ParseMode(*f.mode); err != nil {
		return r, Usagef("-mode: %v", err)
	}
	if r.Quality, err = generator.ParseQuality(*f.quality); err != nil {
		return r, Usagef("-quality: %v", err)
	}
	r.Relief.FrameWidth = *f.frameWidth
	r.Lithophane.FrameWidth = *f.frameWidth
	r.Lithophane.Shape = backends.LithophaneShape(strings.ToLower(*f.shape))
	r.Inflate.Profile = backends.Profile(strings.ToLower(*f.profile))
	probe := r
	probe.Image = []byte{}
	if withDepthMap {
		probe.DepthMap = []byte{}
	}
	if err := probe.Validate(); err != nil {
		return r, Usagef("%v", err)
	}
	return r, nil
}

// OpenGenerator returns a Generator on the named backend. An unknown name is a *UsageError
// (wrapping generator.ErrInvalidConfig); a backend that cannot open is another error.
func OpenGenerator(backend string) (*generator.Generator, error) {
	g, err := generator.New(generator.Config{Backend: backend})
	if err != nil {
		if errors.Is(err, generator.ErrInvalidConfig) {
			return nil, &usageWrap{UsageError{fmt.Sprintf("-backend %s: %v", backend, err)}, err}
		}
		return nil, fmt.Errorf("-backend %s: %w", backend, err)
	}
	return g, nil
}

// usageWrap is a UsageError that keeps its cause for errors.Is.
type usageWrap struct {
	UsageError
	err error
}

func (e *usageWrap) Unwrap() []error { return []error{&e.UsageError, e.err} }

// FormatNames lists the mesh formats that -format takes, from meshio's registry:
// "stl, stl-ascii, obj, glb, ply, 3mf".
func FormatNames() string {
	var names []string
	for _, f := range meshio.Formats() {
		names = append(names, f.String())
	}
	return strings.Join(names, ", ")
}

// Colourless reports whether nothing a command writes shows colour: format f stores no colours
// or texture (STL, binary or ASCII) and no preview (drawn in the model's colours) is asked for.
// A command then sets generator.Request.NoColor, sparing the generator the colour plane and the
// texture; the mesh file is the same byte for byte.
func Colourless(f meshio.Format, preview bool) bool {
	return (f == meshio.STL || f == meshio.STLASCII) && !preview
}

// FormatExts lists the file extensions that name a mesh format, once each:
// ".stl, .obj, .glb, .ply, .3mf".
func FormatExts() string {
	var exts []string
	for _, f := range meshio.Formats() {
		if !slices.Contains(exts, f.Ext()) {
			exts = append(exts, f.Ext())
		}
	}
	return strings.Join(exts, ", ")
}

// WriteAtomic writes path through atomicfile.Write, so that path never holds a partial file: on
// an error, or when ctx is cancelled during the write, the temporary file is removed and path is
// left as it was. An existing file at path is replaced. The file is made readable by all (0644).
// The temporary file's name is hidden: atomicfile.TempPrefix and a random part.
func WriteAtomic(ctx context.Context, path string, write func(io.Writer) error) error {
	return atomicfile.Write(ctx, path, write)
}

// Result is the JSON form of one converted input, as both programs print it with -json.
type Result struct {
	Input      string     `json:"input"`
	Output     string     `json:"output"`
	Mode       string     `json:"mode"`
	Backend    string     `json:"backend"`
	Faces      int        `json:"faces"`
	Vertices   int        `json:"vertices"`
	Closed     bool       `json:"closed"`
	SizeMM     [3]float64 `json:"size_mm"`
	VolumeMM3  float64    `json:"volume_mm3"`
	MaxErrorMM float64    `json:"max_error_mm"`
	Seconds    float64    `json:"seconds"`
	// ModeReason says why the mode was chosen; Pieces is how many separate solids the model is.
	ModeReason string `json:"mode_reason"`
	Pieces     int    `json:"pieces"`
	// Fidelity is the generator's self-check (generator.Fidelity), Warnings its problems in
	// words (none: a faithful, printable object), QualityNote why a level changed nothing.
	Fidelity    generator.Fidelity `json:"fidelity"`
	Warnings    []string           `json:"warnings,omitempty"`
	QualityNote string             `json:"quality_note,omitempty"`
	// MaskSource says where the subject's mask came from (alpha, border, model, grabcut, none),
	// Segmenter which model or method found a photo's subject and SegmentConfidence how sure
	// it was; SegmentNote why a photo's segmentation was not used. DepthSource says where a
	// relief's heights came from when not from brightness ("depth map", "model").
	MaskSource        string  `json:"mask_source,omitempty"`
	Segmenter         string  `json:"segmenter,omitempty"`
	SegmentConfidence float64 `json:"segment_confidence,omitempty"`
	SegmentNote       string  `json:"segment_note,omitempty"`
	DepthSource       string  `json:"depth_source,omitempty"`
	DepthEstimator    string  `json:"depth_estimator,omitempty"`
	// Printable says what making a mesh printable took (a hunyuan model, a mesh input): repair,
	// solidify, the Hausdorff distances to the source; absent for the other backends.
	Printable *backends.Printable `json:"printable,omitempty"`
}

// NewResult returns the JSON form of a generation's report, rounded to keep float32 noise out.
func NewResult(input, output string, r *generator.Report, seconds float64) Result {
	return Result{
		Input: input, Output: output, Mode: string(r.Mode), Backend: r.Backend,
		Faces: r.Faces, Vertices: r.Vertices, Closed: Closed(r),
		SizeMM:    [3]float64{Round(r.Size[0], 1e-4), Round(r.Size[1], 1e-4), Round(r.Size[2], 1e-4)},
		VolumeMM3: Round(r.Volume, 1e-3), MaxErrorMM: Round(r.MaxError, 1e-6), Seconds: Round(seconds, 1e-3),
		ModeReason: r.ModeReason, Pieces: r.Pieces, Fidelity: RoundFidelity(r.Fidelity),
		Warnings: WarningText(r), QualityNote: r.QualityNote, Printable: roundPrintable(r.Printable),
		MaskSource: string(r.Image.MaskSource), Segmenter: r.Image.Segmenter,
		SegmentConfidence: Round(r.Image.SegmentConfidence, 1e-4), SegmentNote: r.Image.SegmentNote,
		DepthSource: string(r.Image.DepthSource), DepthEstimator: r.Image.DepthEstimator,
	}
}

// SourcesText says, for a summary line, where a photo's subject and depth came from: "subject
// by isnet-small.onnx (cpu); heights from depth by depth.onnx (cpu)"; empty for images that
// needed neither.
func SourcesText(r *generator.Report) string {
	var parts []string
	im := r.Image
	switch {
	case im.Segmenter != "" && im.SegmentConfidence > 0:
		parts = append(parts, fmt.Sprintf("subject by %s (confidence %.2f)", im.Segmenter, im.SegmentConfidence))
	case im.Segmenter != "":
		parts = append(parts, "subject by "+im.Segmenter)
	case im.SegmentNote != "":
		parts = append(parts, "no subject: "+im.SegmentNote)
	}
	if im.DepthSource == generator.DepthModel {
		parts = append(parts, "heights from depth by "+im.DepthEstimator)
	}
	return strings.Join(parts, "; ")
}

// roundPrintable rounds p's lengths to 1e-6 mm (nil stays nil).
func roundPrintable(p *backends.Printable) *backends.Printable {
	if p == nil {
		return nil
	}
	q := *p
	for _, v := range []*float64{&q.VoxelMM, &q.HausdorffMM, &q.SourceToResultMM, &q.ResultToSourceMM} {
		*v = Round(*v, 1e-6)
	}
	return &q
}

// RoundFidelity rounds f's figures to 1e-4, to keep float noise out of the JSON.
func RoundFidelity(f generator.Fidelity) generator.Fidelity {
	round := func(p *float64) *float64 {
		if p == nil {
			return nil
		}
		v := Round(*p, 1e-4)
		return &v
	}
	f.SilhouetteIoU, f.HeightCorrelation = round(f.SilhouetteIoU), round(f.HeightCorrelation)
	f.ThicknessRatio, f.BedContact, f.Spikes = Round(f.ThicknessRatio, 1e-4), Round(f.BedContact, 1e-4), Round(f.Spikes, 1e-4)
	return f
}

// WarningText returns the report's fidelity warnings in words.
func WarningText(r *generator.Report) []string {
	var ws []string
	for _, w := range r.Warnings {
		ws = append(ws, w.Message)
	}
	return ws
}

// Fit sums up the report's fidelity for a table: "ok" when there is no warning, else the kinds
// of warning ("thick, spikes").
func Fit(r *generator.Report) string {
	if len(r.Warnings) == 0 {
		return "ok"
	}
	var ks []string
	for _, w := range r.Warnings {
		ks = append(ks, string(w.Kind))
	}
	return strings.Join(ks, ", ")
}

// Closed reports whether the report's mesh is a closed, outward-oriented solid.
func Closed(r *generator.Report) bool { return r.Topology.Closed() && r.Topology.Outward }

// Round rounds v to a multiple of unit.
func Round(v, unit float64) float64 {
	// Dividing by the whole number of units per 1 gives the nearest float to the decimal
	// (104.4198, not 104.41980000000001, for unit 1e-4).
	if inv := math.Round(1 / unit); inv >= 1 && math.Abs(inv-1/unit) < 1e-9*inv {
		return math.Round(v*inv) / inv
	}
	return math.Round(v/unit) * unit
}

// YesNo returns "yes" or "no".
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// IsTerminal reports whether w is a character device (a terminal), where progress is drawn as a
// bar rather than written as lines.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
