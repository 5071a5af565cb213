package generator

import (
	"context"
	"image"

	"github.com/orfeas3d/orfeas/estimators/grabcut"
)

// The built-in segmenter: GrabCut (package estimators/grabcut, pure Go), which auto uses on
// photos when Config.Segmenter is nil, trusting its matte when its confidence reaches
// MinSegmentConfidence.
func init() {
	builtinSegmenter = func() ConfidentSegmenter { return grabcutSegmenter{grabcut.New(grabcut.Options{})} }
}

// grabcutSegmenter gives grabcut.Segmenter the ConfidentSegmenter method.
type grabcutSegmenter struct{ *grabcut.Segmenter }

// SegmentConfidence gives no matte (nil) below MinSegmentConfidence, which Generate would drop:
// GrabCut then skips bringing it back to the image's size.
func (g grabcutSegmenter) SegmentConfidence(ctx context.Context, img image.Image) (*image.Alpha, float64, error) {
	r, err := g.SegmentDetailAbove(ctx, img, MinSegmentConfidence)
	if err != nil {
		return nil, 0, err
	}
	return r.Mask, r.Confidence, nil
}
