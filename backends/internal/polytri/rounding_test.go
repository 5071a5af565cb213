package polytri

import "testing"

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
