package generator

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"reflect"
	"testing"
)

// lyingOpaque is an image whose Opaque method says it is opaque when it is not.
type lyingOpaque struct{ *image.NRGBA }

func (lyingOpaque) Opaque() bool { return true }

// TestPrepareOpaqueMatchesPlanes checks that a same-size image prepared without its alpha planes
// (opaqueImage) is prepared as with them, bit for bit, for every pixel type the shortcut takes
// and for one whose Opaque method lies (prepared again, with the planes), with colour and
// without.
func TestPrepareOpaqueMatchesPlanes(t *testing.T) {
	photo := loadImage(t, "astronaut.png")
	b := photo.Bounds()
	gray, gray16, rgba, nrgba := image.NewGray(b), image.NewGray16(b), image.NewRGBA(b), image.NewNRGBA(b)
	for _, m := range []draw.Image{gray, gray16, rgba, nrgba} {
		draw.Draw(m, b, photo, b.Min, draw.Src)
	}
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := photo.At(x, y).RGBA()
			Y, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			ycc.Y[ycc.YOffset(x, y)], ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = Y, cb, cr
		}
	}
	holed := image.NewNRGBA(b)
	draw.Draw(holed, b, photo, b.Min, draw.Src)
	for i := 3; i < len(holed.Pix)/3; i += 4 * 7 {
		holed.Pix[i] = 90 // translucent pixels in the top third
	}
	for _, colour := range []bool{true, false} {
		testPrepareOpaque(t, b, prepOptions{resolution: max(b.Dx(), b.Dy()), wantColor: colour, maskTolerance: 0.1},
			gray, gray16, rgba, nrgba, ycc, holed)
	}
}

// testPrepareOpaque is TestPrepareOpaqueMatchesPlanes with options opt.
func testPrepareOpaque(t *testing.T, b image.Rectangle, opt prepOptions, gray, gray16, rgba, nrgba, ycc image.Image, holed *image.NRGBA) {
	for name, c := range map[string]struct {
		img    image.Image
		opaque bool
	}{
		"gray": {gray, true}, "gray16": {gray16, true}, "rgba": {rgba, true}, "nrgba": {nrgba, true},
		"ycbcr": {ycc, true}, "translucent": {holed, false}, "lying": {lyingOpaque{holed}, true},
	} {
		if got := opaqueImage(c.img); got != c.opaque {
			t.Errorf("%s: opaqueImage = %v, want %v", name, got, c.opaque)
		}
		got, err := prepare(context.Background(), c.img, nil, opt, nil)
		if err != nil {
			t.Fatal(err)
		}
		o := opt
		o.readAlpha = true
		want, err := prepare(context.Background(), c.img, nil, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.w != b.Dx() || got.h != b.Dy() {
			t.Fatalf("%s: working size %dx%d, want the image's (the same-size path)", name, got.w, got.h)
		}
		if !bitsEqual(got.lum, want.lum) || !bitsEqual(got.color, want.color) || !bitsEqual(got.mask, want.mask) ||
			got.maskSource != want.maskSource || got.hasAlpha != want.hasAlpha || !reflect.DeepEqual(got, want) {
			t.Errorf("%s (colour %v): prepared differently without the alpha planes", name, opt.wantColor)
		}
	}
}
