//go:build cgo

package cuda

/*
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/internal/heightfield"
	"github.com/orfeas3d/orfeas/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// rtinBytes is the device memory rtinErrors needs for a w×h grid on lattice l: the heights, the
// error bounds and the weights.
func rtinBytes(l heightfield.Lattice) uint64 {
	return 4*uint64(l.W*l.H) + 5*uint64(l.Points()) + 3 + 1<<16
}

// rtinErrors computes the saturated error bounds of g's RTIN and the diamonds' weights on the
// device: Stages 1 and 2 of internal/heightfield (OwnErrors, Saturate), the same numbers bit for
// bit.
func rtinErrors(ctx context.Context, s gpu.Stream, g heightfield.Grid, l heightfield.Lattice) ([]float32, []uint8, error) {
	zp, err := upload(s, g.Z)
	if err != nil {
		return nil, nil, err
	}
	np := l.Points()
	e, err := allocN[float32](s, np)
	if err != nil {
		return nil, nil, err
	}
	// The weights are bytes, zeroed as words: the four lattice corners are nobody's midpoint.
	nw := (np + 3) / 4
	wt, err := allocN[uint32](s, nw)
	if err != nil {
		return nil, nil, err
	}
	fw := C.struct_fill_u32_args{a: dptr(wt), n: C.u32(nw)}
	if err := launch(s, kFillU32, uint64(nw), &fw); err != nil {
		return nil, nil, err
	}
	fa := C.struct_fill_u32_args{a: dptr(e), n: C.u32(np)}
	if err := launch(s, kFillU32, uint64(np), &fa); err != nil {
		return nil, nil, err
	}
	oa := C.struct_rtin_own_args{z: dptr(zp), e: dptr(e), w: C.int(l.W), h: C.int(l.H), n: C.int(l.N)}
	if err := launch(s, kRtinOwn, uint64(l.W*l.H), &oa); err != nil {
		return nil, nil, err
	}
	for side := 2; side <= l.N; side *= 2 {
		k := uint64(l.N / side)
		sa := C.struct_rtin_sat_args{e: dptr(e), wt: dptr(wt), w: C.int(l.W), h: C.int(l.H), n: C.int(l.N), s: C.int(side)}
		if err := launch(s, kRtinSatOdd, 2*k*(k+1), &sa); err != nil {
			return nil, nil, err
		}
		if err := launch(s, kRtinSatEven, k*k, &sa); err != nil {
			return nil, nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	ev, err := download[float32](s, e, np)
	if err != nil {
		return nil, nil, err
	}
	wv, err := download[uint8](s, wt, np)
	return ev, wv, err
}

// heightfieldMesh triangulates g, the heights of a relief or flat lithophane, as an RTIN whose
// error bounds come from the device, within modes.HeightfieldTolerance(in) or the face budget,
// and closes it into a solid of the Input's size. Grids beyond heightfield.MaxLatticeSide go to
// the host backend whole.
func heightfieldMesh(ctx context.Context, in *backends.Input, g heightfield.Grid, progress backends.Progress, onDevice deviceRunner) (*mesh.Mesh, cpu.Report, error) {
	l, err := heightfield.NewLattice(g.W, g.H)
	if err != nil {
		return nil, cpu.Report{}, fmt.Errorf("%w: %w", backends.ErrInvalidInput, err)
	}
	progress.Report("triangulate", 0)
	var e []float32
	var wt []uint8
	err = onDevice(ctx, rtinBytes(l), func(s gpu.Stream) error {
		var err error
		e, wt, err = rtinErrors(ctx, s, g, l)
		return err
	})
	if err != nil {
		return nil, cpu.Report{}, err
	}
	tol := modes.HeightfieldTolerance(in)
	surf := l.Emit(g, e, l.Threshold(e, wt, tol, in.FaceBudget), runtime.GOMAXPROCS(0))
	progress.Report("triangulate", 1)
	if err := ctx.Err(); err != nil {
		return nil, cpu.Report{}, err
	}
	progress.Report("walls", 0)
	m := heightfield.Solid(surf, float64(g.W)*in.PixelSize, float64(g.H)*in.PixelSize)
	progress.Report("walls", 1)
	rep := cpu.Report{
		Grid:      [2]int{g.W, g.H},
		Tolerance: tol,
		MaxError:  surf.MaxErr,
		Faces:     len(m.Faces),
		Vertices:  len(m.Positions),
	}
	rep.BudgetReached = rep.MaxError > tol
	return m, rep, nil
}

// fitsLattice reports whether a w×h grid has an RTIN lattice (heightfield.MaxLatticeSide).
func fitsLattice(w, h int) bool {
	_, err := heightfield.NewLattice(w, h)
	return err == nil
}

// relief builds a relief: smoothing on the device, the heights on the host (modes.ReliefHeights),
// the RTIN's error bounds on the device, extraction and walls on the host.
func relief(ctx context.Context, in *backends.Input, progress backends.Progress, onDevice deviceRunner) (*mesh.Mesh, cpu.Report, error) {
	p := in.Relief.Defaults()
	if err := modes.CheckReliefFrame(p); err != nil {
		return nil, cpu.Report{}, err
	}
	progress.Report("height", 0)
	var f []float64
	err := onDevice(ctx, reliefBytes(in), func(s gpu.Stream) error {
		var err error
		f, err = smoothDevice(ctx, s, modes.ReliefSource(in), in.Width, in.Height, p.Smooth, p.Invert)
		return err
	})
	if err != nil {
		return nil, cpu.Report{}, fmt.Errorf("smoothing: %w", err)
	}
	g := modes.ReliefHeights(in, p, f)
	progress.Report("height", 1)
	return heightfieldMesh(ctx, in, g, progress, onDevice)
}
