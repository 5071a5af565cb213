package meshio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/qmuntal/gltf"

	"github.com/orfeas3d/orfeas/mesh"
)

// TestGLBNormalFallbacks checks the NORMAL accessor where the crease normals give nothing: an
// unused vertex and those used only by a degenerate face get +Z. A two-sided triangle, whose
// sides face opposite ways, is split along its 180° creases into two sides with their own
// normals, where one normal per position would cancel. Every other vertex gets its
// CreaseNormals value, and all are unit length.
func TestGLBNormalFallbacks(t *testing.T) {
	m := &mesh.Mesh{
		Positions: [][3]float32{
			{0, 0, 0}, {1, 0, 0}, {0, 0, 1}, // two-sided triangle
			{5, 5, 5},                       // unused
			{0, 0, 3}, {1, 0, 3}, {2, 0, 3}, // degenerate face only
			{0, 0, 9}, {0, 1, 9}, {0, 0, 10}, // ordinary triangle (normal +X)
		},
		Faces: [][3]uint32{{4, 5, 6}, {0, 1, 2}, {0, 2, 1}, {7, 8, 9}},
	}
	split, want := m.CreaseNormals(0)
	if len(split.Positions) != 13 {
		t.Fatalf("split into %d vertices, want 13 (the two-sided triangle's 3 doubled)", len(split.Positions))
	}
	for v, n := range want {
		if n == ([3]float32{}) {
			want[v] = [3]float32{0, 0, 1}
		}
	}
	if want[0] != ([3]float32{0, -1, 0}) {
		t.Fatalf("two-sided triangle, first side: %v, want -Y", want[0])
	}
	got := glbTestNormals(t, ioEncode(t, m, GLB))
	if len(got) != len(want) {
		t.Fatalf("%d normals, want %d", len(got), len(want))
	}
	for i := range want {
		q := got[i]
		if g := [3]float32{q[0], -q[2], q[1]}; g != want[i] { // glbToGLTF's rotation, undone
			t.Errorf("vertex %d: NORMAL %v (mesh axes), want %v", i, g, want[i])
		}
		if l := float64(q[0])*float64(q[0]) + float64(q[1])*float64(q[1]) + float64(q[2])*float64(q[2]); math.Abs(l-1) > 1e-6 {
			t.Errorf("vertex %d: NORMAL %v is not unit", i, q)
		}
	}
}

// glbTestNormals reads the NORMAL accessor of the first primitive of a GLB file.
func glbTestNormals(t *testing.T, data []byte) [][3]float32 {
	t.Helper()
	le := binary.LittleEndian
	jl := le.Uint32(data[12:])
	var doc gltf.Document
	if err := json.Unmarshal(data[20:20+jl], &doc); err != nil {
		t.Fatal(err)
	}
	bin := data[20+jl+8:]
	a := doc.Accessors[doc.Meshes[0].Primitives[0].Attributes[gltf.NORMAL]]
	bv := doc.BufferViews[*a.BufferView]
	b := bin[bv.ByteOffset+a.ByteOffset:]
	out := make([][3]float32, a.Count)
	for i := range out {
		for k := range 3 {
			out[i][k] = math.Float32frombits(le.Uint32(b[12*i+4*k:]))
		}
	}
	if !bytes.Equal(data[:4], []byte("glTF")) {
		t.Fatal("not GLB")
	}
	return out
}

// TestGLBPowerOfTwo: a texture is resampled to the next power-of-two sides, a power-of-two one
// is left alone, and a flat colour stays exactly that colour.
func TestGLBPowerOfTwo(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	for i := range img.Pix {
		img.Pix[i] = []uint8{10, 200, 30, 255}[i%4]
	}
	got := glbPowerOfTwo(img)
	if got.Bounds() != image.Rect(0, 0, 8, 4) {
		t.Fatalf("bounds %v, want 8×4", got.Bounds())
	}
	for y := range 4 {
		for x := range 8 {
			if c := got.(*image.NRGBA).NRGBAAt(x, y); c != (color.NRGBA{10, 200, 30, 255}) {
				t.Fatalf("(%d,%d) = %v", x, y, c)
			}
		}
	}
	pot := image.NewNRGBA(image.Rect(0, 0, 16, 2))
	if glbPowerOfTwo(pot) != image.Image(pot) {
		t.Error("a power-of-two texture was copied")
	}
	if n := glbNextPow2(1 << 20); n != 1<<20 {
		t.Errorf("glbNextPow2 above the cap = %d", n)
	}
}

// glbPowerOfTwoPerPixel is the resampling glbPowerOfTwo makes, written pixel by pixel (both
// horizontal blends of every output pixel computed on the spot): the reference its cached
// row blends must match byte for byte.
func glbPowerOfTwoPerPixel(img image.Image) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pw, ph := glbNextPow2(w), glbNextPow2(h)
	out := image.NewNRGBA(image.Rect(0, 0, pw, ph))
	at := func(x, y int) color.NRGBA {
		return color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
	}
	ch := func(c color.NRGBA, k int) float64 { return float64([4]uint8{c.R, c.G, c.B, c.A}[k]) }
	for y := range ph {
		fy := min(max((float64(y)+0.5)*float64(h)/float64(ph)-0.5, 0), float64(h-1))
		y0 := int(fy)
		y1, ay := min(y0+1, h-1), fy-float64(y0)
		for x := range pw {
			fx := min(max((float64(x)+0.5)*float64(w)/float64(pw)-0.5, 0), float64(w-1))
			x0 := int(fx)
			x1, ax := min(x0+1, w-1), fx-float64(x0)
			c00, c10, c01, c11 := at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1)
			for k := range 4 {
				top := ch(c00, k)*(1-ax) + ch(c10, k)*ax
				bot := ch(c01, k)*(1-ax) + ch(c11, k)*ax
				out.Pix[out.PixOffset(x, y)+k] = uint8(math.Round(top*(1-ay) + bot*ay))
			}
		}
	}
	return out
}

// TestGLBPowerOfTwoMatchesPerPixel: on random textures that grow, shrink (above the side cap is
// not reached here, so both grow) and are sub-images or another image type, the resampled
// texture is byte-identical to the per-pixel reference.
func TestGLBPowerOfTwoMatchesPerPixel(t *testing.T) {
	seed := uint32(7)
	rnd := func() uint8 { seed = seed*1664525 + 1013904223; return uint8(seed >> 24) }
	for _, c := range []struct{ w, h int }{{5, 3}, {200, 130}, {400, 328}, {1, 70}, {129, 1}, {300, 65}} {
		full := image.NewNRGBA(image.Rect(0, 0, c.w+3, c.h+2))
		for i := range full.Pix {
			full.Pix[i] = rnd()
		}
		for i := 3; i < len(full.Pix); i += 4 {
			full.Pix[i] = 255 - full.Pix[i]%3 // mostly opaque, as textures are
		}
		sub := full.SubImage(image.Rect(2, 1, 2+c.w, 1+c.h)).(*image.NRGBA)
		rgba := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
		for i := range rgba.Pix {
			rgba.Pix[i] = rnd()
		}
		for i := 3; i < len(rgba.Pix); i += 4 {
			rgba.Pix[i] = 255
		}
		for name, img := range map[string]image.Image{"sub-image": sub, "rgba": rgba} {
			got, ok := glbPowerOfTwo(img).(*image.NRGBA)
			want := glbPowerOfTwoPerPixel(img)
			if !ok || got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
				t.Errorf("%d×%d %s: resampled texture differs from the per-pixel reference", c.w, c.h, name)
			}
		}
	}
}
