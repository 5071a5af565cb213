package polytri

import (
	"math"
	"math/rand/v2"
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

// starPolygon returns a random star-shaped polygon around (cx, cy), counter-clockwise.
func starPolygon(rng *rand.Rand, cx, cy, r float64, n int) []Point {
	p := make([]Point, n)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		rr := r * (0.3 + 0.7*rng.Float64())
		p[i] = Point{cx + rr*math.Cos(a), cy + rr*math.Sin(a)}
	}
	return p
}

func reverse(p []Point) []Point {
	q := make([]Point, len(p))
	for i := range p {
		q[len(p)-1-i] = p[i]
	}
	return q
}

func signedArea(p []Point) float64 {
	var a float64
	for i, x := range p {
		y := p[(i+1)%len(p)]
		a += x[0]*y[1] - y[0]*x[1]
	}
	return a / 2
}

// TestRandomHoles triangulates rectangles with random star-shaped holes, and star-shaped polygons
// alone: the triangles must all be counter-clockwise and add up to the polygon's area.
func TestRandomHoles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 500 {
		var outer []Point
		var holes [][]Point
		if trial%2 == 0 {
			outer = starPolygon(rng, 0, 0, 10, 3+rng.IntN(60))
		} else {
			outer = []Point{{-20, -20}, {20 + 10*rng.Float64(), -20}, {20, 20}, {-20, 20}}
			for h := range 1 + rng.IntN(3) {
				cx := -12 + 24*float64(h)/2 + rng.Float64()
				holes = append(holes, reverse(starPolygon(rng, cx, 8*rng.Float64()-4, 5, 3+rng.IntN(40))))
			}
		}
		tris, err := Triangulate(outer, holes)
		if err != nil {
			t.Fatal(err)
		}
		all := append([]Point(nil), outer...)
		want := signedArea(outer)
		for _, h := range holes {
			all = append(all, h...)
			want += signedArea(h)
		}
		got, ok := area(all, tris)
		if !ok || math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Fatalf("trial %d: area %v want %v, all counter-clockwise %v, %d triangles", trial, got, want, ok, len(tris))
		}
	}
}
