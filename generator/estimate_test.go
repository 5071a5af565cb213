package generator

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// photoDisc is a synthetic photo: a textured background with no plain border (noise over the
// whole grey range) and a reddish textured disc of radius r at the centre; it returns the image
// and the disc's true matte.
func photoDisc(w, h int, r float64) (*image.NRGBA, *image.Alpha) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	truth := image.NewAlpha(img.Bounds())
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			dx, dy := float64(x)-float64(w)/2+0.5, float64(y)-float64(h)/2+0.5
			if math.Hypot(dx, dy) < r {
				v := uint8(rng.IntN(40))
				img.SetNRGBA(x, y, color.NRGBA{200 + v, 60 + v, 40, 255})
				truth.SetAlpha(x, y, color.Alpha{A: 255})
			} else {
				v := uint8(rng.IntN(256))
				img.SetNRGBA(x, y, color.NRGBA{v, v, uint8(255 - int(v)/2), 255})
			}
		}
	}
	return img, truth
}

// fakeSegmenter returns a fixed matte (and confidence, when conf ≥ 0) and counts its calls.
type fakeSegmenter struct {
	matte *image.Alpha
	conf  float64
	err   error
	calls atomic.Int32
}

func (f *fakeSegmenter) Name() string { return "fake-isnet.onnx" }

func (f *fakeSegmenter) Segment(ctx context.Context, img image.Image) (*image.Alpha, error) {
	a, _, err := f.SegmentConfidence(ctx, img)
	return a, err
}

func (f *fakeSegmenter) SegmentConfidence(ctx context.Context, img image.Image) (*image.Alpha, float64, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, 0, f.err
	}
	return f.matte, f.conf, nil
}

// plainOnly hides fakeSegmenter's confidence: a model segmenter.
type plainOnly struct{ f *fakeSegmenter }

func (p plainOnly) Segment(ctx context.Context, img image.Image) (*image.Alpha, error) {
	return p.f.Segment(ctx, img)
}

func TestPhotoSubjectFromSegmenter(t *testing.T) {
	img, truth := photoDisc(240, 180, 50)
	seg := &fakeSegmenter{matte: truth}
	g, err := New(Config{Backend: BackendCPU, Segmenter: plainOnly{seg}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	res, err := g.Generate(context.Background(), Request{Decoded: img, Quality: Draft})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	if r.Mode != Inflate || r.Image.MaskSource != MaskModel || !strings.Contains(r.ModeReason, "segmentation model") {
		t.Fatalf("mode %s, mask source %q, reason %q; want an inflated object from the model", r.Mode, r.Image.MaskSource, r.ModeReason)
	}
	if !r.Topology.Closed() || !r.Topology.Outward || r.Pieces != 1 {
		t.Fatalf("topology %+v, %d pieces: want one closed solid", r.Topology, r.Pieces)
	}
	if iou := r.Fidelity.SilhouetteIoU; iou == nil || *iou < 0.9 {
		t.Fatalf("silhouette IoU %v, want ≥ 0.9", iou)
	}
	// The object, not the frame: a disc 100 mm wide is about as deep as wide.
	if s := r.Size; math.Abs(s[0]-s[1]) > 3 {
		t.Fatalf("size %v mm: the disc's footprint should be round", s)
	}
	// Coloured from the subject only: no vertex takes the background's blue-grey.
	if cs := res.Mesh.Colors; len(cs) > 0 {
		for i, c := range cs {
			if c[2] > c[0] {
				t.Fatalf("vertex %d colour %v: bluer than red, the background's", i, c)
			}
		}
	}
	if n := seg.calls.Load(); n != 1 {
		t.Fatalf("segmenter called %d times, want once", n)
	}
	// Explicit extrusion uses it too; relief does not.
	res, err = g.Generate(context.Background(), Request{Decoded: img, Quality: Draft, Mode: Extrude})
	if err != nil || res.Report.Image.MaskSource != MaskModel {
		t.Fatalf("extrude: err %v, mask source %q", err, res.Report.Image.MaskSource)
	}
	res, err = g.Generate(context.Background(), Request{Decoded: img, Quality: Draft, Mode: Relief})
	if err != nil || res.Report.Image.MaskSource != MaskNone {
		t.Fatalf("relief: err %v, mask source %q", err, res.Report.Image.MaskSource)
	}
	res, err = g.Generate(context.Background(), Request{Decoded: img, Quality: Draft, NoSegmentation: true})
	if err != nil || res.Report.Mode != Relief || res.Report.Image.MaskSource != MaskNone {
		t.Fatalf("NoSegmentation: err %v, report %+v", err, res.Report.Image)
	}
}

func TestPhotoSubjectRejected(t *testing.T) {
	img, truth := photoDisc(160, 120, 30)
	full := image.NewAlpha(img.Bounds())
	for i := range full.Pix {
		full.Pix[i] = 255
	}
	for _, tc := range []struct {
		name string
		seg  *fakeSegmenter
		note string
	}{
		{"low confidence", &fakeSegmenter{matte: truth, conf: 0.2}, "confidence 0.20"},
		{"NaN confidence", &fakeSegmenter{matte: truth, conf: math.NaN()}, "confidence NaN"},
		{"whole frame", &fakeSegmenter{matte: full, conf: -1}, "covers 100.0 %"},
		{"empty", &fakeSegmenter{matte: image.NewAlpha(img.Bounds()), conf: -1}, "covers 0.0 %"},
		{"error", &fakeSegmenter{err: errors.New("boom")}, "failed: boom"},
		{"wrong size", &fakeSegmenter{matte: image.NewAlpha(image.Rect(0, 0, 3, 3)), conf: -1}, "no matte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := New(Config{Backend: BackendCPU, Segmenter: tc.seg})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			res, err := g.Generate(context.Background(), Request{Decoded: img, Quality: Draft})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Report
			if r.Mode != Relief || r.Image.MaskSource != MaskNone || !strings.Contains(r.Image.SegmentNote, tc.note) ||
				!strings.Contains(r.ModeReason, tc.note) {
				t.Fatalf("mode %s, mask %q, note %q, reason %q; want a relief saying %q", r.Mode, r.Image.MaskSource, r.Image.SegmentNote, r.ModeReason, tc.note)
			}
		})
	}
}

// The built-in segmenter's confidence: high enough, and the mask source says GrabCut with it.
func TestBuiltinSegmenterSeam(t *testing.T) {
	img, truth := photoDisc(160, 120, 30)
	seg := &fakeSegmenter{matte: truth, conf: 0.9}
	old := builtinSegmenter
	builtinSegmenter = func() ConfidentSegmenter { return seg }
	defer func() { builtinSegmenter = old }()
	g := cpuGenerator(t)
	res, err := g.Generate(context.Background(), Request{Decoded: img, Quality: Draft})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report.Image
	if res.Report.Mode != Inflate || r.MaskSource != MaskGrabCut || r.SegmentConfidence != 0.9 ||
		!strings.Contains(res.Report.ModeReason, "GrabCut (confidence 0.90)") {
		t.Fatalf("mode %s, image report %+v, reason %q", res.Report.Mode, r, res.Report.ModeReason)
	}
}

// Clip art with alpha and a plain-background logo never reach the segmenter: their outputs are
// what they were without one.
func TestSegmenterLeavesClipArt(t *testing.T) {
	seg := &fakeSegmenter{err: errors.New("must not run")}
	dep := &fakeDepth{}
	g, err := New(Config{Backend: BackendCPU, Segmenter: seg, Depth: dep})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	plain := cpuGenerator(t)
	for _, name := range []string{"bison.png", "horse.png"} {
		data := readSample(t, name)
		a, err := g.Generate(context.Background(), Request{Image: data, Quality: Draft})
		if err != nil {
			t.Fatal(err)
		}
		b, err := plain.Generate(context.Background(), Request{Image: data, Quality: Draft})
		if err != nil {
			t.Fatal(err)
		}
		if a.Report.Mode != b.Report.Mode || a.Report.Faces != b.Report.Faces || a.Report.Volume != b.Report.Volume {
			t.Fatalf("%s: with estimators %s %d faces %v mm³, without %s %d %v", name,
				a.Report.Mode, a.Report.Faces, a.Report.Volume, b.Report.Mode, b.Report.Faces, b.Report.Volume)
		}
	}
	if seg.calls.Load() != 0 || dep.calls.Load() != 0 {
		t.Fatalf("segmenter ran %d times, depth %d times on clip art", seg.calls.Load(), dep.calls.Load())
	}
}

// fakeDepth returns a dome (a face-like bump) in front of a far plane, with a hard step at its
// outline.
type fakeDepth struct {
	calls atomic.Int32
	err   error
}

func (f *fakeDepth) Name() string { return "fake-depth.onnx" }

func (f *fakeDepth) EstimateDepth(ctx context.Context, img image.Image) (*image.Gray16, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	b := img.Bounds()
	d := image.NewGray16(b)
	w, h := b.Dx(), b.Dy()
	for y := range h {
		for x := range w {
			d.SetGray16(b.Min.X+x, b.Min.Y+y, color.Gray16{Y: uint16(65535 * domeDepth(x, y, w, h))})
		}
	}
	return d, nil
}

// domeDepth is a floor receding from 0.35 at the bottom to 0.05 at the top, and 0.6..1 on a dome
// of radius 0.3·min(w, h) standing in front of it.
func domeDepth(x, y, w, h int) float64 {
	r := 0.3 * float64(min(w, h))
	dx, dy := float64(x)-float64(w)/2, float64(y)-float64(h)/2
	d := math.Hypot(dx, dy) / r
	if d >= 1 {
		return 0.05 + 0.3*float64(y)/float64(h)
	}
	return 0.6 + 0.4*math.Sqrt(1-d*d)
}

func TestPhotoReliefFromDepth(t *testing.T) {
	img, _ := photoDisc(200, 150, 40)
	dep := &fakeDepth{}
	g, err := New(Config{Backend: BackendCPU, Depth: dep})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, mode := range []Mode{Auto, Relief} {
		// Without segmentation: GrabCut finds the disc, and auto would build it instead.
		res, err := g.Generate(context.Background(), Request{Decoded: img, Quality: Draft, Mode: mode, NoSegmentation: true})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Report
		if r.Mode != Relief || r.Image.DepthSource != DepthModel || r.Image.DepthEstimator != "fake-depth.onnx" || r.Image.BasRelief == nil {
			t.Fatalf("%s: mode %s, image report %+v", mode, r.Mode, r.Image)
		}
		if !strings.Contains(r.ModeReason, "bas-relief") {
			t.Fatalf("%s: reason %q does not say the heights are from depth", mode, r.ModeReason)
		}
		if c := r.Fidelity.HeightCorrelation; c == nil || *c < 0.9 {
			t.Fatalf("%s: height correlation %v, report %+v", mode, *c, r.Image.BasRelief)
		}
		if !r.Topology.Closed() {
			t.Fatalf("%s: not closed", mode)
		}
	}
	// Inflate is not changed by depth; NoDepthEstimation leaves the relief on brightness.
	res, err := g.Generate(context.Background(), Request{Decoded: img, Quality: Draft, NoSegmentation: true, NoDepthEstimation: true})
	if err != nil || res.Report.Image.DepthSource != DepthNone {
		t.Fatalf("NoDepthEstimation: err %v, depth source %q", err, res.Report.Image.DepthSource)
	}
	dep.err = errors.New("model broke")
	res, err = g.Generate(context.Background(), Request{Decoded: img, Quality: Draft, Mode: Relief})
	if err != nil || res.Report.Image.DepthSource != DepthNone || !strings.Contains(res.Report.ModeReason, "model broke") {
		t.Fatalf("failing estimator: err %v, reason %q", err, res.Report.ModeReason)
	}
}

// A given depth map is used as given, not compressed.
func TestGivenDepthMapNotCompressed(t *testing.T) {
	img, _ := photoDisc(64, 48, 10)
	dep := &fakeDepth{}
	g, err := New(Config{Backend: BackendCPU, Depth: dep})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	res, err := g.Generate(context.Background(), Request{Decoded: img, DepthMapImage: gradientGray(64, 48), Quality: Draft})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Image.DepthSource != DepthGiven || res.Report.Image.BasRelief != nil || dep.calls.Load() != 0 {
		t.Fatalf("image report %+v, estimator calls %d", res.Report.Image, dep.calls.Load())
	}
}

func TestCancelSegmentation(t *testing.T) {
	img, _ := photoDisc(64, 48, 10)
	ctx, cancel := context.WithCancel(context.Background())
	seg := &cancellingSegmenter{cancel: cancel}
	g, err := New(Config{Backend: BackendCPU, Segmenter: seg})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	_, err = g.Generate(ctx, Request{Decoded: img, Quality: Draft})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

type cancellingSegmenter struct{ cancel func() }

func (c *cancellingSegmenter) Segment(ctx context.Context, img image.Image) (*image.Alpha, error) {
	c.cancel()
	<-ctx.Done()
	return nil, ctx.Err()
}

// The generator must not pull the cgo ONNX binding into every user of the library.
func TestGeneratorDoesNotImportEstimators(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "github.com/orfeas3d/orfeas/estimators" || strings.Contains(p, "onnxruntime") {
			t.Fatalf("generator depends on %s", p)
		}
	}
}

// woodDisc is photoDisc on a textured background of one hue (a wooden table): within the mask
// tolerance of its mean, so its border passes for a plain colour, but noisy.
func woodDisc(w, h int, r float64) (*image.NRGBA, *image.Alpha) {
	img, truth := photoDisc(w, h, r)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range truth.Pix {
		if truth.Pix[i] == 0 {
			v := uint8(rng.IntN(24))
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2] = 150+v, 100+v, 60+v/2
		}
	}
	return img, truth
}

// A photo whose table passes for a plain border: the segmenter's subject replaces the colour
// fill; a rejected subject leaves the fill's mask as it was without a segmenter.
func TestTexturedBorderSegmented(t *testing.T) {
	img, truth := woodDisc(200, 150, 40)
	plain := cpuGenerator(t)
	base, err := plain.Generate(context.Background(), Request{Decoded: img, Quality: Draft, NoSegmentation: true})
	if err != nil {
		t.Fatal(err)
	}
	if base.Report.Image.MaskSource != MaskBorder {
		t.Fatalf("without segmentation the mask is %q, want the border's (the test's premise)", base.Report.Image.MaskSource)
	}
	g, err := New(Config{Backend: BackendCPU, Segmenter: &fakeSegmenter{matte: truth, conf: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	res, err := g.Generate(context.Background(), Request{Decoded: img, Quality: Draft})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Image.MaskSource != MaskModel || res.Report.Mode != Inflate {
		t.Fatalf("with a segmenter: mask %q, mode %s", res.Report.Image.MaskSource, res.Report.Mode)
	}
	g2, err := New(Config{Backend: BackendCPU, Segmenter: &fakeSegmenter{matte: truth, conf: 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	res, err = g2.Generate(context.Background(), Request{Decoded: img, Quality: Draft})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Image.MaskSource != MaskBorder || res.Report.Faces != base.Report.Faces || res.Report.Volume != base.Report.Volume {
		t.Fatalf("rejected subject: mask %q, %d faces %v mm³; want the border's result, %d faces %v mm³",
			res.Report.Image.MaskSource, res.Report.Faces, res.Report.Volume, base.Report.Faces, base.Report.Volume)
	}
}
