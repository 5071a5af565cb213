//go:build cgo

package cuda

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/internal/raster"
	"github.com/orfeas3d/orfeas/mesh"
)

// refInflate is backends/cpu's inflate (inflate.go at the time of writing), transcribed for these
// tests because the CPU backend keeps it unexported: signed distance, profile heights, voxel
// field, mesh.Isosurface. TestInflateMatchesCPUBackend compares with the backend itself.
func refInflate(ctx context.Context, in *backends.Input) (*mesh.Mesh, error) {
	p := in.Inflate.Defaults()
	k := inflateStride(in.Width, in.Height, in.FaceBudget)
	w, h := (in.Width+k-1)/k, (in.Height+k-1)/k
	px := in.PixelSize * float64(k)
	mask := boxReduce(in.Mask, in.Width, in.Height, k)
	sd := raster.SignedDistance(mask, w, h)
	var R float32
	for _, d := range sd {
		R = max(R, d)
	}
	var local []float32
	if p.Profile == backends.Dome {
		local = refLocalThickness(sd, w, h)
	}
	rim := p.MinRim / 2
	if p.FlatBack {
		rim = p.MinRim
	}
	H := make([]float32, w*h)
	var hmax float64
	for i, d := range sd {
		if d <= 0 {
			continue
		}
		r := R
		if local != nil {
			r = max(local[i], d)
		}
		dd := float64(min(d, r))
		v := max(math.Sqrt(dd*(2*float64(r)-dd))*px*p.Thickness, rim)
		H[i] = float32(v)
		hmax = max(hmax, v)
	}
	gs := inflateGrid(w, h, px, hmax, p.FlatBack)
	nx, ny, nz := gs.nx, gs.ny, gs.nz
	if nx*ny*nz > 1<<28 {
		return nil, fmt.Errorf("%w: inflation grid of %d×%d×%d samples is too large", backends.ErrInvalidInput, nx, ny, nz)
	}
	g := &mesh.Grid{NX: nx, NY: ny, NZ: nz, Voxel: px, Origin: gs.origin}
	g.Values = make([]float32, nx*ny*nz)
	outside := float32(px)
	for l := range nz {
		z := float32(g.Origin[2] + float64(l)*px)
		for j := range ny {
			for i := range nx {
				v := outside
				if i > 0 && j > 0 && i <= w && j <= h {
					c := (h-j)*w + (i - 1)
					f := -sd[c] * float32(px)
					if p.FlatBack {
						v = max(z-H[c], -z, f)
					} else {
						v = max(float32(math.Abs(float64(z)))-H[c], f)
					}
				}
				g.Values[l*nx*ny+j*nx+i] = v
			}
		}
	}
	m, err := mesh.Isosurface(ctx, g, 0)
	if err != nil {
		return nil, err
	}
	b := m.Bounds()
	m.Transform(mesh.Translate(0, 0, -float64(b.Min[2])))
	if in.Color != nil {
		colourByProjection(m, in)
	}
	return m, nil
}

func refLocalThickness(sd []float32, w, h int) []float32 {
	type centre struct {
		x, y int
		r    float32
	}
	var cs []centre
	for y := range h {
		for x := range w {
			r := sd[y*w+x]
			if r <= 0 {
				continue
			}
			maximal := true
			for dy := -1; dy <= 1 && maximal; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if (dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					step := float32(math.Hypot(float64(dx), float64(dy)))
					if sd[yy*w+xx] >= r+step-1e-3 {
						maximal = false
						break
					}
				}
			}
			if maximal {
				cs = append(cs, centre{x, y, r})
			}
		}
	}
	slices.SortStableFunc(cs, func(a, b centre) int {
		switch {
		case a.r < b.r:
			return -1
		case a.r > b.r:
			return 1
		}
		return 0
	})
	out := make([]float32, w*h)
	for _, c := range cs {
		ri := int(math.Ceil(float64(c.r)))
		r2 := c.r * c.r
		for y := max(c.y-ri, 0); y <= min(c.y+ri, h-1); y++ {
			for x := max(c.x-ri, 0); x <= min(c.x+ri, w-1); x++ {
				dx, dy := float32(x-c.x), float32(y-c.y)
				if dx*dx+dy*dy <= r2 {
					out[y*w+x] = c.r
				}
			}
		}
	}
	return out
}

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
	params := []backends.InflateParams{
		{},
		{Profile: backends.Dome},
		{FlatBack: true, Thickness: 0.5},
		{Profile: backends.Dome, FlatBack: true, MinRim: 2},
	}
	for _, p := range params {
		for _, budget := range []int{0, 3000} {
			in := testInput(r, 37+r.IntN(30), 29+r.IntN(30), p, budget)
			want, err := refInflate(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			s := newEmu(t)
			got, err := inflate(ctx, s, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) ||
				!slices.Equal(got.Colors, want.Colors) || !slices.Equal(got.UVs, want.UVs) {
				t.Fatalf("%+v budget %d: emulated GPU mesh (%d v, %d f) differs from the reference (%d v, %d f)",
					p, budget, len(got.Positions), len(got.Faces), len(want.Positions), len(want.Faces))
			}
			t.Logf("%+v budget %d: %d vertices, %d faces", p, budget, len(got.Positions), len(got.Faces))
			if top := got.Topology(); !top.Closed() || top.Volume <= 0 {
				t.Fatalf("%+v: mesh not closed with positive volume: %+v", p, top)
			}
		}
	}
}

// TestInflateMatchesCPUBackend compares the emulated device pipeline with the CPU backend itself:
// the same mesh, vertex for vertex and triangle for triangle, with the same colours.
func TestInflateMatchesCPUBackend(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	ctx := context.Background()
	host := cpu.New()
	for _, p := range []backends.InflateParams{{}, {Profile: backends.Dome, Thickness: 1.5}, {FlatBack: true, MinRim: 0.5}} {
		in := testInput(r, 45+r.IntN(20), 35+r.IntN(20), p, 2000)
		want, err := host.Reconstruct(ctx, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, rep, err := dispatch(ctx, in, nil, emuRunner(t), host)
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
	want, err := refInflate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := inflate(ctx, newEmu(t), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) {
		t.Fatal("nil mask: emulated GPU mesh differs from the reference")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := inflate(cctx, newEmu(t), in, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

func TestInflateEmptyMask(t *testing.T) {
	in := &backends.Input{Width: 8, Height: 8, PixelSize: 1, Mode: backends.Inflate,
		Luminance: make([]float32, 64), Mask: make([]float32, 64)}
	s := newEmu(t)
	if _, err := inflate(context.Background(), s, in, nil); !errorsIsInvalid(err) {
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
		want, err := cpu.New().Reconstruct(ctx, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := dispatch(ctx, in, nil, emuRunner(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Positions, want.Positions) || !slices.Equal(got.Faces, want.Faces) || !slices.Equal(got.Colors, want.Colors) {
			t.Fatalf("%s: emulated GPU mesh (%d faces) differs from the CPU backend's (%d faces)", prof, len(got.Faces), len(want.Faces))
		}
	}
}
