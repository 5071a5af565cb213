package cpu

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/distance"
)

// testWorkers is the goroutines the inflate tests give the shared stages (colouring, placement,
// reduction): more than one, so that the parallel paths run.
const testWorkers = 3

func inflateInput(w int, mask []float32, p backends.InflateParams) *backends.Input {
	return &backends.Input{
		Width: w, Height: w, Luminance: make([]float32, w*w), Mask: mask,
		PixelSize: 0.25, Mode: backends.Inflate, Inflate: p,
	}
}

func TestInflateDiscIsSphere(t *testing.T) {
	const w, r = 129, 50.0
	mask := ringMask(w, [4]float64{64.5, 64.5, 0, r})
	in := inflateInput(w, mask, backends.InflateParams{MinRim: 1e-6, Symmetric: true, MaxThickness: -1})
	m, err := inflate(context.Background(), in, nil, testWorkers)
	if err != nil {
		t.Fatal(err)
	}
	top := m.Topology()
	if !top.Closed() || !top.Outward || top.Genus != 0 || top.Components != 1 {
		t.Fatalf("sphere not closed: %+v", top)
	}
	R := r * in.PixelSize
	want := 4.0 / 3 * math.Pi * R * R * R
	if got := m.Volume(); math.Abs(got-want)/want > 0.01 {
		t.Errorf("volume %.1f mm³, want %.1f (4/3πR³) within 1%%", got, want)
	}
	s := m.Bounds().Size()
	for a := range 3 {
		if math.Abs(float64(s[a])-2*R) > 2*in.PixelSize {
			t.Errorf("axis %d extent %v mm, want %v", a, s[a], 2*R)
		}
	}
}

// TestInflateDefaultIsCappedBadge checks the defaults on the same disc: a flat back on the bed
// and a full thickness of DefaultInflateThicknessRatio times the diameter, where the uncapped
// round profile would make a hemisphere as tall as the radius (issue 14: a square-ish icon
// became a cube).
func TestInflateDefaultIsCappedBadge(t *testing.T) {
	const w, r = 129, 50.0
	in := inflateInput(w, ringMask(w, [4]float64{64.5, 64.5, 0, r}), backends.InflateParams{MinRim: 1e-6})
	m, err := inflate(context.Background(), in, nil, testWorkers)
	if err != nil {
		t.Fatal(err)
	}
	if top := m.Topology(); !top.Closed() || top.Genus != 0 || top.Components != 1 {
		t.Fatalf("badge not closed: %+v", top)
	}
	s := m.Bounds().Size()
	D := 2 * r * in.PixelSize
	if want := backends.DefaultInflateThicknessRatio * D; math.Abs(float64(s[2])-want) > 2*in.PixelSize {
		t.Errorf("thickness %v mm, want %v (%.2f of the %v mm diameter)", s[2], want, backends.DefaultInflateThicknessRatio, D)
	}
	// Flat back: the faces on z = 0 cover about the disc's area.
	var bottom float64
	for _, f := range m.Faces {
		a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		if max(a[2], b[2], c[2]) < 1e-4 {
			bottom += math.Abs(float64((b[0]-a[0])*(c[1]-a[1])-(b[1]-a[1])*(c[0]-a[0]))) / 2
		}
	}
	if want := math.Pi * D * D / 4; bottom < 0.9*want {
		t.Errorf("bottom on the bed %.1f mm², want about the disc's %.1f", bottom, want)
	}
}

func TestInflateShapes(t *testing.T) {
	const w = 80
	tests := []struct {
		name   string
		rings  [][4]float64
		params backends.InflateParams
		genus  int
	}{
		{"ring round", [][4]float64{{40, 40, 14, 34}}, backends.InflateParams{}, 1},
		{"ring dome flat back", [][4]float64{{40, 40, 14, 34}}, backends.InflateParams{Profile: backends.Dome, FlatBack: true}, 1},
		{"two discs dome", [][4]float64{{22, 22, 0, 15}, {55, 55, 0, 20}}, backends.InflateParams{Profile: backends.Dome, Thickness: 0.5}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := inflateInput(w, ringMask(w, tc.rings...), tc.params)
			m, err := inflate(context.Background(), in, nil, testWorkers)
			if err != nil {
				t.Fatal(err)
			}
			top := m.Topology()
			if !top.Closed() || !top.Outward || top.Genus != tc.genus || top.Components != len(tc.rings) {
				t.Fatalf("%+v", top)
			}
			if b := m.Bounds(); b.Min[2] != 0 {
				t.Errorf("lowest point at z = %v, want 0", b.Min[2])
			}
		})
	}
}

func TestInflateDomeThinnerOnNarrowParts(t *testing.T) {
	// A dumbbell: two discs joined by a thin bar. With the dome profile the bar is about as thick
	// as it is wide; with the round profile it bulges far beyond.
	const w = 120
	mask := ringMask(w, [4]float64{25, 60, 0, 20}, [4]float64{95, 60, 0, 20})
	for row := 56; row < 64; row++ {
		for col := 25; col < 95; col++ {
			mask[row*w+col] = 1
		}
	}
	thickness := func(p backends.Profile) float64 {
		in := inflateInput(w, mask, backends.InflateParams{Profile: p})
		m, err := inflate(context.Background(), in, nil, testWorkers)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Topology().Closed() {
			t.Fatalf("%s: not closed", p)
		}
		// Thickness of the bar at its middle (x = 60 px).
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, q := range m.Positions {
			if math.Abs(float64(q[0])/in.PixelSize-60) < 1 && math.Abs(float64(q[1])/in.PixelSize-60) < 1 {
				lo, hi = min(lo, float64(q[2])), max(hi, float64(q[2]))
			}
		}
		return (hi - lo) / in.PixelSize
	}
	dome, round := thickness(backends.Dome), thickness(backends.Round)
	if !(dome < 12 && round > 2*dome) {
		t.Errorf("bar thickness: dome %.1f px, round %.1f px; want dome ≈ bar width (8) and round far thicker", dome, round)
	}
}

func TestInflateEmptyMask(t *testing.T) {
	in := inflateInput(16, make([]float32, 256), backends.InflateParams{})
	if _, err := inflate(context.Background(), in, nil, testWorkers); !errors.Is(err, backends.ErrInvalidInput) {
		t.Fatalf("err = %v, want ErrInvalidInput", err)
	}
}

func TestInflateCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := inflateInput(64, ringMask(64, [4]float64{32, 32, 0, 20}), backends.InflateParams{})
	if _, err := inflate(ctx, in, nil, testWorkers); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestLocalThicknessCancel: painting the local thickness, the dome profile's costly stage,
// stops when its context is done.
func TestLocalThicknessCancel(t *testing.T) {
	const w = 64
	sd := distance.SignedDistance(ringMask(w, [4]float64{32, 32, 0, 28}), w, w)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := localThickness(ctx, sd, w, w); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	got, err := localThickness(context.Background(), sd, w, w)
	if err != nil {
		t.Fatal(err)
	}
	// A disc's largest inscribed disc covers all of it: the local thickness is its radius.
	if c := got[32*w+32]; c < 27 || c > 29 {
		t.Errorf("local thickness at the centre %v, want about 28", c)
	}
}
