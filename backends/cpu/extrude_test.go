package cpu

import (
	"bytes"
	"context"
	"errors"
	"image"
	"math"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
)

// ringMask draws anti-aliased annuli (r0 = 0 for a disc) on a w×w raster; each entry of rings is
// {cx, cy, r0, r1} in pixels.
func ringMask(w int, rings ...[4]float64) []float32 {
	m := make([]float32, w*w)
	for row := range w {
		for col := range w {
			var s float32
			for sy := range 4 {
				for sx := range 4 {
					x := float64(col) + (float64(sx)+0.5)/4
					y := float64(row) + (float64(sy)+0.5)/4
					for _, r := range rings {
						if d := math.Hypot(x-r[0], y-r[1]); d >= r[2] && d <= r[3] {
							s += 1.0 / 16
							break
						}
					}
				}
			}
			m[row*w+col] = s
		}
	}
	return m
}

func extrudeInput(w int, mask []float32, p backends.ExtrudeParams) *backends.Input {
	return &backends.Input{
		Width: w, Height: w, Luminance: make([]float32, w*w), Mask: mask,
		PixelSize: 0.5, Mode: backends.Extrude, Extrude: p, Tolerance: 0.01,
	}
}

func maskArea(mask []float32) float64 {
	var a float64
	for _, v := range mask {
		a += float64(v)
	}
	return a
}

func TestExtrudeShapes(t *testing.T) {
	const w = 96
	tests := []struct {
		name       string
		rings      [][4]float64
		params     backends.ExtrudeParams
		genus      int
		components int
	}{
		{"disc", [][4]float64{{48, 48, 0, 30}}, backends.ExtrudeParams{}, 0, 1},
		{"ring", [][4]float64{{48, 48, 15, 35}}, backends.ExtrudeParams{Height: 3}, 1, 1},
		{"letter o with a dot in its counter", [][4]float64{{48, 48, 20, 35}, {48, 48, 0, 8}}, backends.ExtrudeParams{}, 1, 2},
		{"two discs", [][4]float64{{25, 25, 0, 15}, {70, 70, 0, 18}}, backends.ExtrudeParams{}, 0, 2},
		{"ring on a plate", [][4]float64{{48, 48, 15, 35}}, backends.ExtrudeParams{BasePlate: true}, 0, 1},
		{"o with dot on a plate", [][4]float64{{48, 48, 20, 35}, {48, 48, 0, 8}}, backends.ExtrudeParams{BasePlate: true, BaseMargin: 2}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mask := ringMask(w, tc.rings...)
			in := extrudeInput(w, mask, tc.params)
			m, err := extrude(context.Background(), in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			r := m.Topology()
			if !r.Closed() || !r.Outward {
				t.Fatalf("not a closed outward solid: %+v", r)
			}
			if r.Genus != tc.genus || r.Components != tc.components {
				t.Errorf("genus %d components %d, want %d and %d", r.Genus, r.Components, tc.genus, tc.components)
			}
			p := tc.params.Defaults()
			area := maskArea(mask) * in.PixelSize * in.PixelSize
			want := area * p.Height
			if p.BasePlate {
				s := m.Bounds().Size()
				want += float64(s[0]) * float64(s[1]) * p.BaseThickness
			}
			if got := m.Volume(); math.Abs(got-want)/want > 0.01 {
				t.Errorf("volume %v mm³, want %v within 1%% (cap area = mask area)", got, want)
			}
			if b := m.Bounds(); b.Min[2] != 0 || math.Abs(float64(b.Max[2])-p.Height-map[bool]float64{true: p.BaseThickness}[p.BasePlate]) > 1e-5 {
				t.Errorf("z range %v..%v", b.Min[2], b.Max[2])
			}
		})
	}
}

func TestExtrudeColour(t *testing.T) {
	const w = 40
	mask := ringMask(w, [4]float64{20, 20, 0, 15})
	in := extrudeInput(w, mask, backends.ExtrudeParams{})
	in.Color = make([]float32, 3*w*w)
	for i := 0; i < w*w; i++ {
		in.Color[3*i] = 1 // red
	}
	m, err := extrude(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Colors) != len(m.Positions) || len(m.UVs) != len(m.Positions) {
		t.Fatalf("colours %d, UVs %d for %d vertices", len(m.Colors), len(m.UVs), len(m.Positions))
	}
	for _, c := range m.Colors {
		if c != [4]uint8{255, 0, 0, 255} {
			t.Fatalf("colour %v, want red", c)
		}
	}
	for _, uv := range m.UVs {
		if uv[0] < 0 || uv[0] > 1 || uv[1] < 0 || uv[1] > 1 {
			t.Fatalf("uv %v outside the image", uv)
		}
	}
}

func TestExtrudeEmptyMask(t *testing.T) {
	in := extrudeInput(16, make([]float32, 256), backends.ExtrudeParams{})
	if _, err := extrude(context.Background(), in, nil); !errors.Is(err, backends.ErrInvalidInput) {
		t.Fatalf("empty mask: err = %v, want ErrInvalidInput", err)
	}
}

// TestExtrudeColouredMatchesSerial: extrudeColoured, whose outward colour fill runs beside the
// extrusion, colours the mesh exactly as extrude followed by modes.ColourByProjection does.
func TestExtrudeColouredMatchesSerial(t *testing.T) {
	const w = 48
	mask := ringMask(w, [4]float64{24, 24, 6, 18})
	in := extrudeInput(w, mask, backends.ExtrudeParams{})
	in.Color = make([]float32, 3*w*w)
	for i := range in.Color {
		in.Color[i] = float32(i%97) / 96
	}
	got, err := extrudeColoured(context.Background(), in, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, err := extrude(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	modes.ColourByProjection(want, in, 1)
	if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) ||
		!slices.Equal(got.Colors, want.Colors) || !slices.Equal(got.UVs, want.UVs) ||
		!bytes.Equal(got.Texture.(*image.NRGBA).Pix, want.Texture.(*image.NRGBA).Pix) {
		t.Fatal("extrudeColoured differs from extrude then ColourByProjection")
	}
	if _, err := extrudeColoured(context.Background(), extrudeInput(w, make([]float32, w*w), backends.ExtrudeParams{}), nil, 2); err == nil {
		t.Error("an empty mask extruded")
	}
}
