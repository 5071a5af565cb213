package rtin

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
)

// photo returns camera.png (a 512² photograph) enlarged bilinearly to n×n as a relief 5 mm deep.
func photo(tb testing.TB, n int) heightfield.Grid {
	lum := photoLuminance(tb, n)
	g := heightfield.Grid{W: n, H: n, Z: make([]float32, n*n)}
	for i, v := range lum {
		g.Z[i] = float32(5 * v)
	}
	return g
}

// photoLuminance returns camera.png's luminance (0…1) enlarged bilinearly to n×n.
func photoLuminance(tb testing.TB, n int) []float64 {
	f, err := os.Open("../../../../testdata/images/camera.png")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	bd := img.Bounds()
	sw, sh := bd.Dx(), bd.Dy()
	lum := make([]float64, sw*sh)
	for y := range sh {
		for x := range sw {
			r, g, b, _ := img.At(bd.Min.X+x, bd.Min.Y+y).RGBA()
			lum[y*sw+x] = (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 65535
		}
	}
	out := make([]float64, n*n)
	for y := range n {
		fy := float64(y) * float64(sh-1) / float64(n-1)
		y0 := min(int(fy), sh-2)
		ty := fy - float64(y0)
		for x := range n {
			fx := float64(x) * float64(sw-1) / float64(n-1)
			x0 := min(int(fx), sw-2)
			tx := fx - float64(x0)
			at := func(i, j int) float64 { return lum[j*sw+i] }
			v := (1-ty)*((1-tx)*at(x0, y0)+tx*at(x0+1, y0)) + ty*((1-tx)*at(x0, y0+1)+tx*at(x0+1, y0+1))
			out[y*n+x] = v
		}
	}
	return out
}

// BenchmarkRTINHost times the CUDA backend's CPU share of a relief once the GPU has the error
// bounds: the threshold that meets the ultra face budget (Threshold) and the closing of the cut
// into a solid (heightfield.Solid), on a photograph at the ultra tolerance (0.4 % of a 5 mm
// depth). The cut itself is extracted on the GPU (here, by the reference Emit in the setup).
func BenchmarkRTINHost(b *testing.B) {
	for _, n := range []int{1024, 2048} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			g := photo(b, n)
			l, _ := NewLattice(n, n)
			e, err := OwnErrors(context.Background(), g, l)
			if err != nil {
				b.Fatal(err)
			}
			w := make([]uint8, l.Points())
			Saturate(l, e, w)
			s := l.Emit(g, e, l.Threshold(e, w, 0.02, 2_000_000))
			var faces int
			b.ResetTimer()
			for range b.N {
				l.Threshold(e, w, 0.02, 2_000_000)
				faces = len(heightfield.Solid(s, float64(n)*0.1, float64(n)*0.1).Faces)
			}
			b.ReportMetric(float64(faces), "faces")
		})
	}
}

// BenchmarkRTINErrors times the stages the GPU runs (OwnErrors, Saturate) as the CPU reference
// computes them, single-threaded.
func BenchmarkRTINErrors(b *testing.B) {
	g := photo(b, 1024)
	l, _ := NewLattice(g.W, g.H)
	w := make([]uint8, l.Points())
	for range b.N {
		e, err := OwnErrors(context.Background(), g, l)
		if err != nil {
			b.Fatal(err)
		}
		Saturate(l, e, w)
	}
}

// BenchmarkRTINFaces compares the triangulation the CUDA backend builds (this RTIN) with the CPU
// backend's greedy insertion on the same relief heights: camera.png enlarged to 512² and 1024²,
// 5 mm deep, at 1 % and 0.4 % of the depth (the generator's high and ultra tolerances). It
// reports both top surfaces' triangles (the CPU backend's closed mesh less its walls and bottom,
// the faces with a vertex on Z = 0) and times the RTIN's reference implementation
// (single-threaded, which the GPU replaces).
func BenchmarkRTINFaces(b *testing.B) {
	for _, n := range []int{512, 1024} {
		for _, frac := range []float64{0.01, 0.004} {
			b.Run(fmt.Sprintf("%d/%g", n, frac), func(b *testing.B) {
				lum := photoLuminance(b, n)
				in := &backends.Input{Width: n, Height: n, Luminance: make([]float32, n*n), PixelSize: 100 / float64(n), Mode: backends.Relief}
				for i, v := range lum {
					in.Luminance[i] = float32(v)
				}
				p := in.Relief.Defaults()
				in.Tolerance = frac * p.Depth
				g := modes.ReliefHeights(in, p, modes.ReliefPrepare(modes.ReliefSource(in), p.Invert))
				m, _, err := cpu.New(cpu.Options{Workers: 1}).Reconstruct(context.Background(), in, nil)
				if err != nil {
					b.Fatal(err)
				}
				greedy := 0
				for _, f := range m.Faces {
					if min(m.Positions[f[0]][2], m.Positions[f[1]][2], m.Positions[f[2]][2]) > 0 {
						greedy++
					}
				}
				var s *heightfield.Surface
				for b.Loop() {
					if s, err = Triangulate(context.Background(), g, in.Tolerance, 0); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(greedy), "greedy-tris")
				b.ReportMetric(float64(len(s.Tris)/3), "rtin-tris")
				b.ReportMetric(float64(len(s.Tris)/3)/float64(greedy), "ratio")
			})
		}
	}
}
