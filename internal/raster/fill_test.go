package raster

import "testing"

// TestFillOutward: a red subject (with an anti-aliased, white-mixed edge) on white: every pixel
// outside the core turns red, the core keeps its colour, and the input is not modified.
func TestFillOutward(t *testing.T) {
	const w, h = 9, 7
	mask := make([]float32, w*h)
	col := make([]float32, 3*w*h)
	for i := range col {
		col[i] = 1 // white background
	}
	for y := 2; y <= 4; y++ {
		for x := 3; x <= 5; x++ {
			i := y*w + x
			mask[i] = 1
			col[3*i], col[3*i+1], col[3*i+2] = 0.8, 0, 0
		}
	}
	mask[3*w+6] = 0.6 // an edge pixel, half white
	col[3*(3*w+6)+1], col[3*(3*w+6)+2] = 0.5, 0.5
	orig := append([]float32(nil), col...)
	out := FillOutward(col, mask, w, h)
	for i := range w * h {
		if out[3*i] != 0.8 || out[3*i+1] != 0 || out[3*i+2] != 0 {
			t.Fatalf("pixel (%d, %d) = %v, want the subject's red", i%w, i/w, out[3*i:3*i+3])
		}
	}
	for i := range col {
		if col[i] != orig[i] {
			t.Fatal("the input plane was modified")
		}
	}
	// Nothing to push from: the plane comes back unchanged.
	if got := FillOutward(col, make([]float32, w*h), w, h); &got[0] != &col[0] {
		t.Error("an empty mask should return the plane itself")
	}
	// A subject only partly covering its pixels (a thin line) still counts.
	thin := make([]float32, w*h)
	thin[10] = 0.6
	if got := FillOutward(orig, thin, w, h); got[0] != orig[30] {
		t.Errorf("thin subject: %v, want %v", got[0], orig[30])
	}
}
