package estimators

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"
)

func TestDepthInputSize(t *testing.T) {
	d := &DepthEstimator{opts: DepthOptions{Size: 518, Multiple: 14}}
	for _, c := range [][4]int{{1024, 768, 518, 392}, {768, 1024, 392, 518}, {518, 518, 518, 518}, {4000, 10, 518, 14}} {
		if w, h := d.inputSize(c[0], c[1]); w != c[2] || h != c[3] {
			t.Errorf("inputSize(%d, %d) = %d×%d, want %d×%d", c[0], c[1], w, h, c[2], c[3])
		}
	}
}

// depthImage is 28×14 with red rising left to right, green and blue varying otherwise, so a
// model reading channel 0 sees only the red ramp.
func depthImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 28, 14))
	for y := 0; y < 14; y++ {
		for x := 0; x < 28; x++ {
			img.Set(x, y, color.RGBA{uint8(20 + 8*x), uint8(200 - 9*y), uint8(3 * x * y % 256), 255})
		}
	}
	return img
}

// The model returns channel 0 of its input: the raw output is the ImageNet-normalised red
// channel, and the estimate is its min-max normalisation, 1 nearest.
func TestDepthEstimate(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{})
	m, err := rt.LoadModelBytes(pixelModel([3]float32{1, 0, 0}, 0, false, true, -1, -1))
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDepthEstimator(m, DepthOptions{Size: 28})
	if err != nil {
		t.Fatal(err)
	}
	img := depthImage()
	raw, err := m.Run(context.Background(), toInput(toPlanes(img), 28, 14, d.opts.Normalization))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Shape) != 3 || raw.Shape[1] != 14 || raw.Shape[2] != 28 {
		t.Fatalf("raw shape %v, want 1×14×28", raw.Shape)
	}
	for y := 0; y < 14; y++ {
		for x := 0; x < 28; x++ {
			want := (float64(img.RGBAAt(x, y).R)/255 - 0.485) / 0.229
			if got := float64(raw.Data[y*28+x]); math.Abs(got-want) > 1e-5 {
				t.Fatalf("raw(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
	for _, metric := range []bool{false, true} {
		d.opts.Metric = metric
		dm, err := d.Estimate(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		if dm.Width != 28 || dm.Height != 14 || len(dm.Values) != 28*14 {
			t.Fatalf("map %d×%d with %d values", dm.Width, dm.Height, len(dm.Values))
		}
		for y := 0; y < 14; y++ {
			for x := 0; x < 28; x++ {
				want := float64(x) / 27
				if metric {
					want = 1 - want
				}
				if got := float64(dm.Values[y*28+x]); math.Abs(got-want) > 1e-5 {
					t.Fatalf("metric=%v: depth(%d,%d) = %v, want %v", metric, x, y, got, want)
				}
			}
		}
	}
	// A 56×28 image runs at 28×14 and comes back at its own size, still rising left to right.
	big := image.NewRGBA(image.Rect(0, 0, 56, 28))
	for y := 0; y < 28; y++ {
		for x := 0; x < 56; x++ {
			big.Set(x, y, color.RGBA{uint8(4 * x), 0, 0, 255})
		}
	}
	dm, err := d.Estimate(context.Background(), big)
	if err != nil {
		t.Fatal(err)
	}
	if dm.Width != 56 || dm.Height != 28 || dm.Values[0] != 1 || dm.Values[55] != 0 {
		t.Errorf("56×28 (metric): %d×%d, ends %v %v, want 1 and 0", dm.Width, dm.Height, dm.Values[0], dm.Values[55])
	}
}
