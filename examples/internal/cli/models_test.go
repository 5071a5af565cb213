package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/orfeas3d/orfeas/estimators"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/internal/onnxtest"
)

func TestModelFlagsNone(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	m := AddModelFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	ms, err := m.Open()
	if err != nil || ms.Segmenter != nil || ms.Depth != nil {
		t.Fatalf("no model flags: %+v, %v; want nothing loaded and no runtime needed", ms, err)
	}
	var cfg generator.Config
	ms.Apply(&cfg)
	if cfg.Segmenter != nil || cfg.Depth != nil {
		t.Fatal("Apply of no models set an estimator (a typed nil in an interface?)")
	}
	if err := ms.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestModelFlagsErrors(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(model, onnxtest.RedSubjectModel(8), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(estimators.LibraryEnv, "")
	var me *ModelError
	_, err := (&ModelFlags{SegmentModel: filepath.Join(dir, "missing.onnx")}).Open()
	if !errors.As(err, &me) || me.Flag != "segment-model" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing model: %v; want a *ModelError for -segment-model wrapping fs.ErrNotExist", err)
	}
	_, err = (&ModelFlags{DepthModel: model}).Open()
	if !errors.As(err, &me) || me.Flag != "onnxruntime" || !errors.Is(err, estimators.ErrUnavailable) {
		t.Errorf("no runtime: %v; want a *ModelError for -onnxruntime wrapping estimators.ErrUnavailable", err)
	}
	_, err = (&ModelFlags{DepthModel: model, DepthNorm: "weird"}).Open()
	if !errors.As(err, &me) || me.Flag != "depth-norm" || !IsUsage(err) {
		t.Errorf("bad -depth-norm: %v", err)
	}
	// A segmentation model given as the depth model has the wrong layout.
	lib := onnxtest.Library(t, "../../..")
	_, err = (&ModelFlags{DepthModel: model, Runtime: lib}).Open()
	if err != nil {
		t.Logf("a 1×1×S×S model as depth: %v", err) // 1×1×H×W is a depth layout too: accepted
	}
	bad := filepath.Join(dir, "bad.onnx")
	os.WriteFile(bad, []byte("not a model"), 0o644)
	_, err = (&ModelFlags{SegmentModel: bad, Runtime: lib}).Open()
	if !errors.As(err, &me) || me.Flag != "segment-model" || !errors.Is(err, estimators.ErrBadModel) {
		t.Errorf("garbage model: %v; want a *ModelError wrapping estimators.ErrBadModel", err)
	}
}

// The flags reach the generator: a photo segmented by the tiny model is built as the object,
// and the report names the model.
func TestModelFlagsReachGenerator(t *testing.T) {
	lib := onnxtest.Library(t, "../../..")
	dir := t.TempDir()
	model := filepath.Join(dir, "red.onnx")
	if err := os.WriteFile(model, onnxtest.RedSubjectModel(64), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	m := AddModelFlags(fs)
	if err := fs.Parse([]string{"-segment-model", model, "-onnxruntime", lib, "-onnx-provider", "auto"}); err != nil {
		t.Fatal(err)
	}
	ms, err := m.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if ms.Segmenter == nil || ms.Depth != nil || len(ms.Notes) != 1 {
		t.Fatalf("models %+v", ms)
	}
	t.Log(ms.Notes[0])
	g, err := OpenGeneratorModels("cpu", nil, ms)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	img, _ := onnxtest.RedDiscPhoto(160, 120, 35)
	res, err := g.Generate(context.Background(), generator.Request{Decoded: img, Quality: generator.Draft})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	if r.Mode != generator.Inflate || r.Image.MaskSource != generator.MaskModel || r.Image.Segmenter != "red.onnx (cpu)" || !Closed(&r) {
		t.Fatalf("mode %s, image %+v, closed %v", r.Mode, r.Image, Closed(&r))
	}
	if iou := r.Fidelity.SilhouetteIoU; iou == nil || *iou < 0.9 {
		t.Fatalf("silhouette IoU %v", iou)
	}
	if s := SourcesText(&r); s != "subject by red.onnx (cpu)" {
		t.Fatalf("SourcesText %q", s)
	}
}
