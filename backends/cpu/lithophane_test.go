package cpu

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
)

func lithophaneInput(tb testing.TB, n int) *backends.Input {
	in := cameraInput(tb, n)
	in.Mode = backends.Lithophane
	return in
}

func TestLithophaneFlat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mirror bool
		frame  bool
	}{{"plain", false, false}, {"mirror", true, false}, {"frame", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			in := lithophaneInput(t, 150)
			in.Lithophane.Mirror = tc.mirror
			in.Lithophane.Frame = tc.frame
			m, rep, err := New(Options{}).Reconstruct(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			// 100 mm wide, 0.8…3.0 mm thick: the darkest pixel sets the top.
			top := 3.0
			if !tc.frame {
				top = 0.8 + 2.2*(1-float64(slices.Min(in.Luminance)))
			}
			checkSolid(t, m, [3]float64{0, 0, 0}, [3]float64{100, 100, top}, 1e-3)
			if m.Bounds().Min[2] != 0 {
				t.Errorf("bottom at %v", m.Bounds().Min[2])
			}
			// The thickness field, from the definition.
			z := make([]float32, 150*150)
			for i := range z {
				x, y := i%150, i/150
				src := x
				if tc.mirror {
					src = 149 - x
				}
				z[i] = float32(0.8 + 2.2*(1-float64(in.Luminance[y*150+src])))
				if tc.frame && min(x, y, 149-x, 149-y) <= 4 { // 3 mm at 100/149 mm spacing
					z[i] = 3
				}
			}
			got := sampleError(t, m, 150, 150, z, 100, 100)
			if got > rep.Tolerance*(1+1e-9) || math.Abs(rep.Tolerance-0.022) > 1e-12 {
				t.Errorf("max error %g, tolerance %g (want 1 %% of 2.2 mm)", got, rep.Tolerance)
			}
		})
	}
}

func TestLithophaneCylinder(t *testing.T) {
	for _, tc := range []struct {
		arc    float64
		budget int
		genus  int
	}{{180, 0, 0}, {360, 0, 1}, {90, 5000, 0}, {360, 5000, 1}, {1, 0, 0}} {
		in := lithophaneInput(t, 100)
		in.PixelSize = 1 // 100 mm wide and tall
		in.Lithophane.Shape = backends.Cylinder
		in.Lithophane.Arc = tc.arc
		in.FaceBudget = tc.budget
		m, rep, err := New(Options{}).Reconstruct(context.Background(), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		top := m.Topology()
		if !top.Closed() || !top.Outward || top.Genus != tc.genus || top.Components != 1 {
			t.Errorf("arc %v: not a closed outward solid of genus %d: %+v", tc.arc, tc.genus, top)
			continue
		}
		if tc.budget > 0 && (len(m.Faces) > tc.budget || rep.Step < 2) {
			t.Errorf("arc %v: %d faces, step %d for budget %d", tc.arc, len(m.Faces), rep.Step, tc.budget)
		}
		b := m.Bounds()
		if b.Min[2] != 0 || math.Abs(float64(b.Max[2])-100) > 1e-3 {
			t.Errorf("arc %v: height %v…%v, want 0…100", tc.arc, b.Min[2], b.Max[2])
		}
		// Radii: the inside is at R = width/arc, the outside R + 0.8…3.0 mm.
		R := 100 / (tc.arc * math.Pi / 180)
		rmin, rmax := math.Inf(1), 0.0
		for _, p := range m.Positions {
			r := math.Hypot(float64(p[0]), float64(p[1]))
			rmin, rmax = min(rmin, r), max(rmax, r)
		}
		if math.Abs(rmin-R) > 1e-3*R || rmax < R+0.8 || rmax > R+3+1e-3*R {
			t.Errorf("arc %v: radii %v…%v, want %v…%v", tc.arc, rmin, rmax, R, R+3)
		}
		// Volume of a thick shell: arc · height · (2R·t̄ + t̄²)/2, with t̄ between 0.8 and 3.
		v := top.Volume
		lo := tc.arc * math.Pi / 180 * 100 * (2*R*0.8 + 0.64) / 2
		hi := tc.arc * math.Pi / 180 * 100 * (2*R*3 + 9) / 2
		if v < lo || v > hi {
			t.Errorf("arc %v: volume %v outside %v…%v", tc.arc, v, lo, hi)
		}
	}
}
