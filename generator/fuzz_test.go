package generator

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"testing"

	"github.com/orfeas3d/orfeas/imagecheck"
)

// FuzzGenerate feeds arbitrary bytes through Generate (with a fake backend, so that the fuzzer
// spends its time in decoding and preparation): it must never panic, and must either fail with a
// typed error or hand the backend a valid Input.
func FuzzGenerate(f *testing.F) {
	for _, name := range []string{"horse.png", "armadillo.png", "bison.png"} {
		f.Add(readSample(f, name), uint8(0))
	}
	var small bytes.Buffer
	png.Encode(&small, image.NewNRGBA(image.Rect(0, 0, 9, 8)))
	f.Add(small.Bytes(), uint8(3))
	f.Add(small.Bytes()[:small.Len()/2], uint8(1))
	fake := &fakeBackend{}
	g, err := New(Config{Custom: fake})
	if err != nil {
		f.Fatal(err)
	}
	modes := []Mode{Auto, Relief, Lithophane, Extrude, Inflate}
	f.Fuzz(func(t *testing.T, data []byte, knob uint8) {
		req := Request{
			Image: data, Quality: Draft, Mode: modes[int(knob)%len(modes)],
			Limits: imagecheck.Limits{MaxPixels: 1 << 20},
		}
		if knob&8 != 0 {
			req.Width, req.Height = 50, 120 // stretched
		}
		res, err := g.Generate(context.Background(), req)
		if err != nil {
			for _, want := range []error{imagecheck.ErrEmpty, imagecheck.ErrUnsupportedFormat, imagecheck.ErrTooLarge, imagecheck.ErrDimensions, imagecheck.ErrCorrupt, ErrNoSubject} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		if err := fake.last().Validate(); err != nil {
			t.Fatalf("the backend got an invalid input: %v", err)
		}
		if !res.Report.Topology.Closed() {
			t.Fatalf("result not closed")
		}
	})
}
