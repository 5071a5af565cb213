package mesh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// gridField is a dense grid seen as a Field: the reference IsosurfaceField is held to.
type gridField struct {
	g     *Grid
	level float32
}

func (f gridField) InsideRow(j, k int, mask []uint64) {
	for w := range mask {
		mask[w] = 0xdeadbeef // arbitrary contents on arrival, as the contract allows
	}
	clear(mask)
	row := f.g.Values[(k*f.g.NY+j)*f.g.NX:][:f.g.NX]
	for i, v := range row {
		if v < f.level {
			mask[i>>6] |= 1 << (i & 63)
		}
	}
}

func (f gridField) Value(i, j, k int) float32 { return f.g.Values[i+f.g.NX*(j+f.g.NY*k)] }

// TestIsosurfaceFieldMatchesDense checks that IsosurfaceField gives Isosurface's mesh, vertex
// for vertex (bit for bit) and face for face, on the random fields of the closedness test, at
// levels 0 and 0.25, and on a grid wider than one mask word.
func TestIsosurfaceFieldMatchesDense(t *testing.T) {
	ctx := context.Background()
	check := func(name string, g *Grid, level float32) {
		want, err := Isosurface(ctx, g, level)
		if err != nil {
			t.Fatal(err)
		}
		shape := *g
		shape.Values = nil
		got, err := IsosurfaceField(ctx, &shape, gridField{g, level}, level)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
			t.Fatalf("%s: IsosurfaceField differs from Isosurface (%d/%d vertices, %d/%d faces)",
				name, len(got.Positions), len(want.Positions), len(got.Faces), len(want.Faces))
		}
		if len(want.Faces) == 0 && name != "empty" {
			t.Fatalf("%s: no faces: a vacuous comparison", name)
		}
	}
	for seed := range uint64(12) {
		g, family := isoTestField(seed, 20+int(seed*7%17))
		for _, level := range []float32{0, 0.25} {
			check(fmt.Sprintf("seed %d (%s, level %g)", seed, family, level), g, level)
		}
	}
	check("rippled sphere 130³", isoRippledSphere(130), 0)
	empty := &Grid{NX: 3, NY: 3, NZ: 3, Voxel: 1, Values: make([]float32, 27)}
	for i := range empty.Values {
		empty.Values[i] = 1
	}
	check("empty", empty, 0)
}

// TestIsosurfaceFieldInvalid checks the shape errors.
func TestIsosurfaceFieldInvalid(t *testing.T) {
	ctx := context.Background()
	g := &Grid{NX: 3, NY: 3, NZ: 3, Voxel: 1}
	f := gridField{&Grid{NX: 3, NY: 3, NZ: 3, Voxel: 1, Values: make([]float32, 27)}, 0}
	for name, call := range map[string]func() error{
		"nil grid":  func() error { _, err := IsosurfaceField(ctx, nil, f, 0); return err },
		"nil field": func() error { _, err := IsosurfaceField(ctx, g, nil, 0); return err },
		"flat":      func() error { _, err := IsosurfaceField(ctx, &Grid{NX: 1, NY: 3, NZ: 3, Voxel: 1}, f, 0); return err },
		"no voxel":  func() error { _, err := IsosurfaceField(ctx, &Grid{NX: 3, NY: 3, NZ: 3}, f, 0); return err },
	} {
		if err := call(); !errors.Is(err, ErrInvalidGrid) {
			t.Errorf("%s: %v, want ErrInvalidGrid", name, err)
		}
	}
}
