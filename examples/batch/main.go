// Command batch converts every image in a folder into a closed, printable 3D mesh with orfeas,
// several at a time.
//
//	go run ./examples/batch -in photos -out models
//	go run ./examples/batch -in photos -out models -mode lithophane -format glb -quality high -j 2
//	go run ./examples/batch -in photos -out models -json -q > report.jsonl
//
// Every file in -in (and, with -r, its subfolders) is looked at in name order: a file whose
// extension is an image's (.png .jpg .jpeg .gif .webp .bmp .tif .tiff, any case) is converted, and
// so is a file with another extension whose first bytes are an image signature; anything else is
// skipped as "not an image". Hidden files and folders (names starting with ".") are ignored.
// Each image becomes <name>.<format's extension> in -out (created when missing; with -r, in the
// same subfolder). It is written to a hidden temporary file in that folder and renamed into place,
// so an output file is always whole. An existing output is skipped unless -force is given.
//
// Up to -j images are converted at once, sharing one Generator. A file that cannot be converted
// (a corrupt image, say) is reported with its error and the others go on. Interrupting (Ctrl-C,
// SIGTERM) cancels the work in flight, removes its temporary files and still prints the summary;
// a second interrupt ends the program at once.
//
// Progress goes to stderr: a one-line bar when stderr is a terminal, otherwise one line per stage
// and file, "[done/total] file: stage", where done counts the files finished. At the end a table
// on stdout lists every file (sorted by name) with its status, mode, faces, whether the mesh is
// closed, the seconds it took, and the error or the reason it was skipped, then the totals. -q
// drops the progress and the table (errors still go to stderr). -json prints, instead of the
// table, one JSON object per file as it finishes and a summary object last.
//
// -contact-sheet writes one PNG with a shaded preview of every converted model (mesh/render),
// captioned with its name, in name order, for a look at the whole run at once. STL output
// without a contact sheet asks for colourless meshes (generator.Request.NoColor): STL stores no
// colour, so the colour plane and the texture are never made. -up, -obj-single
// and -crease are img2mesh's: a textured OBJ comes with NAME.mtl and NAME_texture.png.
//
// -prompts FILE adds one model per prompt, one prompt a line (blank lines and lines starting with
// "#" are ignored; at most 1 MiB): each is made into an image by the -txt2img-url provider, or
// into a model by the -backend hunyuan server's own text path (generator.GenerateText), and
// written to -out as <slug>.<extension>, the slug being the prompt in lower case with every run of
// other characters than letters and digits made one "-" (at most 64 bytes). Its row and -json
// object name it by the slug, with the prompt as the input. -in may then be left out.
//
//	go run ./examples/batch -prompts prompts.txt -out models -txt2img-url http://sd-box:7860
//
// Exit status: 0 when every image was converted or skipped, 1 when any failed or the run was
// interrupted, 2 for a usage error.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/orfeas3d/orfeas/examples/internal/cli"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second interrupt now ends the program at once
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the parsed command line.
type options struct {
	in, out, backend, sheet   string
	prompts                   string
	enc                       meshio.EncodeOptions
	objSingle                 bool
	format                    meshio.Format
	jobs                      int
	force, quiet, json, recur bool
	req                       generator.Request
	remote                    *cli.RemoteFlags
	models                    *cli.ModelFlags
}

// imageExts are the extensions taken for images without looking inside.
var imageExts = []string{".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"}

// parse reads the command line.
func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := cli.NewFlagSet("batch", "-in folder -out folder [flags]",
		"Converts every image in a folder into a closed, printable 3D mesh.", stderr, &o.backend)
	reqFlags := cli.AddRequestFlags(fs)
	o.remote = cli.AddRemoteFlags(fs)
	o.models = cli.AddModelFlags(fs)
	fs.StringVar(&o.in, "in", "", "`folder` of images to convert")
	fs.StringVar(&o.prompts, "prompts", "", "text `file` of prompts, one a line, each made into a model named by its slug (needs -txt2img-url or -backend hunyuan)")
	fs.StringVar(&o.out, "out", "", "`folder` to write the models to (created when missing)")
	format := fs.String("format", "stl", "output format: "+cli.FormatNames())
	fs.IntVar(&o.jobs, "j", runtime.GOMAXPROCS(0), "convert up to `n` images at once")
	fs.BoolVar(&o.force, "force", false, "replace outputs that exist (default: skip their images)")
	fs.BoolVar(&o.quiet, "q", false, "no progress and no summary table; errors still go to stderr")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per file and a summary object on stdout, instead of the table")
	fs.BoolVar(&o.recur, "r", false, "look in subfolders too, mirroring them in -out")
	fs.StringVar(&o.sheet, "contact-sheet", "", "also write a PNG `file` with a preview of every converted model")
	outFlags := cli.AddOutputFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, cli.Usagef("unexpected argument %q: give the folders with -in and -out", fs.Arg(0))
	}
	if (o.in == "" && o.prompts == "") || o.out == "" {
		return nil, cli.Usagef("-out is required, and -in or -prompts (or both)")
	}
	if o.in != "" {
		if fi, err := os.Stat(o.in); err != nil {
			return nil, cli.Usagef("-in: %v", err)
		} else if !fi.IsDir() {
			return nil, cli.Usagef("-in %s is not a folder", o.in)
		}
	}
	if o.prompts != "" && o.remote.Txt2ImgURL == "" && !strings.EqualFold(strings.TrimSpace(o.backend), generator.BackendHunyuan) {
		return nil, cli.Usagef("-prompts needs a text-to-image provider (-txt2img-url) or -backend hunyuan")
	}
	if fi, err := os.Stat(o.out); err == nil && !fi.IsDir() {
		return nil, cli.Usagef("-out %s is not a folder", o.out)
	}
	if o.jobs < 1 {
		return nil, cli.Usagef("-j %d: need at least 1", o.jobs)
	}
	var err error
	if o.format, err = meshio.ParseFormat(*format); err != nil {
		return nil, cli.Usagef("-format: %v", err)
	}
	if o.req, err = reqFlags.Request(false); err != nil {
		return nil, err
	}
	o.req.NoColor = cli.Colourless(o.format, o.sheet != "")
	if o.enc, err = outFlags.Options(); err != nil {
		return nil, err
	}
	o.objSingle = outFlags.OBJSingle()
	return o, nil
}

// status is what became of a file.
type status string

const (
	statusPending   status = ""
	statusOK        status = "ok"
	statusFailed    status = "failed"
	statusSkipped   status = "skipped"
	statusCancelled status = "cancelled"
)

// item is one file of the input folder.
type item struct {
	rel     string // path relative to -in, as listed; a prompt's slug
	in, out string // in: the file, or the prompt
	prompt  string // set for a -prompts line
	status  status
	note    string // the error, or why the file was skipped
	report  *generator.Report
	seconds float64
	tile    image.Image // the contact sheet's preview, with -contact-sheet

	// Progress, guarded by progress.mu.
	stage    string
	fraction float64
	started  bool
}

// scan lists the files under o.in in name order and decides what to do with each: items whose
// status is still pending are to be converted.
func scan(o *options) ([]*item, error) {
	items, err := walk(o)
	if err != nil {
		return nil, err
	}
	if o.prompts != "" {
		ps, err := readPrompts(o.prompts)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			items = append(items, &item{rel: slug(p), in: p, prompt: p})
		}
	}
	slices.SortStableFunc(items, func(a, b *item) int { return strings.Compare(a.rel, b.rel) })

	// Outputs: two images with the same name but another extension (or two prompts with one
	// slug) would overwrite each other.
	byOut := map[string][]*item{}
	for _, it := range items {
		if it.status != statusPending {
			continue
		}
		name := it.rel
		if it.prompt == "" {
			name = strings.TrimSuffix(it.rel, filepath.Ext(it.rel))
		}
		it.out = filepath.Join(o.out, name+o.format.Ext())
		byOut[it.out] = append(byOut[it.out], it)
	}
	for _, it := range items {
		if it.status != statusPending {
			continue
		}
		if same := byOut[it.out]; len(same) > 1 {
			names := make([]string, len(same))
			for i, s := range same {
				names[i] = s.rel
				if s.prompt != "" {
					names[i] = fmt.Sprintf("prompt %q", s.prompt)
				}
			}
			it.status, it.note = statusFailed, fmt.Sprintf("%s would all be written to %s: rename all but one", strings.Join(names, ", "), it.out)
			continue
		}
		if _, err := os.Lstat(it.out); err == nil && !o.force {
			it.status, it.note = statusSkipped, "output exists"
		}
	}
	return items, nil
}

// maxPromptsFile bounds a -prompts file.
const maxPromptsFile = 1 << 20

// readPrompts returns the prompts in the file at path: its lines, trimmed, without blank lines
// and "#" comments.
func readPrompts(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPromptsFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPromptsFile {
		return nil, fmt.Errorf("-prompts %s: more than %d bytes", path, maxPromptsFile)
	}
	var ps []string
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			ps = append(ps, line)
		}
	}
	return ps, nil
}

// slug names a prompt's output: lower case letters and digits, every other run one "-", at most
// 64 bytes; "prompt" when nothing is left.
func slug(prompt string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(prompt) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			if b.Len()+utf8.RuneLen(r) > 64 {
				break
			}
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	return cmp.Or(strings.TrimSuffix(b.String(), "-"), "prompt")
}

// walk lists the files under o.in (none without -in) and marks those not to convert.
func walk(o *options) ([]*item, error) {
	if o.in == "" {
		return nil, nil
	}
	outAbs, _ := filepath.Abs(o.out)
	var items []*item
	err := filepath.WalkDir(o.in, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == o.in {
				return err
			}
			items = append(items, &item{rel: rel(o.in, path), in: path, status: statusFailed, note: err.Error()})
			return nil
		}
		if path == o.in {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if !o.recur {
				return filepath.SkipDir
			}
			if abs, _ := filepath.Abs(path); abs == outAbs {
				return filepath.SkipDir // the models we write are not inputs
			}
			return nil
		}
		it := &item{rel: rel(o.in, path), in: path}
		items = append(items, it)
		if fi, err := os.Stat(path); err != nil {
			it.status, it.note = statusFailed, err.Error()
		} else if !fi.Mode().IsRegular() {
			it.status, it.note = statusSkipped, "not a regular file"
		} else if !isImage(path) {
			it.status, it.note = statusSkipped, "not an image"
		}
		return nil
	})
	return items, err
}

// rel returns path relative to root.
func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

// isImage reports whether the file at path is to be converted: an image extension, or an image
// signature in its first bytes (as imagecheck recognises it).
func isImage(path string) bool {
	if slices.Contains(imageExts, strings.ToLower(filepath.Ext(path))) {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	// Check names the format once the signature matches, even when the rest is cut off.
	info, _ := imagecheck.Check(bytes.NewReader(head[:n]), imagecheck.Limits{})
	return info.Format != ""
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		return cli.ParseFailed("batch", err, stderr)
	}
	items, err := scan(o)
	if err != nil {
		fmt.Fprintf(stderr, "batch: %v\n", err)
		return cli.ExitFailed
	}
	models, err := o.models.Open() // once: every file shares the sessions
	if err != nil {
		fmt.Fprintf(stderr, "batch: %v\n", err)
		return cli.ExitUsage
	}
	defer models.Close()
	if !o.quiet {
		for _, n := range models.Notes {
			fmt.Fprintf(stderr, "batch: %s\n", n)
		}
	}
	g, err := cli.OpenGeneratorModels(o.backend, o.remote, models)
	if err != nil {
		fmt.Fprintf(stderr, "batch: %v\n", err)
		return cli.FailStatus(err)
	}
	defer g.Close()
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintf(stderr, "batch: %v\n", err)
		return cli.ExitFailed
	}

	start := time.Now()
	var todo []*item
	for _, it := range items {
		if it.status == statusPending {
			todo = append(todo, it)
		}
	}
	p := newProgress(o, stdout, stderr, len(todo))
	p.begin(items, g.Backend())

	var grp errgroup.Group
	grp.SetLimit(o.jobs)
	for _, it := range todo {
		if ctx.Err() != nil {
			break
		}
		grp.Go(func() error {
			convert(ctx, g, o, it, p)
			return nil // keep going: a file's failure is in its row
		})
	}
	grp.Wait()
	p.end(todo)
	if o.sheet != "" {
		if err := writeSheet(ctx, o.sheet, items); err != nil {
			fmt.Fprintf(stderr, "batch: -contact-sheet: %v\n", err)
			return cli.ExitFailed
		}
	}
	return summarize(o, items, time.Since(start), stdout, stderr)
}

// sheetTile is the side of a contact sheet's previews, in pixels.
const sheetTile = 192

// writeSheet writes the contact sheet of the converted items, in name order.
func writeSheet(ctx context.Context, path string, items []*item) error {
	var tiles []cli.SheetTile
	for _, it := range items {
		if it.tile != nil {
			tiles = append(tiles, cli.SheetTile{Image: it.tile, Caption: it.rel})
		}
	}
	sheet := cli.ContactSheet(tiles, sheetTile, 0)
	return cli.WriteAtomic(ctx, path, func(w io.Writer) error { return png.Encode(w, sheet) })
}

// convertHook, when not nil, is called as each conversion starts, and the function it returns
// as the conversion ends. Only tests set it, to see how many conversions run at once.
var convertHook func() (end func())

// convert builds one image's mesh and writes it, whole or not at all, and records the outcome.
func convert(ctx context.Context, g *generator.Generator, o *options, it *item, p *progress) {
	if ctx.Err() != nil {
		return // left pending: reported as not started
	}
	start := time.Now()
	p.start(it)
	if convertHook != nil {
		defer convertHook()()
	}
	err := func() error {
		req := o.req
		req.Progress = func(stage string, fraction float64) { p.update(it, stage, fraction) }
		var res *generator.Result
		var err error
		if it.prompt != "" {
			res, err = g.GenerateText(ctx, it.prompt, req)
		} else {
			f, ferr := os.Open(it.in)
			if ferr != nil {
				return ferr
			}
			defer f.Close()
			req.Reader = f
			res, err = g.Generate(ctx, req)
		}
		if err != nil {
			return err
		}
		p.update(it, "write", 1)
		if err := os.MkdirAll(filepath.Dir(it.out), 0o755); err != nil {
			return err
		}
		if _, err := cli.WriteMesh(ctx, it.out, res.Mesh, o.format, o.enc, o.objSingle); err != nil {
			return fmt.Errorf("writing %s: %w", it.out, err)
		}
		if o.sheet != "" {
			if it.tile, err = cli.RenderTile(ctx, res.Mesh, sheetTile); err != nil {
				return err
			}
		}
		it.report = &res.Report // the mesh itself is dropped here
		return nil
	}()
	it.seconds = time.Since(start).Seconds()
	switch {
	case err == nil:
		it.status = statusOK
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		it.status, it.note = statusCancelled, "interrupted"
	default:
		it.status, it.note = statusFailed, err.Error()
	}
	p.finish(it)
}

// progress reports on stderr (lines, or a bar on a terminal) and, with -json, streams the
// per-file objects on stdout. Its methods are called from the workers.
type progress struct {
	mu             sync.Mutex
	o              *options
	stdout, stderr io.Writer
	terminal       bool
	total, done    int
	nfailed        int
	running        []*item // in the order they started
	lastDraw       time.Time
	lastLine       string
	enc            *json.Encoder
	drawn          bool
}

func newProgress(o *options, stdout, stderr io.Writer, total int) *progress {
	p := &progress{o: o, stdout: stdout, stderr: stderr, total: total, terminal: cli.IsTerminal(stderr)}
	if o.json {
		p.enc = json.NewEncoder(stdout)
	}
	return p
}

// begin says what is about to happen, and emits the JSON objects of the files already decided.
func (p *progress) begin(items []*item, backend string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var exist, other, bad int
	for _, it := range items {
		switch {
		case it.status == statusSkipped && it.note == "output exists":
			exist++
		case it.status == statusSkipped:
			other++
		case it.status == statusFailed:
			bad++
		}
		if it.status != statusPending {
			p.emit(it)
		}
	}
	if p.o.quiet {
		return
	}
	where := p.o.in
	switch {
	case p.o.in == "":
		where = p.o.prompts
	case p.o.prompts != "":
		where += " and " + p.o.prompts
	}
	fmt.Fprintf(p.stderr, "batch: %d files in %s: %d to convert on %s, %d jobs at once", len(items), where, p.total, backend, min(p.o.jobs, max(p.total, 1)))
	if exist > 0 {
		fmt.Fprintf(p.stderr, "; %d skipped, their output exists (-force replaces it)", exist)
	}
	if other > 0 {
		fmt.Fprintf(p.stderr, "; %d skipped, not images", other)
	}
	if bad > 0 {
		fmt.Fprintf(p.stderr, "; %d failed", bad)
	}
	fmt.Fprintln(p.stderr)
}

func (p *progress) start(it *item) {
	p.mu.Lock()
	defer p.mu.Unlock()
	it.started = true
	p.running = append(p.running, it)
}

// update records a file's stage; it prints a line when the stage changes (or redraws the bar).
func (p *progress) update(it *item, stage string, fraction float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := stage != it.stage
	it.stage, it.fraction = stage, fraction
	if p.o.quiet {
		return
	}
	if p.terminal {
		if changed || time.Since(p.lastDraw) >= 100*time.Millisecond {
			p.draw()
		}
		return
	}
	if changed {
		fmt.Fprintf(p.stderr, "[%d/%d] %s: %s\n", p.done, p.total, it.rel, stage)
	}
}

// finish records a file's outcome.
func (p *progress) finish(it *item) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if it.status == statusFailed {
		p.nfailed++
	}
	if i := slices.Index(p.running, it); i >= 0 {
		p.running = slices.Delete(p.running, i, i+1)
	}
	p.emit(it)
	if p.o.quiet {
		if it.status == statusFailed {
			fmt.Fprintf(p.stderr, "batch: %s: %s\n", it.rel, it.note)
		}
		return
	}
	if p.terminal {
		if it.status == statusFailed {
			fmt.Fprintf(p.stderr, "\r\033[Kbatch: %s: %s\n", it.rel, it.note) // above the bar
			p.lastLine = ""
		}
		p.draw()
		return
	}
	line := string(it.status)
	switch it.status {
	case statusOK:
		line = fmt.Sprintf("done, %d faces, %.2f s", it.report.Faces, it.seconds)
	case statusFailed, statusCancelled:
		line += ": " + it.note
	}
	fmt.Fprintf(p.stderr, "[%d/%d] %s: %s\n", p.done, p.total, it.rel, line)
}

// draw redraws the terminal bar: overall progress, counts, and the oldest file in flight.
func (p *progress) draw() {
	p.lastDraw = time.Now()
	frac := float64(p.done)
	for _, it := range p.running {
		frac += it.fraction
	}
	if p.total > 0 {
		frac /= float64(p.total)
	}
	const width = 24
	n := min(width, max(0, int(frac*width)))
	line := fmt.Sprintf("[%s%s] %3d%% %d/%d", strings.Repeat("#", n), strings.Repeat("-", width-n), int(frac*100), p.done, p.total)
	if p.nfailed > 0 {
		line += fmt.Sprintf(", %d failed", p.nfailed)
	}
	if len(p.running) > 0 {
		it := p.running[0]
		name := it.rel
		if r := []rune(name); len(r) > 32 {
			name = "…" + string(r[len(r)-31:])
		}
		line += fmt.Sprintf(" | %s %s", name, it.stage)
		if len(p.running) > 1 {
			line += fmt.Sprintf(" +%d", len(p.running)-1)
		}
	}
	if line != p.lastLine {
		fmt.Fprint(p.stderr, "\r\033[K"+line)
		p.lastLine, p.drawn = line, true
	}
}

// end marks the files that an interruption kept from starting, and clears the bar.
func (p *progress) end(todo []*item) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, it := range todo {
		if it.status == statusPending {
			it.status, it.note = statusCancelled, "not started"
			p.emit(it)
		}
	}
	if p.drawn {
		fmt.Fprint(p.stderr, "\r\033[K")
	}
}

// fileJSON is one file's -json object.
type fileJSON struct {
	File   string `json:"file"`
	Status status `json:"status"`
	Input  string `json:"input"`
	Prompt string `json:"prompt,omitempty"`
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	Reason string `json:"reason,omitempty"`
	*cli.Result
}

// emit writes it's -json object, when -json is set.
func (p *progress) emit(it *item) {
	if p.enc == nil {
		return
	}
	j := fileJSON{File: filepath.ToSlash(it.rel), Status: it.status, Input: it.in, Prompt: it.prompt}
	switch it.status {
	case statusOK:
		r := cli.NewResult(it.in, it.out, it.report, it.seconds)
		j.Result, j.Output = &r, it.out
	case statusFailed, statusCancelled:
		j.Error = it.note
	case statusSkipped:
		j.Reason = it.note
		j.Output = it.out
	}
	p.enc.Encode(j)
}

// summaryJSON is the last -json object.
type summaryJSON struct {
	Summary struct {
		Files     int     `json:"files"`
		Converted int     `json:"converted"`
		Failed    int     `json:"failed"`
		Skipped   int     `json:"skipped"`
		Cancelled int     `json:"cancelled"`
		Faces     int     `json:"faces"`
		Seconds   float64 `json:"seconds"`
	} `json:"summary"`
}

// summarize prints the table (or the -json summary object) and returns the exit status.
func summarize(o *options, items []*item, elapsed time.Duration, stdout, stderr io.Writer) int {
	var s summaryJSON
	t := &s.Summary
	t.Files, t.Seconds = len(items), cli.Round(elapsed.Seconds(), 1e-3)
	for _, it := range items {
		switch it.status {
		case statusOK:
			t.Converted++
			t.Faces += it.report.Faces
		case statusFailed:
			t.Failed++
		case statusSkipped:
			t.Skipped++
		case statusCancelled:
			t.Cancelled++
		}
	}
	switch {
	case o.json:
		json.NewEncoder(stdout).Encode(s)
	case !o.quiet:
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tSTATUS\tMODE\tFACES\tCLOSED\tPIECES\tFIT\tSECONDS\tNOTE")
		for _, it := range items {
			mode, faces, closed, pieces, fit, secs := "-", "-", "-", "-", "-", "-"
			if it.report != nil {
				mode, faces, closed = string(it.report.Mode), fmt.Sprint(it.report.Faces), cli.YesNo(cli.Closed(it.report))
				pieces, fit = fmt.Sprint(it.report.Pieces), cli.Fit(it.report)
			}
			if it.status == statusOK || it.status == statusFailed && it.seconds > 0 {
				secs = fmt.Sprintf("%.2f", it.seconds)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.rel, it.status, mode, faces, closed, pieces, fit, secs, oneLine(it.note))
		}
		tw.Flush()
		fmt.Fprintf(stdout, "\n%d files: %d converted, %d failed, %d skipped", t.Files, t.Converted, t.Failed, t.Skipped)
		if t.Cancelled > 0 {
			fmt.Fprintf(stdout, ", %d cancelled", t.Cancelled)
		}
		fmt.Fprintf(stdout, "; %d faces in %.2f s\n", t.Faces, elapsed.Seconds())
	}
	if t.Cancelled > 0 && !o.quiet {
		fmt.Fprintln(stderr, "batch: interrupted")
	}
	if t.Failed > 0 || t.Cancelled > 0 {
		return cli.ExitFailed
	}
	return cli.ExitOK
}

// oneLine keeps a note on its table row.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
