package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.stl")
	if err := WriteAtomic(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "first")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A failed write leaves the old file and no temporary.
	boom := errors.New("boom")
	if err := WriteAtomic(context.Background(), path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	// Cancellation during the write stops it at the next Write.
	ctx, cancel := context.WithCancel(context.Background())
	if err := WriteAtomic(ctx, path, func(w io.Writer) error {
		io.WriteString(w, "x")
		cancel()
		_, err := io.WriteString(w, "y")
		return err
	}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("file holds %q, want %q", b, "first")
	}
	if err := WriteAtomic(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "second")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "second" {
		t.Errorf("file holds %q, want %q", b, "second")
	}
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644) {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want just m.stl: %v", len(entries), entries)
	}
}

func TestRequestFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // "" for success
	}{
		{[]string{"-mode", "Lithophane", "-quality", "9", "-width", "80", "-frame-width", "4"}, ""},
		{[]string{"-quality", "11"}, "outside the 1–10 scale"},
		{[]string{"-mode", "sculpt"}, `unknown mode "sculpt"`},
		{[]string{"-width", "-5"}, "width -5 mm"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f := AddRequestFlags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		r, err := f.Request(false)
		if c.want == "" {
			if err != nil || r.Mode != generator.Lithophane || r.Quality != generator.Ultra || r.Width != 80 || r.Lithophane.FrameWidth != 4 {
				t.Errorf("%q: %+v, %v", c.args, r, err)
			}
			continue
		}
		if !IsUsage(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want a usage error with %q", c.args, err, c.want)
		}
	}
}

func TestOpenGenerator(t *testing.T) {
	if _, err := OpenGenerator("tpu"); !IsUsage(err) || !errors.Is(err, generator.ErrInvalidConfig) {
		t.Errorf("err %v, want a usage error wrapping ErrInvalidConfig", err)
	}
	g, err := OpenGenerator("cpu")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Backend() != "cpu" {
		t.Errorf("backend %q", g.Backend())
	}
}

func TestNewFlagSet(t *testing.T) {
	var stderr strings.Builder
	var backend string
	fs := NewFlagSet("prog", "[flags] in...", "Does things.", &stderr, &backend)
	if err := fs.Parse([]string{"x"}); err != nil || backend != "auto" {
		t.Fatalf("default backend %q, err %v", backend, err)
	}
	if err := fs.Parse([]string{"-backend", "cpu"}); err != nil || backend != "cpu" {
		t.Fatalf("backend %q, err %v", backend, err)
	}
	if err := fs.Parse([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v, want flag.ErrHelp (ContinueOnError)", err)
	}
	if !strings.HasPrefix(stderr.String(), "usage: prog [flags] in...\n\nDoes things.\n\nFlags:\n  -backend") {
		t.Fatalf("usage:\n%s", stderr.String())
	}
}

func TestParseFailedAndFailStatus(t *testing.T) {
	var stderr strings.Builder
	if code := ParseFailed("prog", flag.ErrHelp, &stderr); code != ExitOK || stderr.Len() != 0 {
		t.Fatalf("-h: %d, %q", code, stderr.String())
	}
	if code := ParseFailed("prog", errors.New("flag provided but not defined: -x"), &stderr); code != ExitUsage || stderr.Len() != 0 {
		t.Fatalf("bad flag: %d, %q (the flag package has written the message)", code, stderr.String())
	}
	if code := ParseFailed("prog", Usagef("no inputs"), &stderr); code != ExitUsage || stderr.String() != "prog: no inputs\nRun prog -h for help.\n" {
		t.Fatalf("usage error: %d, %q", code, stderr.String())
	}
	if FailStatus(Usagef("x")) != ExitUsage || FailStatus(errors.New("x")) != ExitFailed {
		t.Fatal("FailStatus")
	}
}

func TestRoundPrintsShortDecimals(t *testing.T) {
	for _, c := range []struct{ v, unit, want float64 }{
		{104.41979999, 1e-4, 104.4198},
		{0.0860000001, 1e-3, 0.086},
		{12.5, 0.5, 12.5},
		{7.25, 2, 8},
	} {
		if got := Round(c.v, c.unit); got != c.want {
			t.Errorf("Round(%v, %v) = %v, want %v", c.v, c.unit, got, c.want)
		}
	}
}

// TestFormatLists checks that the flag help lists come from meshio's registry as the programs
// print them.
func TestFormatLists(t *testing.T) {
	if got, want := FormatNames(), "stl, stl-ascii, obj, glb, ply, 3mf"; got != want {
		t.Errorf("FormatNames() = %q, want %q", got, want)
	}
	if got, want := FormatExts(), ".stl, .obj, .glb, .ply, .3mf"; got != want {
		t.Errorf("FormatExts() = %q, want %q", got, want)
	}
}

// TestResultPrintable checks that -json carries what making the mesh printable took, rounded,
// and leaves it out for a backend that reports none.
func TestResultPrintable(t *testing.T) {
	r := &generator.Report{Printable: &backends.Printable{Repaired: true, Solidified: true, HausdorffMM: 0.12345678901, VoxelMM: 0.5}}
	data, err := json.Marshal(NewResult("in.png", "out.stl", r, 1))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); !strings.Contains(s, `"printable":{"repaired":true,"solidified":true,"voxel_mm":0.5,"hausdorff_mm":0.123457`) {
		t.Errorf("JSON %s: no rounded printable figures", s)
	}
	data, _ = json.Marshal(NewResult("in.png", "out.stl", &generator.Report{}, 1))
	if strings.Contains(string(data), "printable") {
		t.Errorf("JSON %s: printable figures for a backend that reported none", data)
	}
}

// TestRemoteFlagsHunyuanOptions checks that the hunyuan flags reach hunyuan.Options, and that
// a -hunyuan-rest the client does not know is a usage error.
func TestRemoteFlagsHunyuanOptions(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	r := AddRemoteFlags(fs)
	if err := fs.Parse([]string{"-hunyuan-url", "http://gpu:8080", "-hunyuan-timeout", "3m",
		"-hunyuan-header-timeout", "45s", "-hunyuan-rest", "stable"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := r.Config("hunyuan")
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.Hunyuan
	if h.URL != "http://gpu:8080" || h.Timeout != 3*time.Minute || h.HeaderTimeout != 45*time.Second || h.Rest != hunyuan.RestStableFace {
		t.Errorf("options %+v", h)
	}
	r.HunyuanRest = "sideways"
	if _, err := r.Config("hunyuan"); !IsUsage(err) || !strings.Contains(err.Error(), "-hunyuan-rest") {
		t.Errorf("err %v, want a usage error naming -hunyuan-rest", err)
	}
	r.HunyuanRest = ""
	if cfg, err := r.Config("hunyuan"); err != nil || cfg.Hunyuan.Rest != hunyuan.RestLowest {
		t.Errorf("default rest: %v, %v", cfg.Hunyuan.Rest, err)
	}
}

func TestColourless(t *testing.T) {
	for _, c := range []struct {
		f       meshio.Format
		preview bool
		want    bool
	}{
		{meshio.STL, false, true}, {meshio.STLASCII, false, true}, {meshio.STL, true, false},
		{meshio.OBJ, false, false}, {meshio.GLB, false, false}, {meshio.PLY, false, false}, {meshio.ThreeMF, false, false},
	} {
		if got := Colourless(c.f, c.preview); got != c.want {
			t.Errorf("Colourless(%v, %v) = %v, want %v", c.f, c.preview, got, c.want)
		}
	}
}
