package mesh

import (
	"runtime"
	"slices"
	"testing"
)

// TestCreaseRingSameOnEveryGOMAXPROCS checks that the parallel counting sort of Crease's
// corners by vertex gives the serial pass's rows, for GOMAXPROCS 1, 2, 3 and 8, on a mesh large
// enough to be split.
func TestCreaseRingSameOnEveryGOMAXPROCS(t *testing.T) {
	m := uvSphere(40, 300, 300)
	if len(m.Faces) < creaseRingParallelFaces {
		t.Fatalf("%d faces: too few to split", len(m.Faces))
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	start, ring := creaseRing(m.Faces, len(m.Positions))
	for v := range len(m.Positions) {
		row := ring[start[v]:start[v+1]]
		for j, c := range row {
			if m.Faces[c/3][c%3] != uint32(v) || j > 0 && row[j-1] >= c {
				t.Fatalf("vertex %d: row %v is not its corners in face order", v, row)
			}
		}
	}
	for _, p := range []int{2, 3, 8} {
		runtime.GOMAXPROCS(p)
		s, r := creaseRing(m.Faces, len(m.Positions))
		if !slices.Equal(s, start) || !slices.Equal(r, ring) {
			t.Fatalf("GOMAXPROCS %d: the rows differ from GOMAXPROCS 1's", p)
		}
	}
}
