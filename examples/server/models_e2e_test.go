package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/orfeas3d/orfeas/internal/onnxtest"
)

// -segment-model end to end through the server (here from its environment variable): a photo's
// subject comes from the model, and the job's report says so.
func TestSegmentModelEndToEnd(t *testing.T) {
	lib := onnxtest.Library(t, "../..")
	dir := t.TempDir()
	model := filepath.Join(dir, "red.onnx")
	if err := os.WriteFile(model, onnxtest.RedSubjectModel(64), 0o644); err != nil {
		t.Fatal(err)
	}
	img, _ := onnxtest.RedDiscPhoto(200, 150, 45)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	photo := filepath.Join(dir, "photo.png")
	os.WriteFile(photo, buf.Bytes(), 0o644)

	p := startServer(t, filepath.Join(dir, "data"), "ORFEAS_SEGMENT_MODEL="+model, "ORFEAS_ONNXRUNTIME_LIB="+lib)
	id := upload(t, p.base, photo)
	generate(t, p.base, id, "stl")
	if n, last := events(t, p.base, id); n == 0 || last["status"] != "completed" {
		t.Fatalf("%d events, last %v", n, last)
	}
	downloadClosed(t, p.base, id, "stl")
	_, st := getJSON(t, p.base+"/api/job-status/"+id)
	rep, _ := st["report"].(map[string]any)
	im, _ := rep["image"].(map[string]any)
	if rep["mode"] != "inflate" || im["mask_source"] != "model" || im["segmenter"] != "red.onnx (cpu)" {
		t.Fatalf("report mode %v, image %v", rep["mode"], im)
	}
}
