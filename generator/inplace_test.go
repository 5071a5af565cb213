package generator

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/mesh"
)

// plainBackend hides the CPU backend's ReconstructInPlace: the generator then calls Reconstruct,
// as it did before building reliefs in place.
type plainBackend struct{ backends.Backend }

// inPlaceSpy is the CPU backend, counting the reliefs the generator builds in place.
type inPlaceSpy struct {
	*cpu.Backend
	calls int
}

func (s *inPlaceSpy) ReconstructInPlace(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	s.calls++
	return s.Backend.ReconstructInPlace(ctx, in, progress)
}

// TestReliefInPlaceMatchesReconstruct checks that a relief built over the generator's own source
// plane is the one Reconstruct builds, mesh and self-check alike, and that the plane is written
// over only where it is the generator's own: smoothed or unmixed, not the prepared image's.
func TestReliefInPlaceMatchesReconstruct(t *testing.T) {
	for _, c := range []struct {
		image     string
		mode      Mode
		smoothing float64
		inPlace   bool
	}{
		{"astronaut.png", Relief, 0, true},   // a photo, smoothed
		{"astronaut.png", Relief, -1, false}, // unsmoothed: the prepared luminance itself
		{"horse.png", Relief, 0, true},       // a subject: its edges unmixed
		{"camera.png", Lithophane, 0, false}, // not a relief
		{"camera.png", Auto, 0, true},        // auto's relief of a photo
	} {
		data, err := os.ReadFile("../testdata/images/" + c.image)
		if err != nil {
			t.Fatal(err)
		}
		req := Request{Image: data, Mode: c.mode, Quality: Draft, Smoothing: c.smoothing}
		gen := func(b backends.Backend) *Result {
			g, err := New(Config{Custom: b})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			res, err := g.Generate(context.Background(), req)
			if err != nil {
				t.Fatalf("%s %s: %v", c.image, c.mode, err)
			}
			return res
		}
		want := gen(plainBackend{cpu.New(cpu.Options{})})
		spy := &inPlaceSpy{Backend: cpu.New(cpu.Options{})}
		got := gen(spy)
		if (spy.calls > 0) != c.inPlace {
			t.Errorf("%s %s smoothing %v: %d reliefs in place, want in place %v", c.image, c.mode, c.smoothing, spy.calls, c.inPlace)
		}
		if !reflect.DeepEqual(got.Mesh, want.Mesh) {
			t.Errorf("%s %s smoothing %v: the mesh differs from Reconstruct's", c.image, c.mode, c.smoothing)
		}
		if !reflect.DeepEqual(got.Report.Fidelity, want.Report.Fidelity) || !reflect.DeepEqual(got.Report.Warnings, want.Report.Warnings) {
			t.Errorf("%s %s smoothing %v: the self-check differs: %+v, want %+v", c.image, c.mode, c.smoothing, got.Report.Fidelity, want.Report.Fidelity)
		}
	}
}
