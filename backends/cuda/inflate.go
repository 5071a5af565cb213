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
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/mesh"
)

// inflate is backends/cpu's inflate mode with its heavy stages on the device. The steps, their
// order and their arithmetic are the CPU reference's, so the two backends build the same mesh:
//
//   - CPU: choose the grid's reduction k from the face budget (the CPU's estimate, and its retry
//     with a larger k while the mesh has too many faces), reduce the mask k×k, trace its outline
//     and seed the distance transform (raster.OutlineSeeds);
//   - device: the exact distance transform and the signed distance, the largest distance, the local
//     thickness (Dome), the heights, the voxel field and marching cubes;
//   - CPU: rest the mesh on Z = 0 and colour it by projection.
//
// Each attempt runs on its own stream through onDevice, so its memory is back in the pool before
// the next. It returns the mesh and the reduction k it was built at.
func inflate(ctx context.Context, in *backends.Input, progress backends.Progress, onDevice deviceRunner) (*mesh.Mesh, int, error) {
	k := inflateStride(in.Mask, in.Width, in.Height, in.FaceBudget)
	for attempt := 0; ; attempt++ {
		var m *mesh.Mesh
		err := onDevice(ctx, inflateBytes(in, k), func(s gpu.Stream) error {
			var err error
			m, err = inflateAt(ctx, s, in, k, progress)
			return err
		})
		if err != nil {
			return nil, k, err
		}
		if in.FaceBudget <= 0 || len(m.Faces) <= in.FaceBudget || attempt == 3 {
			restOnBed(m)
			if in.Color != nil {
				colourByProjection(m, in)
			}
			return m, k, nil
		}
		k = max(k+1, int(math.Ceil(float64(k)*math.Sqrt(1.1*float64(len(m.Faces))/float64(in.FaceBudget)))))
	}
}

// inflateAt runs the device stages of inflate on the image reduced k times, returning the mesh
// as marching cubes makes it.
func inflateAt(ctx context.Context, s gpu.Stream, in *backends.Input, k int, progress backends.Progress) (*mesh.Mesh, error) {
	p := in.Inflate.Defaults()
	w, h := (in.Width+k-1)/k, (in.Height+k-1)/k
	px := in.PixelSize * float64(k)
	mask := boxReduce(in.Mask, in.Width, in.Height, k)
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
		return nil, fmt.Errorf("%w: the mask has no foreground to inflate", backends.ErrInvalidInput)
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
	rim := p.MinRim / 2
	if p.FlatBack {
		rim = p.MinRim
	}
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
		px: C.double(px), thickness: C.double(p.Thickness), rim: C.double(rim), R: C.float(R), n: C.u32(n),
	}
	if err := launch(s, kInflateHeights, n, &ha); err != nil {
		return nil, err
	}
	hmax, err := reduceMaxF64(s, Hd, n, 0)
	if err != nil {
		return nil, err
	}
	progress.Report("distance", 1)

	g := inflateGrid(w, h, px, hmax, p.FlatBack)
	if g.samples() > 1<<28 {
		return nil, fmt.Errorf("%w: inflation grid of %d×%d×%d samples is too large", backends.ErrInvalidInput, g.nx, g.ny, g.nz)
	}
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
	progress.Report("surface", 1)
	return m, nil
}

// restOnBed translates m so that its lowest point is on Z = 0, as the CPU reference does
// (m.Bounds, m.Transform), in parallel. Every vertex of a marching-cubes mesh belongs to a face, so
// the lowest vertex is the lowest point of the faces that Bounds measures; the translation is
// mesh.Affine.Apply per vertex, the arithmetic of m.Transform.
func restOnBed(m *mesh.Mesh) {
	const block = 1 << 16
	nb := (len(m.Positions) + block - 1) / block
	lows := make([]float32, nb)
	parallelRows(nb, func(b int) {
		low := float32(math.MaxFloat32)
		for _, p := range m.Positions[b*block : min((b+1)*block, len(m.Positions))] {
			low = min(low, p[2])
		}
		lows[b] = low
	})
	low := float32(math.MaxFloat32)
	for _, l := range lows {
		low = min(low, l)
	}
	a := mesh.Translate(0, 0, -float64(low))
	parallelRows(nb, func(b int) {
		ps := m.Positions[b*block : min((b+1)*block, len(m.Positions))]
		for i, p := range ps {
			ps[i] = a.Apply(p)
		}
	})
}

// inflateGrid is the CPU reference's voxel grid: a margin of one outside sample on every side;
// sample (i, j, l) at the centre of coarse pixel (i−1, h−j) (y up) and at z = z0 + l·px, offset by
// half a voxel so that no sample sits on the flat back or the middle plane.
func inflateGrid(w, h int, px, hmax float64, flat bool) gridShape {
	nx, ny := w+2, h+2
	z0 := -hmax - px*1.5
	if flat {
		z0 = -2 * px
	}
	nz := int(math.Ceil((hmax+px*1.5-z0)/px)) + 1
	return gridShape{nx: nx, ny: ny, nz: nz, voxel: px, origin: [3]float64{-0.5 * px, -0.5 * px, z0 + 0.5*px}}
}

// inflateBytes estimates the device memory an inflation of in on the image reduced k times
// needs, for the memory budget.
func inflateBytes(in *backends.Input, k int) uint64 {
	p := in.Inflate.Defaults()
	w, h := (in.Width+k-1)/k, (in.Height+k-1)/k
	n := uint64(w * h)
	// The height is at most the largest inscribed radius times the thickness scale; assume the
	// worst, a shape as thick as it is wide.
	hmax := float64(min(w, h)) / 2 * max(p.Thickness, 1)
	nz := uint64(2*hmax+4) + uint64(p.MinRim/(in.PixelSize*float64(k))) + 2
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

// inflateFacesPerPixel is the CPU reference's estimate of the marching-cubes faces an inflated
// shape makes per foreground pixel of the grid.
const inflateFacesPerPixel = 8

// inflateStride returns the first integer factor by which the image is reduced for the inflation
// grid, as the CPU reference chooses it: the smallest that the estimate says fits the budget.
func inflateStride(mask []float32, w, h, budget int) int {
	if budget <= 0 {
		return 1
	}
	area := float64(w * h)
	if mask != nil {
		area = 0
		for _, m := range mask {
			area += float64(m)
		}
	}
	return max(1, int(math.Ceil(math.Sqrt(inflateFacesPerPixel*area/float64(budget)))))
}

// boxReduce averages k×k blocks of a w×h plane (nil means all ones), as the CPU reference does.
func boxReduce(p []float32, w, h, k int) []float32 {
	W, H := (w+k-1)/k, (h+k-1)/k
	out := make([]float32, W*H)
	if p == nil {
		for i := range out {
			out[i] = 1
		}
		return out
	}
	if k == 1 {
		copy(out, p)
		return out
	}
	parallelRows(H, func(J int) {
		for I := range W {
			var s float32
			n := 0
			for y := J * k; y < min((J+1)*k, h); y++ {
				for x := I * k; x < min((I+1)*k, w); x++ {
					s += p[y*w+x]
					n++
				}
			}
			out[J*W+I] = s / float32(n)
		}
	})
	return out
}

// colourByProjection gives every vertex the image colour straight below or above it and a planar
// UV, as the CPU reference does (in parallel: each vertex's values depend on it alone).
func colourByProjection(m *mesh.Mesh, in *backends.Input) {
	m.Colors = make([][4]uint8, len(m.Positions))
	m.UVs = make([][2]float32, len(m.Positions))
	const block = 4096
	parallelRows((len(m.Positions)+block-1)/block, func(b int) {
		for i := b * block; i < min((b+1)*block, len(m.Positions)); i++ {
			colourVertex(m, in, i)
		}
	})
}

// colourVertex colours vertex i of m (see colourByProjection).
func colourVertex(m *mesh.Mesh, in *backends.Input, i int) {
	w, h := in.Width, in.Height
	p := m.Positions[i]
	x := float64(p[0]) / in.PixelSize
	y := float64(h) - float64(p[1])/in.PixelSize
	col := min(max(int(x), 0), w-1)
	row := min(max(int(y), 0), h-1)
	c := [4]uint8{0, 0, 0, 255}
	for k := range 3 {
		c[k] = uint8(math.Round(float64(min(max(in.Color[3*(row*w+col)+k], 0), 1)) * 255))
	}
	m.Colors[i] = c
	m.UVs[i] = [2]float32{float32(min(max(x/float64(w), 0), 1)), float32(min(max(y/float64(h), 0), 1))}
}

// parallelRows calls f(0) … f(n−1) on up to GOMAXPROCS goroutines, all finished on return. Each
// call must write only its own part of the output, so the result does not depend on the split.
func parallelRows(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
