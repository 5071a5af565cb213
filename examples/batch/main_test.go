package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// writePNG writes a small grey image whose pattern depends on seed.
func writePNG(t *testing.T, path string, seed int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.SetGray(x, y, color.Gray{uint8((x*(seed+1)*4 + y*(3-seed)*5) & 0xff)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// folder makes the test's input folder: three images, a corrupt one, a text file and a hidden file.
func folder(t *testing.T) (in, out string) {
	t.Helper()
	dir := t.TempDir()
	in, out = filepath.Join(dir, "in"), filepath.Join(dir, "out", "models")
	for i, name := range []string{"a.png", "b.png", "c.png"} {
		writePNG(t, filepath.Join(in, name), i)
	}
	good, _ := os.ReadFile(filepath.Join(in, "a.png"))
	os.WriteFile(filepath.Join(in, "broken.png"), good[:len(good)/2], 0o644)
	os.WriteFile(filepath.Join(in, "notes.txt"), []byte("not a picture\n"), 0o644)
	os.WriteFile(filepath.Join(in, ".hidden.png"), []byte("ignored"), 0o644)
	return in, out
}

// entries lists the names in dir, sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// closedSTL checks that path holds a closed mesh and returns its bytes.
func closedSTL(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := meshio.Decode(bytes.NewReader(data), meshio.STL)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if top := m.Topology(); !top.Closed() || top.Faces == 0 {
		t.Errorf("%s: not a closed mesh: %+v", path, top)
	}
	return data
}

// row returns the table row of file in out, split into fields.
func row(t *testing.T, table, file string) []string {
	t.Helper()
	for line := range strings.Lines(table) {
		if f := strings.Fields(line); len(f) > 0 && f[0] == file {
			return f
		}
	}
	t.Fatalf("no row for %s in\n%s", file, table)
	return nil
}

func runBatch(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(ctx, args, &o, &e)
	return code, o.String(), e.String()
}

func TestFolder(t *testing.T) {
	in, out := folder(t)
	args := []string{"-in", in, "-out", out, "-quality", "draft", "-backend", "cpu", "-j", "2"}
	code, stdout, stderr := runBatch(context.Background(), args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 for the corrupt file; stderr:\n%s", code, stderr)
	}
	if got, want := entries(t, out), []string{"a.stl", "b.stl", "c.stl"}; !slices.Equal(got, want) {
		t.Fatalf("output folder holds %q, want %q", got, want)
	}
	first := map[string][]byte{}
	for _, name := range []string{"a", "b", "c"} {
		first[name] = closedSTL(t, filepath.Join(out, name+".stl"))
	}
	// The table: one row per file, sorted, then the totals.
	var files []string
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[0], "FILE") {
		t.Fatalf("no table header:\n%s", stdout)
	}
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		files = append(files, strings.Fields(l)[0])
	}
	if want := []string{"a.png", "b.png", "broken.png", "c.png", "notes.txt"}; !slices.Equal(files, want) {
		t.Errorf("table rows %q, want %q", files, want)
	}
	for _, f := range []string{"a.png", "b.png", "c.png"} {
		r := row(t, stdout, f)
		if r[1] != "ok" || r[2] != "relief" || r[3] == "0" || r[4] != "yes" {
			t.Errorf("row %q", r)
		}
	}
	if r := row(t, stdout, "broken.png"); r[1] != "failed" || !strings.Contains(strings.Join(r, " "), "imagecheck: corrupt image") {
		t.Errorf("corrupt file's row %q", r)
	}
	if r := row(t, stdout, "notes.txt"); r[1] != "skipped" || !strings.Contains(strings.Join(r, " "), "not an image") {
		t.Errorf("text file's row %q", r)
	}
	if !strings.Contains(lines[len(lines)-1], "5 files: 3 converted, 1 failed, 1 skipped") {
		t.Errorf("totals %q", lines[len(lines)-1])
	}
	// Progress: lines (stderr is not a terminal), counting finished files.
	for _, want := range []string{"a.png: decode\n", "b.png: finish\n", "[4/4] ", "broken.png: failed: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "\r") || strings.Contains(stderr, ".hidden") {
		t.Errorf("stderr:\n%s", stderr)
	}

	// Again: every output exists, so nothing is converted; a damaged output stays as it is.
	os.WriteFile(filepath.Join(out, "a.stl"), []byte("damaged"), 0o644)
	code, stdout, stderr = runBatch(context.Background(), append(args, "-q")...)
	if code != 1 || stderr == "" || stdout != "" {
		t.Errorf("-q rerun: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runBatch(context.Background(), args...)
	for _, f := range []string{"a.png", "b.png", "c.png"} {
		if r := row(t, stdout, f); r[1] != "skipped" || !strings.Contains(strings.Join(r, " "), "output exists") {
			t.Errorf("rerun: row %q", r)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "a.stl")); string(b) != "damaged" || code != 1 {
		t.Errorf("rerun without -force: exit %d, a.stl holds %d bytes", code, len(b))
	}

	// -force regenerates, to the same bytes.
	code, stdout, _ = runBatch(context.Background(), append(args, "-force", "-json", "-q")...)
	if code != 1 {
		t.Errorf("-force: exit %d", code)
	}
	for _, name := range []string{"a", "b", "c"} {
		if !bytes.Equal(closedSTL(t, filepath.Join(out, name+".stl")), first[name]) {
			t.Errorf("%s.stl differs after -force", name)
		}
	}
	// -json: one object per file, then the summary.
	dec := json.NewDecoder(strings.NewReader(stdout))
	byFile := map[string]map[string]any{}
	var summary map[string]any
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("-json output does not parse: %v\n%s", err, stdout)
		}
		if s, ok := m["summary"]; ok {
			summary = s.(map[string]any)
			if dec.More() {
				t.Errorf("objects after the summary")
			}
			continue
		}
		byFile[m["file"].(string)] = m
	}
	if len(byFile) != 5 || summary == nil {
		t.Fatalf("%d file objects, summary %v:\n%s", len(byFile), summary, stdout)
	}
	if a := byFile["a.png"]; a["status"] != "ok" || a["closed"] != true || a["mode"] != "relief" || a["output"] != filepath.Join(out, "a.stl") || a["faces"].(float64) <= 0 {
		t.Errorf("a.png: %v", a)
	}
	if b := byFile["broken.png"]; b["status"] != "failed" || !strings.Contains(b["error"].(string), "imagecheck: corrupt image") {
		t.Errorf("broken.png: %v", b)
	}
	if n := byFile["notes.txt"]; n["status"] != "skipped" || n["reason"] != "not an image" {
		t.Errorf("notes.txt: %v", n)
	}
	if summary["files"] != 5.0 || summary["converted"] != 3.0 || summary["failed"] != 1.0 || summary["skipped"] != 1.0 {
		t.Errorf("summary %v", summary)
	}
}

// cancelOn is a stderr that cancels the run once a progress line contains trigger.
type cancelOn struct {
	mu      sync.Mutex
	b       bytes.Buffer
	trigger string
	cancel  context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.Contains(p, []byte(c.trigger)) {
		c.cancel()
	}
	return c.b.Write(p)
}

func TestCancel(t *testing.T) {
	in, out := folder(t)
	args := []string{"-in", in, "-out", out, "-quality", "draft", "-backend", "cpu", "-j", "1"}

	// Cancelled before it starts: nothing is written, every image is reported cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := runBatch(ctx, args...)
	if code != 1 || !strings.Contains(stderr, "interrupted") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if names := entries(t, out); len(names) != 0 {
		t.Errorf("output folder holds %q", names)
	}
	if r := row(t, stdout, "a.png"); r[1] != "cancelled" {
		t.Errorf("row %q", r)
	}

	// Cancelled while the second image is in flight: the first is whole, no temporary is left.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOn{trigger: "b.png: prepare", cancel: cancel}
	var o bytes.Buffer
	if code := run(ctx, args, &o, w); code != 1 {
		t.Errorf("exit %d", code)
	}
	if got := entries(t, out); !slices.Equal(got, []string{"a.stl"}) {
		t.Errorf("output folder holds %q, want just a.stl", got)
	}
	closedSTL(t, filepath.Join(out, "a.stl"))
	for _, f := range []string{"b.png", "broken.png", "c.png"} {
		if r := row(t, o.String(), f); r[1] != "cancelled" {
			t.Errorf("row %q", r)
		}
	}
	if r := row(t, o.String(), "c.png"); !strings.Contains(strings.Join(r, " "), "not started") {
		t.Errorf("row %q", r)
	}
	if !strings.Contains(o.String(), "1 converted, 0 failed, 1 skipped, 3 cancelled") {
		t.Errorf("summary:\n%s", o.String())
	}
}

func TestRecursiveAndCollisions(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writePNG(t, filepath.Join(in, "sub", "d.png"), 1)
	// An image without an image extension is found by its signature.
	writePNG(t, filepath.Join(in, "scan"), 2)
	// Two images with one output name fail, without stopping the rest.
	os.WriteFile(filepath.Join(in, "x.png"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(in, "x.jpg"), []byte("x"), 0o644)
	// An output folder inside the input folder is not searched.
	out := filepath.Join(in, "models")
	writePNG(t, filepath.Join(out, "old.png"), 0)

	code, stdout, stderr := runBatch(context.Background(), "-in", in, "-out", out, "-r", "-quality", "draft", "-backend", "cpu", "-format", "obj")
	if code != 1 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "sub", "d.obj")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(out, "scan.obj")); err != nil {
		t.Error(err)
	}
	for _, f := range []string{"x.jpg", "x.png"} {
		if r := row(t, stdout, f); r[1] != "failed" || !strings.Contains(strings.Join(r, " "), "would all be written to") {
			t.Errorf("row %q", r)
		}
	}
	if strings.Contains(stdout, "old.png") {
		t.Errorf("the output folder was searched:\n%s", stdout)
	}
	if !strings.Contains(stdout, filepath.Join("sub", "d.png")) {
		t.Errorf("no row for sub/d.png:\n%s", stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	os.WriteFile(file, nil, 0o644)
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-out is required, and -in or -prompts"},
		{[]string{"-in", dir}, "-out is required, and -in or -prompts"},
		{[]string{"-in", filepath.Join(dir, "nope"), "-out", out}, "-in: "},
		{[]string{"-in", file, "-out", out}, "is not a folder"},
		{[]string{"-in", dir, "-out", file}, "is not a folder"},
		{[]string{"-in", dir, "-out", out, "extra"}, `unexpected argument "extra"`},
		{[]string{"-in", dir, "-out", out, "-j", "0"}, "-j 0"},
		{[]string{"-in", dir, "-out", out, "-format", "fbx"}, "-format"},
		{[]string{"-in", dir, "-out", out, "-mode", "sculpt"}, `unknown mode "sculpt"`},
		{[]string{"-in", dir, "-out", out, "-quality", "11"}, "outside the 1–10 scale"},
		{[]string{"-in", dir, "-out", out, "-backend", "tpu"}, `unknown backend "tpu"`},
		{[]string{"-in", dir, "-out", out, "-bogus"}, "flag provided but not defined"},
	} {
		code, stdout, stderr := runBatch(context.Background(), c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a usage error created -out: %v", err)
	}
	if code, _, stderr := runBatch(context.Background(), "-h"); code != 0 || !strings.Contains(stderr, "usage: batch") {
		t.Errorf("-h: exit %d, %q", code, stderr)
	}
}

func TestProgressBar(t *testing.T) {
	var stdout, stderr bytes.Buffer
	p := newProgress(&options{in: "in", jobs: 2}, &stdout, &stderr, 2)
	p.terminal = true // as when stderr is a terminal
	a := &item{rel: "a.png"}
	b := &item{rel: "b.png"}
	p.begin([]*item{a, b}, "cpu")
	p.start(a)
	p.start(b)
	p.update(a, "decode", 0.02)
	p.update(b, "decode", 0.5)
	a.status, a.note = statusFailed, "imagecheck: corrupt image"
	p.finish(a)
	p.update(b, "finish", 0.96)
	p.end([]*item{a, b})
	s := stderr.String()
	for _, want := range []string{
		"batch: 2 files in in: 2 to convert on cpu, 2 jobs at once\n",
		"\r\033[K[######------------------]  26% 0/2 | a.png decode +1",
		"\r\033[Kbatch: a.png: imagecheck: corrupt image\n",
		"\r\033[K[##################------]  75% 1/2, 1 failed | b.png decode",
		"\r\033[K[#######################-]  98% 1/2, 1 failed | b.png finish",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("stderr lacks %q:\n%q", want, s)
		}
	}
	if !strings.HasSuffix(s, "\r\033[K") || strings.Count(s, "\n") != 2 {
		t.Errorf("the bar is not cleared at the end, or lines were written: %q", s)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q", stdout.String())
	}
}

// TestIsImage: image extensions are taken on their word; other files by their signature, which
// sits in the first bytes even of files much longer than what is read.
func TestIsImage(t *testing.T) {
	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	for name, enc := range map[string]func(io.Writer) error{
		"png":  func(w io.Writer) error { return png.Encode(w, img) },
		"jpeg": func(w io.Writer) error { return jpeg.Encode(w, img, nil) },
		"gif":  func(w io.Writer) error { return gif.Encode(w, img, nil) },
		"bmp":  func(w io.Writer) error { return bmp.Encode(w, img) },
		"tiff": func(w io.Writer) error { return tiff.Encode(w, img, nil) },
	} {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			t.Fatal(err)
		}
		if b.Len() < 2048 {
			t.Fatalf("%s: only %d bytes: the test wants files longer than the sniffed head", name, b.Len())
		}
		path := filepath.Join(dir, "no-extension-"+name)
		os.WriteFile(path, b.Bytes(), 0o644)
		if !isImage(path) {
			t.Errorf("%s without an extension is not found", name)
		}
	}
	for name, data := range map[string]string{
		"notes.txt":  "hello",
		"model.stl":  strings.Repeat("solid x\n", 100),
		"empty":      "",
		"broken.PNG": "not a png at all", // named an image: converted, and fails there
		"short.bin":  "\x89PN",
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(data), 0o644)
		if got, want := isImage(path), name == "broken.PNG"; got != want {
			t.Errorf("%s: isImage %v, want %v", name, got, want)
		}
	}
}

// TestConcurrencyBound converts five images with -j 1 and -j 2 and counts the conversions in
// flight: never more than -j, and -j of them at once (the first -j wait for each other, so the
// test sees the overlap that a broken bound would exceed).
func TestConcurrencyBound(t *testing.T) {
	for _, j := range []int{1, 2} {
		dir := t.TempDir()
		in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
		for i := range 5 {
			writePNG(t, filepath.Join(in, fmt.Sprintf("img%d.png", i)), i%3)
		}
		var mu sync.Mutex
		inFlight, peak, started := 0, 0, 0
		together := make(chan struct{})
		convertHook = func() func() {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			started++
			first := started <= j
			if started == j {
				close(together)
			}
			mu.Unlock()
			if first {
				select {
				case <-together:
				case <-time.After(10 * time.Second):
				}
			}
			return func() {
				mu.Lock()
				inFlight--
				mu.Unlock()
			}
		}
		code, stdout, stderr := runBatch(context.Background(), "-in", in, "-out", out, "-quality", "draft", "-backend", "cpu", "-j", fmt.Sprint(j), "-q")
		convertHook = nil
		if code != 0 {
			t.Fatalf("-j %d: exit %d\n%s%s", j, code, stdout, stderr)
		}
		if n := len(entries(t, out)); n != 5 {
			t.Errorf("-j %d: %d outputs, want 5", j, n)
		}
		if started != 5 || peak != j {
			t.Errorf("-j %d: %d conversions, at most %d at once; want 5, %d", j, started, peak, j)
		}
	}
}

// TestContactSheetAnd3MF: -format 3mf converts a folder to 3MF files that read back closed, and
// -contact-sheet writes one PNG holding a tile per converted model.
func TestContactSheetAnd3MF(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	for _, name := range []string{"horse.png", "bison.png"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "images", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(in, name), data, 0o644)
	}
	sheet := filepath.Join(out, "sheet.png")
	code, _, stderr := runBatch(context.Background(), "-q", "-in", in, "-out", out, "-format", "3mf", "-quality", "draft", "-mode", "extrude", "-contact-sheet", sheet)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"horse.3mf", "bison.3mf"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := meshio.Decode(bytes.NewReader(data), meshio.ThreeMF)
		if err != nil || !m.Topology().Closed() {
			t.Errorf("%s: %v", name, err)
		}
	}
	f, err := os.Open(sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Two tiles side by side: the sheet is wider than two tiles and one tile (plus caption) high.
	if b := img.Bounds(); b.Dx() < 2*sheetTile || b.Dy() < sheetTile || b.Dy() > 2*sheetTile {
		t.Errorf("sheet %v for 2 tiles of %d", b, sheetTile)
	}
}

// fakeTxt2Img answers POST /sdapi/v1/txt2img (AUTOMATIC1111) with a PNG drawn from the prompt's
// length, and records the prompts it was asked for.
func fakeTxt2Img(t *testing.T) (url string, prompts func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Prompt string `json:"prompt"`
		}
		if r.URL.Path != "/sdapi/v1/txt2img" || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		mu.Lock()
		seen = append(seen, req.Prompt)
		mu.Unlock()
		img := image.NewGray(image.Rect(0, 0, 64, 48))
		for y := range 48 {
			for x := range 64 {
				img.SetGray(x, y, color.Gray{uint8((x*len(req.Prompt) + y*7) & 0xff)})
			}
		}
		var b bytes.Buffer
		png.Encode(&b, img)
		json.NewEncoder(w).Encode(map[string][]string{"images": {base64.StdEncoding.EncodeToString(b.Bytes())}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Sorted(slices.Values(seen))
	}
}

// TestPrompts checks -prompts: each line a model named by its slug, made through the text-to-image
// provider, alongside -in's images in the table and the -json objects; comments and blank lines
// skipped, two prompts with one slug refused as two images with one name are.
func TestPrompts(t *testing.T) {
	url, prompts := fakeTxt2Img(t)
	in, out := folder(t)
	file := filepath.Join(t.TempDir(), "prompts.txt")
	os.WriteFile(file, []byte("# a comment\nA Ceramic Fox!\n\n  a red vase  \nsame name\nSame  Name\n"), 0o644)

	code, stdout, stderr := runBatch(context.Background(), "-in", in, "-prompts", file, "-out", out, "-txt2img-url", url, "-quality", "draft", "-j", "2", "-json")
	if code != 1 { // broken.png and the clashing slugs fail
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, name := range []string{"a-ceramic-fox.stl", "a-red-vase.stl", "a.stl"} {
		closedSTL(t, filepath.Join(out, name))
	}
	if _, err := os.Stat(filepath.Join(out, "same-name.stl")); err == nil {
		t.Error("same-name.stl written though two prompts share its slug")
	}
	if got, want := prompts(), []string{"A Ceramic Fox!", "a red vase"}; !slices.Equal(got, want) {
		t.Errorf("provider asked for %q, want %q", got, want)
	}
	objs := map[string]map[string]any{}
	for line := range strings.Lines(stdout) {
		var o map[string]any
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if f, ok := o["file"].(string); ok {
			objs[f] = o
		}
	}
	fox := objs["a-ceramic-fox"]
	if fox["status"] != "ok" || fox["prompt"] != "A Ceramic Fox!" || fox["output"] != filepath.Join(out, "a-ceramic-fox.stl") || fox["closed"] != true {
		t.Errorf("fox object %v", fox)
	}
	if o := objs["same-name"]; o["status"] != "failed" || !strings.Contains(o["error"].(string), `prompt "Same  Name"`) {
		t.Errorf("clashing slugs: %v", o)
	}

	// The table: prompts in name order among the files; -in may be left out.
	out2 := filepath.Join(t.TempDir(), "m")
	code, stdout, stderr = runBatch(context.Background(), "-prompts", file, "-out", out2, "-txt2img-url", url, "-quality", "draft", "-force")
	if code != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if r := row(t, stdout, "a-red-vase"); r[1] != "ok" || r[4] != "yes" {
		t.Errorf("row %v", r)
	}
	if !strings.Contains(stdout, "4 files: 2 converted, 2 failed") {
		t.Errorf("summary:\n%s", stdout)
	}
	// Without a provider, a usage error.
	if code, _, stderr := runBatch(context.Background(), "-prompts", file, "-out", out2); code != 2 || !strings.Contains(stderr, "-txt2img-url") {
		t.Errorf("no provider: exit %d, %s", code, stderr)
	}
}

func TestSlug(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"A Ceramic Fox!", "a-ceramic-fox"},
		{"  ..  ", "prompt"},
		{"Café -- au lait", "café-au-lait"},
		{strings.Repeat("ab ", 40), strings.Repeat("ab-", 22)[:64]}, // cut at 64 bytes
	} {
		if got := slug(c.in); got != c.want || len(got) > 64 {
			t.Errorf("slug(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
