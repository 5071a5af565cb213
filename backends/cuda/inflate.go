//go:build cgo

package cuda

/*
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"
*/
import "C"

import (
	"context"
	"runtime"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// inflate is backends/cpu's inflate mode with its heavy stages on the device. The steps, their
// order and their arithmetic are the CPU reference's, and the CPU-side stages are the very code the
// CPU backend runs (backends/internal/modes), so the two backends build the same mesh:
//
//   - CPU: choose the grid's reduction k from the face budget (modes.InflateFit, the retry with a
//     larger k while the mesh has too many faces), reduce the mask k×k, trace its outline and seed
//     the distance transform (distance.OutlineSeeds);
//   - device: the exact distance transform and the signed distance, the largest distance, the local
//     thickness (Dome), the heights, the voxel field and marching cubes;
//   - CPU: rest the mesh on Z = 0 and colour it by projection.
//
// Each attempt runs on its own stream through onDevice, so its memory is back in the pool before
// the next. It returns the mesh and the reduction k it was built at.
func inflate(ctx context.Context, in *backends.Input, progress backends.Progress, onDevice deviceRunner) (*mesh.Mesh, int, error) {
	workers := runtime.GOMAXPROCS(0)
	m, k, err := modes.InflateFit(in, func(k int) (*mesh.Mesh, error) {
		var m *mesh.Mesh
		err := onDevice(ctx, inflateBytes(in, k), func(s gpu.Stream) error {
			var err error
			m, err = inflateAt(ctx, s, in, k, progress, workers)
			return err
		})
		return m, err
	})
	if err != nil {
		return nil, k, err
	}
	modes.RestOnBed(m, workers)
	if in.Color != nil {
		modes.ColourByProjection(m, in, workers)
	}
	return m, k, nil
}

// inflateAt runs the device stages of inflate on the image reduced k times, returning the mesh
// as marching cubes makes it, its flat back triangulated afresh on the host as the CPU backend's
// (modes.FlattenBack).
func inflateAt(ctx context.Context, s gpu.Stream, in *backends.Input, k int, progress backends.Progress, workers int) (*mesh.Mesh, error) {
	p := in.Inflate.Defaults()
	w, h, px := modes.InflateSize(in, k)
	mask := modes.BoxReduce(in.Mask, in.Width, in.Height, k, workers)
	modes.FillFalseHoles(mask, w, h, in.Mask, in.Width, in.Height, k)
	progress.Report("distance", 0)
	sd, err := signedDistance(s, mask, w, h)
	if err != nil {
		return nil, err
	}
	n := uint64(w * h)
	R, err := reduceMaxF32(s, sd, n, 0)
	if err != nil {
		return nil, err
	}
	if R <= 0 {
		return nil, modes.ErrNoForeground
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var local gpu.Ptr
	if p.Profile == backends.Dome {
		if local, err = localThickness(s, sd, w, h); err != nil {
			return nil, err
		}
	}
	rim := modes.InflateRim(p)
	H, err := allocN[float32](s, int(n))
	if err != nil {
		return nil, err
	}
	Hd, err := allocN[float64](s, int(n))
	if err != nil {
		return nil, err
	}
	ha := C.struct_inflate_heights_args{
		sd: dptr(sd), local: dptr(local), H: dptr(H), Hd: dptr(Hd),
		px: C.double(px), thickness: C.double(modes.InflateThickness(in, p, R, px)), rim: C.double(rim), R: C.float(R), n: C.u32(n),
	}
	if err := launch(s, kInflateHeights, n, &ha); err != nil {
		return nil, err
	}
	hmax, err := reduceMaxF64(s, Hd, n, 0)
	if err != nil {
		return nil, err
	}
	progress.Report("distance", 1)

	mg, err := modes.InflateGrid(w, h, px, hmax, p.FlatBack)
	if err != nil {
		return nil, err
	}
	g := gridShape{nx: mg.NX, ny: mg.NY, nz: mg.NZ, voxel: mg.Voxel, origin: mg.Origin}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vals, err := allocN[float32](s, int(g.samples()))
	if err != nil {
		return nil, err
	}
	fa := C.struct_inflate_field_args{
		sd: dptr(sd), H: dptr(H), values: dptr(vals), oz: C.double(g.origin[2]), px: C.double(px),
		w: C.int(w), h: C.int(h), nx: C.int(g.nx), ny: C.int(g.ny), nz: C.int(g.nz), n: C.u32(g.samples()),
	}
	if p.FlatBack {
		fa.flat = 1
	}
	if err := launch(s, kInflateField, g.samples(), &fa); err != nil {
		return nil, err
	}
	progress.Report("surface", 0)
	m, err := isosurface(ctx, s, vals, g, 0)
	if err != nil {
		return nil, err
	}
	if p.FlatBack {
		modes.FlattenBack(m, mg.Origin[0], mg.Origin[1], modes.FlatBackTile*px, workers)
	}
	progress.Report("surface", 1)
	return m, nil
}

// inflateBytes estimates the device memory an inflation of in on the image reduced k times
// needs, for the memory budget.
func inflateBytes(in *backends.Input, k int) uint64 {
	p := in.Inflate.Defaults()
	w, h, px := modes.InflateSize(in, k)
	n := uint64(w * h)
	// The height is at most the largest inscribed radius times the thickness scale; assume the
	// worst, a shape as thick as it is wide.
	hmax := float64(min(w, h)) / 2 * max(p.Thickness, 1)
	nz := uint64(2*hmax+4) + uint64(p.MinRim/px) + 2
	g := gridShape{nx: w + 2, ny: h + 2, nz: int(min(nz, 1<<28/uint64((w+2)*(h+2))+1))}
	cells := g.samples()
	// Vertices and faces: a few per voxel of a surface the size of the grid's box; shapes with
	// much more surface than that are rare, and the device reports ErrOutOfMemory if one is not.
	surf := 16 * uint64(g.nx*g.ny+g.nx*g.nz+g.ny*g.nz)
	// About 90 bytes per pixel of the 2D stages (mask, seeds, transform, distances, heights).
	total := 128*n + 4*cells + isosurfaceBytes(g, surf, 2*surf)
	return total + total/4
}

// localThickness paints every maximal disk with its radius (kernels/inflate.cu) and returns the
// float32 local thickness on the device.
func localThickness(s gpu.Stream, sd gpu.Ptr, w, h int) (gpu.Ptr, error) {
	n := uint64(w * h)
	centre, err := allocN[uint8](s, int(n))
	if err != nil {
		return 0, err
	}
	out, err := allocN[uint32](s, int(n))
	if err != nil {
		return 0, err
	}
	ca := C.struct_lt_centres_args{sd: dptr(sd), centre: dptr(centre), w: C.int(w), h: C.int(h)}
	if err := launch(s, kLtCentres, n, &ca); err != nil {
		return 0, err
	}
	fa := C.struct_fill_u32_args{a: dptr(out), n: C.u32(n)}
	if err := launch(s, kFillU32, n, &fa); err != nil {
		return 0, err
	}
	pa := C.struct_lt_paint_args{sd: dptr(sd), centre: dptr(centre), out: dptr(out), w: C.int(w), h: C.int(h)}
	return out, launch(s, kLtPaint, n, &pa)
}
