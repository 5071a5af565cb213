package mesh

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"testing"
)

// simpGoldenHash is an FNV-1a hash of a simplified mesh (positions, faces, colours, UVs) and of
// its report's figures, bit for bit.
func simpGoldenHash(m *Mesh, rep SimplifyReport) string {
	h := fnv.New64a()
	binary.Write(h, binary.LittleEndian, m.Positions)
	binary.Write(h, binary.LittleEndian, m.Faces)
	binary.Write(h, binary.LittleEndian, m.Colors)
	binary.Write(h, binary.LittleEndian, m.UVs)
	fmt.Fprintf(h, "%d %d %d %d %d %d %d %x %x %x %v %s", rep.FacesBefore, rep.FacesAfter, rep.VerticesBefore, rep.VerticesAfter,
		rep.Collapses, rep.Passes, rep.LockedVertices, math.Float64bits(rep.MaxError), math.Float64bits(rep.MeanError),
		math.Float64bits(rep.QuadricError), rep.DeviationBounded, rep.StoppedBy)
	return fmt.Sprintf("%016x", h.Sum64())
}

// TestSimplifyGolden holds Simplify's results (meshes and report figures) to those of the code
// before the issue 20 speed work (main 01e40dc), which were recorded by running this test there
// with SIMP_GOLDEN_PRINT=1: the speed work changed no output.
func TestSimplifyGolden(t *testing.T) {
	colored := simpTestRipple(simpTestIcosphere(30, 6), 0.05, 8)
	colored.Colors = make([][4]uint8, len(colored.Positions))
	for i, p := range colored.Positions {
		colored.Colors[i] = [4]uint8{uint8(p[2]*4 + 128), uint8(p[0]*4 + 128), 7, 255}
	}
	iso, err := Isosurface(context.Background(), isoRippledSphere(96), 0)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		m    *Mesh
		opt  SimplifyOptions
		want string
	}{
		{"ripple-0.1", simpTestRipple(simpTestIcosphere(30, 6), 0.05, 8), SimplifyOptions{TargetRatio: 0.1}, ""},
		{"ripple-0.5", simpTestRipple(simpTestIcosphere(30, 5), 0.05, 8), SimplifyOptions{}, ""},
		{"ripple-maxerr", simpTestRipple(simpTestIcosphere(30, 5), 0.05, 8), SimplifyOptions{MaxError: 0.05}, ""},
		{"colored-0.02", colored, SimplifyOptions{TargetRatio: 0.02}, ""},
		{"grid-0.1", simpTestGrid(60), SimplifyOptions{TargetRatio: 0.1}, ""},
		{"iso96-0.1", iso, SimplifyOptions{TargetRatio: 0.1}, ""},
		{"iso96-500", iso, SimplifyOptions{TargetFaces: 500}, ""},
		{"fan", simpTestDoubleFan(600), SimplifyOptions{TargetFaces: 10}, ""},
	}
	for _, c := range cases {
		out, rep, err := Simplify(context.Background(), c.m, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		got := simpGoldenHash(out, rep)
		if os.Getenv("SIMP_GOLDEN_PRINT") != "" {
			fmt.Printf("GOLDEN %q: %q,\n", c.name, got)
			continue
		}
		if want := simpGolden[c.name]; got != want {
			t.Errorf("%s: hash %s, want %s (report %+v)", c.name, got, want, rep)
		}
	}
}

var simpGolden = map[string]string{
	"ripple-0.1":    "66ce05e8060a9a1c",
	"ripple-0.5":    "d12d1b3e9b29da03",
	"ripple-maxerr": "65105a33108fbc09",
	"colored-0.02":  "ff452a8e59d3f310",
	"grid-0.1":      "78e65cef4c399afe",
	"iso96-0.1":     "96ab92fcea50b8a3",
	"iso96-500":     "f042d1578697dd35",
	"fan":           "e7a00981c3dce5a1",
}
