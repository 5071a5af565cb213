package cpu

import (
	"context"
	"math"
	"testing"

	"github.com/orfeas3d/orfeas/mesh"
)

// TestIsosurfaceChunkedMatchesDense checks that meshing a field chunk by chunk gives the dense
// mesh.Isosurface's mesh: the same faces in the same order and the same vertices (z within a
// float32 ulp), for chunks of one cell layer up to the whole grid.
func TestIsosurfaceChunkedMatchesDense(t *testing.T) {
	const nx, ny, nz = 23, 19, 31
	f := func(i, j, l int) float32 {
		x, y, z := float64(i)-11, float64(j)-9, float64(l)-15
		if i == 0 || j == 0 || l == 0 || i == nx-1 || j == ny-1 || l == nz-1 {
			return 1
		}
		// Two blobs and a ripple, so that the surface crosses every chunk boundary.
		v := math.Min(math.Sqrt(x*x+y*y+z*z)-8, math.Sqrt((x-5)*(x-5)+y*y+(z-9)*(z-9))-4)
		return float32(v + 0.7*math.Sin(0.9*x)*math.Cos(0.7*y+0.3*z))
	}
	dense := &mesh.Grid{NX: nx, NY: ny, NZ: nz, Voxel: 0.3, Origin: [3]float64{-1.5, 2, -4.35}}
	dense.Values = make([]float32, nx*ny*nz)
	for l := range nz {
		for j := range ny {
			for i := range nx {
				dense.Values[(l*ny+j)*nx+i] = f(i, j, l)
			}
		}
	}
	want, err := mesh.Isosurface(context.Background(), dense, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Faces) < 1000 {
		t.Fatalf("test field too simple: %d faces", len(want.Faces))
	}
	shape := *dense
	shape.Values = nil
	for _, layers := range []int{1, 2, 3, 7, nz - 1} {
		got, err := isosurfaceChunks(context.Background(), &shape, testWorkers, (layers+1)*nx*ny, func(l int, plane []float32) {
			for j := range ny {
				for i := range nx {
					plane[j*nx+i] = f(i, j, l)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Positions) != len(want.Positions) || len(got.Faces) != len(want.Faces) {
			t.Fatalf("%d layers a chunk: %d vertices, %d faces; dense %d, %d", layers,
				len(got.Positions), len(got.Faces), len(want.Positions), len(want.Faces))
		}
		for i, f := range got.Faces {
			if f != want.Faces[i] {
				t.Fatalf("%d layers a chunk: face %d is %v, dense %v", layers, i, f, want.Faces[i])
			}
		}
		for i, p := range got.Positions {
			q := want.Positions[i]
			if p[0] != q[0] || p[1] != q[1] || math.Abs(float64(p[2]-q[2])) > float64(math.Nextafter32(float32(math.Abs(float64(q[2]))), math.MaxFloat32)-float32(math.Abs(float64(q[2])))) {
				t.Fatalf("%d layers a chunk: vertex %d at %v, dense %v", layers, i, p, q)
			}
		}
		if top := got.Topology(); !top.Closed() {
			t.Fatalf("%d layers a chunk: not closed: %+v", layers, top)
		}
	}
}
