package estimators

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/internal/onnxtest"
)

func decodeSample(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open("../testdata/images/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := imagecheck.Decode(context.Background(), f, imagecheck.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// The real IS-Net model on composites whose truth is known: clip art (the armadillo's alpha,
// the horse's black silhouette) pasted onto the sample photos.
func TestISNetComposites(t *testing.T) {
	model := onnxtest.ISNetModel(t, "..")
	rt := testRuntime(t, RuntimeOptions{})
	start := time.Now()
	m, err := rt.LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s loaded in %v: %+v", filepath.Base(model), time.Since(start), m.Info())
	seg, err := NewSegmenter(m, SegmentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	armadillo, horse := decodeSample(t, "armadillo.png"), decodeSample(t, "horse.png")
	objects := []struct {
		name  string
		img   image.Image
		alpha func(x, y int) float64
	}{
		{"armadillo", armadillo, func(x, y int) float64 {
			_, _, _, a := armadillo.At(x, y).RGBA()
			return float64(a) / 65535
		}},
		{"horse", horse, func(x, y int) float64 {
			r, _, _, _ := horse.At(x, y).RGBA()
			return 1 - float64(r)/65535 // black on white: darkness is the subject
		}},
	}
	// Backgrounds with no object of their own (IS-Net finds the salient object, and the cup in
	// coffee.png is one): the wooden table right of the cup, the grass right of the cameraman.
	backgrounds := []struct {
		name string
		r    image.Rectangle
	}{{"coffee.png", image.Rect(480, 0, 600, 400)}, {"camera.png", image.Rect(405, 245, 512, 470)}}
	if testing.Short() {
		backgrounds = backgrounds[:1]
	}
	for _, b := range backgrounds {
		bgName := b.name
		bg := decodeSample(t, b.name).(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(b.r)
		for _, o := range objects {
			img, truth := onnxtest.Composite(o.img, o.alpha, bg, 480, 360, 0.6, 0.5, 0.55)
			start := time.Now()
			matte, err := seg.Segment(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			iou := onnxtest.IoU(Binarize(matte, 128), truth)
			t.Logf("%s on %s: IoU %.3f in %v", o.name, bgName, iou, time.Since(start))
			if iou < 0.8 {
				t.Errorf("%s on %s: IoU %.3f, want ≥ 0.8", o.name, bgName, iou)
			}
		}
	}
}
