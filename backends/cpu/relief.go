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
// With inPlace they are written over the source plane (modes.ReliefSource) rather than into a
// plane of their own: the same values, one plane of 4 bytes a pixel fewer.
func reliefHeights(ctx context.Context, in *backends.Input, p backends.ReliefParams, workers int, inPlace bool) (grid, error) {
	if !(p.Smooth > 0) {
		heights := modes.ReliefHeightsUnsmoothed
		if inPlace {
			heights = modes.ReliefHeightsUnsmoothedInPlace
		}
		g, err := heights(ctx, in, p, workers)
		if err != nil {
			return grid{}, fmt.Errorf("cpu: heights: %w", err)
		}
		return g, nil
	}
	f := modes.ReliefPrepare(modes.ReliefSource(in), p.Invert)
	if err := modes.GaussianBlur(ctx, f, in.Width, in.Height, p.Smooth); err != nil {
		return grid{}, fmt.Errorf("cpu: smoothing: %w", err)
	}
	if inPlace {
		return modes.ReliefHeightsInto(in, p, f, modes.ReliefSource(in)), nil
	}
	return modes.ReliefHeights(in, p, f), nil
}

// relief builds a heightfield on a solid base (see reliefHeights) by adaptive triangulation.
func (b *Backend) relief(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	return b.reliefOf(ctx, in, progress, false)
}

// reliefOf is relief, with the heights written over in's source plane when inPlace is set.
func (b *Backend) reliefOf(ctx context.Context, in *backends.Input, progress backends.Progress, inPlace bool) (*mesh.Mesh, backends.Report, error) {
	p := in.Relief.Defaults()
	if err := modes.CheckReliefFrame(p); err != nil {
		return nil, backends.Report{}, err
	}
	progress.Report("height", 0)
	g, err := reliefHeights(ctx, in, p, b.workers(), inPlace)
	if err != nil {
		return nil, backends.Report{}, err
	}
	progress.Report("height", 1)
	return b.adaptiveSolid(ctx, solidOf(in), g, progress)
}

// ReconstructInPlace is Reconstruct for a caller that has no further use for in's planes: a
// relief computes its heights over its source plane (in.Depth when set, else in.Luminance)
// instead of into a plane of its own, so that the image and the height grid, 4 bytes a pixel
// each, are never both whole in memory (64 MB of the peak of a 4096² relief). The mesh, the
// report and the errors are Reconstruct's, bit for bit; what the source plane holds afterwards
// is unspecified. The other modes are Reconstruct itself.
func (b *Backend) ReconstructInPlace(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	if in == nil || in.Mode != backends.Relief {
		return b.Reconstruct(ctx, in, progress)
	}
	if err := backends.Check(ctx, "cpu", b.closed.Load(), in); err != nil {
		return nil, backends.Report{}, err
	}
	if in.Color == nil {
		return b.reliefOf(ctx, in, progress, true)
	}
	m, r, err := b.reliefOf(ctx, in, progress, true)
	if err == nil {
		modes.ColourByProjection(m, in, b.workers())
	}
	return m, r, err
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
