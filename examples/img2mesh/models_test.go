package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orfeas3d/orfeas/internal/onnxtest"
)

// -segment-model reaches the generator: the photo's subject comes from the model, and the mesh
// is the closed object.
func TestSegmentModelFlag(t *testing.T) {
	lib := onnxtest.Library(t, "../..")
	dir := t.TempDir()
	model := filepath.Join(dir, "red.onnx")
	photo := filepath.Join(dir, "photo.png")
	if err := os.WriteFile(model, onnxtest.RedSubjectModel(64), 0o644); err != nil {
		t.Fatal(err)
	}
	img, _ := onnxtest.RedDiscPhoto(200, 150, 45)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.WriteFile(photo, buf.Bytes(), 0o644)
	out := filepath.Join(dir, "disc.stl")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-json", "-quality", "draft", "-segment-model", model, "-onnxruntime", lib, "-o", out, photo}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r["mode"] != "inflate" || r["mask_source"] != "model" || r["segmenter"] != "red.onnx (cpu)" || r["closed"] != true {
		t.Fatalf("result %v", r)
	}
	if !strings.Contains(stderr.String(), "segmentation model") {
		t.Errorf("stderr does not say which model loaded: %q", stderr.String())
	}
}

// A missing model or runtime is a usage error at startup, naming the flag; nothing is built.
func TestModelFlagErrors(t *testing.T) {
	t.Setenv("ORFEAS_ONNXRUNTIME_LIB", "")
	dir := t.TempDir()
	model := filepath.Join(dir, "m.onnx")
	os.WriteFile(model, onnxtest.RedSubjectModel(8), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-segment-model", filepath.Join(dir, "nope.onnx")}, "-segment-model " + filepath.Join(dir, "nope.onnx") + ": stat"},
		{[]string{"-depth-model", filepath.Join(dir, "nope.onnx")}, "-depth-model"},
		{[]string{"-depth-model", model}, "-onnxruntime: estimators: ONNX Runtime unavailable"},
	} {
		var stdout, stderr bytes.Buffer
		out := filepath.Join(dir, "x.stl")
		code := run(append(tc.args, "-o", out, samples+"horse.png"), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: an output was written", tc.args)
		}
	}
}
