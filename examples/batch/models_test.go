package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orfeas3d/orfeas/internal/onnxtest"
)

// -segment-model reaches every file's generation through the one shared session.
func TestSegmentModelFlag(t *testing.T) {
	lib := onnxtest.Library(t, "../..")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	os.MkdirAll(in, 0o755)
	model := filepath.Join(dir, "red.onnx")
	if err := os.WriteFile(model, onnxtest.RedSubjectModel(64), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, r := range []float64{30, 40} {
		img, _ := onnxtest.RedDiscPhoto(160, 120, r)
		var buf bytes.Buffer
		png.Encode(&buf, img)
		os.WriteFile(filepath.Join(in, string(rune('a'+i))+".png"), buf.Bytes(), 0o644)
	}
	code, stdout, stderr := runBatch(context.Background(), "-in", in, "-out", out, "-quality", "draft", "-backend", "cpu",
		"-j", "2", "-json", "-segment-model", model, "-onnxruntime", lib)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	n := 0
	dec := json.NewDecoder(strings.NewReader(stdout))
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		if _, ok := r["input"]; !ok {
			continue // the totals
		}
		n++
		if r["mode"] != "inflate" || r["mask_source"] != "model" || r["closed"] != true {
			t.Errorf("result %v", r)
		}
	}
	if n != 2 {
		t.Fatalf("%d results in %s", n, stdout)
	}
	closedSTL(t, filepath.Join(out, "a.stl"))
}

func TestModelFlagErrors(t *testing.T) {
	in, out := folder(t)
	code, _, stderr := runBatch(context.Background(), "-in", in, "-out", out, "-segment-model", filepath.Join(in, "nope.onnx"))
	if code != 2 || !strings.Contains(stderr, "-segment-model") {
		t.Fatalf("exit %d, stderr %q; want 2 naming -segment-model", code, stderr)
	}
	if got, err := os.ReadDir(out); err == nil && len(got) != 0 {
		t.Fatalf("outputs written: %v", got)
	}
}
