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

	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/mesh"
)

// maxSamples bounds a grid so that every sample index fits the kernels' 32-bit thread indices.
const maxSamples = 1 << 31

// gridShape is a sample lattice on the device, laid out like mesh.Grid.
type gridShape struct {
	nx, ny, nz int
	voxel      float64
	origin     [3]float64
}

func (g gridShape) samples() uint64 { return uint64(g.nx) * uint64(g.ny) * uint64(g.nz) }

// isoWords returns the words per row of the crossed-edge bits and the words in all.
func (g gridShape) isoWords() (nxw int, total uint64) {
	nxw = (g.nx + 31) / 32
	return nxw, uint64(g.nz) * 3 * uint64(g.ny) * uint64(nxw)
}

// isosurfaceBytes is the device memory isosurface needs beyond the field itself, for nv vertices
// and nf faces at most (an estimate is fine: it sizes the memory budget).
func isosurfaceBytes(g gridShape, nv, nf uint64) uint64 {
	n := g.samples()
	_, words := g.isoWords()
	return 2*n + // in8, ntri
		8*words + // bits, wpre
		8*(words/scanChunk+n/scanChunk+64) + // scan levels
		12*nv + 12*nf
}

// isosurface extracts the level surface of the field at vals on the device. The mesh is the one
// mesh.Isosurface builds from the same samples: the same vertices and triangles in the same
// order (kernels/mc.cu explains how).
func isosurface(ctx context.Context, s gpu.Stream, vals gpu.Ptr, g gridShape, level float32) (*mesh.Mesh, error) {
	if g.nx < 2 || g.ny < 2 || g.nz < 2 || g.samples() >= maxSamples {
		return nil, fmt.Errorf("%w: %d×%d×%d samples", mesh.ErrInvalidGrid, g.nx, g.ny, g.nz)
	}
	n := g.samples()
	in8, err := allocN[uint8](s, int(n))
	if err != nil {
		return nil, err
	}
	nan, err := upload(s, []uint32{0})
	if err != nil {
		return nil, err
	}
	ca := C.struct_mc_classify_args{v: dptr(vals), in8: dptr(in8), nan: dptr(nan), n: C.u32(n), level: C.float(level)}
	if err := launch(s, kMcClassify, n, &ca); err != nil {
		return nil, err
	}
	nxw, words := g.isoWords()
	bits, err := allocN[uint32](s, int(words))
	if err != nil {
		return nil, err
	}
	ea := C.struct_mc_edges_args{in8: dptr(in8), bits: dptr(bits), nx: C.int(g.nx), ny: C.int(g.ny), nz: C.int(g.nz), nxw: C.int(nxw), nwords: C.u32(words)}
	if err := launch(s, kMcEdges, words, &ea); err != nil {
		return nil, err
	}
	ntri, err := allocN[uint8](s, int(n))
	if err != nil {
		return nil, err
	}
	la := C.struct_mc_cells_args{in8: dptr(in8), ntri: dptr(ntri), nx: C.int(g.nx), ny: C.int(g.ny), nz: C.int(g.nz), n: C.u32(n)}
	if err := launch(s, kMcCells, n, &la); err != nil {
		return nil, err
	}
	flag, err := download[uint32](s, nan, 1)
	if err != nil {
		return nil, err
	}
	if flag[0] != 0 {
		return nil, fmt.Errorf("%w: a sample is NaN", mesh.ErrInvalidGrid)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Vertices: the prefix sum of the words' population counts numbers them.
	voffs, nv, err := chunkOffsets(s, words, func(sums gpu.Ptr, m uint64) error {
		a := C.struct_scan_sum_popc_args{in: dptr(bits), sums: dptr(sums), n: C.u32(words), chunk: scanChunk}
		return launch(s, kScanSumPopc, m, &a)
	})
	if err != nil {
		return nil, err
	}
	if nv > math.MaxUint32 {
		return nil, fmt.Errorf("%w: %d vertices exceed the uint32 index range", mesh.ErrInvalidGrid, nv)
	}
	wpre, err := allocN[uint32](s, int(words))
	if err != nil {
		return nil, err
	}
	da := C.struct_scan_down_popc_args{in: dptr(bits), offs: dptr(voffs), out: dptr(wpre), n: C.u32(words), chunk: scanChunk}
	if err := launch(s, kScanDownPopc, chunks(words, scanChunk), &da); err != nil {
		return nil, err
	}
	// Triangles: the prefix sum of the cells' counts places them.
	foffs, nf, err := chunkOffsets(s, n, func(sums gpu.Ptr, _ uint64) error {
		return scanSumU8(s, ntri, sums, n)
	})
	if err != nil {
		return nil, err
	}
	if nf > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d triangles are too many", mesh.ErrInvalidGrid, nf)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pos, err := allocN[[3]float32](s, int(max(nv, 1)))
	if err != nil {
		return nil, err
	}
	va := C.struct_mc_verts_args{
		v: dptr(vals), bits: dptr(bits), wpre: dptr(wpre), pos: dptr(pos),
		ox: C.double(g.origin[0]), oy: C.double(g.origin[1]), oz: C.double(g.origin[2]), voxel: C.double(g.voxel),
		nx: C.int(g.nx), ny: C.int(g.ny), nz: C.int(g.nz), nxw: C.int(nxw), nwords: C.u32(words), level: C.float(level),
	}
	if err := launch(s, kMcVerts, words, &va); err != nil {
		return nil, err
	}
	faces, err := allocN[[3]uint32](s, int(max(nf, 1)))
	if err != nil {
		return nil, err
	}
	fa := C.struct_mc_faces_args{
		in8: dptr(in8), ntri: dptr(ntri), offs: dptr(foffs), bits: dptr(bits), wpre: dptr(wpre), faces: dptr(faces),
		nx: C.int(g.nx), ny: C.int(g.ny), nz: C.int(g.nz), nxw: C.int(nxw), n: C.u32(n), chunk: scanChunk,
	}
	if err := launch(s, kMcFaces, chunks(n, scanChunk), &fa); err != nil {
		return nil, err
	}
	m := &mesh.Mesh{}
	if m.Positions, err = download[[3]float32](s, pos, int(nv)); err != nil {
		return nil, err
	}
	if m.Faces, err = download[[3]uint32](s, faces, int(nf)); err != nil {
		return nil, err
	}
	return m, nil
}
