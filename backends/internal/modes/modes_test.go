package modes

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
)

func TestInflateStride(t *testing.T) {
	mask := make([]float32, 100*100)
	for i := range 2500 {
		mask[i] = 1
	}
	for _, c := range []struct {
		mask         []float32
		budget, want int
	}{
		{mask, 0, 1},
		{mask, 1 << 30, 1},
		{mask, 2500 * InflateFacesPerPixel, 1},
		{mask, 2500*InflateFacesPerPixel - 1, 2},
		{mask, 2500*InflateFacesPerPixel/9 + 1, 3},
		{nil, 10000 * InflateFacesPerPixel / 16, 4}, // nil: the whole image
	} {
		if got := InflateStride(c.mask, 100, 100, c.budget); got != c.want {
			t.Errorf("budget %d (nil mask %v): stride %d, want %d", c.budget, c.mask == nil, got, c.want)
		}
	}
}

// TestInflateFit checks the retry: k grows while the mesh has more faces than the budget, at most
// three more times, and an error stops it at once.
func TestInflateFit(t *testing.T) {
	in := &backends.Input{Width: 64, Height: 64, FaceBudget: 1000}
	faces := func(k int) *mesh.Mesh { return &mesh.Mesh{Faces: make([][3]uint32, 64*64*InflateFacesPerPixel/(k*k))} }
	var ks []int
	m, k, err := InflateFit(in, func(k int) (*mesh.Mesh, error) {
		ks = append(ks, k)
		return faces(k), nil
	})
	if err != nil || len(m.Faces) > in.FaceBudget || k != ks[len(ks)-1] {
		t.Fatalf("k %d (tried %v), %d faces, err %v", k, ks, len(m.Faces), err)
	}
	if ks[0] != InflateStride(nil, 64, 64, 1000) || len(ks) != 1 {
		t.Fatalf("tried %v; the estimate fits at once", ks)
	}
	// A shape with 3× the estimate's faces needs a retry; one that never fits stops after 4 tries.
	ks = nil
	_, k, _ = InflateFit(in, func(k int) (*mesh.Mesh, error) {
		ks = append(ks, k)
		m := faces(k)
		m.Faces = append(m.Faces, m.Faces...)
		m.Faces = append(m.Faces, m.Faces[:len(m.Faces)/2]...)
		return m, nil
	})
	if len(ks) < 2 || !slices.IsSorted(ks) || ks[0] == ks[1] || k != ks[len(ks)-1] {
		t.Fatalf("tried %v, ended at %d", ks, k)
	}
	ks = nil
	m, _, _ = InflateFit(in, func(k int) (*mesh.Mesh, error) {
		ks = append(ks, k)
		return &mesh.Mesh{Faces: make([][3]uint32, 2000)}, nil
	})
	if len(ks) != 1+inflateRetries || len(m.Faces) != 2000 {
		t.Fatalf("never fits: tried %v", ks)
	}
	boom := errors.New("boom")
	if m, _, err := InflateFit(in, func(int) (*mesh.Mesh, error) { return nil, boom }); m != nil || !errors.Is(err, boom) {
		t.Fatalf("error: %v, %v", m, err)
	}
}

func TestBoxReduce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const w, h = 37, 23
	p := make([]float32, w*h)
	for i := range p {
		p[i] = r.Float32()
	}
	if got := BoxReduce(p, w, h, 1, 4); !slices.Equal(got, p) {
		t.Fatal("k = 1 is not a copy")
	}
	for _, k := range []int{2, 5, 40} {
		W, H := (w+k-1)/k, (h+k-1)/k
		one := BoxReduce(p, w, h, k, 1)
		if len(one) != W*H {
			t.Fatalf("k %d: %d values, want %d", k, len(one), W*H)
		}
		// The last block averages only the pixels it has.
		var s float32
		n := 0
		for y := (H - 1) * k; y < h; y++ {
			for x := (W - 1) * k; x < w; x++ {
				s += p[y*w+x]
				n++
			}
		}
		if one[W*H-1] != s/float32(n) {
			t.Errorf("k %d: corner block %v, want %v", k, one[W*H-1], s/float32(n))
		}
		if many := BoxReduce(p, w, h, k, 7); !slices.Equal(one, many) {
			t.Errorf("k %d: the result depends on the workers", k)
		}
	}
	for _, v := range BoxReduce(nil, w, h, 4, 2) {
		if v != 1 {
			t.Fatal("a nil plane is not all ones")
		}
	}
}

func TestInflateHeightProfile(t *testing.T) {
	// A disk of radius R: h = sqrt(d(2R − d)) is a sphere's half height, R at the centre.
	const R = 10
	if got := InflateHeight(R, R, 0.5, 1, 0); got != R*0.5 {
		t.Errorf("centre height %v, want %v", got, R*0.5)
	}
	if got := InflateHeight(0.1, R, 1, 2, 3); got != 3 {
		t.Errorf("near the outline the rim holds: %v, want 3", got)
	}
	// The distance beyond the profile radius is capped at it (Dome's local thickness).
	if a, b := InflateHeight(R+5, R, 1, 1, 0), InflateHeight(R, R, 1, 1, 0); a != b {
		t.Errorf("capped height %v, want %v", a, b)
	}
	if InflateRim(backends.InflateParams{MinRim: 2}) != 1 || InflateRim(backends.InflateParams{MinRim: 2, FlatBack: true}) != 2 {
		t.Error("rim: half MinRim on each side, all of it with a flat back")
	}
}

func TestInflateGridAndValue(t *testing.T) {
	g, err := InflateGrid(10, 8, 0.5, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if g.NX != 12 || g.NY != 10 || g.Voxel != 0.5 {
		t.Fatalf("grid %+v", g)
	}
	top := g.Origin[2] + float64(g.NZ-1)*g.Voxel
	if g.Origin[2] >= -3 || top <= 3 {
		t.Fatalf("grid spans z %v…%v, not around ±3", g.Origin[2], top)
	}
	flat, _ := InflateGrid(10, 8, 0.5, 3, true)
	if flat.Origin[2] != -0.75 {
		t.Fatalf("flat back grid starts at %v, want -0.75 (half a voxel below the back)", flat.Origin[2])
	}
	if _, err := InflateGrid(1<<12, 1<<12, 1, 100, false); !errors.Is(err, backends.ErrInvalidInput) {
		t.Fatalf("huge grid: %v", err)
	}
	// Inside the silhouette (sd > 0) and within the height: negative; above it or outside: positive.
	if v := InflateValue(1, 2, 3, 0.5, false); v >= 0 {
		t.Errorf("inside value %v", v)
	}
	if v := InflateValue(-1, 2, 3, 0.5, false); v >= 0 {
		t.Errorf("below the middle plane, double-sided: %v", v)
	}
	if v := InflateValue(-0.25, 2, 3, 0.5, true); v <= 0 {
		t.Errorf("below a flat back: %v", v)
	}
	if v := InflateValue(2.5, 2, 3, 0.5, false); v <= 0 {
		t.Errorf("above the height: %v", v)
	}
	if v := InflateValue(0, 2, -1, 0.5, false); v <= 0 {
		t.Errorf("outside the silhouette: %v", v)
	}
	if InflateOutside(0.5) <= 0 {
		t.Error("the outer layer is not outside")
	}
}

func TestRestOnBedAndColour(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const w, h = 20, 10
	in := &backends.Input{Width: w, Height: h, PixelSize: 0.5, Color: make([]float32, 3*w*h)}
	for i := range in.Color {
		in.Color[i] = r.Float32()*1.4 - 0.2
	}
	m := &mesh.Mesh{Positions: make([][3]float32, 3*restBlock+17)}
	for i := range m.Positions {
		m.Positions[i] = [3]float32{r.Float32() * w * 0.5, r.Float32() * h * 0.5, r.Float32()*10 - 3}
	}
	low := slices.MinFunc(m.Positions, func(a, b [3]float32) int { return int(math.Copysign(1, float64(a[2]-b[2]))) })
	want := m.Clone()
	want.Transform(mesh.Translate(0, 0, -float64(low[2])))
	one, many := m.Clone(), m.Clone()
	RestOnBed(one, 1)
	RestOnBed(many, 5)
	if !slices.Equal(one.Positions, want.Positions) || !slices.Equal(many.Positions, want.Positions) {
		t.Fatal("RestOnBed is not m.Transform by the lowest vertex")
	}
	ColourByProjection(one, in, 1)
	ColourByProjection(many, in, 5)
	if !slices.Equal(one.Colors, many.Colors) || !slices.Equal(one.UVs, many.UVs) {
		t.Fatal("colours depend on the workers")
	}
	for i, p := range one.Positions {
		col, row := min(int(p[0]/0.5), w-1), min(int(h-p[1]/0.5), h-1)
		for k := range 3 {
			c := min(max(in.Color[3*(row*w+col)+k], 0), 1)
			if want := uint8(math.Round(float64(c) * 255)); one.Colors[i][k] != want {
				t.Fatalf("vertex %d channel %d: %d, want %d", i, k, one.Colors[i][k], want)
			}
		}
		if uv := one.UVs[i]; uv[0] < 0 || uv[0] > 1 || uv[1] < 0 || uv[1] > 1 || one.Colors[i][3] != 255 {
			t.Fatalf("vertex %d: uv %v, alpha %d", i, uv, one.Colors[i][3])
		}
	}
}

func TestGaussianBlur(t *testing.T) {
	k := GaussianKernel(2, 50, 50)
	var sum float64
	for i := range k {
		sum += k[i]
		if k[i] != k[len(k)-1-i] {
			t.Fatal("kernel not symmetric")
		}
	}
	if len(k) != 13 || math.Abs(sum-1) > 1e-12 {
		t.Fatalf("kernel of %d weights summing to %v", len(k), sum)
	}
	if n := len(GaussianKernel(1000, 4, 3)); n != 25 {
		t.Fatalf("sigma capped at the field's size: %d weights, want 25", n)
	}
	// A constant field stays constant; a step is smoothed monotonically.
	const w, h = 30, 20
	f := ReliefPrepare(make([]float32, w*h), true)
	if err := GaussianBlur(context.Background(), f, w, h, 3); err != nil {
		t.Fatal(err)
	}
	for _, v := range f {
		if math.Abs(v-1) > 1e-12 {
			t.Fatalf("constant 1 blurred to %v", v)
		}
	}
	src := make([]float32, w*h)
	for i := range src {
		if i%w >= w/2 {
			src[i] = 1
		}
	}
	src[0] = float32(math.NaN())
	f = ReliefPrepare(src, false)
	if f[0] != 0 {
		t.Fatal("NaN is not mapped to 0")
	}
	if err := GaussianBlur(context.Background(), f, w, h, 2); err != nil {
		t.Fatal(err)
	}
	row := f[5*w : 6*w]
	if !slices.IsSorted(row) || row[w/2-1] <= 0 || row[w/2] >= 1 || row[0] != 0 || row[w-1] != 1 {
		t.Fatalf("step row not smoothed monotonically across the step: %v", row)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := GaussianBlur(ctx, f, w, h, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	in := &backends.Input{Luminance: []float32{1}, Depth: []float32{2}}
	if &ReliefSource(in)[0] != &in.Depth[0] {
		t.Error("the depth map is the relief's source when there is one")
	}
}

func TestBlurKeepsMean(t *testing.T) {
	p := make([]float32, 30*30)
	p[15*30+15] = 1
	b := append([]float32(nil), p...)
	if err := GaussianBlur(context.Background(), b, 30, 30, 1.5); err != nil {
		t.Fatal(err)
	}
	var s float64
	for _, v := range b {
		s += float64(v)
	}
	if math.Abs(s-1) > 1e-5 {
		t.Errorf("blurred sum %v, want 1", s)
	}
}
