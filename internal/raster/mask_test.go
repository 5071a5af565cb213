package raster

import "testing"

func TestCleanMask(t *testing.T) {
	// A 20×20 square with a 2×2 hole and a large 6×6 hole, plus a 1-pixel speck far away.
	const w, h = 40, 30
	m := make([]float32, w*h)
	for y := 5; y < 25; y++ {
		for x := 5; x < 25; x++ {
			m[y*w+x] = 1
		}
	}
	for y := 8; y < 10; y++ {
		for x := 8; x < 10; x++ {
			m[y*w+x] = 0
		}
	}
	for y := 14; y < 20; y++ {
		for x := 14; x < 20; x++ {
			m[y*w+x] = 0
		}
	}
	m[2*w+35] = 1
	out, st := CleanMask(m, w, h, 0.005, 10)
	if out[2*w+35] != 0 || st.DroppedIslands != 1 {
		t.Errorf("speck kept: %+v", st)
	}
	if out[8*w+8] != 1 || out[16*w+16] != 0 || st.FilledHoles != 1 || st.FilledPixels != 4 {
		t.Errorf("holes: small filled %v, large kept %v, %+v", out[8*w+8], out[16*w+16] == 0, st)
	}
	x0, y0, x1, y1, ok := Bounds(out, w, h)
	if !ok || x0 != 5 || y0 != 5 || x1 != 25 || y1 != 25 {
		t.Errorf("bounds %d,%d..%d,%d", x0, y0, x1, y1)
	}
}
