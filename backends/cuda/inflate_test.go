//go:build cgo

package cuda

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
)

// testInput returns an inflate Input of a random mask with colour.
func testInput(r *rand.Rand, w, h int, p backends.InflateParams, budget int) *backends.Input {
	in := &backends.Input{
		Width: w, Height: h, PixelSize: 0.2, Mode: backends.Inflate, Inflate: p, FaceBudget: budget,
		Luminance: make([]float32, w*h), Mask: randomMask(r, w, h), Color: make([]float32, 3*w*h),
	}
	for i := range in.Color {
		in.Color[i] = r.Float32()
	}
	return in
}

func TestInflateMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	ctx := context.Background()
	host := cpu.New(cpu.Options{})
	params := []backends.InflateParams{
		{}, // the defaults: a flat back, the thickness capped
		{Symmetric: true, MaxThickness: -1},
		{Profile: backends.Dome, Symmetric: true},
		{FlatBack: true, Thickness: 0.5},
		{Profile: backends.Dome, FlatBack: true, MinRim: 2},
	}
	// Budgets: none (k = 1), one the first estimate meets, one that makes the CPU reference
	// retry with a larger k.
	retried := false
	for _, p := range params {
		for _, budget := range []int{0, 3000, 800} {
			in := testInput(r, 37+r.IntN(30), 29+r.IntN(30), p, budget)
			want, _, err := host.Reconstruct(ctx, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, k, err := inflate(ctx, in, nil, emuRunner(t))
			if err != nil {
				t.Fatal(err)
			}
			if k0 := modes.InflateStride(in.Mask, in.Width, in.Height, budget); k != k0 {
				retried = true
			}
			if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) ||
				!slices.Equal(got.Colors, want.Colors) || !slices.Equal(got.UVs, want.UVs) {
				t.Fatalf("%+v budget %d: emulated GPU mesh (%d v, %d f, k %d) differs from the CPU backend's (%d v, %d f)",
					p, budget, len(got.Positions), len(got.Faces), k, len(want.Positions), len(want.Faces))
			}
			if top := got.Topology(); !top.Closed() || top.Volume <= 0 {
				t.Fatalf("%+v: mesh not closed with positive volume: %+v", p, top)
			}
		}
	}
	if !retried {
		t.Fatal("no case exercised the retry with a larger reduction")
	}
}

// TestInflateMatchesCPUBackend compares the emulated device pipeline with the CPU backend itself:
// the same mesh, vertex for vertex and triangle for triangle, with the same colours.
func TestInflateMatchesCPUBackend(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	ctx := context.Background()
	host := cpu.New(cpu.Options{})
	for _, p := range []backends.InflateParams{{}, {Profile: backends.Dome, Thickness: 1.5}, {FlatBack: true, MinRim: 0.5}} {
		in := testInput(r, 45+r.IntN(20), 35+r.IntN(20), p, 2000)
		want, _, err := host.Reconstruct(ctx, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, rep, err := dispatch(ctx, in, nil, emuRunner(t), host, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) ||
			!slices.Equal(got.Colors, want.Colors) || !slices.Equal(got.UVs, want.UVs) {
			t.Fatalf("%+v: emulated GPU mesh (%d v, %d f) differs from the CPU backend's (%d v, %d f)",
				p, len(got.Positions), len(got.Faces), len(want.Positions), len(want.Faces))
		}
		if rep.Faces != len(got.Faces) || rep.Vertices != len(got.Positions) {
			t.Fatalf("report %+v for %d faces", rep, len(got.Faces))
		}
	}
}

func TestInflateWholeImageAndCancel(t *testing.T) {
	ctx := context.Background()
	in := &backends.Input{Width: 23, Height: 17, PixelSize: 0.5, Mode: backends.Inflate, Luminance: make([]float32, 23*17)}
	want, _, err := cpu.New(cpu.Options{}).Reconstruct(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := inflate(ctx, in, nil, emuRunner(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
		t.Fatal("nil mask: emulated GPU mesh differs from the reference")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := inflate(cctx, in, nil, emuRunner(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

func TestInflateEmptyMask(t *testing.T) {
	in := &backends.Input{Width: 8, Height: 8, PixelSize: 1, Mode: backends.Inflate,
		Luminance: make([]float32, 64), Mask: make([]float32, 64)}
	if _, _, err := inflate(context.Background(), in, nil, emuRunner(t)); !errorsIsInvalid(err) {
		t.Fatalf("err = %v, want one wrapping backends.ErrInvalidInput", err)
	}
}

// TestInflateFullSizeImage compares the emulated device pipeline with the CPU backend on a sample
// image at its own size (600×400, about a million triangles), where the grid spans many words per
// row and the scans run several levels deep.
func TestInflateFullSizeImage(t *testing.T) {
	if testing.Short() {
		t.Skip("a large mesh")
	}
	ctx := context.Background()
	for _, prof := range []backends.Profile{backends.Round, backends.Dome} {
		in, err := prepareInput(filepath.Join("..", "..", "testdata", "images", "coffee.png"), backends.Inflate, qualities[0])
		if err != nil {
			t.Fatal(err)
		}
		in.Inflate.Profile = prof
		want, _, err := cpu.New(cpu.Options{}).Reconstruct(ctx, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := dispatch(ctx, in, nil, emuRunner(t), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) || !slices.Equal(got.Colors, want.Colors) {
			t.Fatalf("%s: emulated GPU mesh (%d faces) differs from the CPU backend's (%d faces)", prof, len(got.Faces), len(want.Faces))
		}
	}
}
