// Package cpu is orfeas's reference backend: every mode in pure Go, deterministic, on all cores.
//
// # Reliefs and flat lithophanes
//
// Both are heightfields: one sample per pixel, triangulated adaptively by greedy insertion with
// Delaunay flips (Garland and Heckbert 1995) until every sample lies within the tolerance of the
// surface (Input.Tolerance in mm; when 0, 1 % of the relief depth or of the lithophane's thickness
// range) or until the face budget is spent. When the tolerance was met, a decimation pass then
// removes the vertices that later insertions made redundant (about a tenth of the triangles on a
// photograph), still within the tolerance. The surface is closed with vertical walls and a flat
// bottom on Z = 0. Reconstruct reports the largest vertical error actually left at any sample.
// Grids larger than about 256 samples a side are triangulated in tiles in parallel; the tiling
// depends only on the grid's size, so the output is byte-identical for every GOMAXPROCS.
// The greedy triangulation is tin.go (its reference on top), its tiling tiles.go and the vertex
// removal decimate.go; the sample grid, the surface and its closing into a solid are
// backends/internal/heightfield, which the CUDA backend's RTIN shares.
//
// Sampling: a W×H image becomes a W×H grid of samples whose first and last rows and columns lie
// on the model's edges, so the model spans exactly X = [0, W·PixelSize] and Y = [0, H·PixelSize]
// and every pixel value is a possible vertex height. Samples are therefore spaced
// W·PixelSize/(W−1) mm apart, a stretch of 1/(W−1) over pixel-centre spacing (0.1 % at 1024 px).
//
// A relief's height comes from the depth map when there is one, else from the luminance (bright is
// high, or dark with Invert); it is smoothed (Smooth, px), stretched to the full 0…1 range over the
// foreground, raised to Gamma and scaled: z = Base + Depth·h. With UseMask, background pixels
// (Mask < 0.5) stay at Base. A frame (FrameWidth mm) is drawn over the image's outer band at
// Base + FrameHeight, so the model keeps the image's size.
//
// A lithophane is MinThickness thick where the image is white and MaxThickness where it is black,
// linear in luminance; Mirror flips it left to right. Its frame, like the relief's, covers the
// image's outer FrameWidth mm at MaxThickness.
//
// # Curved lithophanes
//
// A Cylinder lithophane is bent around the Z axis, the image outside and a smooth inside of radius
// width/arc, standing on Z = 0 with the arc centred on −Y. A 360° ring closes on itself (genus 1);
// a shorter arc has flat end caps. Its outside is a regular grid of every k-th sample, with the
// smallest k that fits the face budget, because an adaptive triangulation's long edges would cut
// the chords of the curve.
//
// # Extrude
//
// The foreground's outline is traced with sub-pixel accuracy (marching squares on the lightly
// blurred mask at 0.5), nested into outer boundaries and holes, simplified within the tolerance
// (Douglas–Peucker), capped top and bottom by ear clipping with hole bridges, and walled to
// Height. With BasePlate the shape stands on a rectangular plate BaseMargin wider than its outline,
// and the two are one closed solid: the plate's top is the rectangle less the shape's footprint.
//
// # Inflate
//
// The silhouette's signed distance (exact Euclidean transform, sub-pixel outline) gives a height
// profile — Round: h = sqrt(d·(2R − d)) with R the silhouette's largest inscribed radius, so a disk
// becomes a sphere; Dome: the same with R the local thickness, so narrow parts stay thin — and the
// implied volume |z| ≤ max(h·Thickness, MinRim/2) (or 0 ≤ z ≤ … with FlatBack) is meshed by
// marching cubes on a grid whose resolution follows the face budget.
//
// Relief, extrude and inflate colour their vertices from Input.Color when it is set (front by
// projection, back mirrored) and give them planar UVs (u right, v down over the whole image).
// Lithophanes stay plain.
package cpu

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// Options configure a Backend. The zero value means the defaults.
type Options struct {
	// Workers is the most goroutines one reconstruction uses (default GOMAXPROCS). The output
	// does not depend on it.
	Workers int
}

// Backend is the CPU reference backend. It is safe for concurrent use.
type Backend struct {
	opts   Options
	closed atomic.Bool
}

var _ backends.Backend = (*Backend)(nil)

// New returns a CPU backend configured by opts; the zero Options are the defaults.
func New(opts Options) *Backend { return &Backend{opts: opts} }

// Name returns "cpu".
func (b *Backend) Name() string { return "cpu" }

// Close marks the backend closed; later Reconstruct calls return an error wrapping backends.ErrClosed. It is idempotent.
func (b *Backend) Close() error {
	b.closed.Store(true)
	return nil
}

func (b *Backend) workers() int {
	if b.opts.Workers > 0 {
		return b.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Reconstruct validates in, builds its mesh and reports how closely the mesh follows the
// image. The mesh is closed and outward-oriented, in mm, placed as the backends package describes:
// a relief or flat lithophane spans X = [0, W·PixelSize], Y = [0, H·PixelSize] with its bottom on
// Z = 0; a cylinder stands on Z = 0 around the Z axis. Errors wrap backends.ErrInvalidInput,
// backends.ErrUnsupportedMode, backends.ErrClosed or the context's error.
func (b *Backend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	if err := backends.Check(ctx, "cpu", b.closed.Load(), in); err != nil {
		return nil, backends.Report{}, err
	}
	switch in.Mode {
	case backends.Relief:
		if in.Color == nil {
			// in is not used after this call, so that b.relief can let go of it (and of planes
			// only it holds) once the heights are computed.
			return b.relief(ctx, in, progress)
		}
		m, r, err := b.relief(ctx, in, progress)
		if err == nil {
			modes.ColourByProjection(m, in, b.workers())
		}
		return m, r, err
	case backends.Lithophane:
		return b.lithophane(ctx, in, progress)
	case backends.Extrude, backends.Inflate:
		var m *mesh.Mesh
		var err error
		if in.Mode == backends.Inflate {
			m, err = inflate(ctx, in, progress, b.workers())
		} else {
			// Coloured from the subject only, as inflate is (the outline lies on its
			// anti-aliased edge).
			m, err = extrudeColoured(ctx, in, progress, b.workers())
		}
		if err != nil {
			return nil, backends.Report{}, fmt.Errorf("cpu: %s: %w", in.Mode, err)
		}
		r := backends.Counted(in, m)
		if in.Mode == backends.Extrude {
			// The outline's simplification bounds the error: no traced point is farther away.
			r.Tolerance = extrudeTolerance(in)
			r.MaxError = r.Tolerance
		}
		return m, r, nil
	default:
		return nil, backends.Report{}, fmt.Errorf("cpu: %w: %q", backends.ErrUnsupportedMode, in.Mode)
	}
}
