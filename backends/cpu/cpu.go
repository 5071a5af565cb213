// Package cpu is orfeas's reference backend: every mode in pure Go, deterministic, on all cores.
//
// Reliefs and flat lithophanes are heightfields: one sample per pixel, triangulated adaptively by
// greedy insertion with Delaunay flips (Garland and Heckbert 1995) until every sample lies within
// the tolerance of the surface, then closed with walls and a flat bottom. Curved lithophanes are a
// regular grid bent around the Z axis.
//
// Sampling: a W×H image becomes a W×H grid of samples whose first and last rows and columns lie on
// the model's edges, so the model is exactly W·PixelSize × H·PixelSize mm and every pixel value is
// a vertex height where the triangulation keeps that sample. Samples are therefore spaced
// W·PixelSize/(W−1) mm apart, a stretch of 1/(W−1) over pixel-centre spacing (0.1 % at 1024 px).
//
// Extrude and inflate are not implemented yet: Reconstruct reports backends.ErrUnsupportedMode.
package cpu

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
)

// ErrClosed is returned by Reconstruct after Close.
var ErrClosed = errors.New("cpu: backend closed")

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

// New returns a CPU backend with the default Options.
func New() *Backend { return NewWithOptions(Options{}) }

// NewWithOptions returns a CPU backend configured by opts.
func NewWithOptions(opts Options) *Backend { return &Backend{opts: opts} }

// Name returns "cpu".
func (b *Backend) Name() string { return "cpu" }

// Close marks the backend closed; later Reconstruct calls return ErrClosed. It is idempotent.
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

// Report describes one reconstruction.
type Report struct {
	// Grid is the size of the sample grid the surface was built from.
	Grid [2]int
	// Step is the sampling step of a regular grid (cylinder lithophanes): every Step-th pixel.
	// It is 0 for adaptive triangulations.
	Step int
	// Tolerance is the vertical error, in mm, the adaptive triangulation worked to (0 for regular
	// grids).
	Tolerance float64
	// MaxError is the largest vertical distance, in mm, between any sample of the grid and the
	// mesh surface above it (0 for regular grids, whose vertices are the samples).
	MaxError float64
	// BudgetReached is set when the face budget stopped refinement before the tolerance was met
	// (MaxError > Tolerance), or when a regular grid could not be made small enough.
	BudgetReached bool
	// Faces and Vertices count the mesh.
	Faces, Vertices int
}

// Reconstruct builds the mesh for in; see ReconstructReport.
func (b *Backend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, error) {
	m, _, err := b.ReconstructReport(ctx, in, progress)
	return m, err
}

// ReconstructReport validates in, builds its mesh and reports how closely the mesh follows the
// image. The mesh is closed and outward-oriented, in mm, placed as the backends package describes:
// a relief or flat lithophane spans X = [0, W·PixelSize], Y = [0, H·PixelSize] with its bottom on
// Z = 0; a cylinder stands on Z = 0 around the Z axis. Errors wrap backends.ErrInvalidInput,
// backends.ErrUnsupportedMode, ErrClosed or the context's error.
func (b *Backend) ReconstructReport(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, Report, error) {
	if b.closed.Load() {
		return nil, Report{}, ErrClosed
	}
	if in == nil {
		return nil, Report{}, fmt.Errorf("%w: nil input", backends.ErrInvalidInput)
	}
	if err := in.Validate(); err != nil {
		return nil, Report{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Report{}, fmt.Errorf("cpu: %w", err)
	}
	switch in.Mode {
	case backends.Relief:
		return b.relief(ctx, in, progress)
	case backends.Lithophane:
		return b.lithophane(ctx, in, progress)
	default:
		return nil, Report{}, fmt.Errorf("cpu: %w: %q", backends.ErrUnsupportedMode, in.Mode)
	}
}
