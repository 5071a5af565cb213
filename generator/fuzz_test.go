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

// Bounds of FuzzGenerate's inputs: small enough that one execution takes milliseconds, so the
// fuzzer explores (issue 21 item 8: with 1 MP inputs it ran 11 executions in 90 s, minimising
// one slow input), large enough for every preparation step (mask, crop, resize) to run.
const (
	fuzzMaxBytes = 64 << 10
	fuzzMaxSide  = 256
)

// fuzzSeed is a sample image shrunk (nearest neighbour) to fit the fuzz bounds, as a PNG.
func fuzzSeed(f *testing.F, name string) []byte {
	src, _, err := image.Decode(bytes.NewReader(readSample(f, name)))
	if err != nil {
		f.Fatal(err)
	}
	b := src.Bounds()
	scale := max(b.Dx(), b.Dy())/96 + 1
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()/scale, b.Dy()/scale))
	for y := range dst.Rect.Dy() {
		for x := range dst.Rect.Dx() {
			dst.Set(x, y, src.At(b.Min.X+x*scale, b.Min.Y+y*scale))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzGenerate feeds arbitrary bytes through Generate (with a fake backend, so that the fuzzer
// spends its time in decoding and preparation): it must never panic, and must either fail with a
// typed error or hand the backend a valid Input. Inputs are bounded (fuzzMaxBytes, sides of
// fuzzMaxSide) so that each execution is fast.
func FuzzGenerate(f *testing.F) {
	for _, name := range []string{"horse.png", "armadillo.png", "bison.png"} {
		f.Add(fuzzSeed(f, name), uint8(0))
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
		if len(data) > fuzzMaxBytes {
			return
		}
		req := Request{
			Image: data, Quality: Draft, Mode: modes[int(knob)%len(modes)],
			Limits: imagecheck.Limits{MaxBytes: fuzzMaxBytes, MaxSide: fuzzMaxSide, MaxPixels: fuzzMaxSide * fuzzMaxSide},
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
