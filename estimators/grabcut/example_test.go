package grabcut_test

import (
	"context"
	"fmt"
	"image"
	"image/color"

	"github.com/orfeas3d/orfeas/estimators/grabcut"
)

// Find a red disc on a mottled blue background and check it is sure of the result.
func ExampleSegmenter_SegmentDetail() {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 320; x++ {
			c := color.RGBA{30, 50, uint8(150 + (x*7+y*13)%60), 255}
			if dx, dy := x-150, y-120; dx*dx+dy*dy < 60*60 {
				c = color.RGBA{210, 40, 30, 255}
			}
			img.Set(x, y, c)
		}
	}
	seg := grabcut.New(grabcut.Options{})
	r, err := seg.SegmentDetail(context.Background(), img)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("bounds:", r.Mask.Bounds())
	fmt.Println("centre:", r.Mask.AlphaAt(150, 120).A, "corner:", r.Mask.AlphaAt(5, 5).A)
	fmt.Printf("share: %.2f, an object on a background: %v\n", r.Fraction, r.Confidence >= 0.5)
	// Output:
	// bounds: (0,0)-(320,240)
	// centre: 255 corner: 0
	// share: 0.15, an object on a background: true
}

// Segment is the plain form: a mask at the image's bounds, whatever its origin.
func ExampleSegmenter_Segment() {
	img := image.NewGray(image.Rect(100, 100, 200, 180))
	for y := 100; y < 180; y++ {
		for x := 100; x < 200; x++ {
			v := uint8(40 + (x+y)%20)
			if x >= 130 && x < 170 && y >= 125 && y < 155 {
				v = 230
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	mask, err := grabcut.New(grabcut.Options{Hard: true}).Segment(context.Background(), img)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mask.Bounds(), mask.AlphaAt(150, 140).A, mask.AlphaAt(105, 105).A)
	// Output: (100,100)-(200,180) 255 0
}

// SegmentDetailAbove measures the image but makes the full-size mask only when the confidence
// reaches the given floor: a caller that would reject the result skips the upsampling.
func ExampleSegmenter_SegmentDetailAbove() {
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 160; x++ {
			// A texture with no object: stripes of two blues over the whole frame.
			img.Set(x, y, color.RGBA{30, 50, uint8(150 + (x/4%2)*60), 255})
		}
	}
	seg := grabcut.New(grabcut.Options{})
	r, err := seg.SegmentDetailAbove(context.Background(), img, 0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("an object: %v, mask made: %v\n", r.Confidence >= 0.5, r.Mask != nil)
	// Output:
	// an object: false, mask made: false
}
