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
	return b.adaptiveSolid(ctx, in, g, modes.HeightfieldTolerance(in), progress)
}

// adaptiveSolid triangulates g within tol mm (at least heightfield.MinTolerance, as
// modes.HeightfieldTolerance gives it) or the face budget, and closes it into a solid of the
// Input's size.
func (b *Backend) adaptiveSolid(ctx context.Context, in *backends.Input, g grid, tol float64, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	lim := tinLimits{tol: tol, budget: in.FaceBudget}
	t, err := triangulate(ctx, g, lim, b.workers(), progress)
	if err != nil {
		return nil, backends.Report{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, backends.Report{}, fmt.Errorf("cpu: closing the solid: %w", err)
	}
	m, rep := heightfield.Close(t, in.PixelSize, tol, progress)
	return m, rep, nil
}
