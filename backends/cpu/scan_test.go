package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// scanTriCeil is scanTri as first written, its row bounds from math.Ceil and math.Floor: the
// reference for the integer bounds.
func (t *tin) scanTriCeil(a, b, c int32, limit float64) (float64, int32) {
	ax, ay := int64(t.px[a]), int64(t.py[a])
	bx, by := int64(t.px[b]), int64(t.py[b])
	cx, cy := int64(t.px[c]), int64(t.py[c])
	w := t.g.W
	za := float64(t.g.Z[int(ay)*w+int(ax)])
	zb := float64(t.g.Z[int(by)*w+int(bx)])
	zc := float64(t.g.Z[int(cy)*w+int(cx)])
	area := float64((bx-ax)*(cy-ay) - (by-ay)*(cx-ax))
	gx := ((zb-za)*float64(cy-ay) - (zc-za)*float64(by-ay)) / area
	gy := ((zc-za)*float64(bx-ax) - (zb-za)*float64(cx-ax)) / area
	const eps = 1e-7
	v := [3][2]int64{{ax, ay}, {bx, by}, {cx, cy}}
	if v[1][1] < v[0][1] {
		v[0], v[1] = v[1], v[0]
	}
	if v[2][1] < v[1][1] {
		v[1], v[2] = v[2], v[1]
	}
	if v[1][1] < v[0][1] {
		v[0], v[1] = v[1], v[0]
	}
	y0, ym, y2 := v[0][1], v[1][1], v[2][1]
	slope := func(p, q [2]int64) float64 {
		if q[1] == p[1] {
			return 0
		}
		return float64(q[0]-p[0]) / float64(q[1]-p[1])
	}
	longSlope, upSlope, downSlope := slope(v[0], v[2]), slope(v[0], v[1]), slope(v[1], v[2])
	longRight := (v[2][0]-v[0][0])*(v[1][1]-v[0][1])-(v[2][1]-v[0][1])*(v[1][0]-v[0][0]) > 0
	lx0, ly0 := float64(v[0][0]), float64(v[0][1])
	mx, my := float64(v[1][0]), float64(v[1][1])
	best := -1.0
	bestAt := 0
	for y := y0; y <= y2; y++ {
		fy := float64(y)
		xl := lx0 + longSlope*(fy-ly0)
		var xs float64
		if y < ym || (y == ym && ym > y0) {
			xs = lx0 + upSlope*(fy-ly0)
		} else {
			xs = mx + downSlope*(fy-my)
		}
		var lo, hi float64
		if longRight {
			lo, hi = math.Ceil(xs-eps), math.Floor(xl+eps)
		} else {
			lo, hi = math.Ceil(xl-eps), math.Floor(xs+eps)
		}
		if lo > hi {
			continue
		}
		il, ih := int(lo), int(hi)
		start := int(y)*w + il
		row := t.g.Z[start : start+ih-il+1]
		zp := za + gx*(lo-float64(ax)) + gy*(fy-float64(ay))
		for i, h := range row {
			d := math.Abs(zp - float64(h))
			if d > best {
				best = d
				bestAt = start + i
			}
			zp += gx
		}
		if best > limit {
			break
		}
	}
	return max(best, 0), int32(bestAt)
}

// TestScanTriMatchesCeil holds scanTri (integer row bounds) to the math.Ceil/math.Floor
// version on random triangles over a photograph and over a grid of few levels with zeros
// (ties, and a plane through 0, where a bound of −0 could matter), thin and axis-aligned ones
// among them: the same worst error, bit for bit, at the same sample, for every limit.
func TestScanTriMatchesCeil(t *testing.T) {
	const n = 160
	in := cameraInput(t, n)
	z := make([]float32, len(in.Luminance))
	copy(z, in.Luminance)
	steps := make([]float32, len(z))
	for i, v := range z {
		steps[i] = float32(math.Round(float64(v)*4)) / 4
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, plane := range [][]float32{z, steps} {
		tn := newTin(grid{W: n, H: n, Z: plane}, 0, 0, n-1, n-1, nil, 0.01, 1)
		for range 30000 {
			var p [3][2]int32
			for k := range p {
				p[k] = [2]int32{rng.Int32N(n), rng.Int32N(n)}
				switch rng.IntN(6) {
				case 0:
					p[k][1] = min(n-1, p[0][1]+rng.Int32N(3))
				case 1:
					p[k][0] = 0
				}
			}
			tn.px, tn.py = []int32{p[0][0], p[1][0], p[2][0]}, []int32{p[0][1], p[1][1], p[2][1]}
			if tn.orient(0, 1, tn.px[2], tn.py[2]) < 0 {
				tn.px[1], tn.px[2], tn.py[1], tn.py[2] = tn.px[2], tn.px[1], tn.py[2], tn.py[1]
			}
			if tn.orient(0, 1, tn.px[2], tn.py[2]) <= 0 {
				continue
			}
			for _, limit := range []float64{math.Inf(1), 0.01, 0.05} {
				we, wa := tn.scanTriCeil(0, 1, 2, limit)
				ge, ga := tn.scanTri(0, 1, 2, limit)
				if math.Float64bits(ge) != math.Float64bits(we) || ga != wa {
					t.Fatalf("triangle %v, limit %g: %g at %d, want %g at %d", p, limit, ge, ga, we, wa)
				}
			}
		}
	}
}
