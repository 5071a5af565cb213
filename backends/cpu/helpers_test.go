package cpu

import (
	"image/png"
	"math"
	"os"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
)

// srgbLuma returns the Rec. 709 luma of 16-bit sRGB values, in 0..1.
func srgbLuma(r, g, b uint32) float32 {
	return float32((0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 65535)
}

// loadLuma decodes a PNG from testdata and returns its luminance plane.
func loadLuma(tb testing.TB, name string) (w, h int, lum []float32) {
	tb.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	lum = make([]float32, w*h)
	for y := range h {
		for x := range w {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			lum[y*w+x] = srgbLuma(r, g, bb)
		}
	}
	return w, h, lum
}

// resample resizes a plane to nw×nh by bilinear interpolation between pixel centres.
func resample(src []float32, w, h, nw, nh int) []float32 {
	out := make([]float32, nw*nh)
	for y := range nh {
		fy := min(max((float64(y)+0.5)*float64(h)/float64(nh)-0.5, 0), float64(h-1))
		y0 := int(fy)
		y1 := min(y0+1, h-1)
		ty := fy - float64(y0)
		for x := range nw {
			fx := min(max((float64(x)+0.5)*float64(w)/float64(nw)-0.5, 0), float64(w-1))
			x0 := int(fx)
			x1 := min(x0+1, w-1)
			tx := fx - float64(x0)
			top := float64(src[y0*w+x0])*(1-tx) + float64(src[y0*w+x1])*tx
			bot := float64(src[y1*w+x0])*(1-tx) + float64(src[y1*w+x1])*tx
			out[y*nw+x] = float32(top*(1-ty) + bot*ty)
		}
	}
	return out
}

// cameraInput returns camera.png resized to n×n as a relief Input 100 mm wide.
func cameraInput(tb testing.TB, n int) *backends.Input {
	tb.Helper()
	w, h, lum := loadLuma(tb, "camera.png")
	if n != w || n != h {
		lum = resample(lum, w, h, n, n)
	}
	return &backends.Input{Width: n, Height: n, Luminance: lum, PixelSize: 100 / float64(n), Mode: backends.Relief}
}

// bumpInput is a synthetic w×h image: a Gaussian bump on a diagonal gradient, with a sharp step.
func bumpInput(w, h int) *backends.Input {
	lum := make([]float32, w*h)
	for y := range h {
		for x := range w {
			dx, dy := float64(x)-0.4*float64(w), float64(y)-0.6*float64(h)
			v := 0.3*float64(x+y)/float64(w+h) + 0.6*math.Exp(-(dx*dx+dy*dy)/(0.02*float64(w*w)))
			if x > 3*w/4 && y < h/4 {
				v += 0.1
			}
			lum[y*w+x] = float32(v)
		}
	}
	return &backends.Input{Width: w, Height: h, Luminance: lum, PixelSize: 0.25, Mode: backends.Relief}
}

// checkSolid asserts that m is closed, outward, free of degenerate faces, and spans the given box
// within 0.1 mm (0.001 mm for the exact planar sizes).
func checkSolid(tb testing.TB, m *mesh.Mesh, lo, hi [3]float64, tol float64) mesh.Topology {
	tb.Helper()
	if err := m.Validate(); err != nil {
		tb.Fatal(err)
	}
	top := m.Topology()
	if !top.Closed() || !top.Outward || top.DegenerateFaces != 0 {
		tb.Fatalf("mesh not a closed outward solid: %+v", top)
	}
	b := m.Bounds()
	for i := range 3 {
		if math.Abs(float64(b.Min[i])-lo[i]) > tol || math.Abs(float64(b.Max[i])-hi[i]) > tol {
			tb.Fatalf("bounds %v…%v, want %v…%v (±%g)", b.Min, b.Max, lo, hi, tol)
		}
	}
	return top
}

// sampleError recomputes, independently of the triangulator, the largest vertical distance between
// the w×h sample grid z (samples spaced so that the grid spans wmm × hmm) and the mesh's top
// surface: it maps every top face (all three vertices above Z = 0) back to grid coordinates and
// scan-converts it with exact integer barycentrics. It fails if a sample is covered by no face.
func sampleError(tb testing.TB, m *mesh.Mesh, w, h int, z []float32, wmm, hmm float64) float64 {
	tb.Helper()
	sx, sy := wmm/float64(w-1), hmm/float64(h-1)
	covered := make([]bool, w*h)
	worst := 0.0
	toGrid := func(p [3]float32) (int64, int64) {
		fx, fy := float64(p[0])/sx, (hmm-float64(p[1]))/sy
		ix, iy := math.Round(fx), math.Round(fy)
		if math.Abs(fx-ix) > 1e-3 || math.Abs(fy-iy) > 1e-3 {
			tb.Fatalf("vertex %v is not on the sample grid", p)
		}
		return int64(ix), int64(iy)
	}
	for _, f := range m.Faces {
		a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		if a[2] <= 0 || b[2] <= 0 || c[2] <= 0 {
			continue
		}
		ax, ay := toGrid(a)
		bx, by := toGrid(b)
		cx, cy := toGrid(c)
		area := (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
		if area == 0 {
			tb.Fatalf("top face %v is flat in the grid", f)
		}
		for y := min(ay, by, cy); y <= max(ay, by, cy); y++ {
			for x := min(ax, bx, cx); x <= max(ax, bx, cx); x++ {
				w0 := (cx-bx)*(y-by) - (cy-by)*(x-bx)
				w1 := (ax-cx)*(y-cy) - (ay-cy)*(x-cx)
				w2 := (bx-ax)*(y-ay) - (by-ay)*(x-ax)
				if area < 0 {
					w0, w1, w2 = -w0, -w1, -w2
				}
				if w0 < 0 || w1 < 0 || w2 < 0 {
					continue
				}
				s := float64(w0 + w1 + w2)
				zi := (float64(w0)*float64(a[2]) + float64(w1)*float64(b[2]) + float64(w2)*float64(c[2])) / s
				k := int(y)*w + int(x)
				covered[k] = true
				worst = max(worst, math.Abs(zi-float64(z[k])))
			}
		}
	}
	for k, ok := range covered {
		if !ok {
			tb.Fatalf("sample (%d, %d) lies under no top face", k%w, k/w)
		}
	}
	return worst
}

// withTiles makes grids wider or taller than side samples triangulate in tiles for this test.
func withTiles(tb testing.TB, side int) {
	old := tileSide
	tileSide = side
	tb.Cleanup(func() { tileSide = old })
}
