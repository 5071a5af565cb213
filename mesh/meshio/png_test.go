package meshio

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
)

// TestTexturePNG checks that encodeTexturePNG's PNG decodes (with image/png) to exactly the
// pixels it was given, opaque (RGB) and translucent (RGBA), for sizes around the strip height and
// a sub-image, and that its bytes do not depend on GOMAXPROCS.
func TestTexturePNG(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		w, h   int
		opaque bool
	}{{1, 1, true}, {7, 63, true}, {64, 64, false}, {130, 129, true}, {33, 200, false}, {256, 128, true}} {
		full := image.NewNRGBA(image.Rect(0, 0, tc.w+3, tc.h+2))
		for y := range tc.h + 2 {
			for x := range tc.w + 3 {
				a := uint8(255)
				if !tc.opaque {
					a = uint8(r.IntN(256))
				}
				// A smooth field with noise, like a photograph.
				full.SetNRGBA(x, y, color.NRGBA{uint8(x + y + r.IntN(8)), uint8(2*x - y), uint8(r.IntN(256)), a})
			}
		}
		img := full.SubImage(image.Rect(2, 1, tc.w+2, tc.h+1)).(*image.NRGBA)
		var ref []byte
		for _, procs := range []int{1, 2, 4} {
			prev := runtime.GOMAXPROCS(procs)
			b, err := encodeTexturePNG(img)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = b
			} else if !bytes.Equal(b, ref) {
				t.Fatalf("%d×%d: GOMAXPROCS=%d changed the bytes", tc.w, tc.h, procs)
			}
		}
		got, err := png.Decode(bytes.NewReader(ref))
		if err != nil {
			t.Fatalf("%d×%d: %v", tc.w, tc.h, err)
		}
		if got.Bounds().Dx() != tc.w || got.Bounds().Dy() != tc.h {
			t.Fatalf("%d×%d: decoded %v", tc.w, tc.h, got.Bounds())
		}
		for y := range tc.h {
			for x := range tc.w {
				want := img.NRGBAAt(img.Rect.Min.X+x, img.Rect.Min.Y+y)
				if c := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA); c != want {
					t.Fatalf("%d×%d: pixel (%d, %d) is %v, want %v", tc.w, tc.h, x, y, c, want)
				}
			}
		}
	}
}

// BenchmarkTexturePNG compares encodeTexturePNG with image/png at BestSpeed (what GLB textures
// used before it) on astronaut.png, and reports each one's size.
func BenchmarkTexturePNG(b *testing.B) {
	f, err := os.ReadFile("../../testdata/images/astronaut.png")
	if err != nil {
		b.Fatal(err)
	}
	src, err := png.Decode(bytes.NewReader(f))
	if err != nil {
		b.Fatal(err)
	}
	img := image.NewNRGBA(src.Bounds())
	draw.Draw(img, img.Rect, src, src.Bounds().Min, draw.Src)
	b.Run("strips", func(b *testing.B) {
		var out []byte
		for b.Loop() {
			if out, err = encodeTexturePNG(img); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(out)), "bytes")
	})
	b.Run("stdlib", func(b *testing.B) {
		var out bytes.Buffer
		for b.Loop() {
			out.Reset()
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(out.Len()), "bytes")
	})
}
