package generator

import "testing"

// TestUnmixEdgesHardMask checks the relief's edge unmixing on a mask that is not antialiased
// (a background found by colour): the black subject's edge pixels, whose luminance mixes in the
// white background, take the subject's own value, as do the background pixels within the band,
// so the smoothing that follows cannot raise a bright crest around the subject; the background
// beyond the band keeps its own.
func TestUnmixEdgesHardMask(t *testing.T) {
	const w, h, band = 30, 30, 4
	lum, mask := make([]float32, w*h), make([]float32, w*h)
	for i := range lum {
		lum[i] = 1
	}
	for y := 10; y < 20; y++ {
		for x := 10; x < 20; x++ {
			mask[y*w+x] = 1
			lum[y*w+x] = 0
			if x == 10 || x == 19 || y == 10 || y == 19 {
				lum[y*w+x] = 0.4 // antialiased into the background, though the mask says 1
			}
		}
	}
	out := unmixEdges(lum, mask, w, h, band)
	for y := range h {
		for x := range w {
			d := max(10-x, x-19, 10-y, y-19, 0) // Chebyshev distance to the subject
			v := out[y*w+x]
			switch {
			case d <= band && v != 0:
				t.Fatalf("pixel (%d, %d), %d px from the subject: luminance %v, want the subject's 0", x, y, d, v)
			case d > band && v != 1:
				t.Fatalf("pixel (%d, %d), %d px from the subject: luminance %v, want its own 1", x, y, d, v)
			}
		}
	}
}
