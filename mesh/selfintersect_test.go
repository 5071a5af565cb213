package mesh

import (
	"context"
	"errors"
	"testing"
	"time"
)

// merge puts b's faces after a's in one mesh.
func merge(a, b *Mesh) *Mesh {
	out := &Mesh{Positions: append(append([][3]float32(nil), a.Positions...), b.Positions...)}
	out.Faces = append(out.Faces, a.Faces...)
	off := uint32(len(a.Positions))
	for _, f := range b.Faces {
		out.Faces = append(out.Faces, [3]uint32{f[0] + off, f[1] + off, f[2] + off})
	}
	return out
}

// TestSelfIntersections: two closed boxes that pass through each other are reported crossing
// (issue 21 item 7: they were reported closed with no mention of it); closed shapes that do not
// cross, and boxes that only touch, are not.
func TestSelfIntersections(t *testing.T) {
	crossing := merge(cuboid([3]float32{0, 0, 0}, [3]float32{10, 10, 10}), cuboid([3]float32{5, 5, 5}, [3]float32{15, 15, 15}))
	// Touching along an edge, and a corner resting on a face.
	touching := merge(cuboid([3]float32{0, 0, 0}, [3]float32{10, 10, 10}), cuboid([3]float32{10, 0, 10}, [3]float32{20, 10, 20}))
	apart := merge(cuboid([3]float32{0, 0, 0}, [3]float32{10, 10, 10}), cuboid([3]float32{20, 0, 0}, [3]float32{30, 10, 10}))
	// Coplanar overlap: two squares in one plane, shifted by half a side.
	coplanar := &Mesh{
		Positions: [][3]float32{{0, 0, 0}, {10, 0, 0}, {10, 10, 0}, {0, 10, 0}, {5, 5, 0}, {15, 5, 0}, {15, 15, 0}, {5, 15, 0}},
		Faces:     [][3]uint32{{0, 1, 2}, {0, 2, 3}, {4, 5, 6}, {4, 6, 7}},
	}
	for _, tc := range []struct {
		name  string
		m     *Mesh
		cross bool
	}{
		{"crossing boxes", crossing, true},
		{"touching boxes", touching, false},
		{"boxes apart", apart, false},
		{"one box", cuboid([3]float32{0, 0, 0}, [3]float32{1, 2, 3}), false},
		{"torus", torus(10, 3, 48, 24), false},
		{"sphere", uvSphere(5, 24, 48), false},
		{"coplanar overlap", coplanar, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			si, err := SelfIntersections(context.Background(), tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if !si.Complete || (si.Pairs > 0) != tc.cross || len(si.Faces) != min(si.Pairs, MaxSelfIntersectionPairs) {
				t.Errorf("got %+v, want crossing %v", si, tc.cross)
			}
			a, err := Analyze(tc.m, PrinterProfile{})
			if err != nil {
				t.Fatal(err)
			}
			if a.SelfIntersection.Pairs != si.Pairs || a.Printable() != (a.Closed && !tc.cross) {
				t.Errorf("analysis %+v", a.SelfIntersection)
			}
		})
	}
}

// TestSelfIntersectionsHostile: a soup of long crossing triangles ends within its work bound,
// reporting itself incomplete, and a cancelled context stops it.
func TestSelfIntersectionsHostile(t *testing.T) {
	soup := simpTestSoup(200_000, 3)
	start := time.Now()
	si, err := SelfIntersections(context.Background(), soup)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d) // a hang regression guard, not a timing assertion
	}
	if si.Pairs == 0 {
		t.Errorf("a random soup crosses itself: %+v", si)
	}
	t.Logf("soup of 200k: %d pairs, complete %v, %v", si.Pairs, si.Complete, time.Since(start))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SelfIntersections(ctx, soup); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
