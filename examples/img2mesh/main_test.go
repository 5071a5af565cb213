package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const samples = "../../testdata/images/"

func TestMainJob(t *testing.T) {
	out := filepath.Join(t.TempDir(), "model.glb")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-o", out, "-quality", "draft", samples + "astronaut.png"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm()&0o044 != 0o044 {
		t.Errorf("output is not readable by all: %v", fi.Mode())
	}
	data, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(data, []byte("glTF")) {
		t.Fatalf("output is not a GLB file: %v, % x", err, data[:min(8, len(data))])
	}
	if s := stdout.String(); !strings.Contains(s, "relief on cpu") || !strings.Contains(s, "closed yes") || !strings.Contains(s, "100.0 × 100.0 × 7.0 mm") {
		t.Errorf("summary %q", s)
	}
	// stderr is not a terminal here: one plain line per stage.
	for _, stage := range []string{"decode", "prepare", "finish"} {
		if !strings.Contains(stderr.String(), samples+"astronaut.png: "+stage+"\n") {
			t.Errorf("no progress line for %s in %q", stage, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "\r") {
		t.Errorf("a progress bar was drawn on a non-terminal")
	}
}

func TestJSONAndFailures(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "broken.png")
	good, _ := os.ReadFile(samples + "horse.png")
	os.WriteFile(corrupt, good[:len(good)/2], 0o644)
	outDir := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	// Flags after the inputs work too.
	code := run([]string{"-json", samples + "horse.png", corrupt, "-q", samples + "coffee.png", "-quality", "1", "-o", outDir, "-format", "stl"}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1 for one failed input; stderr %s", code, stderr.String())
	}
	var lines []map[string]any
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("%d JSON objects, want 3", len(lines))
	}
	for _, i := range []int{0, 2} {
		m := lines[i]
		for _, k := range []string{"input", "output", "mode", "backend", "faces", "vertices", "closed", "size_mm", "volume_mm3", "max_error_mm", "seconds"} {
			if _, ok := m[k]; !ok {
				t.Errorf("object %d has no %q: %v", i, k, m)
			}
		}
		// Auto inflates the horse (plain background) and the cup the built-in GrabCut finds in
		// the photo.
		wantMode := map[int]string{0: "inflate", 2: "inflate"}[i]
		wantMask := map[int]string{0: "border", 2: "grabcut"}[i]
		if m["closed"] != true || m["mode"] != wantMode || m["backend"] != "cpu" || m["mask_source"] != wantMask {
			t.Errorf("object %d: %v", i, m)
		}
		size := m["size_mm"].([]any)
		if len(size) != 3 || size[0].(float64) != 100 {
			t.Errorf("object %d: size %v", i, size)
		}
		data, err := os.ReadFile(m["output"].(string))
		if err != nil || len(data) < 84 || filepath.Dir(m["output"].(string)) != outDir || filepath.Ext(m["output"].(string)) != ".stl" {
			t.Errorf("object %d: output %v: %v", i, m["output"], err)
		}
	}
	bad := lines[1]
	if bad["input"] != corrupt || !strings.Contains(bad["error"].(string), "imagecheck: corrupt image") || len(bad) != 2 {
		t.Errorf("failed input's object: %v", bad)
	}
	// The message names the input and the reason; -q keeps everything else quiet.
	msg := stderr.String()
	if !strings.HasPrefix(msg, "img2mesh: "+corrupt+": ") || !strings.Contains(msg, "corrupt image") || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "goroutine") {
		t.Errorf("stderr %q", msg)
	}
	if _, err := os.Stat(filepath.Join(outDir, "broken.stl")); !os.IsNotExist(err) {
		t.Errorf("a failed input left an output file: %v", err)
	}
}

func TestMissingInput(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-q", "-o", filepath.Join(t.TempDir(), "x.glb"), "no-such-file.png"}, &stdout, &stderr); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "img2mesh: no-such-file.png: ") || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "no input images"},
		{[]string{"-bogus", "a.png"}, "flag provided but not defined"},
		{[]string{"-quality", "11", "a.png"}, "outside the 1–10 scale"},
		{[]string{"-quality", "best", "a.png"}, `unknown quality "best"`},
		{[]string{"-mode", "sculpt", "a.png"}, `unknown mode "sculpt"`},
		{[]string{"-width", "-5", "a.png"}, "width -5 mm"},
		{[]string{"-mode", "lithophane", "-min-thickness", "3", "-max-thickness", "2", "a.png"}, "minimum thickness 3 mm must be below"},
		{[]string{"-mode", "lithophane", "-depth-map", "d.png", "a.png"}, "relief mode only"},
		{[]string{"-format", "fbx", "a.png"}, "-format"},
		{[]string{"-o", filepath.Join(dir, "model.fbx"), "a.png"}, "no known mesh extension"},
		{[]string{"-o", dir, "x/a.png", "y/a.png"}, "would both be written"},
		{[]string{"-backend", "tpu", samples + "horse.png"}, `unknown backend "tpu"`},
		{[]string{"-width", "abc", "a.png"}, "invalid value"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) || stdout.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "usage: img2mesh") {
		t.Errorf("-h: exit %d, %q", code, stderr.String())
	}
}
