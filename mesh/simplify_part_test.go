package mesh

import (
	"context"
	"testing"
)

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

// TestSimpSmallFanMatchesFan holds simpleSmallFan to simpleFan's general test on the fans of
// closed, open, non-manifold and random meshes.
func TestSimpSmallFanMatchesFan(t *testing.T) {
	meshes := []*Mesh{simpTestIcosphere(1, 3), simpTestGrid(12), simpTestDoubleFan(20), simpTestFan(30)}
	for seed := range 300 {
		data := make([]byte, 4+seed%60)
		x := uint32(seed)*2654435761 + 7
		for i := range data {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			data[i] = byte(x)
		}
		meshes = append(meshes, simpRandomMesh(data))
	}
	for mi, m := range meshes {
		s := &simpState{pos: m.Positions, workers: 1}
		for _, f := range m.Faces {
			if f[0] != f[1] && f[1] != f[2] && f[0] != f[2] {
				s.faces = append(s.faces, f)
			}
		}
		s.buildAdjacency(context.Background())
		for v := range len(s.pos) {
			fs := s.adj[s.adjStart[v]:s.adjStart[v+1]]
			if len(fs) == 0 || len(fs) > simpSmallFan {
				continue
			}
			if got, want := s.simpleSmallFan(uint32(v), fs), simpleFanGeneral(s, uint32(v), fs); got != want {
				t.Fatalf("mesh %d, vertex %d: small fan %v, general %v", mi, v, got, want)
			}
		}
	}
}

// simpleFanGeneral is simpleFan without its small-fan shortcut.
func simpleFanGeneral(s *simpState, v uint32, fs []uint32) bool {
	for _, fi := range fs {
		a, _ := simpAround(s.faces[fi], v)
		after, before := 0, 0
		for _, fj := range fs {
			a2, b2 := simpAround(s.faces[fj], v)
			if a2 == a {
				after++
			}
			if b2 == a {
				before++
			}
		}
		if after != 1 || before != 1 {
			return false
		}
	}
	_, b0 := simpAround(s.faces[fs[0]], v)
	b := b0
	for visited := 1; visited <= len(fs); visited++ {
		for _, fi := range fs {
			if a2, b2 := simpAround(s.faces[fi], v); a2 == b {
				b = b2
				break
			}
		}
		if b == b0 {
			return visited == len(fs)
		}
	}
	return false
}
