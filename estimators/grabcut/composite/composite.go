// Package composite builds segmentation test cases whose answer is known exactly: a subject
// with an alpha channel (clip art) scaled and pasted onto a photo background. The truth mask
// is the pasted alpha at 128 and above, so a segmenter can be scored (intersection over union)
// without hand labelling. Placement, scale and background crop come from a seed: the same
// inputs always give the same cases.
package composite

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"

	xdraw "golang.org/x/image/draw"
)

// Named is an image and the name it is reported under.
type Named struct {
	Name  string
	Image image.Image
}

// Case is one composite: the image, its exact subject mask (255 subject, 0 background) and
// where the subject was pasted.
type Case struct {
	Name    string
	Image   *image.RGBA
	Truth   *image.Alpha
	Subject image.Rectangle
}

// Options size the composites. The zero value gives 480×360 images with the subject's longest
// side 35–65 % of the shorter side and at least 8 % of each side clear around it.
type Options struct {
	Width, Height int     // default 480×360
	MinScale      float64 // subject's longest side over the image's shorter side; default 0.35
	MaxScale      float64 // default 0.65
	Margin        float64 // clear band around the subject, fraction of each side; default 0.08
}

func (o Options) withDefaults() Options {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 480, 360
	}
	if o.MinScale <= 0 {
		o.MinScale = 0.35
	}
	if o.MaxScale < o.MinScale {
		o.MaxScale = max(o.MinScale, 0.65)
	}
	if o.Margin <= 0 {
		o.Margin = 0.08
	}
	return o
}

// Build pastes each subject onto perSubject backgrounds chosen in turn (subject i starts at
// background i), each with its own random crop, scale and place drawn from seed.
func Build(subjects, backgrounds []Named, perSubject int, seed uint64, o Options) []Case {
	o = o.withDefaults()
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	var out []Case
	for i, s := range subjects {
		for j := 0; j < perSubject && len(backgrounds) > 0; j++ {
			bg := backgrounds[(i+j)%len(backgrounds)]
			c := Paste(bg.Image, s.Image, o, r)
			c.Name = s.Name + " on " + bg.Name
			out = append(out, c)
		}
	}
	return out
}

// Paste makes one composite of subject on a crop of bg, drawing its crop, scale and place
// from r.
func Paste(bg, subject image.Image, o Options, r *rand.Rand) Case {
	o = o.withDefaults()
	W, H := o.Width, o.Height
	// Background: a crop of 60–100 % of the largest W:H window, scaled to W×H.
	bb := bg.Bounds()
	cw, ch := bb.Dx(), bb.Dx()*H/W
	if ch > bb.Dy() {
		cw, ch = bb.Dy()*W/H, bb.Dy()
	}
	f := 0.6 + 0.4*r.Float64()
	cw, ch = max(1, int(float64(cw)*f)), max(1, int(float64(ch)*f))
	x0 := bb.Min.X + r.IntN(bb.Dx()-cw+1)
	y0 := bb.Min.Y + r.IntN(bb.Dy()-ch+1)
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	xdraw.BiLinear.Scale(img, img.Bounds(), bg, image.Rect(x0, y0, x0+cw, y0+ch), draw.Src, nil)

	// Subject: its alpha's bounding box, scaled so its longest side is the drawn share of
	// the shorter image side (and it fits inside the margins).
	sb := opaqueBounds(subject)
	short := float64(min(W, H))
	side := (o.MinScale + (o.MaxScale-o.MinScale)*r.Float64()) * short
	mx, my := int(o.Margin*float64(W))+1, int(o.Margin*float64(H))+1
	sc := side / float64(max(sb.Dx(), sb.Dy()))
	sc = min(sc, float64(W-2*mx)/float64(sb.Dx()), float64(H-2*my)/float64(sb.Dy()))
	sw, sh := max(1, int(float64(sb.Dx())*sc)), max(1, int(float64(sb.Dy())*sc))
	px := mx + r.IntN(max(1, W-2*mx-sw+1))
	py := my + r.IntN(max(1, H-2*my-sh+1))
	dst := image.Rect(px, py, px+sw, py+sh)
	layer := image.NewRGBA(image.Rect(0, 0, sw, sh))
	xdraw.BiLinear.Scale(layer, layer.Bounds(), subject, sb, draw.Src, nil)
	draw.Draw(img, dst, layer, image.Point{}, draw.Over)
	truth := image.NewAlpha(img.Bounds())
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			if layer.Pix[y*layer.Stride+4*x+3] >= 128 {
				truth.Pix[(py+y)*truth.Stride+px+x] = 255
			}
		}
	}
	return Case{Image: img, Truth: truth, Subject: dst}
}

// opaqueBounds is the bounding box of the pixels with alpha ≥ 128 (the whole image if none).
func opaqueBounds(m image.Image) image.Rectangle {
	b := m.Bounds()
	r := image.Rectangle{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := m.At(x, y).RGBA(); a >= 128<<8 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if r.Empty() {
		return b
	}
	return r
}

// WithMask returns img (over white) with alpha from mask (255 where mask ≥ 128, else 0): a subject for
// Paste from an opaque image whose background is known some other way.
func WithMask(img image.Image, mask *image.Alpha) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := overWhite(img.At(x, y))
			c.A = 0
			if mask.AlphaAt(x, y).A >= 128 {
				c.A = 255
			}
			out.SetNRGBA(x, y, c)
		}
	}
	return out
}

// IoU is the intersection over union of mask ≥ 128 and truth ≥ 128 over truth's bounds (1 when
// both are empty).
func IoU(mask, truth *image.Alpha) float64 {
	b := truth.Bounds()
	inter, union := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m := mask.AlphaAt(x, y).A >= 128
			t := truth.AlphaAt(x, y).A >= 128
			if m && t {
				inter++
			}
			if m || t {
				union++
			}
		}
	}
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

// FloodMask returns the subject of an image on a plain background: 0 for the pixels connected
// (4-way) to the border whose colour, over white, is within tol (per channel, 0–255) of the
// top-left pixel's, 255 elsewhere.
func FloodMask(img image.Image, tol int) *image.Alpha {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewAlpha(b)
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	if w == 0 || h == 0 {
		return out
	}
	ref := overWhite(img.At(b.Min.X, b.Min.Y))
	near := func(x, y int) bool {
		c := overWhite(img.At(b.Min.X+x, b.Min.Y+y))
		d := func(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
		return d(c.R, ref.R) <= tol && d(c.G, ref.G) <= tol && d(c.B, ref.B) <= tol
	}
	seen := make([]bool, w*h)
	var stack []int
	visit := func(x, y int) {
		i := y*w + x
		if !seen[i] && near(x, y) {
			seen[i] = true
			stack = append(stack, i)
		}
	}
	for x := 0; x < w; x++ {
		visit(x, 0)
		visit(x, h-1)
	}
	for y := 0; y < h; y++ {
		visit(0, y)
		visit(w-1, y)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out.Pix[(i/w)*out.Stride+i%w] = 0
		x, y := i%w, i/w
		if x > 0 {
			visit(x-1, y)
		}
		if x < w-1 {
			visit(x+1, y)
		}
		if y > 0 {
			visit(x, y-1)
		}
		if y < h-1 {
			visit(x, y+1)
		}
	}
	return out
}

// overWhite is c composited over opaque white.
func overWhite(c color.Color) color.NRGBA {
	r, g, b, a := c.RGBA()
	w := 0xffff - a
	return color.NRGBA{uint8((r + w) >> 8), uint8((g + w) >> 8), uint8((b + w) >> 8), 255}
}
