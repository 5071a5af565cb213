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
// A textured mesh written as OBJ comes with its material library and texture beside it (name.obj,
// name.mtl, name.png); -obj-single writes one OBJ with vertex colours instead. -up y turns STL,
// OBJ and PLY files Y up for Blender or Unity (Z up, for printing, is the default). -preview
// writes a shaded PNG of the model (with several inputs, -preview is a folder of NAME.png).
//
// Progress goes to stderr, as a bar when stderr is a terminal and as one line per stage
// otherwise; -q silences it and the summary. -json prints one JSON object per input on stdout:
//
//	{"input":…,"output":…,"mode":…,"backend":…,"faces":…,"vertices":…,"closed":true,
//	 "size_mm":[x,y,z],"volume_mm3":…,"max_error_mm":…,"seconds":…}
//
// or {"input":…,"error":…} for an input that failed.
//
// Photos: -segment-model PATH finds the subject with an IS-Net-style ONNX model (else the built-in
// GrabCut), so auto builds the object; -depth-model PATH builds photo reliefs from a Depth
// Anything V2 / MiDaS-style model's depth, bas-relief compressed. Both run on ONNX Runtime
// (-onnxruntime PATH or $ORFEAS_ONNXRUNTIME_LIB; -onnx-provider cuda for the GPU).
//
// Exit status: 0 when every input succeeded, 1 when any failed (the others are still written),
// 2 for a usage error (a bad flag or option value, no inputs, a model or runtime that cannot
// load).
//
// Memory: unless GOGC is set in the environment, the command runs the garbage collector at
// GOGC=50 (debug.SetGCPercent), a choice of this command, not of the library: the heap then grows
// to 1.5× what was live at the last collection rather than 2× before the next one. A 1024² relief
// at -quality high peaks at about 100 MB of RSS rather than 135, for no CPU time that could be
// measured (0.41 against 0.40 s, medians of five). An STL output without -preview asks for a
// colourless mesh (generator.Request.NoColor): STL stores no colour, so the colour plane and the
// texture are never made; the STL is the same byte for byte.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/examples/internal/cli"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is the collector's pacing the command sets when GOGC is not (see the package doc).
const gcPercent = 50

// Exit statuses.
const (
	exitOK     = cli.ExitOK
	exitFailed = cli.ExitFailed
	exitUsage  = cli.ExitUsage
)

// options are the parsed command line.
type options struct {
	out, format, backend, depthMap, preview string
	prompt                                  string
	quiet, json                             bool
	remote                                  *cli.RemoteFlags
	models                                  *cli.ModelFlags
	req                                     generator.Request
	enc                                     meshio.EncodeOptions
	objSingle                               bool
	inputs                                  []string
}

// parse reads the command line; flags may come before, between or after the inputs, and "--"
// ends the flags.
func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := cli.NewFlagSet("img2mesh", "[flags] image...",
		"Turns images into closed, printable 3D meshes.", stderr, &o.backend)
	reqFlags := cli.AddRequestFlags(fs)
	o.remote = cli.AddRemoteFlags(fs)
	o.models = cli.AddModelFlags(fs)
	fs.StringVar(&o.prompt, "prompt", "", "build from this `text` instead of an image: through -txt2img-url, else the hunyuan server's own text path")
	fs.StringVar(&o.out, "o", "", "output `path`; with several inputs, a folder (default: the input's name with the format's extension)")
	fs.StringVar(&o.format, "format", "", "output format: "+cli.FormatNames()+" (default from the output's extension, else glb)")
	fs.BoolVar(&o.quiet, "q", false, "no progress and no summary")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per input on stdout")
	fs.StringVar(&o.depthMap, "depth-map", "", "depth map `image` for relief (white nearest), the input's size")
	fs.StringVar(&o.preview, "preview", "", "also write a shaded PNG preview to `path` (with several inputs, a folder)")
	outFlags := cli.AddOutputFlags(fs)

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
	if o.prompt != "" {
		if len(o.inputs) > 0 {
			return nil, cli.Usagef("-prompt and input images: give one or the other")
		}
		o.inputs = []string{"prompt"} // the output's default name: prompt.glb
	}
	if len(o.inputs) == 0 {
		return nil, cli.Usagef("no input images")
	}

	var err error
	// The options are the same for every input: check them once, as a usage error.
	if o.req, err = reqFlags.Request(o.depthMap != ""); err != nil {
		return nil, err
	}
	if o.enc, err = outFlags.Options(); err != nil {
		return nil, err
	}
	o.objSingle = outFlags.OBJSingle()
	return o, nil
}

// outputs returns the output path and format of every input.
func outputs(o *options) ([]string, meshio.Format, error) {
	f := meshio.GLB
	var err error
	folder := len(o.inputs) > 1
	if !folder && o.out != "" {
		if fi, err := os.Stat(o.out); err == nil && fi.IsDir() {
			folder = true
		}
	}
	switch {
	case o.format != "":
		if f, err = meshio.ParseFormat(o.format); err != nil {
			return nil, 0, cli.Usagef("-format: %v", err)
		}
	case o.out != "" && !folder:
		if f, err = meshio.FormatFromExt(filepath.Ext(o.out)); err != nil {
			return nil, 0, cli.Usagef("-o %s: no known mesh extension (%s); use -format", o.out, cli.FormatExts())
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
			return nil, 0, cli.Usagef("inputs %s and %s would both be written to %s", prev, in, paths[i])
		}
		seen[paths[i]] = in
	}
	return paths, f, nil
}

// errJSON is the -json line of a failed input.
type errJSON struct {
	Input string `json:"input"`
	Error string `json:"error"`
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		return cli.ParseFailed("img2mesh", err, stderr)
	}
	paths, format, err := outputs(o)
	if err != nil {
		fmt.Fprintf(stderr, "img2mesh: %v\n", err)
		return exitUsage
	}
	o.req.NoColor = cli.Colourless(format, o.preview != "")
	models, err := o.models.Open()
	if err != nil {
		fmt.Fprintf(stderr, "img2mesh: %v\n", err)
		return exitUsage
	}
	defer models.Close()
	if !o.quiet {
		for _, n := range models.Notes {
			fmt.Fprintf(stderr, "img2mesh: %s\n", n)
		}
	}
	g, err := cli.OpenGeneratorModels(o.backend, o.remote, models)
	if err != nil {
		fmt.Fprintf(stderr, "img2mesh: %v\n", err)
		return cli.FailStatus(err)
	}
	defer g.Close()
	if dir := filepath.Dir(paths[0]); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "img2mesh: %v\n", err)
			return exitFailed
		}
	}
	if o.preview != "" && len(o.inputs) > 1 {
		if err := os.MkdirAll(o.preview, 0o755); err != nil {
			fmt.Fprintf(stderr, "img2mesh: -preview: %v\n", err)
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
		closed := cli.Closed(&r)
		switch {
		case o.json:
			enc.Encode(cli.NewResult(in, paths[i], &r, secs))
		case !o.quiet:
			fmt.Fprintf(stdout, "%s -> %s: %s on %s, %d faces, closed %s, %.1f × %.1f × %.1f mm, %.0f mm³, %.2f s\n",
				in, paths[i], r.Mode, r.Backend, r.Faces, cli.YesNo(closed), r.Size[0], r.Size[1], r.Size[2], r.Volume, secs)
			fmt.Fprintf(stdout, "  %s; %d piece(s)\n", r.ModeReason, r.Pieces)
			if s := cli.SourcesText(&r); s != "" {
				fmt.Fprintf(stdout, "  %s\n", s)
			}
			for _, w := range cli.WarningText(&r) {
				fmt.Fprintf(stdout, "  warning: %s\n", w)
			}
		}
	}
	return status
}

// convert builds one input's mesh and writes it, whole or not at all.
func convert(ctx context.Context, g *generator.Generator, o *options, in, out string, f meshio.Format, stderr io.Writer) (*generator.Result, error) {
	if o.prompt != "" {
		res, err := g.GenerateText(ctx, o.prompt, o.req)
		if err != nil {
			return nil, err
		}
		return res, cli.WriteAtomic(ctx, out, func(w io.Writer) error { return res.Encode(w, f) })
	}
	if mf, err := meshio.FormatFromExt(filepath.Ext(in)); err == nil {
		return cli.Printable(ctx, in, out, mf, f, o.req)
	}
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
	if _, err := cli.WriteMesh(ctx, out, res.Mesh, f, o.enc, o.objSingle); err != nil {
		return nil, err
	}
	if o.preview != "" {
		p := o.preview
		if len(o.inputs) > 1 {
			p = filepath.Join(o.preview, strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))+".png")
		}
		if err := cli.WritePreview(ctx, p, res.Mesh); err != nil {
			return nil, fmt.Errorf("preview: %w", err)
		}
	}
	return res, nil
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
	return &progressBar{w: w, name: name, percent: -1, terminal: cli.IsTerminal(w)}
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
