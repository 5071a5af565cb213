package estimators

import (
	"image"
	"image/color"

	"math"
)

// Normalization maps a pixel channel p in 0..255 to (p/255 − Mean[c]) / Std[c], channels in RGB
// order.
type Normalization struct {
	Mean, Std [3]float32
}

// ISNetNormalization is IS-Net's (px−128)/256 as @imgly/background-removal applies it.
var ISNetNormalization = Normalization{
	Mean: [3]float32{128.0 / 255, 128.0 / 255, 128.0 / 255},
	Std:  [3]float32{256.0 / 255, 256.0 / 255, 256.0 / 255},
}

// ImageNetNormalization is the ImageNet mean and standard deviation, as Depth Anything V2 and
// MiDaS expect.
var ImageNetNormalization = Normalization{
	Mean: [3]float32{0.485, 0.456, 0.406},
	Std:  [3]float32{0.229, 0.224, 0.225},
}

func (n Normalization) isZero() bool { return n == Normalization{} }

// planes holds an image as three float32 planes of 0..255 values (alpha ignored: RGB as stored,
// premultiplied colour over black where the image has transparency).
type planes struct {
	w, h int
	c    [3][]float32
}

func toPlanes(img image.Image) planes {
	b := img.Bounds()
	p := planes{w: b.Dx(), h: b.Dy()}
	for c := range p.c {
		p.c[c] = make([]float32, p.w*p.h)
	}
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := y*p.w + x
			p.c[0][i] = float32(r) / 257
			p.c[1][i] = float32(g) / 257
			p.c[2][i] = float32(bl) / 257
		}
	}
	return p
}

// resampleWeights gives, for each of dst output samples over src input samples, the first input
// index and the weights of a triangle filter widened by the scale factor when shrinking (the
// antialiased bilinear of PIL's resize): at equal sizes it is the identity, when enlarging it is
// bilinear interpolation with half-pixel centres, when shrinking every input pixel contributes.
func resampleWeights(src, dst int) (first []int, weights [][]float32) {
	scale := float64(src) / float64(dst)
	support := math.Max(scale, 1)
	first = make([]int, dst)
	weights = make([][]float32, dst)
	for o := 0; o < dst; o++ {
		centre := (float64(o) + 0.5) * scale
		lo := max(int(math.Floor(centre-support)), 0)
		hi := min(int(math.Ceil(centre+support)), src)
		var ws []float64
		sum := 0.0
		for i := lo; i < hi; i++ {
			w := 1 - math.Abs((float64(i)+0.5-centre)/support)
			if w < 0 {
				w = 0
			}
			ws = append(ws, w)
			sum += w
		}
		if sum == 0 { // cannot happen for src ≥ 1; keep the nearest pixel
			lo, ws, sum = min(int(centre), src-1), []float64{1}, 1
		}
		weights[o] = make([]float32, len(ws))
		for k, w := range ws {
			weights[o][k] = float32(w / sum)
		}
		first[o] = lo
	}
	return first, weights
}

// resample resizes a w×h plane to dw×dh, separably (rows, then columns).
func resample(src []float32, w, h, dw, dh int) []float32 {
	if w == dw && h == dh {
		return append([]float32(nil), src...)
	}
	fx, wx := resampleWeights(w, dw)
	fy, wy := resampleWeights(h, dh)
	tmp := make([]float32, dw*h)
	for y := 0; y < h; y++ {
		row := src[y*w : (y+1)*w]
		for x := 0; x < dw; x++ {
			var s float32
			for k, wt := range wx[x] {
				s += wt * row[fx[x]+k]
			}
			tmp[y*dw+x] = s
		}
	}
	out := make([]float32, dw*dh)
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var s float32
			for k, wt := range wy[y] {
				s += wt * tmp[(fy[y]+k)*dw+x]
			}
			out[y*dw+x] = s
		}
	}
	return out
}

// toInput resizes p to w×h and normalises it into a 1×3×h×w NCHW tensor.
func toInput(p planes, w, h int, n Normalization) Tensor {
	t := Tensor{Shape: []int64{1, 3, int64(h), int64(w)}, Data: make([]float32, 0, 3*w*h)}
	for c := 0; c < 3; c++ {
		r := resample(p.c[c], p.w, p.h, w, h)
		for _, v := range r {
			t.Data = append(t.Data, (v/255-n.Mean[c])/n.Std[c])
		}
	}
	return t
}

// Binarize returns a copy of a whose pixels are 255 where a ≥ level, else 0.
func Binarize(a *image.Alpha, level uint8) *image.Alpha {
	out := image.NewAlpha(a.Rect)
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			if a.AlphaAt(x, y).A >= level {
				out.SetAlpha(x, y, color.Alpha{A: 255})
			}
		}
	}
	return out
}
