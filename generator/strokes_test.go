package generator

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// hairlineStar is a star of 0.6 px strokes drawn antialiased on transparency, n px square:
// every stroke pixel is covered less than half, as in the openclipart hairline drawings that
// extruded to nothing ("mask has no foreground") or to a broken outline.
func hairlineStar(n int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	c := float64(n) / 2
	var pts [5][2]float64
	for k := range 5 {
		a := -math.Pi/2 + float64(k)*4*math.Pi/5
		pts[k] = [2]float64{c + 0.43*float64(n)*math.Cos(a), c + 0.43*float64(n)*math.Sin(a)}
	}
	for y := range n {
		for x := range n {
			px, py := float64(x)+0.5, float64(y)+0.5
			d := math.Inf(1)
			for k := range 5 {
				a, b := pts[k], pts[(k+1)%5]
				dx, dy := b[0]-a[0], b[1]-a[1]
				t := min(max(((px-a[0])*dx+(py-a[1])*dy)/(dx*dx+dy*dy), 0), 1)
				d = min(d, math.Hypot(px-a[0]-t*dx, py-a[1]-t*dy))
			}
			// Coverage of a 0.6 px line by a pixel at distance d from its centre line.
			if cov := min(max(0.3-d+0.5, 0), 0.6); cov > 0 {
				img.SetNRGBA(x, y, color.NRGBA{0, 0, 0, uint8(255 * cov)})
			}
		}
	}
	return img
}

// TestHairlineStrokesWidened checks that hairline strokes are widened to the printable width
// and said so, so that the extrusion is one piece whose outline matches the widened drawing;
// that MinStrokeWidth < 0 leaves them as drawn; and that a wide shape is not touched.
func TestHairlineStrokesWidened(t *testing.T) {
	g := cpuGenerator(t)
	for _, n := range []int{96, 400} {
		for _, m := range []Mode{Auto, Extrude} {
			res, err := g.Generate(context.Background(), Request{Decoded: hairlineStar(n), Mode: m})
			if err != nil {
				t.Fatalf("%d px %s: %v", n, m, err)
			}
			r := res.Report
			f := r.Fidelity
			t.Logf("%d px %s → %s: %s widened to %.2f mm (+%.0f %%), warnings %v", n, m, r.Mode, fidelityLine(f), f.StrokesWidenedTo, 100*f.StrokesWidened, r.Warnings)
			if r.Mode != Extrude || f.SilhouetteIoU == nil || *f.SilhouetteIoU < minIoU || f.Pieces != 1 || len(r.Warnings) != 0 {
				t.Errorf("%d px %s: built %s, IoU %v, %d pieces, warnings %v; want one clean extrusion", n, m, r.Mode, f.SilhouetteIoU, f.Pieces, r.Warnings)
			}
			if want := max(DefaultMinStrokeWidth, minStrokePixels*r.Image.PixelSize); math.Abs(f.StrokesWidenedTo-want) > 1e-9 || f.StrokesWidened <= 0 {
				t.Errorf("%d px %s: widened to %v mm (share %v), want %v mm", n, m, f.StrokesWidenedTo, f.StrokesWidened, want)
			}
		}
	}
	if _, err := g.Generate(context.Background(), Request{Decoded: hairlineStar(400), Mode: Extrude, MinStrokeWidth: -1}); err == nil {
		t.Errorf("strokes as drawn: a mesh, want the hairlines to come out as no subject")
	}
	res, err := g.Generate(context.Background(), Request{Decoded: synthSquare(), Mode: Extrude})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Report.Fidelity; f.StrokesWidenedTo != 0 {
		t.Errorf("square: widened to %v mm, want untouched", f.StrokesWidenedTo)
	}
}

// TestThickenStrokes checks thickenStrokes against the definition on a small mask: a 1 px line
// widened by a disc, a wide block left as it is (its corners too).
func TestThickenStrokes(t *testing.T) {
	const w, h = 40, 30
	mask := make([]float32, w*h)
	for y := 5; y < 25; y++ {
		for x := 5; x < 18; x++ {
			mask[y*w+x] = 1 // a wide block
		}
		mask[y*w+30] = 1 // a 1 px line
	}
	out, added, err := thickenStrokes(context.Background(), mask, w, h, 5)
	if err != nil {
		t.Fatal(err)
	}
	for y := range h {
		for x := range w {
			// The line widens to every pixel within 2.5 px of it, antialiased over the pixel
			// around that distance; the block stays as it is, corners too.
			d := math.Inf(1)
			for yy := 5; yy < 25; yy++ {
				d = min(d, math.Hypot(float64(x-30), float64(y-yy)))
			}
			want := max(mask[y*w+x], float32(min(max(3-d, 0), 1)))
			if math.Abs(float64(out[y*w+x]-want)) > 1e-6 {
				t.Fatalf("(%d, %d) = %v, want %v", x, y, out[y*w+x], want)
			}
		}
	}
	if added == 0 {
		t.Error("nothing added")
	}
}

// TestEDT1MatchesBruteForce: the one-dimensional distance transform equals min over p of
// (q−p)² + f[p], bit for bit, on random lines of sites, infinities and offsets, lines of sites
// only (its shortcut) and lines of no site.
func TestEDT1MatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 300 {
		n := 1 + rng.IntN(40)
		f := make([]float64, n)
		for i := range f {
			switch {
			case trial%5 == 0: // sites only
			case trial%5 == 1:
				f[i] = math.Inf(1)
			case rng.IntN(3) == 0:
				f[i] = math.Inf(1)
			case rng.IntN(2) == 0:
				f[i] = float64(rng.IntN(30))
			}
		}
		want := make([]float64, n)
		for q := range n {
			want[q] = math.Inf(1)
			for p := range n {
				want[q] = min(want[q], float64((q-p)*(q-p))+f[p])
			}
		}
		got := append([]float64(nil), f...)
		newEDT1(n).run(got)
		for q := range n {
			if math.Float64bits(got[q]) != math.Float64bits(want[q]) {
				t.Fatalf("trial %d, line %v: at %d got %v, want %v", trial, f, q, got[q], want[q])
			}
		}
	}
}
