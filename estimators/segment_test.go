package estimators

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"testing"
)

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// At the model's own size nothing is resized: each pixel's matte is sigmoid(w·x+b) of its
// IS-Net-normalised RGB, which checks the normalisation, the RGB channel order and NCHW.
func TestSegmentNormalisesAndLaysOut(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{})
	w := [3]float32{1, -2, 4}
	const b = 0.25
	m, err := rt.LoadModelBytes(pixelModel(w, b, true, false, 6, 6))
	if err != nil {
		t.Fatal(err)
	}
	seg, err := NewSegmenter(m, SegmentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if seg.opts.Size != 6 {
		t.Errorf("Size = %d, want the model's 6", seg.opts.Size)
	}
	img := image.NewNRGBA(image.Rect(10, 20, 16, 26))
	for y := 0; y < 6; y++ {
		for x := 0; x < 6; x++ {
			img.Set(10+x, 20+y, color.NRGBA{uint8(40 * x), uint8(255 - 30*y), uint8(7 * x * y), 255})
		}
	}
	a, err := seg.Segment(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if a.Rect != img.Rect {
		t.Fatalf("matte bounds %v, want %v", a.Rect, img.Rect)
	}
	for y := 0; y < 6; y++ {
		for x := 0; x < 6; x++ {
			c := img.NRGBAAt(10+x, 20+y)
			z := float64(b)
			for i, p := range []uint8{c.R, c.G, c.B} {
				z += float64(w[i]) * (float64(p) - 128) / 256
			}
			want := math.Round(sigmoid(z) * 255)
			if got := float64(a.AlphaAt(10+x, 20+y).A); math.Abs(got-want) > 0.5 {
				t.Errorf("(%d,%d): matte %v, want %v", x, y, got, want)
			}
		}
	}
}

// Resized both ways (16×8 image, 4×4 model), a red subject on the left half of a blue
// background: red gives logit +7.97, blue −7.97, and the pipeline is linear and mirror-symmetric
// up to the sigmoid, so the matte crosses 128 exactly at the colour edge and the mask is exact.
func TestSegmentResizesAndThresholds(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{})
	m, err := rt.LoadModelBytes(pixelModel([3]float32{8, 0, -8}, 0, true, false, -1, -1))
	if err != nil {
		t.Fatal(err)
	}
	seg, err := NewSegmenter(m, SegmentOptions{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, sz := range [][2]int{{16, 8}, {10, 30}, {3, 2}} {
		W, H := sz[0], sz[1]
		img := image.NewRGBA(image.Rect(0, 0, W, H))
		want := image.NewAlpha(img.Rect)
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				if 2*x < W {
					img.Set(x, y, color.RGBA{255, 0, 0, 255})
					want.SetAlpha(x, y, color.Alpha{A: 255})
				} else {
					img.Set(x, y, color.RGBA{0, 0, 255, 255})
				}
			}
		}
		if W%2 == 1 { // an odd width has no mirror-symmetric edge
			continue
		}
		a, err := seg.Segment(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		got := Binarize(a, 128)
		for i := range want.Pix {
			if got.Pix[i] != want.Pix[i] {
				t.Fatalf("%dx%d: mask pixel %d = %d, want %d (matte row 0 %v)", W, H, i, got.Pix[i], want.Pix[i], a.Pix[:W])
			}
		}
		// Far from the edge the matte is the pure colours' sigmoid.
		if v, want := a.Pix[0], uint8(math.Round(sigmoid(8*(127.0/256)+8*0.5)*255)); v != want {
			t.Errorf("%dx%d: subject corner %d, want %d", W, H, v, want)
		}
	}
}

func TestSegmentOutputScales(t *testing.T) {
	raw := []float32{-2, 0, 0.5, 3}
	for o, want := range map[OutputScale][]float32{
		Probability: {0, 0, 0.5, 1},
		Logits:      {float32(sigmoid(-2)), 0.5, float32(sigmoid(0.5)), float32(sigmoid(3))},
		MinMax:      {0, 0.4, 0.5, 1},
	} {
		got := scaleMatte(raw, o)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Errorf("scale %d: %v, want %v", o, got, want)
				break
			}
		}
	}
}

func TestSegmenterRejectsLayouts(t *testing.T) {
	rt := testRuntime(t, RuntimeOptions{})
	depth, err := rt.LoadModelBytes(pixelModel([3]float32{1, 1, 1}, 0, false, true, 4, 4))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSegmenter(depth, SegmentOptions{}); !errors.Is(err, ErrBadModel) {
		t.Errorf("1×H×W output: err = %v, want ErrBadModel", err)
	}
	fixed, err := rt.LoadModelBytes(pixelModel([3]float32{1, 1, 1}, 0, false, false, 4, 4))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSegmenter(fixed, SegmentOptions{Size: 8}); !errors.Is(err, ErrBadModel) {
		t.Errorf("Size 8 on a 4×4 model: err = %v, want ErrBadModel", err)
	}
}
