package grabcut_test

import (
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/orfeas3d/orfeas/estimators/grabcut"
	"github.com/orfeas3d/orfeas/estimators/grabcut/composite"
)

func load(t *testing.T, name string) image.Image {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "images", name)
	if _, err := os.Stat(p); err != nil {
		p = filepath.Join("testdata", name)
	}
	f, err := os.Open(p)
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
	t.Parallel()
	bison, horse := load(t, "bison.png"), load(t, "horse.png")
	subjects := []composite.Named{
		{Name: "armadillo", Image: load(t, "armadillo.png")},
		{Name: "bison", Image: composite.WithMask(bison, composite.FloodMask(bison, 24))},
		{Name: "horse", Image: composite.WithMask(horse, composite.FloodMask(horse, 24))},
	}
	backgrounds := []composite.Named{
		{Name: "chelsea", Image: load(t, "chelsea.png")},
		{Name: "rocket", Image: load(t, "rocket.jpg")},
		{Name: "brick", Image: load(t, "brick.png")},
		{Name: "coffee", Image: load(t, "coffee.png")},
	}
	// Measured at the defaults (MaxSide 256, Gamma 250, KeepRatio 0.02), minus about 0.03.
	// Horse on coffee is low on purpose: the cup is an object too, and GrabCut takes cup and
	// horse together.
	floors := map[string]float64{
		"armadillo on chelsea": 0.84, "armadillo on rocket": 0.75, "armadillo on brick": 0.60,
		"armadillo on coffee": 0.87, "bison on rocket": 0.94, "bison on brick": 0.94,
		"bison on coffee": 0.81, "bison on chelsea": 0.91, "horse on brick": 0.91,
		"horse on coffee": 0.10, "horse on chelsea": 0.91, "horse on rocket": 0.90,
	}
	cases := composite.Build(subjects, backgrounds, 4, 16, composite.Options{Width: 320, Height: 240})
	if raceBuild {
		// The race detector makes the max-flow about ten times slower: every other case
		// keeps the package's tests near 20 s on two cores. Without -race, all of them.
		var half []composite.Case
		for i := 0; i < len(cases); i += 2 {
			half = append(half, cases[i])
		}
		cases = half
	}
	seg := grabcut.New(grabcut.Options{})
	ious := make([]float64, len(cases))
	confs := make([]float64, len(cases))
	errs := make([]error, len(cases))
	// Two at a time: the tests' budget is a 2-core machine.
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := seg.SegmentDetail(context.Background(), c.Image)
			if err != nil {
				errs[i] = err
				return
			}
			ious[i], confs[i] = composite.IoU(r.Mask, c.Truth), r.Confidence
		})
	}
	wg.Wait()
	sum := 0.0
	for i, c := range cases {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		iou := ious[i]
		t.Logf("%-22s IoU %.3f  confidence %.2f", c.Name, iou, confs[i])
		f, ok := floors[c.Name]
		if !ok {
			t.Errorf("%s: no floor (the composites changed?)", c.Name)
		}
		if iou < f {
			t.Errorf("%s: IoU %.3f under its floor %.2f", c.Name, iou, f)
		}

		sum += iou
	}
	if mean := sum / float64(len(cases)); !raceBuild && mean < 0.80 {
		t.Errorf("mean IoU %.3f under 0.80 (measured 0.824)", mean)
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
