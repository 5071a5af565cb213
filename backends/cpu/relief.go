package cpu

import (
	"context"
	"fmt"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// reliefHeights computes the relief's top surface in mm at every pixel.
//
// The source is the depth map when there is one, else the luminance; Invert flips it. The source is
// smoothed (Gaussian, sigma Smooth px), stretched so that its lowest foreground value becomes 0 and
// its highest 1, raised to Gamma, and scaled: z = Base + Depth·h. Background pixels (Mask < 0.5
// with UseMask) stay at Base; pixels within FrameWidth mm of the edge are at Base + FrameHeight.
func reliefHeights(ctx context.Context, in *backends.Input, p backends.ReliefParams) (grid, error) {
	w, h := in.Width, in.Height
	f := modes.ReliefPrepare(modes.ReliefSource(in), p.Invert)
	if err := modes.GaussianBlur(ctx, f, w, h, p.Smooth); err != nil {
		return grid{}, fmt.Errorf("cpu: smoothing: %w", err)
	}
	fg := func(i int) bool { return !p.UseMask || in.Mask == nil || in.Mask[i] >= 0.5 }
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range f {
		if fg(i) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	scale := 0.0
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
				t := min(max((f[k]-lo)*scale, 0), 1)
				if p.Gamma != 1 {
					t = math.Pow(t, p.Gamma)
				}
				v = p.Base + p.Depth*t
			}
			z[k] = float32(v)
		}
	}
	return grid{w: w, h: h, z: z}, nil
}

// relief builds a heightfield on a solid base (see reliefHeights) by adaptive triangulation.
func (b *Backend) relief(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, Report, error) {
	p := in.Relief.Defaults()
	if p.FrameWidth > 0 && (!(p.Base+p.FrameHeight > 0) || math.IsInf(p.FrameHeight, 0)) {
		return nil, Report{}, fmt.Errorf("%w: frame height %v mm would sink the frame below the bottom", backends.ErrInvalidInput, p.FrameHeight)
	}
	progress.Report("height", 0)
	g, err := reliefHeights(ctx, in, p)
	if err != nil {
		return nil, Report{}, err
	}
	progress.Report("height", 1)
	tol := in.Tolerance
	if tol == 0 {
		tol = 0.01 * p.Depth
	}
	return b.adaptiveSolid(ctx, in, g, tol, progress)
}

// minTolerance is the smallest tolerance, in mm, the triangulator works to: far below what any
// printer resolves, and above the rounding of a plane's height.
const minTolerance = 1e-6

// adaptiveSolid triangulates g within tol mm (or the face budget) and closes it into a solid of
// the Input's size.
func (b *Backend) adaptiveSolid(ctx context.Context, in *backends.Input, g grid, tol float64, progress backends.Progress) (*mesh.Mesh, Report, error) {
	tol = max(tol, minTolerance)
	lim := tinLimits{tol: tol, budget: in.FaceBudget}
	t, err := triangulate(ctx, g, lim, b.workers(), progress)
	if err != nil {
		return nil, Report{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Report{}, fmt.Errorf("cpu: closing the solid: %w", err)
	}
	progress.Report("walls", 0)
	m := heightfieldSolid(t, float64(g.w)*in.PixelSize, float64(g.h)*in.PixelSize)
	progress.Report("walls", 1)
	rep := Report{
		Grid:      [2]int{g.w, g.h},
		Tolerance: tol,
		MaxError:  t.maxErr,
		Faces:     len(m.Faces),
		Vertices:  len(m.Positions),
	}
	rep.BudgetReached = rep.MaxError > tol
	return m, rep, nil
}
