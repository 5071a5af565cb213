// Command img2mesh turns images into closed, printable 3D meshes with orfeas.
//
//	go run ./examples/img2mesh -o model.glb testdata/images/astronaut.png
//	go run ./examples/img2mesh -mode lithophane -quality high -width 120 -o out/ a.png b.jpg
//	go run ./examples/img2mesh -json -q -format stl photos/*.jpg
//
// With one input, -o is the output file (default: the input's name with the format's extension,
// in the current folder); with several, -o is a folder (created when missing). The format is
// -format, else the output's extension, else GLB. Flags may come before or after the inputs.
//
// Progress goes to stderr, as a bar when stderr is a terminal and as one line per stage
// otherwise; -q silences it and the summary. -json prints one JSON object per input on stdout:
//
//	{"input":…,"output":…,"mode":…,"backend":…,"faces":…,"vertices":…,"closed":true,
//	 "size_mm":[x,y,z],"volume_mm3":…,"max_error_mm":…,"seconds":…}
//
// or {"input":…,"error":…} for an input that failed.
//
// Exit status: 0 when every input succeeded, 1 when any failed (the others are still written),
// 2 for a usage error (a bad flag or option value, no inputs).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// options are the parsed command line.
type options struct {
	out, format, backend, depthMap string
	quiet, json                    bool
	req                            generator.Request
	inputs                         []string
}

// usageError is a problem with the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// parse reads the command line; flags may come before, between or after the inputs, and "--"
// ends the flags.
func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("img2mesh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: img2mesh [flags] image...\n\nTurns images into closed, printable 3D meshes.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	r := &o.req
	fs.StringVar(&o.out, "o", "", "output `path`; with several inputs, a folder (default: the input's name with the format's extension)")
	mode := fs.String("mode", "auto", "what to build: relief, lithophane, extrude, inflate or auto")
	quality := fs.String("quality", "standard", "quality `level`: draft, standard, high, ultra, or 1–10")
	fs.Float64Var(&r.Width, "width", 0, "model width in `mm` (default 100, or from -height and the aspect ratio)")
	fs.Float64Var(&r.Height, "height", 0, "model height in `mm` (default from the width and the aspect ratio)")
	fs.Float64Var(&r.Depth, "depth", 0, "the mode's depth in `mm`: relief depth, lithophane maximum thickness, extrusion height, inflated thickness")
	fs.StringVar(&o.format, "format", "", "output format: stl, stl-ascii, obj, glb, ply (default from the output's extension, else glb)")
	fs.StringVar(&o.backend, "backend", "auto", "compute backend: auto, cpu or cuda")
	fs.BoolVar(&o.quiet, "q", false, "no progress and no summary")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per input on stdout")
	fs.StringVar(&o.depthMap, "depth-map", "", "depth map `image` for relief (white nearest), the input's size")
	fs.Float64Var(&r.MaskTolerance, "mask-tolerance", 0, "background colour tolerance, 0..1 (default 0.1)")
	fs.IntVar(&r.FaceBudget, "faces", 0, "face budget (default from the quality level)")
	fs.Float64Var(&r.Tolerance, "tolerance", 0, "surface tolerance in `mm` (default from the quality level)")
	// Relief.
	fs.Float64Var(&r.Relief.Base, "base", 0, "relief: base thickness in `mm` (default 2)")
	fs.BoolVar(&r.Relief.Invert, "invert", false, "relief: dark is high")
	fs.Float64Var(&r.Relief.Gamma, "gamma", 0, "relief: gamma applied to the height (default 1)")
	fs.Float64Var(&r.Relief.Smooth, "smooth", 0, "relief: Gaussian smoothing sigma in `px`")
	fs.BoolVar(&r.Relief.UseMask, "use-mask", false, "relief: keep the background at the base")
	frameWidth := fs.Float64("frame-width", 0, "relief, lithophane: frame width in `mm` (lithophane default 3)")
	fs.Float64Var(&r.Relief.FrameHeight, "frame-height", 0, "relief: frame height above the base in `mm` (default: the depth)")
	// Lithophane.
	fs.Float64Var(&r.Lithophane.MinThickness, "min-thickness", 0, "lithophane: thickness where white, `mm` (default 0.8)")
	fs.Float64Var(&r.Lithophane.MaxThickness, "max-thickness", 0, "lithophane: thickness where black, `mm` (default 3)")
	fs.BoolVar(&r.Lithophane.Frame, "frame", false, "lithophane: add a frame")
	fs.BoolVar(&r.Lithophane.Mirror, "mirror", false, "lithophane: mirror left to right")
	shape := fs.String("shape", "", "lithophane: flat or cylinder (default flat)")
	fs.Float64Var(&r.Lithophane.Arc, "arc", 0, "lithophane: cylinder arc in `degrees` (default 360)")
	// Extrude.
	fs.BoolVar(&r.Extrude.BasePlate, "base-plate", false, "extrude: add a base plate")
	fs.Float64Var(&r.Extrude.BaseThickness, "base-thickness", 0, "extrude: base plate thickness in `mm` (default 2)")
	fs.Float64Var(&r.Extrude.BaseMargin, "base-margin", 0, "extrude: base plate margin in `mm` (default 3)")
	// Inflate.
	profile := fs.String("profile", "", "inflate: round or dome (default round)")
	fs.Float64Var(&r.Inflate.Thickness, "thickness", 0, "inflate: thickness scale (default 1)")
	fs.Float64Var(&r.Inflate.MinRim, "min-rim", 0, "inflate: least thickness at the outline in `mm` (default 1)")
	fs.BoolVar(&r.Inflate.FlatBack, "flat-back", false, "inflate: flat back")

	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		left := fs.Args()
		if consumed := len(rest) - len(left); consumed > 0 && rest[consumed-1] == "--" {
			o.inputs = append(o.inputs, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		o.inputs = append(o.inputs, left[0])
		rest = left[1:]
	}
	if len(o.inputs) == 0 {
		return nil, usagef("no input images")
	}

	var err error
	if r.Mode, err = generator.ParseMode(*mode); err != nil {
		return nil, usagef("-mode: %v", err)
	}
	if r.Quality, err = generator.ParseQuality(*quality); err != nil {
		return nil, usagef("-quality: %v", err)
	}
	r.Relief.FrameWidth = *frameWidth
	r.Lithophane.FrameWidth = *frameWidth
	r.Lithophane.Shape = backends.LithophaneShape(strings.ToLower(*shape))
	r.Inflate.Profile = backends.Profile(strings.ToLower(*profile))
	// The options are the same for every input: check them once, as a usage error.
	probe := *r
	probe.Image = []byte{}
	if o.depthMap != "" {
		probe.DepthMap = []byte{}
	}
	if err := probe.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	return o, nil
}

// outputs returns the output path and format of every input.
func outputs(o *options) ([]string, mesh.Format, error) {
	f := mesh.GLB
	var err error
	folder := len(o.inputs) > 1
	if !folder && o.out != "" {
		if fi, err := os.Stat(o.out); err == nil && fi.IsDir() {
			folder = true
		}
	}
	switch {
	case o.format != "":
		if f, err = mesh.ParseFormat(o.format); err != nil {
			return nil, 0, usagef("-format: %v", err)
		}
	case o.out != "" && !folder:
		if f, err = mesh.FormatFromExt(filepath.Ext(o.out)); err != nil {
			return nil, 0, usagef("-o %s: no known mesh extension (.stl, .obj, .glb, .ply); use -format", o.out)
		}
	}
	if !folder && o.out != "" {
		return []string{o.out}, f, nil
	}
	dir := o.out
	paths := make([]string, len(o.inputs))
	seen := map[string]string{}
	for i, in := range o.inputs {
		base := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
		paths[i] = filepath.Join(dir, base+f.Ext())
		if prev, dup := seen[paths[i]]; dup {
			return nil, 0, usagef("inputs %s and %s would both be written to %s", prev, in, paths[i])
		}
		seen[paths[i]] = in
	}
	return paths, f, nil
}

// okJSON and errJSON are the -json lines.
type okJSON struct {
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
}

type errJSON struct {
	Input string `json:"input"`
	Error string `json:"error"`
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		if _, ok := err.(*usageError); ok {
			fmt.Fprintf(stderr, "img2mesh: %v\nRun img2mesh -h for help.\n", err)
		}
		return exitUsage // the flag package has printed its own message
	}
	paths, format, err := outputs(o)
	if err != nil {
		fmt.Fprintf(stderr, "img2mesh: %v\n", err)
		return exitUsage
	}
	g, err := generator.New(generator.Config{Backend: o.backend})
	if err != nil {
		fmt.Fprintf(stderr, "img2mesh: -backend %s: %v\n", o.backend, err)
		if errors.Is(err, generator.ErrInvalidConfig) {
			return exitUsage
		}
		return exitFailed
	}
	defer g.Close()
	if dir := filepath.Dir(paths[0]); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "img2mesh: %v\n", err)
			return exitFailed
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	enc := json.NewEncoder(stdout)
	status := exitOK
	for i, in := range o.inputs {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "img2mesh: interrupted; %d inputs not converted\n", len(o.inputs)-i)
			return exitFailed
		}
		start := time.Now()
		res, err := convert(ctx, g, o, in, paths[i], format, stderr)
		if err != nil {
			status = exitFailed
			fmt.Fprintf(stderr, "img2mesh: %s: %v\n", in, err)
			if o.json {
				enc.Encode(errJSON{Input: in, Error: err.Error()})
			}
			continue
		}
		r := res.Report
		secs := time.Since(start).Seconds()
		closed := r.Topology.Closed() && r.Topology.Outward
		switch {
		case o.json:
			enc.Encode(okJSON{
				Input: in, Output: paths[i], Mode: string(r.Mode), Backend: r.Backend,
				Faces: r.Faces, Vertices: r.Vertices, Closed: closed,
				SizeMM:    [3]float64{round(r.Size[0], 1e-4), round(r.Size[1], 1e-4), round(r.Size[2], 1e-4)},
				VolumeMM3: round(r.Volume, 1e-3), MaxErrorMM: round(r.MaxError, 1e-6), Seconds: round(secs, 1e-3),
			})
		case !o.quiet:
			fmt.Fprintf(stdout, "%s -> %s: %s on %s, %d faces, closed %s, %.1f × %.1f × %.1f mm, %.0f mm³, %.2f s\n",
				in, paths[i], r.Mode, r.Backend, r.Faces, yesNo(closed), r.Size[0], r.Size[1], r.Size[2], r.Volume, secs)
		}
	}
	return status
}

// convert builds one input's mesh and writes it, whole or not at all.
func convert(ctx context.Context, g *generator.Generator, o *options, in, out string, f mesh.Format, stderr io.Writer) (*generator.Result, error) {
	file, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	req := o.req
	req.Reader = file
	if o.depthMap != "" {
		if req.DepthMap, err = os.ReadFile(o.depthMap); err != nil {
			return nil, fmt.Errorf("depth map: %w", err)
		}
	}
	var bar *progressBar
	if !o.quiet {
		bar = newProgressBar(stderr, in)
		req.Progress = bar.update
	}
	res, err := g.Generate(ctx, req)
	bar.done()
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(out, func(w io.Writer) error { return res.Encode(w, f) }); err != nil {
		return nil, err
	}
	return res, nil
}

// writeAtomic writes a temporary file next to path and renames it into place, so that path
// never holds a partial file.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file private; the output is an ordinary file.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// round rounds v to a multiple of unit, to keep float32 noise out of the JSON.
func round(v, unit float64) float64 { return math.Round(v/unit) * unit }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// progressBar shows a Generate call's progress on stderr: a redrawn bar on a terminal, one line
// per stage otherwise. A nil *progressBar does nothing.
type progressBar struct {
	w        io.Writer
	name     string
	terminal bool
	stage    string
	percent  int
}

func newProgressBar(w io.Writer, name string) *progressBar {
	p := &progressBar{w: w, name: name, percent: -1}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progressBar) update(stage string, fraction float64) {
	pc := int(fraction * 100)
	if !p.terminal {
		if stage != p.stage {
			fmt.Fprintf(p.w, "%s: %s\n", p.name, stage)
		}
		p.stage = stage
		return
	}
	if stage == p.stage && pc == p.percent {
		return
	}
	p.stage, p.percent = stage, pc
	const width = 30
	n := min(width, max(0, pc*width/100))
	fmt.Fprintf(p.w, "\r\033[K%s [%s%s] %3d%% %s", p.name, strings.Repeat("#", n), strings.Repeat("-", width-n), pc, stage)
}

func (p *progressBar) done() {
	if p != nil && p.terminal && p.percent >= 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
