package generator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
)

// With neither threshold nor compression, the Poisson solve gives back the map it was given
// (up to the affine rescaling).
func TestBasReliefReintegrates(t *testing.T) {
	for _, size := range [][2]int{{64, 48}, {129, 77}, {2, 2}, {1, 9}} {
		w, h := size[0], size[1]
		d := make([]float32, w*h)
		for y := range h {
			for x := range w {
				u, v := float64(x)/float64(w), float64(y)/float64(h)
				d[y*w+x] = float32(0.5 + 0.3*math.Sin(5*u)*math.Cos(3*v) + 0.1*u)
			}
		}
		out, rep, err := BasRelief(context.Background(), d, w, h, BasReliefOptions{Threshold: -1, Compression: -1})
		if err != nil {
			t.Fatal(err)
		}
		if c := pearson(d, out); c < 0.9999 {
			t.Errorf("%d×%d: correlation with the input %.6f (report %+v), want ≥ 0.9999", w, h, c, rep)
		}
		if rep.Discontinuities != 0 || rep.Residual > poissonTolerance {
			t.Errorf("%d×%d: report %+v", w, h, rep)
		}
	}
}

// A step (a face in front of a wall) is dropped: the result is continuous across it, while the
// slopes on either side survive.
func TestBasReliefDropsSilhouettes(t *testing.T) {
	w, h := 100, 40
	d := make([]float32, w*h)
	for y := range h {
		for x := range w {
			v := 0.002 * float32(x) // a gentle slope, 0.2 across the image
			if x >= w/2 {
				v += 0.6 // the step
			}
			d[y*w+x] = v
		}
	}
	out, rep, err := BasRelief(context.Background(), d, w, h, BasReliefOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row := out[20*w : 21*w]
	jump := row[w/2] - row[w/2-1]
	slope := (row[w-1] - row[0]) / float32(w-1)
	if jump > 3*slope || !(slope > 0) {
		t.Fatalf("across the step %.4f, mean slope %.4f (report %+v): the step should be gone", jump, slope, rep)
	}
	if rep.Discontinuities == 0 {
		t.Fatal("no discontinuity reported")
	}
	for x := 1; x < w; x++ {
		if row[x] < row[x-1]-1e-4 {
			t.Fatalf("not monotone at x=%d: %.4f after %.4f", x, row[x], row[x-1])
		}
	}
}

// Compression flattens large slopes more than small ones.
func TestBasReliefCompresses(t *testing.T) {
	w, h := 80, 20
	d := make([]float32, w*h)
	for y := range h {
		for x := range w {
			if x < w/2 {
				d[y*w+x] = 0.001 * float32(x) // slope 0.08 per image side
			} else {
				d[y*w+x] = 0.001*float32(w/2) + 0.05*float32(x-w/2) // slope 4: steep, not a silhouette
			}
		}
	}
	out, _, err := BasRelief(context.Background(), d, w, h, BasReliefOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row := out[10*w : 11*w]
	gentle, steep := row[w/2-2]-row[1], row[w-2]-row[w/2+1]
	// Uncompressed the steep half rises 50× the gentle half's rise per pixel; C(s) cuts that.
	perPx := (steep / float32(w/2-3)) / (gentle / float32(w/2-3))
	if !(perPx > 1) || perPx > 15 {
		t.Fatalf("steep/gentle slope ratio after compression %.2f, want 1 < r ≤ 15 (50 before)", perPx)
	}
}

func TestBasReliefErrors(t *testing.T) {
	if _, _, err := BasRelief(context.Background(), make([]float32, 5), 2, 2, BasReliefOptions{}); err == nil {
		t.Error("a map of the wrong length: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := make([]float32, 64*64)
	for i := range d {
		d[i] = float32(i%64) / 64
	}
	if _, _, err := BasRelief(ctx, d, 64, 64, BasReliefOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	// A flat map and a NaN do not panic and give a flat relief.
	d = make([]float32, 16)
	d[3] = float32(math.NaN())
	out, _, err := BasRelief(context.Background(), d, 4, 4, BasReliefOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out {
		if v != 0 {
			t.Fatalf("flat map gave %v", out)
		}
	}
}

func pearson(a, b []float32) float64 {
	var sa, sb, saa, sbb, sab float64
	n := float64(len(a))
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		sa, sb, saa, sbb, sab = sa+x, sb+y, saa+x*x, sbb+y*y, sab+x*y
	}
	return (sab - sa*sb/n) / math.Sqrt((saa-sa*sa/n)*(sbb-sb*sb/n))
}

// Compress a depth map with a face-like dome in front of a wall into bas-relief heights.
func ExampleBasRelief() {
	w, h := 64, 64
	depth := make([]float32, w*h)
	for y := range h {
		for x := range w {
			r := math.Hypot(float64(x-32), float64(y-32)) / 20
			depth[y*w+x] = 0.1 // the wall
			if r < 1 {
				depth[y*w+x] = float32(0.6 + 0.4*math.Sqrt(1-r*r)) // the face, far in front
			}
		}
	}
	heights, rep, err := BasRelief(context.Background(), depth, w, h, BasReliefOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("nose %.2f, wall below 0.1: %v, silhouettes dropped: %v\n", heights[32*w+32], heights[0] < 0.1, rep.Discontinuities > 0)
	// Output: nose 1.00, wall below 0.1: true, silhouettes dropped: true
}

// BenchmarkBasRelief reports the compression's time (and the solver's iterations) at each
// quality level's working size, on the dome-and-floor scene of the depth tests.
func BenchmarkBasRelief(b *testing.B) {
	for _, q := range Qualities {
		s, _ := q.Settings()
		w, h := s.Resolution, s.Resolution*3/4
		d := make([]float32, w*h)
		for y := range h {
			for x := range w {
				d[y*w+x] = float32(domeDepth(x, y, w, h))
			}
		}
		b.Run(string(q), func(b *testing.B) {
			var rep BasReliefReport
			for b.Loop() {
				var err error
				if _, rep, err = BasRelief(context.Background(), d, w, h, BasReliefOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rep.Iterations), "iterations")
		})
	}
}

// bilinear keeps constants and linear ramps, and the corners' values.
func TestBilinear(t *testing.T) {
	w, h := 5, 4
	src := make([]float32, w*h)
	for y := range h {
		for x := range w {
			src[y*w+x] = float32(2*x + 3*y)
		}
	}
	out := bilinear(src, w, h, 17, 9)
	for y := range 9 {
		for x := range 17 {
			fx := min(max((float64(x)+0.5)*5/17-0.5, 0), 4)
			fy := min(max((float64(y)+0.5)*4/9-0.5, 0), 3)
			if want := 2*fx + 3*fy; math.Abs(float64(out[y*17+x])-want) > 1e-4 {
				t.Fatalf("(%d, %d) = %v, want %v", x, y, out[y*17+x], want)
			}
		}
	}
	if got := bilinear([]float32{7, 7}, 1, 2, 3, 5); got[0] != 7 || got[14] != 7 {
		t.Fatalf("one column: %v", got)
	}
}
