package composite

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

func TestIoU(t *testing.T) {
	a := image.NewAlpha(image.Rect(0, 0, 4, 1))
	b := image.NewAlpha(image.Rect(0, 0, 4, 1))
	a.Pix = []uint8{255, 255, 0, 0}
	b.Pix = []uint8{0, 200, 130, 0}
	if got := IoU(a, b); got != 1.0/3 {
		t.Errorf("IoU = %v, want 1/3", got)
	}
	if got := IoU(image.NewAlpha(a.Rect), image.NewAlpha(a.Rect)); got != 1 {
		t.Errorf("IoU of two empty masks = %v, want 1", got)
	}
}

// A dark square on white: the flood takes the white, the square is the subject, and pasting it
// gives a truth of the scaled square's size, inside the margins.
func TestFloodMaskAndPaste(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			c := color.NRGBA{255, 255, 255, 255}
			if x >= 10 && x < 30 && y >= 5 && y < 25 {
				c = color.NRGBA{20, 30, 40, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	mask := FloodMask(m, 24)
	n := 0
	for _, v := range mask.Pix {
		if v == 255 {
			n++
		}
	}
	if n != 400 {
		t.Fatalf("flood mask has %d subject pixels, want 400", n)
	}
	bg := image.NewRGBA(image.Rect(0, 0, 100, 80))
	c := Paste(bg, WithMask(m, mask), Options{}, rand.New(rand.NewPCG(1, 2)))
	o := Options{}.withDefaults()
	if !c.Subject.In(image.Rect(int(o.Margin*480), int(o.Margin*360), 480-int(o.Margin*480), 360-int(o.Margin*360))) {
		t.Errorf("subject %v outside the margins", c.Subject)
	}
	area := 0
	for _, v := range c.Truth.Pix {
		if v == 255 {
			area++
		}
	}
	if want := c.Subject.Dx() * c.Subject.Dy(); area < want*9/10 || area > want {
		t.Errorf("truth area %d, pasted box %v (%d)", area, c.Subject, want)
	}
}
