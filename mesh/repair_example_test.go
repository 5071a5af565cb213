package mesh_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// Repair a box as another tool might export it: a triangle soup with one face missing and one
// face flipped.
func ExampleRepair() {
	box := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{20, 20, 20})
	soup := &mesh.Mesh{}
	for i, f := range box.Faces {
		if i == 4 {
			continue // a hole
		}
		if i == 7 {
			f[1], f[2] = f[2], f[1] // a flipped face
		}
		n := uint32(len(soup.Positions))
		for _, v := range f {
			soup.Positions = append(soup.Positions, box.Positions[v])
		}
		soup.Faces = append(soup.Faces, [3]uint32{n, n + 1, n + 2})
	}
	fixed, rep, err := mesh.Repair(context.Background(), soup, mesh.RepairOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("closed before:", rep.Before.Closed(), "after:", rep.After.Closed(), "outward:", rep.After.Outward)
	fmt.Println("welded:", rep.WeldedVertices, "flipped:", rep.FlippedFaces, "holes filled:", rep.HolesFilled)
	fmt.Printf("%d vertices, %d faces, %.0f mm³\n", len(fixed.Positions), len(fixed.Faces), fixed.Volume())
	// Output:
	// closed before: false after: true outward: true
	// welded: 25 flipped: 1 holes filled: 1
	// 8 vertices, 12 faces, 8000 mm³
}

// Check a 40 mm cube with a 40 × 10 mm shelf sticking out at the top against the default
// printer profile (256 mm cube, 45° overhangs, PLA).
func ExampleAnalyze() {
	body := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{40, 40, 40})
	shelf := meshtest.Cuboid([3]float32{0, 40, 30}, [3]float32{40, 50, 40})
	a, err := mesh.Analyze(body.Merge(shelf), mesh.PrinterProfile{})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.MarshalIndent(struct {
		Fits     bool       `json:"fits"`
		Scale    float64    `json:"scale_to_fit"`
		Size     [3]float64 `json:"size_mm"`
		Volume   float64    `json:"volume_cm3"`
		Mass     float64    `json:"mass_g"`
		Overhang float64    `json:"overhang_area_mm2"`
		Shells   int        `json:"shells"`
		Closed   bool       `json:"closed"`
	}{a.Fits, a.ScaleToFit, a.SizeMM, a.VolumeCM3, a.MassG, a.OverhangAreaMM2, a.Shells, a.Closed}, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "fits": true,
	//   "scale_to_fit": 5.12,
	//   "size_mm": [
	//     40,
	//     50,
	//     40
	//   ],
	//   "volume_cm3": 68,
	//   "mass_g": 84.32,
	//   "overhang_area_mm2": 400,
	//   "shells": 2,
	//   "closed": true
	// }
}
