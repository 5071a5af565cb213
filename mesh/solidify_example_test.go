package mesh_test

import (
	"context"
	"fmt"

	"github.com/orfeas3d/orfeas/mesh"
)

// A box with a face missing and a duplicate face: MakePrintable repairs what it can, and
// Solidify rebuilds what repair cannot close.
func ExampleSolidify() {
	box := &mesh.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {10, 0, 0}, {10, 10, 0}, {0, 10, 0}, {0, 0, 10}, {10, 0, 10}, {10, 10, 10}, {0, 10, 10}},
		Faces: [][3]uint32{{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
			{1, 2, 6}, {1, 6, 5}, {2, 3, 7}, {2, 7, 6}, {3, 0, 4}, {3, 0, 4}}, // {3, 4, 7} missing, {3, 0, 4} twice
	}
	out, rep, err := mesh.Solidify(context.Background(), box, mesh.SolidifyOptions{Resolution: 40, FaceBudget: 2000})
	if err != nil {
		fmt.Println(err)
		return
	}
	t := out.Topology()
	// The source lies within a voxel and a half of the result; the result's patch over the
	// missing face lies up to 2.5 mm from any source face (the hole's inradius and more).
	fmt.Printf("closed %v, outward %v, within the budget %v, voxel %.2f mm, source within 1.5 voxels %v, Hausdorff %.1f mm\n",
		t.Closed(), t.Outward, len(out.Faces) <= 2000, rep.Voxel, rep.SourceToResult < 1.5*rep.Voxel, rep.Hausdorff)
	// Output: closed true, outward true, within the budget true, voxel 0.25 mm, source within 1.5 voxels true, Hausdorff 2.5 mm
}
