package hunyuan

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// TestRestStableFace checks that a tilted box, served as a model, comes back resting on its
// largest face: that face flat on Z = 0 (its four corners within 1e-3 of the box's size), the
// box's short side up; and that the default rests it on its lowest point, a corner.
func TestRestStableFace(t *testing.T) {
	box := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{400, 200, 100})
	box.Transform(mesh.Rotate([3]float64{1, 0.3, 0}, 0.6).Then(mesh.Rotate([3]float64{0, 0, 1}, 0.4)))
	var glb bytes.Buffer
	if err := meshio.Encode(&glb, box, meshio.GLB); err != nil {
		t.Fatal(err)
	}
	for _, rest := range []Rest{RestLowest, RestStableFace} {
		o := quick("http://127.0.0.1:1", false)
		o.Rest = rest
		b, _ := New(o)
		m, _, err := b.printable(context.Background(), glb.Bytes(), tier{solidify: 64}, 0, 40, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		bb := m.Bounds()
		var onBed int
		for _, p := range m.Positions {
			if math.Abs(float64(p[2])) < 1e-3*40 {
				onBed++
			}
		}
		if bb.Min[2] != 0 || bb.Min[0] != 0 || bb.Min[1] != 0 {
			t.Errorf("rest %d: bounds %v, want the corner at the origin on Z = 0", rest, bb)
		}
		switch rest {
		case RestLowest:
			if onBed != 1 {
				t.Errorf("lowest point: %d vertices on the bed, want the one corner", onBed)
			}
		case RestStableFace:
			// The box is 400 × 200 × 100 scaled by some s: lying on its largest face its height is
			// 100 s, so its volume is 8e6 (height/100)³.
			h := float64(bb.Size()[2])
			if v := m.Volume(); onBed != 4 || math.Abs(v-8e6*math.Pow(h/100, 3)) > 1e-3*v {
				t.Errorf("stable face: %d vertices on the bed, height %v, volume %v: want the 400×200 face down", onBed, h, v)
			}
		}
	}
}

// TestStableRotationBounded checks the hull's work is bounded on a large mesh (the reduction grid)
// and that a cancelled context stops it.
func TestStableRotationBounded(t *testing.T) {
	m := meshtest.UVSphere(50, 400, 800)
	pts := hullPoints(m)
	if len(pts) > 6*hullGrid*hullGrid+8*hullGrid {
		t.Errorf("%d hull points from %d vertices", len(pts), len(m.Positions))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := stableRotation(ctx, m); ok {
		t.Error("a cancelled context still gave a rotation")
	}
	// A hemisphere-capped shape with its centre of mass off-centre: the sphere itself has no
	// large face, but some facet must still be found stable.
	if _, ok := stableRotation(context.Background(), m); !ok {
		t.Error("no stable facet on a sphere")
	}
}
