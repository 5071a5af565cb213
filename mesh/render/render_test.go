package render

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

var update = flag.Bool("update", false, "rewrite the golden pictures in testdata")

// scene is a coloured box beside a clay sphere and a textured plate: every shading path.
func scene() map[string]*mesh.Mesh {
	box := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{40, 30, 20})
	box.Colors = make([][4]uint8, len(box.Positions))
	for i, p := range box.Positions {
		box.Colors[i] = [4]uint8{uint8(60 + 4*p[0]), uint8(60 + 5*p[1]), uint8(80 + 8*p[2]), 255}
	}
	sphere := meshtest.UVSphere(15, 24, 48)
	tex := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			c := color.NRGBA{230, 230, 230, 255}
			if (x+y)%2 == 0 {
				c = color.NRGBA{200, 40, 40, 255}
			}
			tex.SetNRGBA(x, y, c)
		}
	}
	plate := &mesh.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {50, 0, 0}, {50, 50, 0}, {0, 50, 0}},
		Faces:     [][3]uint32{{0, 1, 2}, {0, 2, 3}},
		UVs:       [][2]float32{{0, 1}, {1, 1}, {1, 0}, {0, 0}},
		Texture:   tex,
	}
	return map[string]*mesh.Mesh{"box": box, "sphere": sphere, "plate": plate}
}

// TestGolden renders each scene mesh and compares it with testdata/NAME.png: at most 0.5% of
// the pixels may differ by more than 8 in any channel (float rounding may differ between
// architectures; a wrong camera, light, colour or coverage changes far more).
func TestGolden(t *testing.T) {
	for name, m := range scene() {
		t.Run(name, func(t *testing.T) {
			img, err := Render(context.Background(), m, Options{Width: 160, Height: 120})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".png")
			if *update {
				var b bytes.Buffer
				if err := png.Encode(&b, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			f, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			want, err := png.Decode(bytes.NewReader(f))
			if err != nil {
				t.Fatal(err)
			}
			if want.Bounds() != img.Bounds() {
				t.Fatalf("size %v, golden %v", img.Bounds(), want.Bounds())
			}
			bad := 0
			for y := range img.Rect.Dy() {
				for x := range img.Rect.Dx() {
					g := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
					c := img.NRGBAAt(x, y)
					if absDiff(g.R, c.R) > 8 || absDiff(g.G, c.G) > 8 || absDiff(g.B, c.B) > 8 || absDiff(g.A, c.A) > 8 {
						bad++
					}
				}
			}
			if n := img.Rect.Dx() * img.Rect.Dy(); bad*200 > n {
				t.Errorf("%d of %d pixels differ from %s", bad, n, path)
			}
		})
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestCoverage checks what the picture shows: the box fills the frame within the margin, its
// three visible sides are lit differently, and the corners of the picture are background.
func TestCoverage(t *testing.T) {
	box := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{10, 10, 10})
	img, err := Render(context.Background(), box, Options{Width: 100, Height: 100, Background: color.NRGBA{255, 255, 255, 255}})
	if err != nil {
		t.Fatal(err)
	}
	if c := img.NRGBAAt(0, 0); c != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("corner = %v, want the background", c)
	}
	// Top face (seen from above), front face (−Y, lower left) and right face (+X, lower right).
	top, front, right := img.NRGBAAt(50, 22), img.NRGBAAt(35, 65), img.NRGBAAt(75, 60)
	if top == front || front == right || top == right {
		t.Errorf("sides shade alike: top %v front %v right %v", top, front, right)
	}
	var covered int
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i-1] != 255 || img.Pix[i-2] != 255 || img.Pix[i-3] != 255 {
			covered++
		}
	}
	if covered < 100*100/3 {
		t.Errorf("the box covers %d pixels of 10000; it should fill the frame", covered)
	}
}

// TestDeterministic renders with one and with many goroutines: the bytes must be the same.
func TestDeterministic(t *testing.T) {
	m := meshtest.Torus(20, 7, 200, 100)
	prev := runtime.GOMAXPROCS(1)
	a, err := Render(context.Background(), m, Options{})
	runtime.GOMAXPROCS(8)
	b, err2 := Render(context.Background(), m, Options{})
	runtime.GOMAXPROCS(prev)
	if err != nil || err2 != nil {
		t.Fatal(err, err2)
	}
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("output depends on GOMAXPROCS")
	}
}

func TestErrors(t *testing.T) {
	m := meshtest.Cuboid([3]float32{}, [3]float32{1, 1, 1})
	for _, o := range []Options{{Width: -1}, {Width: MaxSide + 1}, {Supersample: 9}} {
		if _, err := Render(context.Background(), m, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", o, err)
		}
	}
	bad := &mesh.Mesh{Positions: [][3]float32{{0, 0, 0}}, Faces: [][3]uint32{{0, 1, 2}}}
	if _, err := Render(context.Background(), bad, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad mesh: err = %v, want ErrInvalid", err)
	}
	if _, err := Render(context.Background(), nil, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil mesh: err = %v, want ErrInvalid", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Render(ctx, m, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	img, err := Render(context.Background(), &mesh.Mesh{}, Options{Width: 4})
	if err != nil || img.Rect.Dx() != 4 || img.Rect.Dy() != 4 || img.Pix[3] != 0 {
		t.Errorf("empty mesh: %v %v", img, err)
	}
}

// BenchmarkRender1MFaces renders a 1M-face sphere to 512 × 512, the thumbnail figure of issue 15.
func BenchmarkRender1MFaces(b *testing.B) {
	m := meshtest.UVSphere(50, 708, 708) // 2·708·707 ≈ 1.0M faces
	b.ReportMetric(float64(len(m.Faces)), "faces")
	b.ResetTimer()
	for b.Loop() {
		if _, err := Render(context.Background(), m, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
