package main

import (
	"bytes"
	"encoding/json"
	"image"
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

// The IS-Net model end to end through the CLI: a horse silhouette pasted on the wooden table
// of coffee.png becomes a closed inflated horse, its subject from the model. Runs where the
// model is present (ORFEAS_ISNET_MODEL or scripts/fetch-isnet.sh).
func TestISNetCLI(t *testing.T) {
	lib := onnxtest.Library(t, "../..")
	model := onnxtest.ISNetModel(t, "../..")
	decode := func(name string) image.Image {
		f, err := os.Open(samples + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	horse := decode("horse.png")
	wood := decode("coffee.png").(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(480, 0, 600, 400))
	img, _ := onnxtest.Composite(horse, func(x, y int) float64 {
		r, _, _, _ := horse.At(x, y).RGBA()
		return 1 - float64(r)/65535
	}, wood, 480, 360, 0.6, 0.5, 0.55)
	dir := t.TempDir()
	photo := filepath.Join(dir, "horse-on-wood.png")
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.WriteFile(photo, buf.Bytes(), 0o644)
	out := filepath.Join(dir, "horse.stl")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-json", "-quality", "draft", "-segment-model", model, "-onnxruntime", lib, "-o", out, photo}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r struct {
		Fidelity struct {
			SilhouetteIoU float64 `json:"silhouette_iou"`
		} `json:"fidelity"`
	}
	var m map[string]any
	json.Unmarshal(stdout.Bytes(), &m)
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if m["mode"] != "inflate" || m["mask_source"] != "model" || m["closed"] != true || r.Fidelity.SilhouetteIoU < 0.9 {
		t.Fatalf("result %v", m)
	}
	t.Logf("%s: %v pieces, silhouette IoU %.3f", m["segmenter"], m["pieces"], r.Fidelity.SilhouetteIoU)
}
