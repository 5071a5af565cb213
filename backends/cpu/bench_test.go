package cpu

import (
	"context"
	"testing"
)

// BenchmarkReliefHMM1024 is the comparison with fogleman/hmm: camera.png resized to
// 1024×1024, relief at a max error of 1 % of the relief depth, with walls and a bottom. It reports
// the closed mesh's faces and the max error reached.
func BenchmarkReliefHMM1024(b *testing.B) {
	in := cameraInput(b, 1024)
	in.Tolerance = 0.01 * 5
	be := New()
	var rep Report
	b.ResetTimer()
	for range b.N {
		var err error
		_, rep, err = be.ReconstructReport(context.Background(), in, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rep.Faces), "triangles")
	b.ReportMetric(rep.MaxError/5, "maxerr/depth")
}
