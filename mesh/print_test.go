package mesh

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

// printTestPyramid returns a closed square pyramid standing on its apex at the origin, with its
// base of half-width a at height h: every side face leans out over the apex.
func printTestPyramid(a, h float32) *Mesh {
	m := &Mesh{Positions: [][3]float32{{0, 0, 0}, {-a, -a, h}, {a, -a, h}, {a, a, h}, {-a, a, h}}}
	m.Faces = [][3]uint32{{0, 2, 1}, {0, 3, 2}, {0, 4, 3}, {0, 1, 4}, {1, 2, 3}, {1, 3, 4}}
	return m
}

func TestAnalyze(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(b)) }
	// The T: a 10 × 10 × 20 stem under a 40 × 10 × 10 bar, as two shells. The bar's whole
	// underside (400 mm²) overhangs; the stem's bottom lies on the bed.
	tee := cuboid([3]float32{-5, -5, 0}, [3]float32{5, 5, 20}).Merge(cuboid([3]float32{-20, -5, 20}, [3]float32{20, 5, 30}))
	// Pyramid sides: normal ∝ (h, 0, −a), so the surface is atan(a/h) from vertical.
	flat := printTestPyramid(10, 5) // 63.4° from vertical
	steep := printTestPyramid(10, 20)
	flatSide := 4 * 0.5 * 20 * math.Sqrt(100+25)

	tests := []struct {
		name  string
		m     *Mesh
		p     PrinterProfile
		check func(t *testing.T, a PrintAnalysis)
	}{
		{"cube", cuboid([3]float32{10, 10, 5}, [3]float32{30, 30, 25}), PrinterProfile{}, func(t *testing.T, a PrintAnalysis) {
			if !near(a.VolumeCM3, 8) || !near(a.MassG, 8*1.24) || !near(a.AreaMM2, 2400) || a.OverhangAreaMM2 != 0 || a.OverhangFaces != 0 {
				t.Errorf("%+v", a)
			}
			if !a.Fits || a.RotateZ90 || !near(a.ScaleToFit, 12.8) || a.Shells != 1 || !a.Closed || !a.Outward {
				t.Errorf("%+v", a)
			}
			if a.SizeMM != [3]float64{20, 20, 20} || a.MinMM != [3]float64{10, 10, 5} || a.MaxMM != [3]float64{30, 30, 25} {
				t.Errorf("bounds %+v", a)
			}
			if a.Profile != (PrinterProfile{BuildVolume: [3]float64{256, 256, 256}, OverhangAngle: 45, Density: 1.24}) {
				t.Errorf("profile defaults %+v", a.Profile)
			}
		}},
		{"tee", tee, PrinterProfile{}, func(t *testing.T, a PrintAnalysis) {
			if !near(a.OverhangAreaMM2, 400) || a.OverhangFaces != 2 || a.Shells != 2 || !a.Closed {
				t.Errorf("%+v", a)
			}
		}},
		{"flat pyramid", flat, PrinterProfile{}, func(t *testing.T, a PrintAnalysis) {
			if !near(a.OverhangAreaMM2, flatSide) || a.OverhangFaces != 4 || !near(a.VolumeCM3, 20.0*20*5/3/1000) {
				t.Errorf("%+v, want overhang %v", a, flatSide)
			}
		}},
		{"flat pyramid, 70° allowed", flat, PrinterProfile{OverhangAngle: 70}, func(t *testing.T, a PrintAnalysis) {
			if a.OverhangAreaMM2 != 0 {
				t.Errorf("%+v", a)
			}
		}},
		{"flat pyramid, 60° allowed", flat, PrinterProfile{OverhangAngle: 60}, func(t *testing.T, a PrintAnalysis) {
			if !near(a.OverhangAreaMM2, flatSide) {
				t.Errorf("%+v", a)
			}
		}},
		{"steep pyramid", steep, PrinterProfile{}, func(t *testing.T, a PrintAnalysis) {
			if a.OverhangAreaMM2 != 0 { // 26.6° from vertical
				t.Errorf("%+v", a)
			}
		}},
		{"too long", cuboid([3]float32{0, 0, 0}, [3]float32{512, 100, 64}), PrinterProfile{}, func(t *testing.T, a PrintAnalysis) {
			if a.Fits || a.RotateZ90 || !near(a.ScaleToFit, 0.5) {
				t.Errorf("%+v", a)
			}
		}},
		{"fits turned", cuboid([3]float32{0, 0, 0}, [3]float32{300, 200, 10}), PrinterProfile{BuildVolume: [3]float64{250, 320, 0}}, func(t *testing.T, a PrintAnalysis) {
			if !a.Fits || !a.RotateZ90 || !near(a.ScaleToFit, 320.0/300) || a.Profile.BuildVolume != [3]float64{250, 320, 256} {
				t.Errorf("%+v", a)
			}
		}},
		{"open", repairTestDropFaces(cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1}), 2), PrinterProfile{Density: 2}, func(t *testing.T, a PrintAnalysis) {
			if a.Closed || a.Shells != 1 || !near(a.AreaMM2, 5.5) {
				t.Errorf("%+v", a)
			}
		}},
		{"empty", &Mesh{}, PrinterProfile{}, func(t *testing.T, a PrintAnalysis) {
			if a.Fits || a.ScaleToFit != 0 || a.VolumeCM3 != 0 || a.Shells != 0 || a.SizeMM != [3]float64{} {
				t.Errorf("%+v", a)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Analyze(tt.m, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a)
			if _, err := json.Marshal(a); err != nil {
				t.Errorf("not JSON-encodable: %v", err)
			}
		})
	}
}

func TestAnalyzeErrors(t *testing.T) {
	c := cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	for name, p := range map[string]PrinterProfile{
		"negative build": {BuildVolume: [3]float64{-1, 0, 0}},
		"NaN build":      {BuildVolume: [3]float64{0, math.NaN(), 0}},
		"angle over 90":  {OverhangAngle: 91},
		"negative angle": {OverhangAngle: -5},
		"inf density":    {Density: math.Inf(1)},
	} {
		if _, err := Analyze(c, p); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Analyze(nil, PrinterProfile{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil mesh: %v", err)
	}
	if _, err := Analyze(&Mesh{Faces: [][3]uint32{{0, 1, 2}}}, PrinterProfile{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad index: %v", err)
	}
}
