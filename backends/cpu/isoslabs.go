package cpu

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"

	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/mesh"
)

// isoChunkSamples is about how many samples one chunk of the inflation's lattice spans: the
// chunking dates from when the field was filled (16 MiB of float32 a chunk), and stays because
// the chunks' origins set the last bit of the vertices' z, which keeps the meshes as they were.
const isoChunkSamples = 1 << 22

// isosurfaceChunks extracts the level-0 surface of the field that fill defines on the lattice
// of g (g.Values unused), as mesh.Isosurface(ctx, g filled whole, 0) would, without ever
// holding the whole field: the z layers are taken in chunks of about samples samples (at least
// one cell layer each), each chunk's planes filled in parallel (fill(l, plane) writes plane l,
// x fastest, and is called concurrently for different l), meshed by mesh.Isosurface, and the
// chunks' meshes joined on their shared plane. The inflation no longer fills its field
// (isosurfaceFieldChunks); this is the reference its tests hold that to.
//
// The join is exact: mesh.Isosurface numbers the vertices of a chunk's top plane last and those
// of the next chunk's bottom plane first, both in the same order (plane by plane, row by row: the
// crossed x edges of a row, then its crossed y edges), computed from the same samples, so the
// next chunk's copies are dropped and its faces pointed at the first chunk's. The result has the
// vertices and faces of the dense call, in the same order; a vertex's z may differ from the dense
// call's in the last bit of float32, since its chunk's origin is another sum of the same voxels.
func isosurfaceChunks(ctx context.Context, g *mesh.Grid, workers, samples int, fill func(l int, plane []float32)) (*mesh.Mesh, error) {
	nx, ny, nz := g.NX, g.NY, g.NZ
	plane := nx * ny
	layers := max(1, min(nz-1, samples/plane-1)) // cell layers per chunk
	buf := make([]float32, (layers+1)*plane)
	var parts []*mesh.Mesh
	var shares []int
	var keep []float32 // the previous chunk's top plane, the next one's bottom
	for z0 := 0; z0 < nz-1; z0 += layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		z1 := min(z0+layers, nz-1)
		c := &mesh.Grid{NX: nx, NY: ny, NZ: z1 - z0 + 1, Voxel: g.Voxel,
			Origin: [3]float64{g.Origin[0], g.Origin[1], g.Origin[2] + g.Voxel*float64(z0)}}
		c.Values = buf[:c.NZ*plane]
		first := 0
		if keep != nil {
			copy(c.Values[:plane], keep)
			first = 1
		}
		par.For(c.NZ-first, workers, func(i int) {
			l := first + i
			fill(z0+l, c.Values[l*plane:(l+1)*plane])
		})
		m, err := mesh.Isosurface(ctx, c, 0)
		if err != nil {
			return nil, err
		}
		shared := 0
		if keep != nil {
			shared = planeCrossings(keep, nx, ny)
		}
		parts, shares = append(parts, m), append(shares, shared)
		keep = append(keep[:0], c.Values[(c.NZ-1)*plane:]...)
	}
	return joinChunks(parts, shares)
}

// isosurfaceFieldChunks is isosurfaceChunks on a field given by f (mesh.Field, plane l of g
// at f's plane l) instead of filled planes: the same chunks, each meshed by mesh.IsosurfaceField,
// joined the same way, so the mesh is isosurfaceChunks' on f's values bit for bit, without a
// sample being stored.
func isosurfaceFieldChunks(ctx context.Context, g *mesh.Grid, samples int, f mesh.Field) (*mesh.Mesh, error) {
	nx, ny, nz := g.NX, g.NY, g.NZ
	plane := nx * ny
	layers := max(1, min(nz-1, samples/plane-1)) // cell layers per chunk, as isosurfaceChunks
	var parts []*mesh.Mesh
	var shares []int
	mask := make([]uint64, (nx+63)/64*ny)
	for z0 := 0; z0 < nz-1; z0 += layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		z1 := min(z0+layers, nz-1)
		c := &mesh.Grid{NX: nx, NY: ny, NZ: z1 - z0 + 1, Voxel: g.Voxel,
			Origin: [3]float64{g.Origin[0], g.Origin[1], g.Origin[2] + g.Voxel*float64(z0)}}
		var cf mesh.Field = planeOffset{f, z0}
		if o, ok := f.(planeOffsetter); ok {
			cf = o.fromPlane(z0)
		}
		m, err := mesh.IsosurfaceField(ctx, c, cf, 0)
		if err != nil {
			return nil, err
		}
		shared := 0
		if z0 > 0 {
			shared = fieldPlaneCrossings(f, nx, ny, z0, mask)
		}
		parts, shares = append(parts, m), append(shares, shared)
	}
	return joinChunks(parts, shares)
}

// planeOffsetter is a mesh.Field that can give itself seen from plane z0 on (as planeOffset
// does) without a second interface call per sample.
type planeOffsetter interface {
	fromPlane(z0 int) mesh.Field
}

// planeOffset is a mesh.Field seen from plane z0 on: its plane k is f's plane z0 + k.
type planeOffset struct {
	f  mesh.Field
	z0 int
}

func (p planeOffset) InsideRow(j, k int, mask []uint64) { p.f.InsideRow(j, p.z0+k, mask) }
func (p planeOffset) Value(i, j, k int) float32         { return p.f.Value(i, j, p.z0+k) }

// fieldPlaneCrossings is planeCrossings for plane k of the field f, from its rows' signs; mask
// is scratch of (nx+63)/64·ny words.
func fieldPlaneCrossings(f mesh.Field, nx, ny, k int, mask []uint64) int {
	words := (nx + 63) / 64
	for j := range ny {
		f.InsideRow(j, k, mask[j*words:(j+1)*words])
	}
	n := 0
	lastBits := uint64(1)<<uint((nx-1)%64) - 1 // x edges: lower samples 0..nx-2
	for j := range ny {
		row := mask[j*words : (j+1)*words]
		for wi, r := range row {
			var hi uint64
			if wi+1 < words {
				hi = row[wi+1] << 63
			}
			cx := r ^ (r>>1 | hi)
			if wi == (nx-1)/64 {
				cx &= lastBits
			}
			n += bits.OnesCount64(cx)
			if j+1 < ny {
				n += bits.OnesCount64(r ^ mask[(j+1)*words+wi])
			}
		}
	}
	return n
}

// planeCrossings counts the crossed x and y edges of one plane of samples (inside: v < 0, as
// mesh.Isosurface classifies them at level 0): the vertices mesh.Isosurface makes in that plane.
func planeCrossings(p []float32, nx, ny int) int {
	n := 0
	for j := range ny {
		row := p[j*nx : (j+1)*nx]
		for i := 0; i+1 < nx; i++ {
			if (row[i] < 0) != (row[i+1] < 0) {
				n++
			}
		}
		if j+1 < ny {
			up := p[(j+1)*nx : (j+2)*nx]
			for i := range row {
				if (row[i] < 0) != (up[i] < 0) {
					n++
				}
			}
		}
	}
	return n
}

// joinChunks joins the chunks' meshes in order, where the first shares[c] vertices of chunk c
// are copies of the last shares[c] vertices of chunk c−1, into one mesh allocated once. A single
// chunk (a field small enough to be filled whole, as at standard quality) is the mesh itself.
func joinChunks(parts []*mesh.Mesh, shares []int) (*mesh.Mesh, error) {
	if len(parts) == 1 && shares[0] == 0 {
		m := parts[0]
		parts[0] = nil
		return m, nil
	}
	nv, nf := 0, 0
	for c, m := range parts {
		if shares[c] > len(m.Positions) || shares[c] > nv {
			return nil, fmt.Errorf("cpu: inflate chunks disagree on %d shared vertices", shares[c])
		}
		nv += len(m.Positions) - shares[c]
		nf += len(m.Faces)
	}
	out := &mesh.Mesh{Positions: make([][3]float32, nv), Faces: make([][3]uint32, nf)}
	// Where each chunk's kept vertices and its faces land: the chunks are then copied in
	// parallel, each into its own range.
	vo, fo := make([]int, len(parts)+1), make([]int, len(parts)+1)
	for c, m := range parts {
		vo[c+1] = vo[c] + len(m.Positions) - shares[c]
		fo[c+1] = fo[c] + len(m.Faces)
	}
	par.For(len(parts), runtime.GOMAXPROCS(0), func(c int) {
		m := parts[c]
		base := uint32(vo[c] - shares[c]) // where the chunk's vertex 0 lands
		copy(out.Positions[vo[c]:vo[c+1]], m.Positions[shares[c]:])
		dst := out.Faces[fo[c]:fo[c+1]]
		for i, f := range m.Faces {
			dst[i] = [3]uint32{f[0] + base, f[1] + base, f[2] + base}
		}
		parts[c] = nil
	})
	return out, nil
}
