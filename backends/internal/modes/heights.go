package modes

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
	"github.com/orfeas3d/orfeas/internal/par"
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
	g, _ := reliefHeights(context.Background(), in, p, f, nil, nil, runtime.GOMAXPROCS(0))
	return g
}

// ReliefHeightsInto is ReliefHeights with the heights written into dst (w·h values, which may be
// any plane of in that f is not made of, such as the source f was prepared from) instead of a
// plane of its own: the grid's Z is dst.
func ReliefHeightsInto(in *backends.Input, p backends.ReliefParams, f []float64, dst []float32) heightfield.Grid {
	g, _ := reliefHeights(context.Background(), in, p, f, nil, dst, runtime.GOMAXPROCS(0))
	return g
}

// ReliefHeightsUnsmoothed returns ReliefHeights(in, p, ReliefPrepare(ReliefSource(in),
// p.Invert)), bit for bit, without that float64 copy of the plane (8 bytes a pixel): for a relief
// that is not smoothed (p.Smooth 0), whose field is the prepared source itself, each row is
// prepared where it is used. Bands of rows run on up to workers goroutines; ctx is checked once a
// band, and its error returned unwrapped.
func ReliefHeightsUnsmoothed(ctx context.Context, in *backends.Input, p backends.ReliefParams, workers int) (heightfield.Grid, error) {
	return reliefHeights(ctx, in, p, nil, ReliefSource(in), nil, workers)
}

// ReliefHeightsUnsmoothedInPlace is ReliefHeightsUnsmoothed with the heights written over the
// source plane (ReliefSource(in)), bit for bit the same values: the grid's Z is that plane, and no
// second plane of w·h values is made. Each row is copied into a scratch row before its heights are
// written, so reading and writing the same plane is safe. The caller gives the plane up.
func ReliefHeightsUnsmoothedInPlace(ctx context.Context, in *backends.Input, p backends.ReliefParams, workers int) (heightfield.Grid, error) {
	src := ReliefSource(in)
	return reliefHeights(ctx, in, p, nil, src, src, workers)
}

// heightBand is how many rows reliefHeights gives a goroutine at a time.
const heightBand = 32

// reliefHeights is ReliefHeights over the field f, or, when f is nil, over ReliefPrepare(src,
// p.Invert), each row of which it prepares into a scratch row where it needs it; the heights go
// into dst when it is not nil (which may be src: a row is read into its scratch row before any of
// its heights is written), else into a plane of their own. Each pixel's
// height is computed from its own field value by the same operations whatever the banding, and
// the field's foreground range is a min and a max (the order does not matter), so the grid does
// not depend on workers.
func reliefHeights(ctx context.Context, in *backends.Input, p backends.ReliefParams, f []float64, src, dst []float32, workers int) (heightfield.Grid, error) {
	w, h := in.Width, in.Height
	masked := p.UseMask && in.Mask != nil
	fieldRow := func(j int, row []float64) []float64 {
		if f != nil {
			return f[j*w : (j+1)*w]
		}
		for i, v := range src[j*w : (j+1)*w] {
			c := Clamp01(v)
			if p.Invert {
				c = 1 - c
			}
			row[i] = c
		}
		return row
	}
	nb := (h + heightBand - 1) / heightBand
	var failed atomic.Bool
	bands := func(do func(j0, j1 int, row []float64)) error {
		par.For(nb, workers, func(b int) {
			if failed.Load() || ctx.Err() != nil {
				failed.Store(true)
				return
			}
			var row []float64
			if f == nil {
				row = make([]float64, w)
			}
			do(b*heightBand, min(h, (b+1)*heightBand), row)
		})
		if failed.Load() {
			return ctx.Err()
		}
		return nil
	}
	type span struct{ lo, hi float64 }
	spans := make([]span, nb)
	err := bands(func(j0, j1 int, row []float64) {
		lo, hi := math.Inf(1), math.Inf(-1)
		for j := j0; j < j1; j++ {
			fr := fieldRow(j, row)
			if !masked {
				// Four running ranges, for speed: a min and a max come out the same in any order.
				var l, u [4]float64
				for k := range 4 {
					l[k], u[k] = lo, hi
				}
				i := 0
				for ; i+4 <= len(fr); i += 4 {
					q := fr[i : i+4 : i+4]
					l[0], u[0] = min(l[0], q[0]), max(u[0], q[0])
					l[1], u[1] = min(l[1], q[1]), max(u[1], q[1])
					l[2], u[2] = min(l[2], q[2]), max(u[2], q[2])
					l[3], u[3] = min(l[3], q[3]), max(u[3], q[3])
				}
				for ; i < len(fr); i++ {
					l[0], u[0] = min(l[0], fr[i]), max(u[0], fr[i])
				}
				lo, hi = min(l[0], l[1], l[2], l[3]), max(u[0], u[1], u[2], u[3])
				continue
			}
			for i, v := range fr {
				if in.Mask[j*w+i] >= 0.5 {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
		spans[j0/heightBand] = span{lo, hi}
	})
	if err != nil {
		return heightfield.Grid{}, err
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range spans {
		lo, hi = min(lo, s.lo), max(hi, s.hi)
	}
	scale := 0.0
	lift, flat := 0.0, 0.0
	if masked {
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
		cover = maskCoverage(in.Mask, w, h, max(1, int(math.Round(rampMM/4/in.PixelSize))), workers)
	}
	z := dst
	if z == nil {
		z = make([]float32, w*h)
	}
	z = z[:w*h]
	// Every pixel is foreground, none is framed, and no power is taken: the common case, the
	// general one's arithmetic without its tests.
	plain := !masked && !(p.FrameWidth > 0) && p.Gamma == 1
	err = bands(func(j0, j1 int, row []float64) {
		for j := j0; j < j1; j++ {
			fr, zr := fieldRow(j, row), z[j*w:(j+1)*w]
			if plain {
				for i, fv := range fr {
					t := flat
					if scale != 0 {
						t = min(max((fv-lo)*scale, 0), 1)
					}
					zr[i] = float32(p.Base + p.Depth*(lift+(1-lift)*t))
				}
				continue
			}
			for i, fv := range fr {
				k := j*w + i
				fg := !masked || in.Mask[k] >= 0.5
				v := p.Base
				switch {
				case inFrame(i, j, w, h, wmm, hmm, p.FrameWidth):
					v = p.Base + p.FrameHeight
				case fg || cover != nil && cover[k] > 0:
					t := flat
					if scale != 0 {
						t = min(max((fv-lo)*scale, 0), 1)
					}
					if p.Gamma != 1 {
						t = math.Pow(t, p.Gamma)
					}
					v = p.Base + p.Depth*(lift+(1-lift)*t)
					if !fg {
						v = p.Base + (v-p.Base)*float64(min(1, 2*cover[k]))
					}
				}
				zr[i] = float32(v)
			}
		}
	})
	if err != nil {
		return heightfield.Grid{}, err
	}
	return heightfield.Grid{W: w, H: h, Z: z}, nil
}

// rampMM is the width in mm of the ramp a lifted relief subject rises on at its outline: steep
// enough to keep the outline sharp in print, wide enough that a triangulation of it shades
// evenly rather than as a comb of teeth.
const rampMM = 1.0

// maskCoverage returns the mask clamped to [0, 1] and box-blurred twice over (2r+1)² (edges
// clamped): the subject's coverage as a ramp about 4r pixels wide along its outline. Each pass
// runs in bands of rows on up to workers goroutines; every output is its own sum in the same
// order, so the result does not depend on workers.
func maskCoverage(mask []float32, w, h, r, workers int) []float32 {
	a := make([]float32, w*h)
	for i, v := range mask {
		a[i] = min(max(v, 0), 1)
	}
	b := make([]float32, w*h)
	rows := func(do func(j int)) {
		par.For((h+heightBand-1)/heightBand, workers, func(k int) {
			for j := k * heightBand; j < min(h, (k+1)*heightBand); j++ {
				do(j)
			}
		})
	}
	for range 2 {
		rows(func(j int) {
			for i := range w {
				var s float32
				for d := -r; d <= r; d++ {
					s += a[j*w+min(max(i+d, 0), w-1)]
				}
				b[j*w+i] = s / float32(2*r+1)
			}
		})
		rows(func(j int) {
			for i := range w {
				var s float32
				for d := -r; d <= r; d++ {
					s += b[min(max(j+d, 0), h-1)*w+i]
				}
				a[j*w+i] = s / float32(2*r+1)
			}
		})
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
