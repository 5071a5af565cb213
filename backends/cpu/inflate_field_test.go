package cpu

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// inflateFill is the dense fill inflateField replaced: plane l of the inflation field, every
// sample computed and stored. It is the reference the field is held to.
func inflateFill(g *mesh.Grid, w, h int, H, sd []float32, flatBack bool) func(l int, plane []float32) {
	nx, ny, px := g.NX, g.NY, g.Voxel
	outside := modes.InflateOutside(px)
	return func(l int, plane []float32) {
		z := float32(g.Origin[2] + float64(l)*px)
		for i := range nx {
			plane[i] = outside
			plane[(ny-1)*nx+i] = outside
		}
		for j := 1; j < ny-1; j++ {
			row := plane[j*nx : (j+1)*nx]
			row[0], row[nx-1] = outside, outside
			c := (h - j) * w
			for i := range w {
				row[i+1] = modes.InflateValue(z, H[c+i], sd[c+i], px, flatBack)
			}
		}
	}
}

// TestInflateFieldMatchesFill checks that the inflation field's signs and values are those of
// the dense fill on every sample, and that meshing it (isosurfaceFieldChunks) gives the dense
// fill's chunked mesh bit for bit, with and without a flat back, for several chunk sizes. The
// heights and distances are random, with ties: pixels with distance exactly 0, heights equal to
// some plane's z, and a mask edge through the middle.
func TestInflateFieldMatchesFill(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const w, h = 150, 23 // three 64-sample mask words, the middle one all inside on some planes
	px := 0.37
	for _, flatBack := range []bool{true, false} {
		H, sd := make([]float32, w*h), make([]float32, w*h)
		var hmax float64
		for i := range H {
			x, y := float64(i%w)-w/2, float64(i/w)-h/2
			sd[i] = float32(9 - math.Hypot(x/9, y))
			if i%w < 40 && rng.IntN(17) == 0 {
				sd[i] = 0
			}
			if sd[i] > 0 {
				H[i] = float32(modes.InflateHeight(sd[i], 9, px, 0.8, 0.3) * (0.7 + 0.6*rng.Float64()))
				hmax = max(hmax, float64(H[i]))
			}
		}
		g, err := modes.InflateGrid(w, h, px, hmax, flatBack)
		if err != nil {
			t.Fatal(err)
		}
		// Some heights exactly on a plane's z.
		for range 40 {
			i := rng.IntN(w * h)
			if sd[i] > 0 && i%w < 40 {
				H[i] = float32(g.Origin[2] + float64(1+rng.IntN(g.NZ-2))*px)
			}
		}
		f := newInflateField(g, w, h, H, sd, flatBack, testWorkers)
		fill := inflateFill(g, w, h, H, sd, flatBack)
		plane := make([]float32, g.NX*g.NY)
		words := (g.NX + 63) / 64
		mask := make([]uint64, words)
		inside := 0
		for l := range g.NZ {
			fill(l, plane)
			for j := range g.NY {
				f.InsideRow(j, l, mask)
				for i := range g.NX {
					v := plane[j*g.NX+i]
					if got := f.Value(i, j, l); math.Float32bits(got) != math.Float32bits(v) {
						t.Fatalf("flat back %v: sample (%d, %d, %d) = %v, fill %v", flatBack, i, j, l, got, v)
					}
					if in := mask[i/64]>>(i%64)&1 == 1; in != (v < 0) {
						t.Fatalf("flat back %v: sample (%d, %d, %d) = %v, inside %v", flatBack, i, j, l, v, in)
					}
					if v < 0 {
						inside++
					}
				}
				for i := g.NX; i < 64*words; i++ {
					if mask[i/64]>>(i%64)&1 != 0 {
						t.Fatalf("flat back %v: bit %d past the row's end set", flatBack, i)
					}
				}
			}
		}
		if inside == 0 {
			t.Fatal("no sample inside: a vacuous test")
		}
		full := 0
		for j := range g.NY {
			for l := range g.NZ {
				f.InsideRow(j, l, mask)
				if mask[1] == ^uint64(0) {
					full++
				}
			}
		}
		if full == 0 {
			t.Fatal("no full word: InsideRow's shortcut untested")
		}
		shape := *g
		for _, layers := range []int{1, 4, g.NZ - 1} {
			samples := (layers + 1) * g.NX * g.NY
			want, err := isosurfaceChunks(context.Background(), &shape, testWorkers, samples, fill)
			if err != nil {
				t.Fatal(err)
			}
			got, err := isosurfaceFieldChunks(context.Background(), &shape, samples, f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
				t.Fatalf("flat back %v, %d layers a chunk: the field's mesh differs from the fill's (%d/%d vertices, %d/%d faces)",
					flatBack, layers, len(got.Positions), len(want.Positions), len(got.Faces), len(want.Faces))
			}
			// The same through planeOffset, for a field without fromPlane.
			plain, err := isosurfaceFieldChunks(context.Background(), &shape, samples, struct{ mesh.Field }{f})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(plain.Positions, want.Positions) || !slices.Equal(plain.Faces, want.Faces) {
				t.Fatalf("flat back %v, %d layers a chunk: through planeOffset the mesh differs", flatBack, layers)
			}
			if len(want.Faces) < 500 {
				t.Fatalf("%d faces: too simple", len(want.Faces))
			}
		}
	}
}
