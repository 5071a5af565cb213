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
	z := make([]float32, w*h)
	for j := range h {
		for i := range w {
			k := j*w + i
			v := p.Base
			switch {
			case inFrame(i, j, w, h, wmm, hmm, p.FrameWidth):
				v = p.Base + p.FrameHeight
			case fg(k):
				t := flat
				if scale != 0 {
					t = min(max((f[k]-lo)*scale, 0), 1)
				}
				if p.Gamma != 1 {
					t = math.Pow(t, p.Gamma)
				}
				v = p.Base + p.Depth*(lift+(1-lift)*t)
			}
			z[k] = float32(v)
		}
	}
	return heightfield.Grid{W: w, H: h, Z: z}
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
