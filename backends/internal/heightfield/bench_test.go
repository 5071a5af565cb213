package heightfield

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"testing"
)

// photo returns camera.png (a 512² photograph) enlarged bilinearly to n×n as a relief 5 mm deep.
func photo(tb testing.TB, n int) Grid {
	f, err := os.Open("../../../testdata/images/camera.png")
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
	g := Grid{W: n, H: n, Z: make([]float32, n*n)}
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
			g.Z[y*n+x] = float32(5 * v)
		}
	}
	return g
}

// BenchmarkRTINHost times the CUDA backend's CPU share of a relief once the GPU has the error
// bounds: the threshold that meets the ultra face budget (Threshold) and the closing of the cut
// into a solid (Solid), on a photograph at the ultra tolerance (0.4 % of a 5 mm depth). The cut
// itself is extracted on the GPU (here, by the reference Emit in the setup).
// BenchmarkRTINErrors times the stages the GPU runs (OwnErrors, Saturate) as the CPU reference
// computes them, single-threaded.
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
				faces = len(Solid(s, float64(n)*0.1, float64(n)*0.1).Faces)
			}
			b.ReportMetric(float64(faces), "faces")
		})
	}
}

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
