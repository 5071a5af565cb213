//go:build cgo

package cuda

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/emu"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
	"github.com/orfeas3d/orfeas/backends/internal/distance"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// These tests run the kernels' own sources on the host (package emu) and compare them with the Go
// references. A wrong kernel fails here, on machines without a GPU.

func newEmu(t testing.TB) *emu.Stream {
	t.Helper()
	s := emu.NewStream(0)
	t.Cleanup(s.Close)
	return s
}

func TestKernelTable(t *testing.T) {
	names := emu.Kernels()
	if len(names) != kernelCount {
		t.Fatalf("emulator has %d kernels, Go side %d", len(names), kernelCount)
	}
	for k := range gpu.Kernel(kernelCount) {
		got, ok := kernelArgSizes[k]
		if !ok {
			t.Errorf("kernel %d (%s) has no Go argument size", k, names[k])
			continue
		}
		if want := emu.ArgsSize(k); got != want {
			t.Errorf("kernel %s: Go argument struct is %d bytes, C's is %d", names[k], got, want)
		}
	}
}

// randomMask returns a w×h mask of a few random disks and boxes, with anti-aliased edges.
func randomMask(r *rand.Rand, w, h int) []float32 {
	m := make([]float32, w*h)
	for range 1 + r.IntN(4) {
		cx, cy := r.Float64()*float64(w), r.Float64()*float64(h)
		rad := 1 + r.Float64()*float64(min(w, h))/3
		if w > 20 && h > 20 {
			rad += 4
		}
		box := r.IntN(3) == 0
		for y := range h {
			for x := range w {
				dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
				var d float64
				if box {
					d = max(math.Abs(dx), math.Abs(dy)) - rad
				} else {
					d = math.Hypot(dx, dy) - rad
				}
				v := float32(min(max(0.5-d, 0), 1))
				m[y*w+x] = max(m[y*w+x], v)
			}
		}
	}
	return m
}

func TestEDTMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{1, 1}, {1, 7}, {9, 1}, {2, 2}, {17, 5}, {40, 33}, {64, 64}, {101, 37}}
	for _, sz := range sizes {
		for _, density := range []float64{0, 0.001, 0.05, 0.5, 1} {
			w, h := sz[0], sz[1]
			target := make([]bool, w*h)
			for i := range target {
				target[i] = r.Float64() < density
			}
			wantD, wantIdx := distance.SquaredDistance(target, w, h)
			s := newEmu(t)
			gotD, gotIdx, err := edtDevice(s, target, w, h)
			if err != nil {
				t.Fatal(err)
			}
			for i := range wantD {
				if gotD[i] != wantD[i] || gotIdx[i] != wantIdx[i] {
					t.Fatalf("%d×%d density %v: pixel %d: got (%v, %d), want (%v, %d)", w, h, density, i, gotD[i], gotIdx[i], wantD[i], wantIdx[i])
				}
			}
		}
	}
}

// edtDevice runs the two transform passes on s.
func edtDevice(s gpu.Stream, target []bool, w, h int) ([]float64, []int32, error) {
	t8 := make([]uint8, len(target))
	for i, v := range target {
		if v {
			t8[i] = 1
		}
	}
	tp, err := upload(s, t8)
	if err != nil {
		return nil, nil, err
	}
	d, idx, err := squaredDistance(s, tp, w, h)
	if err != nil {
		return nil, nil, err
	}
	dd, err := download[float64](s, d, w*h)
	if err != nil {
		return nil, nil, err
	}
	ii, err := download[int32](s, idx, w*h)
	return dd, ii, err
}

func TestSignedDistanceMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][2]int{{2, 2}, {12, 9}, {48, 48}, {97, 61}} {
		for range 3 {
			w, h := sz[0], sz[1]
			mask := randomMask(r, w, h)
			want := distance.SignedDistance(mask, w, h)
			s := newEmu(t)
			p, err := signedDistance(s, mask, w, h)
			if err != nil {
				t.Fatal(err)
			}
			got, err := download[float32](s, p, w*h)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != want[i] && !(math.IsInf(float64(got[i]), 0) && got[i] == want[i]) {
					t.Fatalf("%d×%d: pixel %d: got %v, want %v", w, h, i, got[i], want[i])
				}
			}
		}
	}
}

// randomField returns a grid whose outer layer is positive: a few random blobs, or noise.
func randomField(r *rand.Rand, nx, ny, nz int, noise bool) *mesh.Grid {
	g := &mesh.Grid{NX: nx, NY: ny, NZ: nz, Voxel: 0.5 + r.Float64(), Origin: [3]float64{r.Float64() * 10, -r.Float64() * 10, r.Float64()}}
	g.Values = make([]float32, nx*ny*nz)
	type blob struct{ x, y, z, r float64 }
	var bs []blob
	for range 1 + r.IntN(3) {
		bs = append(bs, blob{r.Float64() * float64(nx), r.Float64() * float64(ny), r.Float64() * float64(nz), 1 + r.Float64()*float64(min(nx, ny, nz))/2})
	}
	for k := range nz {
		for j := range ny {
			for i := range nx {
				v := float32(1)
				if i > 0 && j > 0 && k > 0 && i < nx-1 && j < ny-1 && k < nz-1 {
					if noise {
						v = float32(r.Float64()*2 - 1)
						if r.IntN(50) == 0 {
							v = float32(math.Inf(1 - 2*r.IntN(2)))
						}
						if r.IntN(50) == 0 {
							v = 0 // exactly at the level
						}
					} else {
						d := math.Inf(1)
						for _, b := range bs {
							d = min(d, math.Hypot(math.Hypot(float64(i)-b.x, float64(j)-b.y), float64(k)-b.z)-b.r)
						}
						v = float32(d)
					}
				}
				g.Values[i+nx*(j+ny*k)] = v
			}
		}
	}
	return g
}

func TestIsosurfaceMatchesMesh(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ctx := context.Background()
	sizes := [][3]int{{2, 2, 2}, {3, 3, 3}, {5, 4, 6}, {31, 7, 5}, {32, 9, 6}, {33, 10, 7}, {40, 30, 20}, {65, 12, 9}}
	for _, sz := range sizes {
		for _, noise := range []bool{false, true} {
			g := randomField(r, sz[0], sz[1], sz[2], noise)
			want, err := mesh.Isosurface(ctx, g, 0)
			if err != nil {
				t.Fatal(err)
			}
			s := newEmu(t)
			vals, err := upload(s, g.Values)
			if err != nil {
				t.Fatal(err)
			}
			got, err := isosurface(ctx, s, vals, gridShape{g.NX, g.NY, g.NZ, g.Voxel, g.Origin}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Positions) != len(want.Positions) || len(got.Faces) != len(want.Faces) {
				t.Fatalf("%v noise=%v: %d vertices, %d faces; mesh.Isosurface %d, %d", sz, noise, len(got.Positions), len(got.Faces), len(want.Positions), len(want.Faces))
			}
			if !slices.Equal(got.Positions, want.Positions) {
				t.Fatalf("%v noise=%v: vertex positions differ from mesh.Isosurface", sz, noise)
			}
			if !slices.Equal(got.Faces, want.Faces) {
				t.Fatalf("%v noise=%v: faces differ from mesh.Isosurface", sz, noise)
			}
			if len(got.Faces) > 0 {
				top := got.Topology()
				if !top.Closed() {
					t.Fatalf("%v noise=%v: emulated GPU mesh is not closed: %+v", sz, noise, top)
				}
				if gv, wv := got.Volume(), want.Volume(); gv != wv || gv <= 0 {
					t.Fatalf("%v noise=%v: volume %v, want %v (> 0)", sz, noise, gv, wv)
				}
			}
		}
	}
}

func TestIsosurfaceRejectsNaN(t *testing.T) {
	g := randomField(rand.New(rand.NewPCG(7, 8)), 6, 6, 6, false)
	g.Values[3+6*(3+6*3)] = float32(math.NaN())
	s := newEmu(t)
	vals, err := upload(s, g.Values)
	if err != nil {
		t.Fatal(err)
	}
	_, err = isosurface(context.Background(), s, vals, gridShape{6, 6, 6, 1, [3]float64{}}, 0)
	if !errors.Is(err, mesh.ErrInvalidGrid) {
		t.Fatalf("err = %v, want one wrapping mesh.ErrInvalidGrid", err)
	}
}

func TestScanMatchesPrefixSums(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{1, 2, 255, 256, 257, 256 * 256, 256*256*2 + 7} {
		xs := make([]uint8, n)
		for i := range xs {
			xs[i] = uint8(r.IntN(6))
		}
		s := newEmu(t)
		p, err := upload(s, xs)
		if err != nil {
			t.Fatal(err)
		}
		offs, total, err := chunkOffsets(s, uint64(n), func(sums gpu.Ptr, m uint64) error {
			return scanSumU8(s, p, sums, uint64(n))
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := download[uint64](s, offs, int(chunks(uint64(n), scanChunk)))
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for i, x := range xs {
			if i%scanChunk == 0 && got[i/scanChunk] != sum {
				t.Fatalf("n=%d: chunk %d offset %d, want %d", n, i/scanChunk, got[i/scanChunk], sum)
			}
			sum += uint64(x)
		}
		if total != sum {
			t.Fatalf("n=%d: total %d, want %d", n, total, sum)
		}
	}
}

func TestReduceMax(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 5, 1024, 1025, 5000} {
		xs := make([]float32, n)
		ys := make([]float64, n)
		var w32 float32 = -1
		w64 := -1.0
		for i := range xs {
			xs[i] = float32(r.NormFloat64())
			ys[i] = r.NormFloat64()
			w32, w64 = max(w32, xs[i]), max(w64, ys[i])
		}
		s := newEmu(t)
		p32, _ := upload(s, xs)
		p64, _ := upload(s, ys)
		g32, err := reduceMaxF32(s, p32, uint64(n), -1)
		if err != nil {
			t.Fatal(err)
		}
		g64, err := reduceMaxF64(s, p64, uint64(n), -1)
		if err != nil {
			t.Fatal(err)
		}
		if g32 != w32 || g64 != w64 {
			t.Fatalf("n=%d: max %v, %v; want %v, %v", n, g32, g64, w32, w64)
		}
	}
}

func errorsIsInvalid(err error) bool { return errors.Is(err, backends.ErrInvalidInput) }

// refSmooth is the CPU reference's relief smoothing in float64: the code backends/cpu runs
// (backends/internal/modes: clamping to [0, 1], inverting, the Gaussian).
func refSmooth(src []float32, w, h int, sigma float64, invert bool) []float64 {
	f := modes.ReliefPrepare(src, invert)
	if err := modes.GaussianBlur(context.Background(), f, w, h, sigma); err != nil {
		panic(err) // a background context is never done
	}
	return f
}

func TestBlurMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, c := range []struct {
		w, h   int
		sigma  float64
		invert bool
	}{{1, 1, 1, false}, {7, 5, 0, true}, {33, 21, 0.7, false}, {40, 40, 2.5, true}, {5, 60, 30, false}} {
		src := make([]float32, c.w*c.h)
		for i := range src {
			src[i] = r.Float32()*1.2 - 0.1
		}
		src[0] = float32(math.NaN())
		want := refSmooth(src, c.w, c.h, c.sigma, c.invert)
		s := newEmu(t)
		got, err := smoothDevice(context.Background(), s, src, c.w, c.h, c.sigma, c.invert)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%+v: device smoothing differs from the CPU reference's", c)
		}
		// And within 1e-5 of the same Gaussian in float32, as the extrusion runs it.
		if c.invert || c.sigma > float64(max(c.w, c.h)) {
			continue
		}
		in := make([]float32, len(src))
		ref := refSmooth(src, c.w, c.h, 0, false)
		for i := range in {
			in[i] = float32(ref[i])
		}
		blur := slices.Clone(in)
		if err := modes.GaussianBlur(context.Background(), blur, c.w, c.h, c.sigma); err != nil {
			t.Fatal(err)
		}
		for i := range blur {
			if d := math.Abs(float64(blur[i]) - got[i]); d > 1e-5 {
				t.Fatalf("%+v: sample %d: %v vs the float32 blur %v", c, i, got[i], blur[i])
			}
		}
	}
}

// TestPTXHasEveryKernel checks the embedded PTX: every kernel is an entry of its module's file.
func TestPTXHasEveryKernel(t *testing.T) {
	names := emu.Kernels()
	for k := range gpu.Kernel(kernelCount) {
		module := emu.KernelModule(k)
		src, err := ptxFS.ReadFile("kernels/" + module + ".ptx")
		if err != nil {
			t.Fatalf("kernel %s: %v", names[k], err)
		}
		if !strings.Contains(string(src), ".entry "+names[k]+"(") {
			t.Errorf("kernels/%s.ptx has no entry %s: run go generate ./backends/cuda", module, names[k])
		}
		// The device's layout of the argument struct must be the Go side's.
		var size uintptr
		decl := ".b8 " + names[k] + "_param_0["
		if i := strings.Index(string(src), decl); i < 0 {
			t.Errorf("kernels/%s.ptx: no single struct parameter for %s", module, names[k])
		} else if _, err := fmt.Sscanf(string(src)[i+len(decl):], "%d]", &size); err != nil || size != kernelArgSizes[k] {
			t.Errorf("kernel %s: the device's argument struct is %d bytes, Go's %d (%v)", names[k], size, kernelArgSizes[k], err)
		}
		if !strings.Contains(string(src), ".target sm_70") {
			t.Errorf("kernels/%s.ptx is not for sm_70", module)
		}
	}
}
