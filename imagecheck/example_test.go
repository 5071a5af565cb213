package imagecheck_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"

	"github.com/orfeas3d/orfeas/imagecheck"
)

// An upload handler's whole job: Decode checks, then decodes and turns the
// image upright; Sanitize gives bytes that are safe to store.
func ExampleDecode() {
	upload, err := os.Open("testdata/coffee.jpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer upload.Close()

	img, info, err := imagecheck.Decode(context.Background(), upload, imagecheck.Limits{})
	switch {
	case errors.Is(err, imagecheck.ErrUnsupportedFormat):
		fmt.Println("not an image we accept")
		return
	case errors.Is(err, imagecheck.ErrTooLarge), errors.Is(err, imagecheck.ErrDimensions):
		fmt.Println("image too big or too small:", err)
		return
	case err != nil:
		fmt.Println("broken image:", err)
		return
	}
	fmt.Printf("%s %d×%d %s, decoded to %v\n", info.Format, info.Width, info.Height, info.ColorModel, img.Bounds().Size())
	// Output: jpeg 600×400 ycbcr, decoded to (600,400)
}

// Check answers from the headers alone. This 77-byte PNG declares
// 100,000×100,000 pixels; Check reports every limit it breaks, without
// allocating a single pixel.
func ExampleCheck() {
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	bomb := buf.Bytes()
	bomb[16], bomb[17], bomb[18], bomb[19] = 0, 1, 0x86, 0xA0 // width 100000
	bomb[20], bomb[21], bomb[22], bomb[23] = 0, 1, 0x86, 0xA0 // height 100000
	// Fix the IHDR CRC so that only the limits are at fault.
	fixIHDRCRC(bomb)

	_, err := imagecheck.Check(bytes.NewReader(bomb), imagecheck.Limits{})
	fmt.Println(err)
	fmt.Println(errors.Is(err, imagecheck.ErrDimensions), errors.Is(err, imagecheck.ErrTooLarge))
	var le *imagecheck.LimitError
	if errors.As(err, &le) {
		fmt.Println(le.Name, le.Value, le.Max)
	}
	// Output:
	// imagecheck: 3 problems: width 100000 exceeds limit 16384; height 100000 exceeds limit 16384; pixels 10000000000 exceeds limit 40000000
	// true true
	// width 100000 16384
}

// Sanitize re-encodes decoded pixels as a PNG with no metadata.
func ExampleSanitize() {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	img.Set(3, 3, color.NRGBA{255, 0, 0, 255})
	out, err := imagecheck.Sanitize(context.Background(), img)
	if err != nil {
		fmt.Println(err)
		return
	}
	info, err := imagecheck.Check(bytes.NewReader(out), imagecheck.Limits{})
	fmt.Println(info.Format, info.Width, info.Height, info.HasAlpha, err)
	// Output: png 8 8 true <nil>
}
