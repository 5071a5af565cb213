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

	"golang.org/x/sync/semaphore"

	"github.com/orfeas3d/orfeas/imagecheck"
)

// A service shares one memory budget between its requests: the headers say what a decode will
// hold before anything is decoded, and the request waits for that much of the budget (or is
// refused when it could never fit). A progressive JPEG holds every DCT coefficient while it
// decodes, several times what a baseline one of the same size needs.
func ExampleDecodeMemory() {
	budget := semaphore.NewWeighted(512 << 20) // bytes, shared by every request

	for _, name := range []string{"testdata/coffee.jpg", "testdata/video-001.progressive.jpeg"} {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Println(err)
			return
		}
		info, err := imagecheck.Check(bytes.NewReader(data), imagecheck.Limits{})
		if err != nil {
			fmt.Println(err)
			return
		}
		need := imagecheck.DecodeMemory(info)
		fmt.Printf("%s: %d×%d, progressive %v: reserve %d bytes\n", name, info.Width, info.Height, info.Progressive, need)

		if err := budget.Acquire(context.Background(), need); err != nil {
			fmt.Println(err)
			return
		}
		_, _, err = imagecheck.Decode(context.Background(), bytes.NewReader(data), imagecheck.Limits{})
		budget.Release(need)
		if err != nil {
			fmt.Println(err)
		}
	}

	// A 40-megapixel colour JPEG, as its headers describe it, baseline and progressive.
	big := imagecheck.Info{Format: imagecheck.JPEG, Width: 7744, Height: 5165, ColorModel: imagecheck.ColorYCbCr, BitDepth: 8, Orientation: 1}
	fmt.Printf("40 MP baseline: %d MiB\n", imagecheck.DecodeMemory(big)>>20)
	big.Progressive = true
	fmt.Printf("40 MP progressive: %d MiB\n", imagecheck.DecodeMemory(big)>>20)
	// Output:
	// testdata/coffee.jpg: 600×400, progressive false: reserve 1858576 bytes
	// testdata/video-001.progressive.jpeg: 150×103, progressive true: reserve 1309294 bytes
	// 40 MP baseline: 129 MiB
	// 40 MP progressive: 644 MiB
}

// An image that another file embeds (here a PNG texture, as a GLB stores it) goes through the
// same door as an upload: checked against the limits, decoded only when they pass, its pixels
// kept as stored. A texture over the pixel limit is refused from its header.
func ExampleDecodeStored() {
	tex := image.NewNRGBA(image.Rect(0, 0, 64, 32))
	for i := range tex.Pix {
		tex.Pix[i] = 0xFF
	}
	tex.Set(0, 0, color.NRGBA{R: 255, A: 255})
	var embedded bytes.Buffer
	if err := png.Encode(&embedded, tex); err != nil {
		fmt.Println(err)
		return
	}

	lim := imagecheck.Limits{
		MaxBytes:  int64(embedded.Len()),
		MinSide:   -1, // a 1×1 texture is a colour
		MaxPixels: 4096 * 4096,
		Formats:   []imagecheck.Format{imagecheck.PNG},
	}
	img, info, err := imagecheck.DecodeStored(context.Background(), embedded.Bytes(), lim)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.Format, img.Bounds().Size(), img.At(0, 0))

	lim.MaxPixels = 1024
	_, _, err = imagecheck.DecodeStored(context.Background(), embedded.Bytes(), lim)
	fmt.Println(errors.Is(err, imagecheck.ErrTooLarge), err)
	// Output:
	// png (64,32) {255 0 0 255}
	// true imagecheck: pixels 2048 exceeds limit 1024
}
