package estimators

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestNormalizations(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.RGBA{200, 100, 50, 255})
	p := toPlanes(img)
	isnet := toInput(p, 1, 1, ISNetNormalization).Data
	imnet := toInput(p, 1, 1, ImageNetNormalization).Data
	px := [3]float64{200, 100, 50}
	mean, std := [3]float64{0.485, 0.456, 0.406}, [3]float64{0.229, 0.224, 0.225}
	for c := 0; c < 3; c++ {
		if want := (px[c] - 128) / 256; math.Abs(float64(isnet[c])-want) > 1e-6 {
			t.Errorf("IS-Net channel %d = %v, want (px−128)/256 = %v", c, isnet[c], want)
		}
		if want := (px[c]/255 - mean[c]) / std[c]; math.Abs(float64(imnet[c])-want) > 1e-6 {
			t.Errorf("ImageNet channel %d = %v, want %v", c, imnet[c], want)
		}
	}
}

func TestResample(t *testing.T) {
	ramp := func(w, h int) []float32 {
		v := make([]float32, w*h)
		for i := range v {
			v[i] = float32(i%w)*3 + float32(i/w)
		}
		return v
	}
	// Same size is the identity.
	src := ramp(7, 5)
	for i, v := range resample(src, 7, 5, 7, 5) {
		if v != src[i] {
			t.Fatalf("identity changed %d: %v → %v", i, src[i], v)
		}
	}
	for _, sz := range [][4]int{{7, 5, 3, 2}, {7, 5, 20, 13}, {64, 48, 10, 9}, {3, 3, 1, 1}} {
		w, h, dw, dh := sz[0], sz[1], sz[2], sz[3]
		// A constant stays constant: the weights sum to one.
		c := make([]float32, w*h)
		for i := range c {
			c[i] = 42
		}
		for _, v := range resample(c, w, h, dw, dh) {
			if math.Abs(float64(v)-42) > 1e-4 {
				t.Fatalf("%v: constant 42 became %v", sz, v)
			}
		}
		// A linear ramp is sampled at half-pixel centres away from the borders, out(x) =
		// f((x+0.5)·w/dw − 0.5), to within 0.05 px: the triangle is symmetric, but sampled at
		// pixel centres its discrete weights are not when the ratio is fractional.
		out := resample(ramp(w, h), w, h, dw, dh)
		sx, sy := float64(w)/float64(dw), float64(h)/float64(dh)
		for y := 0; y < dh; y++ {
			for x := 0; x < dw; x++ {
				cx, cy := (float64(x)+0.5)*sx-0.5, (float64(y)+0.5)*sy-0.5
				rx, ry := math.Max(sx, 1), math.Max(sy, 1)
				if cx-rx < 0 || cx+rx > float64(w-1) || cy-ry < 0 || cy+ry > float64(h-1) {
					continue
				}
				if want := cx*3 + cy; math.Abs(float64(out[y*dw+x])-want) > 0.05*(3+1) {
					t.Errorf("%v: out(%d,%d) = %v, want %v", sz, x, y, out[y*dw+x], want)
				}
			}
		}
	}
}

func TestBinarize(t *testing.T) {
	a := image.NewAlpha(image.Rect(2, 3, 5, 4))
	for i, v := range []uint8{127, 128, 255} {
		a.SetAlpha(2+i, 3, color.Alpha{A: v})
	}
	b := Binarize(a.SubImage(a.Rect).(*image.Alpha), 128)
	if b.Rect != a.Rect || b.AlphaAt(2, 3).A != 0 || b.AlphaAt(3, 3).A != 255 || b.AlphaAt(4, 3).A != 255 {
		t.Errorf("Binarize = %v on %v", b.Pix, b.Rect)
	}
}
