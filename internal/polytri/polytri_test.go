package polytri

import (
	"math"
	"testing"
)

func area(pts []Point, tris [][3]int) (sum float64, ok bool) {
	ok = true
	for _, t := range tris {
		a := cross(pts[t[0]], pts[t[1]], pts[t[2]]) / 2
		if a <= 0 {
			ok = false
		}
		sum += a
	}
	return sum, ok
}

func circle(cx, cy, r float64, n int, ccw bool) []Point {
	p := make([]Point, n)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		if !ccw {
			a = -a
		}
		p[i] = Point{cx + r*math.Cos(a), cy + r*math.Sin(a)}
	}
	return p
}

func TestSquareWithHoles(t *testing.T) {
	outer := []Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}}
	holes := [][]Point{circle(3, 3, 1.5, 12, false), circle(7, 6, 2, 16, false), circle(3, 7.5, 1, 9, false)}
	tris, err := Triangulate(outer, holes)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]Point(nil), outer...)
	want := 100.0
	for _, h := range holes {
		all = append(all, h...)
		var a float64
		for i, p := range h {
			q := h[(i+1)%len(h)]
			a += p[0]*q[1] - q[0]*p[1]
		}
		want += a / 2
	}
	got, ok := area(all, tris)
	if !ok {
		t.Error("a triangle is not counter-clockwise")
	}
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("area %v, want %v", got, want)
	}
	if n := len(all) + 2*len(holes) - 2; len(tris) != n {
		t.Errorf("%d triangles, want %d", len(tris), n)
	}
}

func TestConcave(t *testing.T) {
	// A comb: many reflex corners.
	var outer []Point
	for i := range 10 {
		x := float64(i * 2)
		outer = append(outer, Point{x, 0})
	}
	outer = append(outer, Point{20, 0}, Point{20, 10})
	for i := 9; i >= 0; i-- {
		x := float64(i * 2)
		outer = append(outer, Point{x + 1.5, 10}, Point{x + 1, 3}, Point{x + 0.5, 10})
	}
	outer = append(outer, Point{0, 10})
	tris, _ := Triangulate(outer, nil)
	got, ok := area(outer, tris)
	var want float64
	for i, p := range outer {
		q := outer[(i+1)%len(outer)]
		want += p[0]*q[1] - q[0]*p[1]
	}
	want /= 2
	if !ok || math.Abs(got-want) > 1e-9 || len(tris) != len(outer)-2 {
		t.Errorf("comb: area %v want %v, ccw %v, %d triangles", got, want, ok, len(tris))
	}
}
