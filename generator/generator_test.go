package generator

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// fakeBackend records the last Input it gets and returns a cuboid the size of the image frame,
// 3 mm deep; it can also block until cancelled, or return a broken mesh.
type fakeBackend struct {
	mu      sync.Mutex
	input   *backends.Input
	block   bool
	started chan struct{}
	broken  func(m *mesh.Mesh) *mesh.Mesh
	closed  bool
	// maxError and budgetReached are what its Report says.
	maxError      float64
	budgetReached bool
}

// A custom backend reports through the contract, as the built-in ones do: its Report's figures
// reach the Result.
func TestCustomBackendReport(t *testing.T) {
	f := &fakeBackend{maxError: 0.125, budgetReached: true}
	g, err := New(Config{Custom: f})
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Generate(context.Background(), Request{Image: readSample(t, "horse.png"), Mode: Relief})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.MaxError != 0.125 || !res.Report.BudgetReached {
		t.Fatalf("report MaxError %v, BudgetReached %v; want the backend's 0.125 and true", res.Report.MaxError, res.Report.BudgetReached)
	}
}

func (f *fakeBackend) Name() string { return "fake" }

func (f *fakeBackend) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeBackend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	f.mu.Lock()
	c := *in
	f.input = &c
	f.mu.Unlock()
	progress.Report("fake-a", 0)
	progress.Report("fake-a", 0.5)
	progress.Report("fake-b", 1)
	if f.block {
		close(f.started)
		<-ctx.Done()
		return nil, backends.Report{}, ctx.Err()
	}
	W, H := float32(float64(in.Width)*in.PixelSize), float32(float64(in.Height)*in.PixelSize)
	m := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{W, H, 3})
	// Its top slopes up by 1 mm along X, so that the fidelity check (issue 14) does not find it
	// blank: a flat plate is a useless result.
	for i, p := range m.Positions {
		if p[2] > 0 {
			m.Positions[i][2] += p[0] / W
		}
	}
	if f.broken != nil {
		m = f.broken(m)
	}
	rep := backends.Counted(in, m)
	rep.MaxError, rep.BudgetReached = f.maxError, f.budgetReached
	return m, rep, nil
}

func (f *fakeBackend) last() *backends.Input {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.input
}

// cpuGenerator returns a Generator on the CPU backend, closed when the test ends.
func cpuGenerator(tb testing.TB) *Generator {
	tb.Helper()
	g, err := New(Config{Backend: BackendCPU})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Close() })
	return g
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "images", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func newFake(t *testing.T) (*Generator, *fakeBackend) {
	t.Helper()
	f := &fakeBackend{}
	g, err := New(Config{Custom: f})
	if err != nil {
		t.Fatal(err)
	}
	return g, f
}

func TestGenerateFake(t *testing.T) {
	g, f := newFake(t)
	var stages []string
	var fracs []float64
	res, err := g.Generate(context.Background(), Request{
		Image: readSample(t, "astronaut.png"), Mode: Relief, Quality: Draft, Width: 80, Depth: 4,
		Progress: func(stage string, fr float64) {
			if len(stages) == 0 || stages[len(stages)-1] != stage {
				stages = append(stages, stage)
			}
			fracs = append(fracs, fr)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	in := f.last()
	if in.Width != 256 || in.Height != 256 || math.Abs(in.PixelSize-80.0/256) > 1e-12 {
		t.Errorf("input %d×%d at %v mm/px, want 256×256 at %v", in.Width, in.Height, in.PixelSize, 80.0/256)
	}
	if in.Mode != backends.Relief || in.Relief.Depth != 4 || in.FaceBudget != 50_000 || math.Abs(in.Tolerance-0.04*4) > 1e-12 {
		t.Errorf("input mode %s, depth %v, budget %d, tolerance %v; want relief, 4, 50000, 0.16", in.Mode, in.Relief.Depth, in.FaceBudget, in.Tolerance)
	}
	if in.Mask != nil || len(in.Color) != 3*256*256 || in.Depth != nil || len(in.Luminance) != 256*256 {
		t.Errorf("planes: mask %d, colour %d, depth %d, luminance %d values", len(in.Mask), len(in.Color), len(in.Depth), len(in.Luminance))
	}
	r := res.Report
	if r.Mode != Relief || r.ModeReason != "requested" || r.Backend != "fake" || r.Quality != Draft {
		t.Errorf("report mode %q (%q), backend %q, quality %q", r.Mode, r.ModeReason, r.Backend, r.Quality)
	}
	if r.Size != [3]float64{80, 80, 4} || r.Bounds.Min != [3]float32{} || !r.Topology.Closed() || r.Faces != 12 || math.Abs(r.Volume-80*80*3.5) > 1e-6 {
		t.Errorf("report size %v, min %v, closed %v, faces %d, volume %v", r.Size, r.Bounds.Min, r.Topology.Closed(), r.Faces, r.Volume)
	}
	if r.Image.Format != "png" || r.Image.Width != 512 || r.Image.WorkingWidth != 256 || r.Image.MaskSource != MaskNone {
		t.Errorf("image report %+v", r.Image)
	}
	want := []string{"decode", "prepare", "fake-a", "fake-b", "finish"}
	if !slices.Equal(stages, want) {
		t.Errorf("progress stages %v, want %v", stages, want)
	}
	var timed []string
	for _, s := range r.Timings {
		timed = append(timed, s.Stage)
	}
	if !slices.Equal(timed, want) {
		t.Errorf("timed stages %v, want %v", timed, want)
	}
	if !slices.IsSorted(fracs) || fracs[0] < 0 || fracs[len(fracs)-1] != 1 {
		t.Errorf("progress fractions not monotone in 0..1 ending at 1: %v", fracs)
	}
	js, err := json.Marshal(r)
	if err != nil || !bytes.Contains(js, []byte(`"mode":"relief"`)) || !bytes.Contains(js, []byte(`"size_mm":[80,80,4]`)) {
		t.Errorf("report JSON: %s, %v", js, err)
	}
}

func TestGenerateSizes(t *testing.T) {
	g, f := newFake(t)
	coffee := readSample(t, "coffee.png") // 600×400
	for _, c := range []struct {
		name          string
		width, height float64
		quality       Quality
		wantW, wantH  float64
		stretched     bool
	}{
		{"default", 0, 0, Draft, 100, 100.0 * 400 / 600, false},
		{"width", 150, 0, Draft, 150, 100, false},
		{"height", 0, 30, Standard, 45, 30, false},
		{"stretched", 100, 100, Draft, 100, 100, true},
	} {
		res, err := g.Generate(context.Background(), Request{Image: coffee, Width: c.width, Height: c.height, Quality: c.quality, Mode: Relief})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		s := res.Report.Size
		if math.Abs(s[0]-c.wantW) > 1e-3 || math.Abs(s[1]-c.wantH) > 1e-3 || res.Report.Image.Stretched != c.stretched {
			t.Errorf("%s: size %v, stretched %v; want %v × %v, %v", c.name, s, res.Report.Image.Stretched, c.wantW, c.wantH, c.stretched)
		}
		in := f.last()
		if in.Width > 512 || in.Height > 512 || in.PixelSize*float64(in.Width) != c.wantW {
			t.Errorf("%s: working %d×%d at %v mm", c.name, in.Width, in.Height, in.PixelSize)
		}
	}
}

func TestGenerateSources(t *testing.T) {
	g, f := newFake(t)
	data := readSample(t, "horse.png")
	img := loadImage(t, "horse.png")
	for name, req := range map[string]Request{
		"bytes":   {Image: data},
		"reader":  {Reader: bytes.NewReader(data)},
		"decoded": {Decoded: img},
	} {
		res, err := g.Generate(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in := f.last()
		// The horse stands on a plain white border: auto inflates it.
		if res.Report.Mode != Inflate || !strings.HasPrefix(res.Report.ModeReason, "auto: a solid subject") || res.Report.Image.MaskSource != MaskBorder || in.Mask == nil {
			t.Errorf("%s: mode %q (%q), mask %q", name, res.Report.Mode, res.Report.ModeReason, res.Report.Image.MaskSource)
		}
		if in.Color == nil {
			t.Errorf("%s: inflate got no colour plane", name)
		}
	}
	// A depth map makes Auto pick relief and reaches the backend.
	res, err := g.Generate(context.Background(), Request{Image: data, DepthMapImage: img})
	if err != nil {
		t.Fatal(err)
	}
	if in := f.last(); in.Depth == nil || res.Report.ModeReason != "auto: a depth map was given" || !res.Report.Image.DepthMap {
		t.Errorf("depth map: plane %v, reason %q", in.Depth != nil, res.Report.ModeReason)
	}
	// A depth map of another size is refused.
	_, err = g.Generate(context.Background(), Request{Image: data, DepthMap: readSample(t, "bison.png")})
	if !errors.Is(err, ErrInvalidRequest) || !strings.Contains(err.Error(), "same size") {
		t.Errorf("depth map of another size: err = %v", err)
	}
}

func TestGenerateImageErrors(t *testing.T) {
	g, _ := newFake(t)
	data := readSample(t, "astronaut.png")
	var bad bytes.Buffer
	png.Encode(&bad, image.NewGray(image.Rect(0, 0, 64, 64)))
	truncated := bad.Bytes()[:bad.Len()-20]
	for _, c := range []struct {
		name string
		req  Request
		want error
	}{
		{"truncated", Request{Image: truncated}, imagecheck.ErrCorrupt},
		{"garbage", Request{Image: []byte("definitely not an image, just some text")}, imagecheck.ErrUnsupportedFormat},
		{"empty", Request{Image: []byte{}}, imagecheck.ErrEmpty},
		{"too many pixels", Request{Image: data, Limits: imagecheck.Limits{MaxPixels: 1000}}, imagecheck.ErrTooLarge},
		{"corrupt depth map", Request{Image: data, DepthMap: truncated}, imagecheck.ErrCorrupt},
		{"unbounded decoded image", Request{Decoded: image.NewUniform(color.White)}, imagecheck.ErrTooLarge},
		{"wide decoded image", Request{Decoded: image.NewGray(image.Rect(0, 0, 3000, 2)), Limits: imagecheck.Limits{MaxSide: 2048}}, imagecheck.ErrDimensions},
		{"large decoded depth map", Request{Image: data, DepthMapImage: image.NewGray(image.Rect(0, 0, 600, 600)), Limits: imagecheck.Limits{MaxPixels: 300_000}}, imagecheck.ErrTooLarge},
	} {
		_, err := g.Generate(context.Background(), c.req)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want one wrapping %v", c.name, err, c.want)
		}
		if strings.HasPrefix(c.name, "corrupt depth") || strings.HasPrefix(c.name, "large decoded depth") {
			if !strings.HasPrefix(err.Error(), "generator: depth map: ") {
				t.Errorf("%s: err = %v, want it to name the depth map", c.name, err)
			}
		}
	}
	// A decoded image over several limits: every limit, on one line, as imagecheck words them.
	_, err := g.Generate(context.Background(), Request{Decoded: image.NewUniform(color.White)})
	var le *imagecheck.LimitError
	if !errors.As(err, &le) || !errors.Is(err, imagecheck.ErrDimensions) ||
		!strings.HasPrefix(err.Error(), "generator: image: imagecheck: 3 problems: width ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("unbounded decoded image: err = %q, want the three limits on one line", err)
	}
	// Request problems come first, all of them, before anything is decoded.
	_, err = g.Generate(context.Background(), Request{Image: truncated, Width: -1, Mode: "x"})
	if !errors.Is(err, ErrInvalidRequest) || errors.Is(err, imagecheck.ErrCorrupt) || !strings.Contains(err.Error(), "2 problems") {
		t.Errorf("invalid request: err = %v", err)
	}
}

func TestGenerateRejectsBrokenMeshes(t *testing.T) {
	img := gradientGray(32, 32)
	for name, broken := range map[string]func(m *mesh.Mesh) *mesh.Mesh{
		"open":       func(m *mesh.Mesh) *mesh.Mesh { m.Faces = m.Faces[1:]; return m },
		"inward":     func(m *mesh.Mesh) *mesh.Mesh { m.FlipFaces(); return m },
		"invalid":    func(m *mesh.Mesh) *mesh.Mesh { m.Faces[0][0] = 99; return m },
		"nil":        func(*mesh.Mesh) *mesh.Mesh { return nil },
		"non-finite": func(m *mesh.Mesh) *mesh.Mesh { m.Positions[0][2] = float32(math.NaN()); return m },
	} {
		f := &fakeBackend{broken: broken}
		g, _ := New(Config{Custom: f})
		_, err := g.Generate(context.Background(), Request{Decoded: img})
		if !errors.Is(err, ErrNotClosed) {
			t.Errorf("%s mesh: err = %v, want ErrNotClosed", name, err)
		}
	}
}

func TestGenerateCancelFake(t *testing.T) {
	base := runtime.NumGoroutine()
	f := &fakeBackend{block: true, started: make(chan struct{})}
	g, _ := New(Config{Custom: f})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := g.Generate(ctx, Request{Image: readSample(t, "astronaut.png")})
		done <- err
	}()
	<-f.started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	waitGoroutines(t, base)
	// An already cancelled context fails at once.
	if _, err := g.Generate(ctx, Request{Image: []byte{1}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

// waitGoroutines fails the test when the goroutine count does not come back to base.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	for range 200 {
		if runtime.NumGoroutine() <= base {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Errorf("%d goroutines left running, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{Backend: "tpu"}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("unknown backend: err = %v", err)
	}
	if _, err := New(Config{Backend: "cpu", Custom: &fakeBackend{}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("name and custom backend: err = %v", err)
	}
	if _, err := New(Config{Backend: BackendCUDA}); !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("cuda without a GPU: err = %v, want ErrUnavailable", err)
	}
	for _, name := range []string{"", BackendAuto, BackendCPU} {
		g, err := New(Config{Backend: name})
		if err != nil || g.Backend() != "cpu" {
			t.Fatalf("backend %q: %v, %v", name, g, err)
		}
		if err := g.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if _, err := g.Generate(context.Background(), Request{Image: []byte{1}}); !errors.Is(err, ErrClosed) || !errors.Is(err, backends.ErrClosed) {
			t.Errorf("Generate after Close: err = %v, want one matching ErrClosed and backends.ErrClosed", err)
		}
	}
	g, _ := New(Config{})
	res, err := g.Generate(context.Background(), Request{Decoded: gradientGray(16, 16), Quality: Draft})
	if err != nil || !strings.Contains(res.Report.BackendFallback, "cuda") {
		t.Errorf("auto without a GPU: err %v, fallback note %q", err, res.Report.BackendFallback)
	}
	f := &fakeBackend{}
	g, _ = New(Config{Custom: f})
	g.Close()
	if f.closed {
		t.Errorf("Close closed the caller's custom backend")
	}
}

func TestOverrides(t *testing.T) {
	g, f := newFake(t)
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
		if i%4 == 3 {
			img.Pix[i] = 255 // valid premultiplied colours, with content
		}
	}
	img.Set(0, 0, color.RGBA{0, 0, 0, 0})
	if _, err := g.Generate(context.Background(), Request{Decoded: img, Mode: Lithophane, FaceBudget: 1234, Tolerance: 0.3, Depth: 4}); err != nil {
		t.Fatal(err)
	}
	in := f.last()
	if in.FaceBudget != 1234 || in.Tolerance != 0.3 || in.Lithophane.MaxThickness != 4 || in.Mode != backends.Lithophane {
		t.Errorf("budget %d, tolerance %v, max thickness %v, mode %s", in.FaceBudget, in.Tolerance, in.Lithophane.MaxThickness, in.Mode)
	}
	if _, err := g.Generate(context.Background(), Request{Decoded: img, Mode: Lithophane}); err != nil {
		t.Fatal(err)
	}
	if in := f.last(); math.Abs(in.Tolerance-0.02*2.2) > 1e-12 {
		t.Errorf("lithophane tolerance %v, want 2 %% of 2.2 mm", in.Tolerance)
	}
}

func TestConcurrentGenerate(t *testing.T) {
	g := cpuGenerator(t)
	img := loadImage(t, "bison.png")
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(20, 30, 180, 150)) // bounds not at the origin
	var wg sync.WaitGroup
	results := make([]*Result, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = g.Generate(context.Background(), Request{Decoded: sub, Quality: Draft, Mode: Lithophane, Width: 60})
		}()
	}
	wg.Wait()
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !slices.Equal(r.Mesh.Positions, results[0].Mesh.Positions) || !slices.Equal(r.Mesh.Faces, results[0].Mesh.Faces) {
			t.Errorf("concurrent call %d built another mesh", i)
		}
		if s := r.Report.Size; math.Abs(s[0]-60) > 1e-3 || math.Abs(s[1]-45) > 1e-3 || r.Report.Image.Width != 160 {
			t.Errorf("size %v, image %+v", s, r.Report.Image)
		}
	}
}

// frameBackend returns, for every mode, a box over the image's middle half, 4 mm tall, to check
// the placement of the modes that do not fill the frame.
type frameBackend struct{ fakeBackend }

func (f *frameBackend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	c := *in
	f.mu.Lock()
	f.input = &c
	f.mu.Unlock()
	w, h := float64(in.Width)*in.PixelSize, float64(in.Height)*in.PixelSize
	m := meshtest.Cuboid([3]float32{float32(w / 4), float32(h / 4), 1}, [3]float32{float32(3 * w / 4), float32(3 * h / 4), 5})
	return m, backends.Counted(in, m), nil
}

func TestPlacementOutlineModes(t *testing.T) {
	f := &frameBackend{}
	g, _ := New(Config{Custom: f})
	data := readSample(t, "horse.png") // 400×328
	for _, c := range []struct {
		mode  Mode
		depth float64
		wantZ float64
	}{
		{Extrude, 0, 4},
		{Inflate, 0, 4},
		{Inflate, 10, 10}, // Depth scales an inflated shape along Z
	} {
		res, err := g.Generate(context.Background(), Request{Image: data, Mode: c.mode, Quality: Draft, Width: 80, Depth: c.depth})
		if err != nil {
			t.Fatal(err)
		}
		in := f.last()
		if in.Color == nil || in.Mask == nil {
			t.Errorf("%s: colour %v, mask %v; want both", c.mode, in.Color != nil, in.Mask != nil)
		}
		// The object (the middle half of the canvas the fake returns), not the canvas, is scaled to
		// the requested 80 mm width, with its corner on the origin; an extrusion keeps its height.
		b := res.Report.Bounds
		ow, oh := float64(in.Width)*in.PixelSize/2, float64(in.Height)*in.PixelSize/2
		s := 80 / ow
		wantZ := c.wantZ
		if c.mode == Inflate && c.depth == 0 {
			wantZ *= s
		}
		want := mesh.Box{Max: [3]float32{80, float32(oh * s), float32(wantZ)}}
		for k := range 3 {
			if math.Abs(float64(b.Min[k]-want.Min[k])) > 1e-3 || math.Abs(float64(b.Max[k]-want.Max[k])) > 1e-3 {
				t.Errorf("%s depth %v: bounds %v, want %v", c.mode, c.depth, b, want)
				break
			}
		}
	}
	// Backend errors pass through, typed.
	g, _ = New(Config{Backend: BackendCPU})
	if _, err := g.Generate(context.Background(), Request{Image: data, Mode: Extrude, Quality: Draft}); err != nil && !errors.Is(err, backends.ErrUnsupportedMode) {
		t.Errorf("extrude on the CPU backend: err = %v; want success or ErrUnsupportedMode", err)
	}
}

// pngWithOrientation returns img as a PNG with an eXIf chunk giving EXIF orientation o.
func pngWithOrientation(t *testing.T, img image.Image, o byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	exif := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0}
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(exif)))
	chunk = append(chunk, "eXIf"...)
	chunk = append(chunk, exif...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	data := buf.Bytes()
	const afterIHDR = 8 + 25
	return append(append(append([]byte(nil), data[:afterIHDR]...), chunk...), data[afterIHDR:]...)
}

// TestUpright checks that an image is turned upright per its EXIF orientation before anything
// else: a 40×20 image stored with orientation 6 (turn 90° clockwise to view) becomes 20×40, and
// its stored top-left pixel ends at the top-right.
func TestUpright(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 40, 20))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.SetGray(0, 0, color.Gray{0})
	g, f := newFake(t)
	res, err := g.Generate(context.Background(), Request{Image: pngWithOrientation(t, img, 6), Mode: Relief, Width: 20, Smoothing: -1})
	if err != nil {
		t.Fatal(err)
	}
	in := f.last()
	if r := res.Report.Image; r.Orientation != 6 || r.Width != 20 || r.Height != 40 || in.Width != 20 || in.Height != 40 {
		t.Fatalf("image report %+v, input %d×%d; want orientation 6, 20×40", r, in.Width, in.Height)
	}
	if s := res.Report.Size; s[0] != 20 || s[1] != 40 {
		t.Errorf("size %v, want 20 × 40 mm", s)
	}
	if in.Luminance[19] != 0 || in.Luminance[0] != 1 {
		t.Errorf("the dark pixel is not at the top-right: row 0 = %v", in.Luminance[:20])
	}
}

// sphereBackend returns a finely tessellated sphere, far over any small face budget.
type sphereBackend struct{ fakeBackend }

func (f *sphereBackend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	m := meshtest.UVSphere(10, 80, 120) // 18,960 faces
	// Fill the input's frame, as a backend's mesh does (the fidelity check sees its top view).
	r := float64(in.Width) * in.PixelSize / 2
	m.Transform(mesh.Scale(r/10, r/10, r/10).Then(mesh.Translate(r, r, r)))
	return m, backends.Counted(in, m), nil
}

func TestSimplifyToBudget(t *testing.T) {
	g, _ := New(Config{Custom: &sphereBackend{}})
	var stages []string
	res, err := g.Generate(context.Background(), Request{Decoded: gradientGray(16, 16), Mode: Inflate, FaceBudget: 2000,
		Progress: func(s string, _ float64) {
			if len(stages) == 0 || stages[len(stages)-1] != s {
				stages = append(stages, s)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	if r.Faces > 2000 || r.Faces < 1900 || r.OverBudget || r.Simplify == nil || r.Simplify.FacesBefore != 18960 {
		t.Fatalf("faces %d (budget 2000), over budget %v, simplify %+v", r.Faces, r.OverBudget, r.Simplify)
	}
	if !r.Topology.Closed() || r.Topology.Genus != 0 {
		t.Errorf("simplified sphere: %+v", r.Topology)
	}
	// Volume-preserving collapses: the sphere keeps its volume (4/3·π·10³, less the facets), after
	// the scaling that makes the inflated object the default 100 mm wide.
	sphere := meshtest.UVSphere(10, 80, 120)
	scale := 100 / float64(sphere.Bounds().Size()[0])
	if v := sphere.Volume() * scale * scale * scale; math.Abs(r.Volume-v) > 0.01*v {
		t.Errorf("volume %v, want about %v", r.Volume, v)
	}
	if r.MaxError <= 0 || r.MaxError != r.Simplify.MaxError {
		t.Errorf("max error %v, simplify's %v", r.MaxError, r.Simplify.MaxError)
	}
	if want := []string{"decode", "prepare", "simplify", "finish"}; !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
}

// gradientGray is a w×h grey ramp: an image with content (a uniform one has no subject).
func gradientGray(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(255 * (i % w) / max(w-1, 1))
	}
	return img
}
