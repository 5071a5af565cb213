package generator

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/orfeas3d/orfeas/internal/par"
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

// thickenStrokesReference is thickenStrokes as first written, on the whole exact transform
// (distanceTransform): the definition the bounded one (nearSites) must reproduce bit for bit.
func thickenStrokesReference(ctx context.Context, mask []float32, w, h int, width float64) ([]float32, int, error) {
	r := max(width, minStrokePixels) / 2
	r2 := r * r
	n := w * h
	d := make([]float64, n)
	for i, m := range mask {
		if m >= 0.5 {
			d[i] = math.Inf(1)
		}
	}
	if err := distanceTransform(ctx, d, w, h); err != nil {
		return nil, 0, err
	}
	for i := range d {
		if d[i] > r2 {
			d[i] = 0
		} else {
			d[i] = math.Inf(1)
		}
	}
	if err := distanceTransform(ctx, d, w, h); err != nil {
		return nil, 0, err
	}
	thin := 0
	lim := (r*math.Sqrt2 + 1) * (r*math.Sqrt2 + 1)
	for i, m := range mask {
		if m >= thinCoverage && d[i] > lim {
			d[i] = 0
			thin++
		} else {
			d[i] = math.Inf(1)
		}
	}
	if thin == 0 {
		return mask, 0, nil
	}
	if err := distanceTransform(ctx, d, w, h); err != nil {
		return nil, 0, err
	}
	out := append([]float32(nil), mask...)
	added := 0
	for i := range out {
		c := float32(min(max(r+0.5-math.Sqrt(d[i]), 0), 1))
		if c > out[i] {
			if out[i] < 0.5 && c >= 0.5 {
				added++
			}
			out[i] = c
		}
	}
	return out, added, nil
}

// TestThickenStrokesMatchesReference: thickenStrokes on bounded distances equals the reference on
// the whole transform, bit for bit, on random strokes, blobs and specks, at stroke widths that
// take the window of rows and the exact column pass (wider than nearWindow).
func TestThickenStrokesMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	ctx := context.Background()
	widened := 0
	for trial := range 60 {
		w, h := 1+rng.IntN(90), 1+rng.IntN(70)
		mask := make([]float32, w*h)
		for range rng.IntN(8) {
			// a line of random width and coverage
			x0, y0, x1, y1 := rng.Float64()*float64(w), rng.Float64()*float64(h), rng.Float64()*float64(w), rng.Float64()*float64(h)
			lw := rng.Float64() * 6
			for i := range mask {
				px, py := float64(i%w), float64(i/w)
				dx, dy := x1-x0, y1-y0
				u := max(0, min(1, ((px-x0)*dx+(py-y0)*dy)/max(dx*dx+dy*dy, 1e-9)))
				dist := math.Hypot(px-x0-u*dx, py-y0-u*dy)
				mask[i] = max(mask[i], float32(min(max(lw/2+0.5-dist, 0), 1)))
			}
		}
		for i := range mask {
			if rng.IntN(60) == 0 {
				mask[i] = rng.Float32()
			}
		}
		width := []float64{0, 3.2, 5, 9, 30, 50}[trial%6] + rng.Float64()
		got, gn, err := thickenStrokes(ctx, mask, w, h, width)
		if err != nil {
			t.Fatal(err)
		}
		want, wn, _ := thickenStrokesReference(ctx, mask, w, h, width)
		if gn != wn || len(got) != len(want) {
			t.Fatalf("trial %d (%d×%d, width %.2f): %d added, reference %d", trial, w, h, width, gn, wn)
		}
		if wn > 0 {
			widened++
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("trial %d (%d×%d, width %.2f): pixel %d is %v, reference %v", trial, w, h, width, i, got[i], want[i])
			}
		}
	}
	if widened < 20 {
		t.Errorf("only %d of 60 trials widened anything: the test does not test", widened)
	}
}

// TestNearSitesMatchesTransform: nearSites is the exact transform wherever that is within the
// limit, and +Inf elsewhere, bit for bit, for limits in and beyond the window of rows.
func TestNearSitesMatchesTransform(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	ctx := context.Background()
	for trial := range 80 {
		w, h := 1+rng.IntN(70), 1+rng.IntN(70)
		site := make([]bool, w*h)
		want := make([]float64, w*h)
		share := 1 + rng.IntN(200)
		for i := range site {
			site[i] = rng.IntN(share) == 0
			if !site[i] {
				want[i] = math.Inf(1)
			}
		}
		if err := distanceTransform(ctx, want, w, h); err != nil {
			t.Fatal(err)
		}
		limit := []float64{0, 0.5, 2.56, 10.6, 300, 2000}[trial%6] + float64(rng.IntN(3))
		got, g := make([]int32, w*h), make([]int32, w*h)
		if err := nearSites(ctx, site, w, h, limit, got, g); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			wv := int32(nearBeyond)
			if want[i] <= limit {
				wv = int32(want[i])
			}
			if got[i] != wv {
				t.Fatalf("trial %d (%d×%d, limit %v): pixel %d is %v, want %v", trial, w, h, limit, i, got[i], wv)
			}
		}
	}
}

// distanceTransform, the reference for nearSites, replaces the w×h grid d (0 at the sites, +Inf elsewhere) by every pixel's
// squared Euclidean distance to the nearest site, in pixels².
func distanceTransform(ctx context.Context, d []float64, w, h int) error {
	workers := runtime.GOMAXPROCS(0)
	const band = 16
	pass := func(lines, length, stride, step int) error {
		par.For((lines+band-1)/band, workers, func(b int) {
			if ctx.Err() != nil {
				return
			}
			f := make([]float64, length)
			buf := newEDT1(length)
			for l := b * band; l < min((b+1)*band, lines); l++ {
				for k := range length {
					f[k] = d[l*stride+k*step]
				}
				buf.run(f)
				for k := range length {
					d[l*stride+k*step] = f[k]
				}
			}
		})
		return ctx.Err()
	}
	if err := pass(h, w, w, 1); err != nil {
		return err
	}
	return columnTransform(ctx, d, w, h)
}
