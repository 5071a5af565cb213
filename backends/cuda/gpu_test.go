//go:build cgo

package cuda

import (
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/emu"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/mesh"
)

// The tests in this file need a GPU; they skip with the reason where New fails. bench/gpu.sh runs
// them and prints their PARITY lines as a table. ORFEAS_GPU_IMAGES and ORFEAS_GPU_MODES
// (comma-separated) narrow the images and modes; ORFEAS_GPU_QUALITIES ("high,ultra" by default;
// "ultra2048" adds the images enlarged to 2048 px, a job of the size ultra quality is for).

// quality is a working resolution and face budget, as the generator's quality levels set them.
type quality struct {
	name   string
	side   int
	budget int
	// enlarge scales images smaller than side up to it (bilinear), which the generator never
	// does: the sample images are at most 600 px, so this is how the GPU gets an ultra-sized job.
	enlarge bool
	// tolerance is the generator's tolerance fraction of the mode's characteristic size.
	tolerance float64
}

var qualities = []quality{
	{name: "high", side: 1024, budget: 500_000, tolerance: 0.01},
	{name: "ultra", side: 2048, budget: 2_000_000, tolerance: 0.004},
	{name: "ultra2048", side: 2048, budget: 2_000_000, enlarge: true, tolerance: 0.004},
}

func envList(name string, def []string) []string {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	return strings.Split(v, ",")
}

func sampleImages(t testing.TB) []string {
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "images", "*.png"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no sample images in testdata/images: %v", err)
	}
	want := envList("ORFEAS_GPU_IMAGES", nil)
	var out []string
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".png")
		if want == nil || slices.Contains(want, name) {
			out = append(out, p)
		}
	}
	return out
}

// prepareInput is a small stand-in for the generator's preparation: the image scaled down (area
// average) to at most side pixels on its longest side (or up, bilinear, when q.enlarge), 100 mm wide on that side, Rec. 709 luma,
// the mask from alpha or else from the border colour. Both backends get the same Input, which is
// all the parity checks need.
func prepareInput(path string, mode backends.Mode, q quality) (*backends.Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	src := make([]float64, 4*sw*sh) // premultiplied RGBA in 0..1
	for y := range sh {
		for x := range sw {
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := 4 * (y*sw + x)
			src[i], src[i+1], src[i+2], src[i+3] = float64(r)/65535, float64(g)/65535, float64(bl)/65535, float64(a)/65535
		}
	}
	scale := float64(q.side) / float64(max(sw, sh))
	if !q.enlarge {
		scale = min(1, scale)
	}
	w, h := max(2, int(math.Round(float64(sw)*scale))), max(2, int(math.Round(float64(sh)*scale)))
	rgba := make([]float64, 4*w*h)
	cnt := make([]float64, w*h)
	if scale <= 1 { // area average
		for y := range sh {
			for x := range sw {
				X, Y := min(x*w/sw, w-1), min(y*h/sh, h-1)
				i := Y*w + X
				for k := range 4 {
					rgba[4*i+k] += src[4*(y*sw+x)+k]
				}
				cnt[i]++
			}
		}
	} else { // bilinear
		for Y := range h {
			for X := range w {
				fx := min(max((float64(X)+0.5)*float64(sw)/float64(w)-0.5, 0), float64(sw-1))
				fy := min(max((float64(Y)+0.5)*float64(sh)/float64(h)-0.5, 0), float64(sh-1))
				x0, y0 := int(fx), int(fy)
				x1, y1 := min(x0+1, sw-1), min(y0+1, sh-1)
				tx, ty := fx-float64(x0), fy-float64(y0)
				i := Y*w + X
				for k := range 4 {
					a := src[4*(y0*sw+x0)+k]*(1-tx) + src[4*(y0*sw+x1)+k]*tx
					c := src[4*(y1*sw+x0)+k]*(1-tx) + src[4*(y1*sw+x1)+k]*tx
					rgba[4*i+k] = a*(1-ty) + c*ty
				}
				cnt[i] = 1
			}
		}
	}
	in := &backends.Input{
		Width: w, Height: h, PixelSize: 100 / float64(max(w, h)), Mode: mode, FaceBudget: q.budget,
		Luminance: make([]float32, w*h), Mask: make([]float32, w*h), Color: make([]float32, 3*w*h),
	}
	// The generator's tolerance: a fraction of the relief's depth, the lithophane's thickness range,
	// or a twentieth of the model's size (100 mm).
	switch mode {
	case backends.Relief:
		in.Tolerance = q.tolerance * in.Relief.Defaults().Depth
	case backends.Lithophane:
		l := in.Lithophane.Defaults()
		in.Tolerance = q.tolerance * (l.MaxThickness - l.MinThickness)
	default:
		in.Tolerance = q.tolerance * 5
	}
	alpha := false
	for i := range cnt {
		n := max(cnt[i], 1)
		a := rgba[4*i+3] / n
		var c [3]float64
		for k := range 3 {
			if a > 0 {
				c[k] = rgba[4*i+k] / n / a // un-premultiply
			}
			in.Color[3*i+k] = float32(c[k])
		}
		in.Luminance[i] = float32(0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2])
		in.Mask[i] = float32(a)
		alpha = alpha || a < 0.99
	}
	if !alpha {
		var border [3]float64
		nb := 0
		for i := range cnt {
			x, y := i%w, i/w
			if x == 0 || y == 0 || x == w-1 || y == h-1 {
				for k := range 3 {
					border[k] += float64(in.Color[3*i+k])
				}
				nb++
			}
		}
		for i := range cnt {
			d := 0.0
			for k := range 3 {
				d = max(d, math.Abs(float64(in.Color[3*i+k])-border[k]/float64(nb)))
			}
			in.Mask[i] = float32(min(max((d-0.08)/0.08, 0), 1))
		}
	}
	return in, nil
}

// reconstructOn builds in's mesh through dispatch with the given device runner, and returns the
// parity tolerance: one pixel, or for inflate one voxel of the grid it was built on.
func reconstructOn(ctx context.Context, in *backends.Input, onDevice deviceRunner, host backends.Backend) (*mesh.Mesh, float64, error) {
	if in.Mode == backends.Inflate {
		m, k, err := inflate(ctx, in, nil, onDevice)
		return m, in.PixelSize * float64(k), err
	}
	m, _, err := dispatch(ctx, in, nil, onDevice, host, 0)
	return m, in.PixelSize, err
}

// checkParity checks the CUDA mesh got against the CPU reference want (closed, volume within
// 0.5 %, Hausdorff distance within one pixel or voxel) and logs a PARITY line for the table.
// Both meshes must be closed.
func checkParity(t *testing.T, name, mode, q string, in *backends.Input, tol float64, want, got *mesh.Mesh, cpuTime, gpuTime time.Duration) {
	t.Helper()
	gt, wt := got.Topology(), want.Topology()
	dv := math.Abs(gt.Volume-wt.Volume) / math.Abs(wt.Volume)
	h1, at1, h2, at2 := 0.0, -1, 0.0, -1
	if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
		// Identical meshes are 0 apart; others are measured.
		h1, at1 = withinDistance(got, want, tol)
		h2, at2 = withinDistance(want, got, tol)
	}
	t.Logf("PARITY | %s | %s | %s | %dx%d | %d / %d faces | closed %v | volume diff %.4f%% | hausdorff %.4g mm (tol %.4g) | cpu %.3f s | cuda %.3f s | %.1fx",
		name, mode, q, in.Width, in.Height, len(want.Faces), len(got.Faces), gt.Closed(), 100*dv,
		max(h1, h2), tol, cpuTime.Seconds(), gpuTime.Seconds(), cpuTime.Seconds()/gpuTime.Seconds())
	if !wt.Closed() {
		t.Errorf("%s %s: the CPU reference's mesh is not closed: %+v", name, mode, wt)
	}
	if !gt.Closed() {
		t.Errorf("%s %s: the CUDA mesh is not closed: %+v", name, mode, gt)
	}
	if !(dv <= 0.005) {
		t.Errorf("volume %v mm³, CPU %v mm³: %.3f%% apart", gt.Volume, wt.Volume, 100*dv)
	}
	if at1 >= 0 || at2 >= 0 {
		t.Errorf("Hausdorff distance beyond %v mm (CUDA vertex %d, CPU vertex %d)", tol, at1, at2)
	}
}

// emuRunner runs device stages on a fresh emulated stream, checking that the memory estimate
// covers what the stages allocate.
func emuRunner(t testing.TB) deviceRunner {
	return func(ctx context.Context, need uint64, f func(gpu.Stream) error) error {
		s := emu.NewStream(0)
		defer s.Close()
		err := f(s)
		if _, peak := s.Held(); peak > need {
			t.Errorf("device stages used %d bytes, estimated %d", peak, need)
		}
		return err
	}
}

// TestParityHarnessEmulated runs the parity checks of TestGPUParity with the host emulator in
// place of the GPU, on the sample images at a small size, so that the harness and the device
// paths of every mode are tested in CI.
func TestParityHarnessEmulated(t *testing.T) {
	ctx := context.Background()
	host := cpu.New(cpu.Options{})
	images := sampleImages(t)
	if raceEnabled || testing.Short() {
		images = images[:2]
	}
	for _, path := range images {
		name := strings.TrimSuffix(filepath.Base(path), ".png")
		for _, mode := range backends.Modes {
			in, err := prepareInput(path, mode, quality{name: "tiny", side: 96, budget: 10_000, tolerance: 0.02})
			if err != nil {
				t.Fatal(err)
			}
			if mode == backends.Relief {
				in.Relief.Smooth = 1.5
			}
			t0 := time.Now()
			want, _, err := host.Reconstruct(ctx, in, nil)
			cpuTime := time.Since(t0)
			if err != nil {
				t.Fatalf("%s %s: %v", name, mode, err)
			}
			t0 = time.Now()
			got, tol, err := reconstructOn(ctx, in, emuRunner(t), host)
			if err != nil {
				t.Fatalf("%s %s: %v", name, mode, err)
			}
			checkParity(t, name, string(mode), "tiny", in, tol, want, got, cpuTime, time.Since(t0))
		}
	}
}

func TestGPUParity(t *testing.T) {
	b, err := New(withHost())
	if err != nil {
		t.Skipf("no GPU: %v", err)
	}
	defer b.Close()
	info := b.Info()
	t.Logf("DEVICE | %s | compute %d.%d | %d MiB total | budget %d MiB", info.Name, info.ComputeCapability[0], info.ComputeCapability[1], info.TotalMemory>>20, info.Budget>>20)
	ctx := context.Background()
	modes := envList("ORFEAS_GPU_MODES", []string{"inflate", "relief", "lithophane", "extrude"})
	qs := envList("ORFEAS_GPU_QUALITIES", []string{"high", "ultra"})
	for _, path := range sampleImages(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".png")
		for _, mode := range modes {
			for _, q := range qualities {
				if !slices.Contains(qs, q.name) {
					continue
				}
				t.Run(name+"/"+mode+"/"+q.name, func(t *testing.T) {
					in, err := prepareInput(path, backends.Mode(mode), q)
					if err != nil {
						t.Fatal(err)
					}
					if mode == string(backends.Relief) {
						in.Relief.Smooth = 1.5
					}
					t0 := time.Now()
					want, _, err := b.host.Reconstruct(ctx, in, nil)
					cpuTime := time.Since(t0)
					if err != nil {
						t.Skipf("CPU reference: %v", err)
					}
					if _, _, err := b.Reconstruct(ctx, in, nil); err != nil { // warm-up
						t.Fatal(err)
					}
					t0 = time.Now()
					got, _, err := b.Reconstruct(ctx, in, nil)
					gpuTime := time.Since(t0)
					if err != nil {
						t.Fatal(err)
					}
					_, tol, err := reconstructOn(ctx, in, b.onDevice, b.host) // for the voxel size
					if err != nil {
						t.Fatal(err)
					}
					checkParity(t, name, mode, q.name, in, tol, want, got, cpuTime, gpuTime)
				})
			}
		}
	}
}

// TestGPUMatchesEmulator runs the device pipelines (inflate, relief, flat lithophane) on the GPU
// and on the host emulator: the kernels are the same source, so the meshes must be identical.
func TestGPUMatchesEmulator(t *testing.T) {
	b, err := New(withHost())
	if err != nil {
		t.Skipf("no GPU: %v", err)
	}
	defer b.Close()
	for _, mode := range []backends.Mode{backends.Inflate, backends.Relief, backends.Lithophane} {
		in, err := prepareInput(sampleImages(t)[0], mode, quality{name: "test", side: 256, budget: 50_000, tolerance: 0.02})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := b.Reconstruct(context.Background(), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := dispatch(context.Background(), in, nil, emuRunner(t), b.host, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
			t.Fatalf("%s: GPU mesh (%d v, %d f) differs from the emulated one (%d v, %d f)", mode, len(got.Positions), len(got.Faces), len(want.Positions), len(want.Faces))
		}
		t.Logf("%s: GPU and emulator agree (%d faces)", mode, len(got.Faces))
	}
}

// BenchmarkReconstruct times both backends per sample image, mode and quality; the cuda half
// skips where New fails: go test -run '^$' -bench 'Reconstruct/horse/inflate' ./backends/cuda.
// The Inputs are TestGPUParity's.
func BenchmarkReconstruct(b *testing.B) {
	host := cpu.New(cpu.Options{})
	g, gerr := New(withHost())
	if gerr == nil {
		defer g.Close()
	}
	ctx := context.Background()
	modes := envList("ORFEAS_GPU_MODES", []string{"inflate", "relief", "lithophane", "extrude"})
	for _, path := range sampleImages(b) {
		name := strings.TrimSuffix(filepath.Base(path), ".png")
		for _, mode := range modes {
			for _, q := range qualities {
				in, err := prepareInput(path, backends.Mode(mode), q)
				if err != nil {
					b.Fatal(err)
				}
				if mode == string(backends.Relief) {
					in.Relief.Smooth = 1.5
				}
				b.Run(fmt.Sprintf("%s/%s/%s/cpu", name, mode, q.name), func(b *testing.B) {
					for b.Loop() {
						if _, _, err := host.Reconstruct(ctx, in, nil); err != nil {
							b.Skip(err)
						}
					}
				})
				b.Run(fmt.Sprintf("%s/%s/%s/cuda", name, mode, q.name), func(b *testing.B) {
					if gerr != nil {
						b.Skipf("no GPU: %v", gerr)
					}
					for b.Loop() {
						if _, _, err := g.Reconstruct(ctx, in, nil); err != nil {
							b.Skip(err)
						}
					}
				})
			}
		}
	}
}
