package mesh

import "testing"

// TestSimpPartMatchesDivision holds the range lookup by first vertices to the division it
// replaces, ⌊v·simpParts/n⌋, for every vertex of meshes of many sizes.
func TestSimpPartMatchesDivision(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 1000, 4097, 477316} {
		s := &simpState{pos: make([][3]float32, n)}
		for p := range simpParts + 1 {
			s.partStart[p] = uint32((uint64(p)*uint64(n) + simpParts - 1) / simpParts)
		}
		for v := range n {
			want := int(uint64(v) * simpParts / uint64(n))
			if got := s.part(uint32(v)); got != want {
				t.Fatalf("n %d, v %d: part %d, want %d", n, v, got, want)
			}
			if lo, hi := s.partStart[want], s.partStart[want+1]; uint32(v)-lo >= hi-lo {
				t.Fatalf("n %d, v %d: not in [%d, %d)", n, v, lo, hi)
			}
		}
	}
}
