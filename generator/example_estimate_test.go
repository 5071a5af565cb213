package generator_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log"
	"math"

	"github.com/orfeas3d/orfeas/generator"
)

// discSegmenter stands in for a segmentation model (estimators.NewSegmenter with an IS-Net
// model, in a real program): it says the subject is the disc in the middle of the image.
type discSegmenter struct{}

func (discSegmenter) Name() string { return "disc-finder" }

func (discSegmenter) Segment(ctx context.Context, img image.Image) (*image.Alpha, error) {
	b := img.Bounds()
	a := image.NewAlpha(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if math.Hypot(float64(x-b.Min.X)-float64(b.Dx())/2, float64(y-b.Min.Y)-float64(b.Dy())/2) < float64(b.Dy())/3 {
				a.SetAlpha(x, y, color.Alpha{A: 255})
			}
		}
	}
	return a, nil
}

// Give the generator a segmenter: auto then builds the object a photo shows, not the frame,
// and the report says where the mask came from.
func ExampleConfig_segmenter() {
	g, err := generator.New(generator.Config{Backend: generator.BackendCPU, Segmenter: discSegmenter{}})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	// A "photo": an orange disc on a background of stripes (no plain border).
	photo := image.NewNRGBA(image.Rect(0, 0, 120, 90))
	for y := range 90 {
		for x := range 120 {
			c := color.NRGBA{uint8(40 * (x % 7)), uint8(30 * (y % 5)), 200, 255}
			if math.Hypot(float64(x)-60, float64(y)-45) < 30 {
				c = color.NRGBA{230, 120, 40, 255}
			}
			photo.SetNRGBA(x, y, c)
		}
	}
	res, err := g.Generate(context.Background(), generator.Request{Decoded: photo, Quality: generator.Draft})
	if err != nil {
		log.Fatal(err)
	}
	r := res.Report
	fmt.Println(r.Mode, r.Image.MaskSource, r.Image.Segmenter, r.Topology.Closed())
	// Output: inflate model disc-finder true
}
