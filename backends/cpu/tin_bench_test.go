package cpu

import "testing"

// BenchmarkScanTri measures the triangle scan that dominates refinement: one large triangle over
// camera.png at 1024², the scan that finds its worst sample.
func BenchmarkScanTri(b *testing.B) {
	in := cameraInput(b, 1024)
	z := make([]float32, len(in.Luminance))
	copy(z, in.Luminance)
	t := newTin(grid{W: 1024, H: 1024, Z: z}, 0, 0, 1023, 1023, nil, 0.01, 1)
	b.SetBytes(4 * 1024 * 1024 / 2)
	for b.Loop() {
		t.scanTri(0, 1, 2, 1e9)
	}
}
