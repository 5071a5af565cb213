package cpu

import (
	"context"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
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
