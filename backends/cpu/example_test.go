package cpu_test

import (
	"context"
	"fmt"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
)

// A relief of a 64×48 image (a bright dome on a dark ground), 80 mm wide, within 0.05 mm.
func ExampleBackend_Reconstruct() {
	const w, h = 64, 48
	lum := make([]float32, w*h)
	for y := range h {
		for x := range w {
			d := math.Hypot(float64(x-32), float64(y-24)) / 20
			lum[y*w+x] = float32(max(0, 1-d*d))
		}
	}
	in := &backends.Input{
		Width: w, Height: h, Luminance: lum,
		PixelSize: 80.0 / w,
		Mode:      backends.Relief,
		Relief:    backends.ReliefParams{Depth: 4, Base: 1.5},
		Tolerance: 0.05,
	}
	b := cpu.New(cpu.Options{})
	defer b.Close()
	m, _, err := b.Reconstruct(context.Background(), in, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	top := m.Topology()
	box := m.Bounds()
	fmt.Println("closed:", top.Closed(), "outward:", top.Outward)
	fmt.Printf("size: %.1f × %.1f × %.1f mm\n", box.Max[0]-box.Min[0], box.Max[1]-box.Min[1], box.Max[2]-box.Min[2])
	// Output:
	// closed: true outward: true
	// size: 80.0 × 60.0 × 5.5 mm
}

// The Report tells how closely the mesh follows the image.
func ExampleBackend_Reconstruct_report() {
	const w, h = 32, 32
	lum := make([]float32, w*h)
	for i := range lum {
		lum[i] = float32(i%w) / (w - 1) // a ramp: two triangles describe it exactly
	}
	in := &backends.Input{Width: w, Height: h, Luminance: lum, PixelSize: 1, Mode: backends.Lithophane}
	_, rep, err := cpu.New(cpu.Options{}).Reconstruct(context.Background(), in, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("max error %.3f mm (tolerance %.3f mm), %d faces\n", rep.MaxError, rep.Tolerance, rep.Faces)
	// Output:
	// max error 0.000 mm (tolerance 0.022 mm), 14 faces
}

// A caller done with its planes (here a 512² height map made for this one relief) lets the
// relief write its heights over the source plane instead of a second plane: the same mesh as
// Reconstruct's, with one image-sized plane less at the peak.
func ExampleBackend_ReconstructInPlace() {
	const n = 512
	lum := make([]float32, n*n)
	for y := range n {
		for x := range n {
			lum[y*n+x] = float32(0.5 + 0.5*math.Sin(float64(x)/40)*math.Cos(float64(y)/40))
		}
	}
	in := &backends.Input{
		Width: n, Height: n, Luminance: lum,
		PixelSize: 0.1,
		Mode:      backends.Relief,
		Relief:    backends.ReliefParams{Depth: 3, Base: 1},
		Tolerance: 0.03,
	}
	b := cpu.New(cpu.Options{})
	defer b.Close()
	m, rep, err := b.ReconstructInPlace(context.Background(), in, nil) // lum is spent after this
	if err != nil {
		fmt.Println(err)
		return
	}
	box := m.Bounds()
	fmt.Println("closed:", m.Topology().Closed(), "within tolerance:", rep.MaxError <= in.Tolerance)
	fmt.Printf("size: %.1f × %.1f × %.1f mm\n", box.Max[0]-box.Min[0], box.Max[1]-box.Min[1], box.Max[2]-box.Min[2])
	// Output:
	// closed: true within tolerance: true
	// size: 51.2 × 51.2 × 4.0 mm
}
