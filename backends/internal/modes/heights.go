package modes

import (
	"fmt"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
)

// ReliefHeights computes a relief's top surface in mm at every pixel from f, the source prepared
// and smoothed (ReliefPrepare then GaussianBlur, or the CUDA backend's same stages): f is
// stretched so that its lowest foreground value becomes 0 and its highest 1, raised to Gamma, and
// scaled: z = Base + Depth·(lift + (1 − lift)·h), lift being SubjectLift where a mask is used
// (else 0). Background pixels (Mask < 0.5 with UseMask) stay at Base; pixels
// within FrameWidth mm of the edge are at Base + FrameHeight.
//
// With a lift, the raised subject does not end in a one-pixel cliff on the pixel staircase,
// which the triangulation would shade as a comb of wall teeth: background pixels beside the
// subject rise onto it, to the height their own value gives (f, which the generator fills
// outward from the subject; clamped to the subject's range) scaled by twice the mask's coverage
// blurred (its antialiased value, box-blurred twice) and capped at 1, so the step becomes a ramp
// about rampMM/2 wide outside the outline, following it to below a pixel. The subject's own
// pixels keep their heights.
func ReliefHeights(in *backends.Input, p backends.ReliefParams, f []float64) heightfield.Grid {
	w, h := in.Width, in.Height
	fg := func(i int) bool { return !p.UseMask || in.Mask == nil || in.Mask[i] >= 0.5 }
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range f {
		if fg(i) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	scale := 0.0
	lift, flat := 0.0, 0.0
	if p.UseMask && in.Mask != nil {
		lift = p.SubjectLift
		if lift > 0 {
			flat = 1 // a flat subject stands at the full depth
		}
	}
	if hi-lo > 1e-9 {
		scale = 1 / (hi - lo)
	}
	wmm, hmm := float64(w)*in.PixelSize, float64(h)*in.PixelSize
	var cover []float32
	if lift > 0 {
		cover = maskCoverage(in.Mask, w, h, max(1, int(math.Round(rampMM/4/in.PixelSize))))
	}
	z := make([]float32, w*h)
	for j := range h {
		for i := range w {
			k := j*w + i
			v := p.Base
			switch {
			case inFrame(i, j, w, h, wmm, hmm, p.FrameWidth):
				v = p.Base + p.FrameHeight
			case fg(k) || cover != nil && cover[k] > 0:
				t := flat
				if scale != 0 {
					t = min(max((f[k]-lo)*scale, 0), 1)
				}
				if p.Gamma != 1 {
					t = math.Pow(t, p.Gamma)
				}
				v = p.Base + p.Depth*(lift+(1-lift)*t)
				if !fg(k) {
					v = p.Base + (v-p.Base)*float64(min(1, 2*cover[k]))
				}
			}
			z[k] = float32(v)
		}
	}
	return heightfield.Grid{W: w, H: h, Z: z}
}

// rampMM is the width in mm of the ramp a lifted relief subject rises on at its outline: steep
// enough to keep the outline sharp in print, wide enough that a triangulation of it shades
// evenly rather than as a comb of teeth.
const rampMM = 1.0

// maskCoverage returns the mask clamped to [0, 1] and box-blurred twice over (2r+1)² (edges
// clamped): the subject's coverage as a ramp about 4r pixels wide along its outline.
func maskCoverage(mask []float32, w, h, r int) []float32 {
	a := make([]float32, w*h)
	for i, v := range mask {
		a[i] = min(max(v, 0), 1)
	}
	b := make([]float32, w*h)
	for range 2 {
		for j := range h {
			for i := range w {
				var s float32
				for d := -r; d <= r; d++ {
					s += a[j*w+min(max(i+d, 0), w-1)]
				}
				b[j*w+i] = s / float32(2*r+1)
			}
		}
		for j := range h {
			for i := range w {
				var s float32
				for d := -r; d <= r; d++ {
					s += b[min(max(j+d, 0), h-1)*w+i]
				}
				a[j*w+i] = s / float32(2*r+1)
			}
		}
	}
	return a
}

// CheckReliefFrame refuses a frame that would sink below the relief's bottom.
func CheckReliefFrame(p backends.ReliefParams) error {
	if p.FrameWidth > 0 && (!(p.Base+p.FrameHeight > 0) || math.IsInf(p.FrameHeight, 0)) {
		return fmt.Errorf("%w: frame height %v mm would sink the frame below the bottom", backends.ErrInvalidInput, p.FrameHeight)
	}
	return nil
}

// LithophaneThickness computes a lithophane's thickness in mm at every pixel: MinThickness where
// the image is white, MaxThickness where it is black, linear in luminance between, the image
// flipped left to right with Mirror. With Frame, pixels within FrameWidth mm of the edge are at
// MaxThickness: the frame is drawn over the image's margin, so the model keeps the image's size.
func LithophaneThickness(in *backends.Input, p backends.LithophaneParams) heightfield.Grid {
	w, h := in.Width, in.Height
	wmm, hmm := float64(w)*in.PixelSize, float64(h)*in.PixelSize
	z := make([]float32, w*h)
	for j := range h {
		for i := range w {
			src := i
			if p.Mirror {
				src = w - 1 - i
			}
			l := Clamp01(in.Luminance[j*w+src])
			t := p.MinThickness + (p.MaxThickness-p.MinThickness)*(1-l)
			if p.Frame && inFrame(i, j, w, h, wmm, hmm, p.FrameWidth) {
				t = p.MaxThickness
			}
			z[j*w+i] = float32(t)
		}
	}
	return heightfield.Grid{W: w, H: h, Z: z}
}

// HeightfieldTolerance is the vertical tolerance, in mm, a relief or flat lithophane is
// triangulated to: Input.Tolerance, or by default 1 % of the relief's depth or of the
// lithophane's thickness range; never below heightfield.MinTolerance.
func HeightfieldTolerance(in *backends.Input) float64 {
	tol := in.Tolerance
	if tol == 0 {
		if in.Mode == backends.Lithophane {
			p := in.Lithophane.Defaults()
			tol = 0.01 * (p.MaxThickness - p.MinThickness)
		} else {
			tol = 0.01 * in.Relief.Defaults().Depth
		}
	}
	return max(tol, heightfield.MinTolerance)
}

// inFrame reports whether sample (i, j) of a w×h grid spanning wmm × hmm lies within fw mm of the
// model's outer edge.
func inFrame(i, j, w, h int, wmm, hmm, fw float64) bool {
	if fw <= 0 {
		return false
	}
	x := float64(i) * wmm / float64(w-1)
	y := float64(j) * hmm / float64(h-1)
	return min(x, wmm-x, y, hmm-y) < fw
}
