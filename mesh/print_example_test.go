package mesh_test

import (
	"context"
	"fmt"
	"time"

	"github.com/orfeas3d/orfeas/mesh"
)

// cube returns a closed, outward-wound box from lo to hi (mm): 8 corners, 12 triangles.
func cube(lo, hi [3]float32) *mesh.Mesh {
	m := &mesh.Mesh{}
	for i := range 8 { // corner i has x, y, z at hi where bit 0, 1, 2 of i is set
		p := lo
		for k := range 3 {
			if i>>k&1 == 1 {
				p[k] = hi[k]
			}
		}
		m.Positions = append(m.Positions, p)
	}
	m.Faces = [][3]uint32{
		{0, 2, 3}, {0, 3, 1}, {4, 5, 7}, {4, 7, 6}, // bottom, top
		{0, 1, 5}, {0, 5, 4}, {2, 6, 7}, {2, 7, 3}, // front, back
		{0, 4, 6}, {0, 6, 2}, {1, 3, 7}, {1, 7, 5}, // left, right
	}
	return m
}

// Two boxes that overlap make a mesh that is closed (two watertight shells) and still not
// printable: each box passes through the other, which no topology check sees.
func ExampleSelfIntersections() {
	a := cube([3]float32{0, 0, 0}, [3]float32{10, 10, 10})
	b := cube([3]float32{5, 5, 5}, [3]float32{15, 15, 15})
	m := a.Clone()
	for _, f := range b.Faces {
		n := uint32(len(a.Positions))
		m.Faces = append(m.Faces, [3]uint32{f[0] + n, f[1] + n, f[2] + n})
	}
	m.Positions = append(m.Positions, b.Positions...)

	si, err := mesh.SelfIntersections(context.Background(), m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("closed:", m.Topology().Closed())
	fmt.Println("crossing pairs:", si.Pairs, "complete search:", si.Complete)
	fmt.Println("first pair:", si.Faces[0])

	si, _ = mesh.SelfIntersections(context.Background(), a)
	fmt.Println("one box alone:", si.Pairs)
	// Output:
	// closed: true
	// crossing pairs: 6 complete search: true
	// first pair: [2 17]
	// one box alone: 0
}

// Measure a part against a printer before slicing it, with a deadline for the one part of the
// analysis whose work grows faster than the face count (the self-intersection search).
func ExampleAnalyzeContext() {
	part := cube([3]float32{0, 0, 0}, [3]float32{300, 100, 20}) // mm

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := mesh.AnalyzeContext(ctx, part, mesh.PrinterProfile{}) // 256 mm cube, 45°, PLA
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("size %v mm, fits %v, scale to fit %.3f\n", a.SizeMM, a.Fits, a.ScaleToFit)
	fmt.Printf("%.0f cm³, %.0f g of PLA, overhangs %.0f mm²\n", a.VolumeCM3, a.MassG, a.OverhangAreaMM2)
	fmt.Println("printable:", a.Printable())
	// Output:
	// size [300 100 20] mm, fits false, scale to fit 0.853
	// 600 cm³, 744 g of PLA, overhangs 0 mm²
	// printable: true
}
