package mesh

import (
	"context"
	"math"
	"slices"
	"testing"
)

// simpDeviationBrute is simpDeviation by brute force: every point against every face, summed in
// the same chunks and order, so that its figures are simpDeviation's bit for bit wherever no
// search reached its bound.
func simpDeviationBrute(points [][3]float32, used []bool, pos [][3]float32, faces [][3]uint32) (mx, mean float64) {
	tris := make([]simpTri, len(faces))
	for i, f := range faces {
		tris[i] = newSimpTri(pos[f[0]], pos[f[1]], pos[f[2]])
	}
	var sum float64
	n := 0
	for c := 0; c*simpDevChunk < len(points); c++ {
		var part float64
		for v := c * simpDevChunk; v < min((c+1)*simpDevChunk, len(points)); v++ {
			if !used[v] {
				continue
			}
			best := math.Inf(1)
			for i := range tris {
				best = min(best, tris[i].dist2(points[v]))
			}
			d := math.Sqrt(best)
			mx = max(mx, d)
			part += d
			n++
		}
		sum += part
	}
	if n == 0 {
		return 0, 0
	}
	return mx, sum / float64(n)
}

// TestSimpDeviationMatchesBrute holds the grid search to the brute force: on a closed surface
// and its simplification, on soups, on a fan of slivers and on random meshes, wherever no search
// reached its bound (DeviationBounded false) the figures must be the true nearest distances, bit
// for bit; a search that skipped the nearest face would give a larger figure.
func TestSimpDeviationMatchesBrute(t *testing.T) {
	sphere, err := Isosurface(context.Background(), isoRippledSphere(40), 0)
	if err != nil {
		t.Fatal(err)
	}
	simp, _, err := Simplify(context.Background(), sphere, SimplifyOptions{TargetRatio: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		from, to *Mesh
	}{
		{"sphere→simplified", sphere, simp},
		{"simplified→sphere", simp, sphere},
		{"soup", simpTestSoup(300, 1), simpTestSoup(300, 2)},
		{"poolsoup", simpTestPoolSoup(400, 3), simpTestPoolSoup(400, 4)},
		{"fan→sphere", simpTestFan(200), sphere},
		{"sphere→fan", sphere, simpTestFan(200)},
	}
	for s := range uint64(20) {
		b := make([]byte, 90)
		x := s*0x9e3779b97f4a7c15 + 1
		for i := range b {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b[i] = byte(x)
		}
		m := simpRandomMesh(b)
		cases = append(cases, struct {
			name     string
			from, to *Mesh
		}{"random", sphere, m}, struct {
			name     string
			from, to *Mesh
		}{"random2", m, simp})
	}
	for _, c := range cases {
		used := make([]bool, len(c.from.Positions))
		for _, f := range c.from.Faces {
			used[f[0]], used[f[1]], used[f[2]] = true, true, true
		}
		for _, workers := range []int{1, 3} {
			mx, mean, bounded := simpDeviation(context.Background(), c.from.Positions, used, c.to.Positions, c.to.Faces, workers)
			if len(c.to.Faces) == 0 {
				continue
			}
			bmx, bmean := simpDeviationBrute(c.from.Positions, used, c.to.Positions, c.to.Faces)
			if bounded {
				if mx < bmx || mean < bmean {
					t.Errorf("%s: bounded figures %g, %g below the true %g, %g", c.name, mx, mean, bmx, bmean)
				}
				continue
			}
			if mx != bmx || mean != bmean {
				t.Errorf("%s, %d workers: grid %g, %g; brute force %g, %g", c.name, workers, mx, mean, bmx, bmean)
			}
		}
	}
}

// TestSimpGridSameForAnyWorkers holds the deviation grid's lists to be the same whatever the
// number of workers (its counting and filling run by slabs of cells, one per worker).
func TestSimpGridSameForAnyWorkers(t *testing.T) {
	m, err := Isosurface(context.Background(), isoRippledSphere(96), 0)
	if err != nil {
		t.Fatal(err)
	}
	one := newSimpGrid(context.Background(), m.Positions, m.Faces, 1)
	if len(one.levels) == 0 || len(one.levels[0].start) <= 1<<16 {
		t.Fatalf("grid of %d levels too small to be split into slabs", len(one.levels))
	}
	for _, w := range []int{2, 3, 8} {
		g := newSimpGrid(context.Background(), m.Positions, m.Faces, w)
		if len(g.levels) != len(one.levels) {
			t.Fatalf("%d workers: %d levels, want %d", w, len(g.levels), len(one.levels))
		}
		for l := range g.levels {
			if !slices.Equal(g.levels[l].start, one.levels[l].start) || !slices.Equal(g.levels[l].items, one.levels[l].items) {
				t.Fatalf("%d workers: level %d differs from one worker's", w, l)
			}
		}
	}
}
