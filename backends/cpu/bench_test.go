package cpu

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
)

var hmmInput = flag.String("hmm-input", "", "write BenchmarkReliefHMM1024's heightmap to this 16-bit PNG, for running fogleman/hmm on the same data")

// BenchmarkReliefHMM1024 is the comparison with fogleman/hmm: camera.png resized to
// 1024×1024 (bilinear), relief at a max error of 1 % of the relief depth, closed with walls and a
// bottom. It reports the closed mesh's triangles and the max error reached, relative to the depth.
// To run hmm on exactly the same heightmap:
//
//	go test ./backends/cpu -run TestWriteHMMInput -hmm-input=/tmp/cam1024.png
//	hmm /tmp/cam1024.png out.stl -e 0.01 -b 1   # or a driver around its Triangulator
func BenchmarkReliefHMM1024(b *testing.B) {
	in := cameraInput(b, 1024)
	in.Tolerance = 0.01 * 5
	be := New(Options{})
	var rep backends.Report
	b.ResetTimer()
	for range b.N {
		var err error
		_, rep, err = be.Reconstruct(context.Background(), in, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rep.Faces), "triangles")
	b.ReportMetric(rep.MaxError/5, "maxerr/depth")
}

// TestWriteHMMInput writes the benchmark's heightmap when -hmm-input is set.
func TestWriteHMMInput(t *testing.T) {
	if *hmmInput == "" {
		t.Skip("-hmm-input not set")
	}
	in := cameraInput(t, 1024)
	img := image.NewGray16(image.Rect(0, 0, 1024, 1024))
	for i, v := range in.Luminance {
		img.SetGray16(i%1024, i/1024, color.Gray16{Y: uint16(float64(v)*65535 + 0.5)})
	}
	f, err := os.Create(*hmmInput)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkRTINFaces compares the triangulation the CUDA backend builds (an RTIN,
// internal/heightfield) with this backend's greedy insertion on the same heights: camera.png at
// 512² and 1024², 5 mm deep, at 1 % and 0.4 % of the depth (the generator's high and ultra
// tolerances). It reports both surfaces' triangles (top surface only) and times the RTIN on the
// CPU (its reference implementation, single-threaded, which the GPU replaces).
func BenchmarkRTINFaces(b *testing.B) {
	for _, n := range []int{512, 1024} {
		for _, frac := range []float64{0.01, 0.004} {
			b.Run(fmt.Sprintf("%d/%g", n, frac), func(b *testing.B) {
				in := cameraInput(b, n)
				p := in.Relief.Defaults()
				g, err := reliefHeights(context.Background(), in, p)
				if err != nil {
					b.Fatal(err)
				}
				tol := frac * p.Depth
				greedy, err := triangulate(context.Background(), g, tinLimits{tol: tol}, 1, nil)
				if err != nil {
					b.Fatal(err)
				}
				var rtin *heightfield.Surface
				for b.Loop() {
					if rtin, err = heightfield.Triangulate(context.Background(), g, tol, 0); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(greedy.Tris)/3), "greedy-tris")
				b.ReportMetric(float64(len(rtin.Tris)/3), "rtin-tris")
				b.ReportMetric(float64(len(rtin.Tris))/float64(len(greedy.Tris)), "ratio")
			})
		}
	}
}
