package cpu

import (
	"context"
	"fmt"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// reliefHeights computes the relief's top surface in mm at every pixel (modes.ReliefHeights) from
// the prepared source, smoothed by a Gaussian of sigma Smooth px. Unsmoothed, the heights come
// straight from the source plane (modes.ReliefHeightsUnsmoothed: the same bits, no float64 copy).
func reliefHeights(ctx context.Context, in *backends.Input, p backends.ReliefParams, workers int) (grid, error) {
	if !(p.Smooth > 0) {
		g, err := modes.ReliefHeightsUnsmoothed(ctx, in, p, workers)
		if err != nil {
			return grid{}, fmt.Errorf("cpu: heights: %w", err)
		}
		return g, nil
	}
	f := modes.ReliefPrepare(modes.ReliefSource(in), p.Invert)
	if err := modes.GaussianBlur(ctx, f, in.Width, in.Height, p.Smooth); err != nil {
		return grid{}, fmt.Errorf("cpu: smoothing: %w", err)
	}
	return modes.ReliefHeights(in, p, f), nil
}

// relief builds a heightfield on a solid base (see reliefHeights) by adaptive triangulation.
func (b *Backend) relief(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	p := in.Relief.Defaults()
	if err := modes.CheckReliefFrame(p); err != nil {
		return nil, backends.Report{}, err
	}
	progress.Report("height", 0)
	g, err := reliefHeights(ctx, in, p, b.workers())
	if err != nil {
		return nil, backends.Report{}, err
	}
	progress.Report("height", 1)
	return b.adaptiveSolid(ctx, solidOf(in), g, progress)
}

// solidParams are what adaptiveSolid needs of an Input: taken out of it, so that the Input, and
// the planes only it still holds, need not stay reachable while the grid is triangulated.
type solidParams struct {
	tol, pixelSize float64
	budget         int
}

// solidOf returns in's tolerance (modes.HeightfieldTolerance), pixel size and face budget.
func solidOf(in *backends.Input) solidParams {
	return solidParams{tol: modes.HeightfieldTolerance(in), pixelSize: in.PixelSize, budget: in.FaceBudget}
}

// adaptiveSolid triangulates g within sp.tol mm (at least heightfield.MinTolerance, as
// modes.HeightfieldTolerance gives it) or the face budget, and closes it into a solid of
// sp.pixelSize mm samples.
func (b *Backend) adaptiveSolid(ctx context.Context, sp solidParams, g grid, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	t, err := triangulate(ctx, g, tinLimits{tol: sp.tol, budget: sp.budget}, b.workers(), progress)
	if err != nil {
		return nil, backends.Report{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, backends.Report{}, fmt.Errorf("cpu: closing the solid: %w", err)
	}
	m, rep := heightfield.Close(t, sp.pixelSize, sp.tol, progress)
	return m, rep, nil
}
