package generator

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/orfeas3d/orfeas/internal/raster"
	"github.com/orfeas3d/orfeas/mesh"
)

// The self-check's rasteriser and component counts were made parallel and run-based for speed
// (issue 14's timing target); these tests hold them to the first, plain versions, kept here
// as references, at several GOMAXPROCS.

// rasteriseReference is the first, serial rasteriser: it projects m's faces onto v, checking ctx every few thousand faces.
func rasteriseReference(ctx context.Context, m *mesh.Mesh, v topView) (topRaster, error) {
	n := v.w * v.h
	r := topRaster{top: make([]float32, n), bottom: make([]float32, n)}
	nan := float32(math.NaN())
	for i := range n {
		r.top[i], r.bottom[i] = nan, nan
	}
	for fi, f := range m.Faces {
		if fi%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return r, err
			}
		}
		var gx, gy, gz [3]float64
		for k := range 3 {
			p := m.Positions[f[k]]
			gx[k] = (float64(p[0]) - v.ax) / v.bx
			gy[k] = (v.ay - float64(p[1])) / v.by
			gz[k] = float64(p[2])
		}
		// Area in grid coordinates; j runs downwards, so an upward (CCW from above) face has a
		// negative signed area here.
		area := (gx[1]-gx[0])*(gy[2]-gy[0]) - (gx[2]-gx[0])*(gy[1]-gy[0])
		if math.Abs(area) < 1e-12 {
			continue
		}
		up := area < 0
		i0 := max(0, int(math.Ceil(min(gx[0], gx[1], gx[2])-1e-9)))
		i1 := min(v.w-1, int(math.Floor(max(gx[0], gx[1], gx[2])+1e-9)))
		j0 := max(0, int(math.Ceil(min(gy[0], gy[1], gy[2])-1e-9)))
		j1 := min(v.h-1, int(math.Floor(max(gy[0], gy[1], gy[2])+1e-9)))
		for j := j0; j <= j1; j++ {
			y := float64(j)
			for i := i0; i <= i1; i++ {
				x := float64(i)
				w0 := ((gx[1]-x)*(gy[2]-y) - (gx[2]-x)*(gy[1]-y)) / area
				w1 := ((gx[2]-x)*(gy[0]-y) - (gx[0]-x)*(gy[2]-y)) / area
				w2 := 1 - w0 - w1
				const eps = -1e-7
				if w0 < eps || w1 < eps || w2 < eps {
					continue
				}
				z := float32(w0*gz[0] + w1*gz[1] + w2*gz[2])
				k := j*v.w + i
				if up {
					if !(r.top[k] >= z) {
						r.top[k] = z
					}
				} else if !(r.bottom[k] <= z) {
					r.bottom[k] = z
				}
			}
		}
	}
	return r, nil
}

// componentsReference is the first, flood-fill version of components: it labels the pixels whose fg equals want (8-connected when diag) and returns how many
// components there are and how many of them do not touch the border.
func componentsReference(fg []bool, w, h int, want, diag bool) (n, inner int) {
	seen := make([]bool, len(fg))
	stack := []int{}
	for s := range fg {
		if fg[s] != want || seen[s] {
			continue
		}
		n++
		border := false
		seen[s] = true
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := k%w, k/w
			if x == 0 || y == 0 || x == w-1 || y == h-1 {
				border = true
			}
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if (dx == 0 && dy == 0) || (!diag && dx != 0 && dy != 0) {
						continue
					}
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					q := yy*w + xx
					if fg[q] == want && !seen[q] {
						seen[q] = true
						stack = append(stack, q)
					}
				}
			}
		}
		if !border {
			inner++
		}
	}
	return n, inner
}

func TestRasteriseMatchesReference(t *testing.T) {
	for _, name := range []string{"horse.png", "bison.png"} {
		for _, m := range []Mode{Extrude, Inflate} {
			res, err := cpuGenerator(t).Generate(context.Background(), Request{Image: readSample(t, name), Mode: m, Quality: Draft})
			if err != nil {
				t.Fatal(err)
			}
			w, h := res.Report.Image.WorkingWidth, res.Report.Image.WorkingHeight
			b := res.Mesh.Bounds()
			v := topView{w: w, h: h, ax: float64(b.Min[0]), bx: float64(b.Size()[0]) / float64(w-1), ay: float64(b.Max[1]), by: float64(b.Size()[1]) / float64(h-1)}
			want, _ := rasteriseReference(context.Background(), res.Mesh, v)
			for _, procs := range []int{1, 2, 5} {
				old := runtime.GOMAXPROCS(procs)
				got, _ := rasterise(context.Background(), res.Mesh, v)
				runtime.GOMAXPROCS(old)
				diff := 0
				for k := range want.top {
					if !sameZ(got.top[k], want.top[k]) || !sameZ(got.bottom[k], want.bottom[k]) {
						diff++
					}
				}
				// The incremental barycentric weights may flip a pixel centre exactly on an
				// edge; anything beyond that is a bug.
				if diff > len(want.top)/2000 {
					t.Errorf("%s %s GOMAXPROCS %d: %d of %d pixels differ from the reference", name, m, procs, diff, len(want.top))
				}
			}
		}
	}
}

func sameZ(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Abs(float64(a-b)) <= 1e-4*max(1, math.Abs(float64(b)))
}

func TestComponentsMatchReference(t *testing.T) {
	for _, name := range []string{"horse.png", "bison.png", "armadillo.png"} {
		img := loadImage(t, name)
		p, err := prepare(context.Background(), img, nil, prepOptions{resolution: 256, maskTolerance: 0.1}, nil)
		if err != nil || p.mask == nil {
			t.Fatalf("%s: %v", name, err)
		}
		fg := make([]bool, len(p.mask))
		for i, v := range p.mask {
			fg[i] = v >= 0.5
		}
		for _, c := range [][2]bool{{true, true}, {false, false}, {true, false}, {false, true}} {
			n, in := raster.Components(fg, p.w, p.h, c[0], c[1])
			rn, rin := componentsReference(fg, p.w, p.h, c[0], c[1])
			if n != rn || in != rin {
				t.Errorf("%s want=%v diag=%v: %d components (%d inner), reference %d (%d)", name, c[0], c[1], n, in, rn, rin)
			}
		}
	}
}

// rasterFaceBox is rasterFace as it was before its spans: every pixel centre of the triangle's
// bounding box tested. rasterFace must fill the same pixels with the same heights, bit for bit.
func rasterFaceBox(r *topRaster, w int, a, b, c [3]float64, lo, hi int) {
	ax, ay, bx, by, cx, cy := a[0], a[1], b[0], b[1], c[0], c[1]
	area := (bx-ax)*(cy-ay) - (cx-ax)*(by-ay)
	if math.Abs(area) < 1e-12 {
		return
	}
	up := area < 0
	i0 := max(0, int(math.Ceil(min(ax, bx, cx)-1e-9)))
	i1 := min(w-1, int(math.Floor(max(ax, bx, cx)+1e-9)))
	j0 := max(lo, int(math.Ceil(min(ay, by, cy)-1e-9)))
	j1 := min(hi, int(math.Floor(max(ay, by, cy)+1e-9)))
	if i0 > i1 || j0 > j1 {
		return
	}
	inv := 1 / area
	dx0, dy0 := (by-cy)*inv, (cx-bx)*inv
	e0 := (bx*cy - cx*by) * inv
	dx1, dy1 := (cy-ay)*inv, (ax-cx)*inv
	e1 := (cx*ay - ax*cy) * inv
	za, zb, zc := a[2], b[2], c[2]
	const eps = -1e-7
	for j := j0; j <= j1; j++ {
		y := float64(j)
		row := j * w
		for i := i0; i <= i1; i++ {
			x := float64(i)
			w0 := e0 + dx0*x + dy0*y
			w1 := e1 + dx1*x + dy1*y
			w2 := 1 - w0 - w1
			if w0 < eps || w1 < eps || w2 < eps {
				continue
			}
			z := float32(w0*za + w1*zb + w2*zc)
			k := row + i
			if up {
				if !(r.top[k] >= z) {
					r.top[k] = z
				}
			} else if !(r.bottom[k] <= z) {
				r.bottom[k] = z
			}
		}
	}
}

// TestRasterFaceMatchesBox: the span rasteriser fills exactly the pixels, with exactly the
// heights, that the bounding-box one does, on random triangles (large, slivers thinner than a
// pixel, with vertices on pixel centres and edges through them, nearly degenerate) and on the
// faces of generated meshes.
func TestRasterFaceMatchesBox(t *testing.T) {
	const w, h = 61, 47
	rng := rand.New(rand.NewPCG(31, 32))
	newRaster := func() topRaster {
		r := topRaster{top: make([]float32, w*h), bottom: make([]float32, w*h)}
		for i := range r.top {
			r.top[i], r.bottom[i] = float32(math.NaN()), float32(math.NaN())
		}
		return r
	}
	same := func(a, b topRaster) bool {
		for k := range a.top {
			if math.Float32bits(a.top[k]) != math.Float32bits(b.top[k]) || math.Float32bits(a.bottom[k]) != math.Float32bits(b.bottom[k]) {
				return false
			}
		}
		return true
	}
	coord := func(n int) float64 {
		switch rng.IntN(4) {
		case 0:
			return float64(rng.IntN(n)) // on a pixel centre
		case 1:
			return float64(rng.IntN(n)) + 0.5
		}
		return rng.Float64()*float64(n+10) - 5
	}
	filled := 0
	for trial := range 20000 {
		var v [3][3]float64
		for k := range v {
			v[k] = [3]float64{coord(w), coord(h), rng.Float64() * 10}
		}
		switch trial % 5 {
		case 1: // a sliver: the third vertex near the line through the first two
			s := rng.Float64()
			v[2][0] = v[0][0] + s*(v[1][0]-v[0][0]) + (rng.Float64()-0.5)*1e-3
			v[2][1] = v[0][1] + s*(v[1][1]-v[0][1]) + (rng.Float64()-0.5)*1e-3
		case 2: // a horizontal or vertical edge
			v[1][trial%2] = v[0][trial%2]
		case 3: // tiny
			v[1][0], v[1][1] = v[0][0]+rng.Float64()*0.01, v[0][1]+rng.Float64()*0.01
		}
		lo, hi := rng.IntN(h), rng.IntN(h)
		if lo > hi {
			lo, hi = hi, lo
		}
		got, want := newRaster(), newRaster()
		rasterFace(&got, w, v[0], v[1], v[2], lo, hi)
		rasterFaceBox(&want, w, v[0], v[1], v[2], lo, hi)
		if !same(got, want) {
			t.Fatalf("trial %d: triangle %v, rows %d..%d: the span rasteriser differs from the box", trial, v, lo, hi)
		}
		for k, z := range want.top {
			if z == z || want.bottom[k] == want.bottom[k] {
				filled++
				break
			}
		}
	}
	if filled < 5000 {
		t.Fatalf("only %d of 20000 triangles filled a pixel: the test does not test", filled)
	}
	for _, name := range []string{"horse.png", "bison.png"} {
		for _, m := range []Mode{Extrude, Inflate} {
			res, err := cpuGenerator(t).Generate(context.Background(), Request{Image: readSample(t, name), Mode: m, Quality: Draft})
			if err != nil {
				t.Fatal(err)
			}
			w, h := res.Report.Image.WorkingWidth, res.Report.Image.WorkingHeight
			b := res.Mesh.Bounds()
			v := topView{w: w, h: h, ax: float64(b.Min[0]), bx: float64(b.Size()[0]) / float64(w-1), ay: float64(b.Max[1]), by: float64(b.Size()[1]) / float64(h-1)}
			got, err := rasterise(context.Background(), res.Mesh, v)
			if err != nil {
				t.Fatal(err)
			}
			want := topRaster{top: make([]float32, w*h), bottom: make([]float32, w*h)}
			for i := range want.top {
				want.top[i], want.bottom[i] = float32(math.NaN()), float32(math.NaN())
			}
			for _, f := range res.Mesh.Faces {
				var g [3][3]float64
				for k := range 3 {
					p := res.Mesh.Positions[f[k]]
					g[k] = [3]float64{(float64(p[0]) - v.ax) / v.bx, (v.ay - float64(p[1])) / v.by, float64(p[2])}
				}
				rasterFaceBox(&want, w, g[0], g[1], g[2], 0, h-1)
			}
			for k := range want.top {
				if math.Float32bits(got.top[k]) != math.Float32bits(want.top[k]) || math.Float32bits(got.bottom[k]) != math.Float32bits(want.bottom[k]) {
					t.Fatalf("%s %s: pixel %d differs from the box rasteriser", name, m, k)
				}
			}
		}
	}
}

// BenchmarkRasterFace rasterises the faces of generated meshes (an extrusion's long cap slivers,
// an inflated solid's small faces) with the span rasteriser and the bounding-box one, serially.
func BenchmarkRasterFace(b *testing.B) {
	for _, c := range []struct {
		name string
		mode Mode
	}{{"horse.png", Extrude}, {"bison.png", Inflate}} {
		res, err := cpuGenerator(b).Generate(context.Background(), Request{Image: readSample(b, c.name), Mode: c.mode})
		if err != nil {
			b.Fatal(err)
		}
		w, h := res.Report.Image.WorkingWidth, res.Report.Image.WorkingHeight
		bb := res.Mesh.Bounds()
		v := topView{w: w, h: h, ax: float64(bb.Min[0]), bx: float64(bb.Size()[0]) / float64(w-1), ay: float64(bb.Max[1]), by: float64(bb.Size()[1]) / float64(h-1)}
		g := make([][3]float64, len(res.Mesh.Positions))
		for i, p := range res.Mesh.Positions {
			g[i] = [3]float64{(float64(p[0]) - v.ax) / v.bx, (v.ay - float64(p[1])) / v.by, float64(p[2])}
		}
		r := topRaster{top: make([]float32, w*h), bottom: make([]float32, w*h)}
		for name, fill := range map[string]func(*topRaster, int, [3]float64, [3]float64, [3]float64, int, int){"span": rasterFace, "box": rasterFaceBox} {
			b.Run(c.name+"/"+string(c.mode)+"/"+name, func(b *testing.B) {
				for b.Loop() {
					for _, f := range res.Mesh.Faces {
						fill(&r, w, g[f[0]], g[f[1]], g[f[2]], 0, h-1)
					}
				}
			})
		}
	}
}
