package contour

import (
	"math"
	"math/rand/v2"
	"testing"
)

// disc returns a w×w mask of an annulus (or a disc when r0 = 0) centred in the raster, anti-aliased
// by 4×4 supersampling.
func annulus(w int, r0, r1 float64) []float32 {
	m := make([]float32, w*w)
	c := float64(w) / 2
	for row := range w {
		for col := range w {
			var s float32
			for sy := range 4 {
				for sx := range 4 {
					x := float64(col) + (float64(sx)+0.5)/4 - c
					y := float64(row) + (float64(sy)+0.5)/4 - c
					if d := math.Hypot(x, y); d <= r1 && d >= r0 {
						s += 1.0 / 16
					}
				}
			}
			m[row*w+col] = s
		}
	}
	return m
}

func TestTraceAnnulus(t *testing.T) {
	m := annulus(64, 10, 25)
	rings := Trace(m, 64, 64, 0.5)
	if len(rings) != 2 {
		t.Fatalf("got %d rings, want 2", len(rings))
	}
	shapes := Nest(rings)
	if len(shapes) != 1 || len(shapes[0].Holes) != 1 {
		t.Fatalf("nesting: %d shapes", len(shapes))
	}
	s := shapes[0]
	if s.Outer.Area() <= 0 || s.Holes[0].Area() >= 0 {
		t.Errorf("orientation: outer %v hole %v", s.Outer.Area(), s.Holes[0].Area())
	}
	want := math.Pi * (25*25 - 10*10)
	if got := s.Area(); math.Abs(got-want)/want > 0.01 {
		t.Errorf("area %v, want %v within 1%%", got, want)
	}
	simp := Shape{Outer: Simplify(s.Outer, 0.1), Holes: []Ring{Simplify(s.Holes[0], 0.1)}}
	if len(simp.Outer) >= len(s.Outer) {
		t.Errorf("simplify kept %d of %d points", len(simp.Outer), len(s.Outer))
	}
	if got := simp.Area(); math.Abs(got-want)/want > 0.01 {
		t.Errorf("simplified area %v, want %v", got, want)
	}
}

func TestTraceFullAndEmpty(t *testing.T) {
	full := make([]float32, 6*4)
	for i := range full {
		full[i] = 1
	}
	rings := Trace(full, 6, 4, 0.5)
	// Marching squares cuts each corner of the 6×4 rectangle by a right triangle of legs 1/2.
	if len(rings) != 1 || math.Abs(rings[0].Area()-(24-4*0.125)) > 1e-9 {
		t.Fatalf("full raster: %d rings, area %v; want 1 ring of area 23.5", len(rings), rings[0].Area())
	}
	if r := Trace(make([]float32, 16), 4, 4, 0.5); len(r) != 0 {
		t.Errorf("empty raster gave %d rings", len(r))
	}
}

func TestTraceSaddles(t *testing.T) {
	// A checkerboard is all saddles: every ring must still be closed and rings must not cross,
	// so the total area equals the number of foreground pixels' worth.
	const w = 9
	m := make([]float32, w*w)
	for i := range m {
		if (i/w+i%w)%2 == 0 {
			m[i] = 1
		}
	}
	var total float64
	for _, s := range Nest(Trace(m, w, w, 0.5)) {
		total += s.Area()
	}
	if total <= 0 {
		t.Errorf("checkerboard area %v", total)
	}
}

// TestSimplifyShapesKeepsRingsApart simplifies the outlines of noisy masks coarsely: plain
// Douglas–Peucker makes some rings cross, SimplifyShapes never does.
func TestSimplifyShapesKeepsRingsApart(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	crossedPlain := 0
	for range 100 {
		w, h := 30+rng.IntN(40), 30+rng.IntN(40)
		m := make([]float32, w*h)
		for i := range m {
			m[i] = rng.Float32()
		}
		shapes := Nest(Trace(m, w, h, 0.5))
		var plain, safe []Ring
		for _, s := range shapes {
			plain = append(plain, Simplify(s.Outer, 1.5))
			for _, hr := range s.Holes {
				plain = append(plain, Simplify(hr, 1.5))
			}
		}
		for _, s := range SimplifyShapes(shapes, 1.5) {
			safe = append(safe, s.Outer)
			safe = append(safe, s.Holes...)
		}
		if len(crossingRings(plain)) > 0 {
			crossedPlain++
		}
		if bad := crossingRings(safe); len(bad) > 0 {
			t.Fatalf("rings %v cross after SimplifyShapes", bad)
		}
		var traced []Ring
		for _, s := range shapes {
			traced = append(traced, s.Outer)
			traced = append(traced, s.Holes...)
		}
		if bad := crossingRings(traced); len(bad) > 0 {
			t.Fatalf("traced rings %v cross", bad)
		}
	}
	if crossedPlain == 0 {
		t.Error("no mask made plain simplification cross: the test does not exercise SimplifyShapes")
	}
}

func TestDropFlat(t *testing.T) {
	// A square with extra points on two of its sides, one of them a hair off the line.
	r := Ring{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {3, 1.5}, {3, 3}, {1.5, 3 + 1e-9}, {0, 3}}
	got := DropFlat(r, 1e-6)
	want := Ring{{0, 0}, {3, 0}, {3, 3}, {0, 3}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// A visible bend stays.
	if b := DropFlat(Ring{{0, 0}, {1, 0.01}, {2, 0}, {1, 1}}, 1e-6); len(b) != 4 {
		t.Errorf("a 1%% bend was dropped: %v", b)
	}
	// A triangle is never reduced further.
	if tri := DropFlat(Ring{{0, 0}, {1, 0}, {2, 0}}, 1e-6); len(tri) != 3 {
		t.Errorf("got %v", tri)
	}
}

// traceReference is Trace as first written, every cell's four samples read and compared: the
// definition the faster one must reproduce exactly.
func traceReference(field []float32, w, h int, level float32) []Ring {
	// The padded grid has a ring of outside samples around the raster; sample (i, j) of the
	// padded grid is raster pixel (i−1, h−j) with y up.
	W, H := w+2, h+2
	outside := float32(0)
	if level <= 0 {
		outside = level - 1
	}
	val := func(i, j int) float32 {
		if i <= 0 || j <= 0 || i > w || j > h {
			return outside
		}
		return field[(h-j)*w+(i-1)]
	}
	// Edge ids: horizontal edge from sample (i, j) to (i+1, j) is 2(jW+i); vertical edge from
	// (i, j) to (i, j+1) is 2(jW+i)+1.
	next := make([]int32, 2*W*H)
	for i := range next {
		next[i] = -1
	}
	var starts []int32
	for j := 0; j < H-1; j++ {
		for i := 0; i < W-1; i++ {
			v := [4]float32{val(i, j), val(i+1, j), val(i+1, j+1), val(i, j+1)}
			c := 0
			for k, x := range v {
				if x > level {
					c |= 1 << k
				}
			}
			if c == 0 || c == 15 {
				continue
			}
			segs := segments[c]
			if (c == 5 || c == 10) && (v[0]+v[1]+v[2]+v[3])/4 > level {
				segs = saddleJoined[c]
			}
			edge := [4]int32{
				int32(2 * (j*W + i)),
				int32(2*(j*W+i+1) + 1),
				int32(2 * ((j+1)*W + i)),
				int32(2*(j*W+i) + 1),
			}
			for _, s := range segs {
				next[edge[s[0]]] = edge[s[1]]
				starts = append(starts, edge[s[0]])
			}
		}
	}
	point := func(e int32) Point {
		idx := int(e / 2)
		i, j := idx%W, idx/W
		a := val(i, j)
		var b float32
		di, dj := 1, 0
		if e%2 == 1 {
			di, dj = 0, 1
		}
		b = val(i+di, j+dj)
		t := float64((level - a) / (b - a))
		// Keep crossing points off the samples, so that two edges never give the same point.
		t = min(max(t, 1e-3), 1-1e-3)
		// Sample (i, j) sits at pixel centre x = i − 0.5, y = j − 0.5.
		return Point{float64(i) - 0.5 + t*float64(di), float64(j) - 0.5 + t*float64(dj)}
	}
	var rings []Ring
	for _, s := range starts {
		if next[s] < 0 {
			continue // already used
		}
		var r Ring
		for e := s; next[e] >= 0; {
			r = append(r, point(e))
			n := next[e]
			next[e] = -1
			e = n
		}
		if len(r) >= 3 {
			rings = append(rings, r)
		}
	}
	return rings
}

// TestTraceMatchesReference: Trace gives the reference's rings, point for point, on random
// fields (noise, blobs, saddles), at levels inside, at and outside their range.
func TestTraceMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for trial := range 200 {
		w, h := 1+rng.IntN(40), 1+rng.IntN(40)
		f := make([]float32, w*h)
		for i := range f {
			switch trial % 3 {
			case 0:
				f[i] = rng.Float32()
			case 1:
				f[i] = float32(rng.IntN(2))
			default:
				x, y := float64(i%w), float64(i/w)
				f[i] = float32(math.Sin(x/3) * math.Cos(y/4))
			}
		}
		level := []float32{0.5, 0, -0.5, 1, 0.25}[trial%5]
		got, want := Trace(f, w, h, level), traceReference(f, w, h, level)
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d rings, reference %d", trial, len(got), len(want))
		}
		for k := range got {
			if len(got[k]) != len(want[k]) {
				t.Fatalf("trial %d ring %d: %d points, reference %d", trial, k, len(got[k]), len(want[k]))
			}
			for q := range got[k] {
				if got[k][q] != want[k][q] {
					t.Fatalf("trial %d ring %d point %d: %v, reference %v", trial, k, q, got[k][q], want[k][q])
				}
			}
		}
	}
}
