package heightfield

import (
	"math"
	"slices"
	"testing"
	"unsafe"
)

// gridSurface is the full triangulation of a w×h grid (every sample a vertex, two triangles a
// cell, positively oriented with rows growing downwards) over a bumpy height field.
func gridSurface(w, h int) *Surface {
	z := make([]float32, w*h)
	for j := range h {
		for i := range w {
			z[j*w+i] = float32(2 + math.Sin(float64(i)*0.7)*math.Cos(float64(j)*0.4))
		}
	}
	s := &Surface{Grid: Grid{W: w, H: h, Z: z}}
	for j := range h {
		for i := range w {
			s.PX, s.PY = append(s.PX, int32(i)), append(s.PY, int32(j))
		}
	}
	v := func(i, j int) int32 { return int32(j*w + i) }
	for j := range h - 1 {
		for i := range w - 1 {
			s.Tris = append(s.Tris, v(i, j), v(i+1, j), v(i+1, j+1), v(i, j), v(i+1, j+1), v(i, j+1))
		}
	}
	return s
}

// TestSolidInTris holds Solid with its faces built in the surface's own Tris (room for
// FacesRoom past its length) to Solid with a Tris of exactly its length, which makes a new face
// array: the same positions and faces, and the first shares the triangles' memory.
func TestSolidInTris(t *testing.T) {
	for _, size := range [][2]int{{2, 2}, {5, 3}, {40, 17}, {300, 260}} {
		w, h := size[0], size[1]
		exact := gridSurface(w, h)
		exact.Tris = slices.Clip(exact.Tris)
		want := Solid(exact, float64(w)*0.5, float64(h)*0.5)
		if unsafe.Pointer(&want.Faces[0]) == unsafe.Pointer(&exact.Tris[0]) {
			t.Fatalf("%d×%d: faces built in a Tris with no room to spare", w, h)
		}
		roomy := gridSurface(w, h)
		roomy.Tris = slices.Grow(roomy.Tris, FacesRoom(roomy.Grid))
		tris := roomy.Tris
		got := Solid(roomy, float64(w)*0.5, float64(h)*0.5)
		if unsafe.Pointer(&got.Faces[0]) != unsafe.Pointer(&tris[0]) {
			t.Errorf("%d×%d: faces not built in the surface's Tris", w, h)
		}
		if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
			t.Fatalf("%d×%d: faces built in place differ (%d/%d faces)", w, h, len(got.Faces), len(want.Faces))
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("%d×%d: %v", w, h, err)
		}
		if tp := got.Topology(); !tp.Closed() {
			t.Errorf("%d×%d: solid not closed: %+v", w, h, tp)
		}
	}
}
