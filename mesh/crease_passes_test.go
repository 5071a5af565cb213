package mesh

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestCreasePassesSameResult holds Crease in several passes over the vertices (each block of
// face normals made before the first pass that needs it and dropped after the last) to one
// pass: the same normals, origins and faces, bit for bit, on a faceted torus whose faces lie near
// their vertices, on the same torus with its faces shuffled (every pass needs every block), and
// on a sphere large enough that Crease itself takes several passes; on 1, 2 and 4 goroutines.
func TestCreasePassesSameResult(t *testing.T) {
	faceted := torus(20, 5, 12000, 6) // 60° creases along the tube, 144k faces: 18 blocks
	shuffled := faceted.Clone()
	rng := rand.New(rand.NewPCG(3, 20))
	rng.Shuffle(len(shuffled.Faces), func(i, j int) { shuffled.Faces[i], shuffled.Faces[j] = shuffled.Faces[j], shuffled.Faces[i] })
	sphere := uvSphere(20, 300, 300) // 180k faces
	if len(sphere.Faces) < 2*creasePasses*creaseBlock {
		t.Fatalf("the sphere's %d faces take one pass", len(sphere.Faces))
	}
	for _, c := range []struct {
		name string
		m    *Mesh
	}{{"faceted", faceted}, {"shuffled", shuffled}, {"sphere", sphere}, {"cube", cuboid([3]float32{0, 0, 0}, [3]float32{1, 2, 3})}} {
		want := c.m.crease(0, 1)
		if c.name == "faceted" && len(want.Normals) <= len(c.m.Positions) {
			t.Fatalf("the faceted torus did not split (%d normals)", len(want.Normals))
		}
		for _, procs := range []int{1, 2, 4} {
			prev := runtime.GOMAXPROCS(procs)
			for _, passes := range []int{0, 2, 3, creasePasses, 13} {
				var got Creased
				if passes == 0 {
					got = c.m.Crease(0)
				} else {
					got = c.m.crease(0, passes)
				}
				if !slices.Equal(got.Normals, want.Normals) || !slices.Equal(got.Origin, want.Origin) || !slices.Equal(got.Faces, want.Faces) {
					t.Errorf("%s, GOMAXPROCS %d, %d passes (0: Crease's choice): not the one pass's result", c.name, procs, passes)
				}
			}
			runtime.GOMAXPROCS(prev)
		}
	}
}
