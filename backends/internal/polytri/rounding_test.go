package polytri

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// An ear 500 units from the origin whose height (1e-4) passes FlatRatio over its 60-unit side
// but is within what float32 rounding of its corners may take off must not count as an ear
// (hubble_deep_field.jpg extruded on a plate left such a sliver as a degenerate face).
func TestThinFarEarIsFlat(t *testing.T) {
	a, b, c := Point{500, 0}, Point{500 - 1e-4, 30}, Point{500, 60}
	if !wellShaped(c, b, a, 0) && !wellShaped(a, b, c, 0) {
		t.Fatal("test triangle should pass FlatRatio alone")
	}
	slack := roundingSlack([]Point{a, b, c}, []int{0, 1, 2})
	if wellShaped(a, b, c, slack) || wellShaped(c, b, a, slack) {
		t.Fatalf("ear of height 1e-4 at x=500 counted as well shaped (slack %g)", slack)
	}
}

// The base plate's top under skimage's gravel.png (extruded by auto at standard quality): the
// plate's rectangle with the line art's outline as its hole. The outline runs along the image's
// right border, x ≈ 511.996, where the blurred mask's crossing points differ only by float32
// rounding (3e-8 px): an ear from a corner to two of them that passes a third by 3e-8 left that
// third as a sliver of zero height, a degenerate face. Points within rounding of an ear block it,
// as an exactly collinear point on its edge does.
func TestGravelPlateNoFlatTriangle(t *testing.T) {
	data, err := os.ReadFile("testdata/gravel-plate.json")
	if err != nil {
		t.Fatal(err)
	}
	var poly struct {
		Outer []Point
		Holes [][]Point
	}
	if err := json.Unmarshal(data, &poly); err != nil {
		t.Fatal(err)
	}
	tris, err := Triangulate(poly.Outer, poly.Holes)
	if err != nil {
		t.Fatal(err)
	}
	pts := append([]Point(nil), poly.Outer...)
	for _, h := range poly.Holes {
		pts = append(pts, h...)
	}
	checkTriangulation(t, pts, poly.Outer, poly.Holes, tris)
}

// checkTriangulation checks that tris has the expected count, covers the polygon's area, and has
// no triangle that package mesh would call degenerate once its corners are float32.
func checkTriangulation(t *testing.T, pts, outer []Point, holes [][]Point, tris [][3]int) {
	t.Helper()
	if want := len(pts) + 2*len(holes) - 2; len(tris) != want {
		t.Errorf("%d triangles, want %d", len(tris), want)
	}
	area := ringArea(outer)
	for _, h := range holes {
		area += ringArea(h)
	}
	var sum float64
	for _, tr := range tris {
		var c [3][3]float64
		for k := range 3 {
			p := pts[tr[k]]
			c[k] = [3]float64{float64(float32(p[0])), float64(float32(p[1])), 0}
		}
		ab := [3]float64{c[1][0] - c[0][0], c[1][1] - c[0][1]}
		ac := [3]float64{c[2][0] - c[0][0], c[2][1] - c[0][1]}
		bc := [3]float64{c[2][0] - c[1][0], c[2][1] - c[1][1]}
		cr := ab[0]*ac[1] - ab[1]*ac[0]
		l := max(ab[0]*ab[0]+ab[1]*ab[1], ac[0]*ac[0]+ac[1]*ac[1], bc[0]*bc[0]+bc[1]*bc[1])
		if cr <= 2e-7*l { // mesh.DegenerateRatio, and counter-clockwise
			t.Errorf("triangle %v (%v %v %v) is flat or clockwise once float32: 2·area %g, longest side² %g", tr, pts[tr[0]], pts[tr[1]], pts[tr[2]], cr, l)
		}
		sum += cr / 2
	}
	if math.Abs(sum-area) > 1e-6*math.Abs(area) {
		t.Errorf("triangles cover %v, polygon %v", sum, area)
	}
}

func ringArea(r []Point) float64 {
	var a float64
	for i, p := range r {
		q := r[(i+1)%len(r)]
		a += p[0]*q[1] - q[0]*p[1]
	}
	return a / 2
}
