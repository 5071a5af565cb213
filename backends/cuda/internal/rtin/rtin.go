// Package rtin is the CUDA backend's heightfield triangulation: a right-triangulated irregular
// network over a lattice of root squares, refined by saturated error bounds, every stage of which
// is data-parallel. This package is the reference implementation of those stages; the kernels in
// backends/cuda/kernels/rtin.cu compute the same bounds bit for bit, and the host side of the
// backend (the budget's threshold, the cut's emission) calls it directly. The surface it emits
// is closed into a solid by backends/internal/heightfield, as the CPU backend's greedy
// triangulation is.
package rtin

import (
	"context"
	"fmt"
	"math"

	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
)

// The right-triangulated irregular network (RTIN) of W. Evans, D. Kirkpatrick and G. Townsend,
// "Right-Triangulated Irregular Networks", Algorithmica 30(2), 2001 — the "4-8 mesh" of
// L. Velho and J. Gomes and the bintree of Duchaineau et al.'s ROAM (1997) — refined by
// saturated errors as in P. Lindstrom and V. Pascucci, "Visualization of Large Terrains Made
// Easy", IEEE Visualization 2001. Mapbox's martini (github.com/mapbox/martini) showed the
// per-vertex error array on a square grid; this is an independent implementation, extended to
// rectangles that are not a power of two plus one and to errors measured at every sample.
//
// The hierarchy lives on a lattice of (MX·N+1)×(MY·N+1) points over which the grid's rectangle
// R = [0, W−1]×[0, H−1] lies from the origin: MX×MY root squares of side N = 2^K (the smallest
// power of two ≥ the shorter side of R, at most MaxRootSide) cover R with less than N to spare
// on each axis. Level 0 is the root squares, each cut by a diagonal into two right isosceles
// triangles; every triangle splits at the midpoint of its hypotenuse into two children, down to
// the leaves, whose legs are one sample long. By size:
//
//   - even level 2j: the squares of side s = N/2^j, each cut by one diagonal, the main one
//     (top-left to bottom-right) where qx+qy is even, so that the diagonals meet at the centres
//     of the squares one level up;
//   - odd level 2j+1: the same squares cut by both diagonals into four quarter triangles, each
//     with its right angle at the square's centre and one side of the square as hypotenuse.
//
// The two triangles that share a hypotenuse form a diamond (one triangle on the lattice's
// border); they split together, at the hypotenuse's midpoint m, and every lattice point but the
// root squares' corners is the midpoint of exactly one diamond: the centre of a square (even
// level) or the midpoint of a side (odd level; the sides shared by two root squares are diamonds
// like any other, which is what joins the roots into one conforming mesh). The arrays below are
// indexed by that point.
//
// Stage 1, own errors (OwnErrors; kernel rtin_own): for every sample and every level, the error
// of the sample against the plane of each triangle of that level containing it (edges included),
// maximised into the triangle's diamond. Triangles with a vertex outside R are not measured.
//
// Stage 2, saturation (Saturate; kernels rtin_sat_odd and rtin_sat_even, one launch per level):
// E(m) = max(own(m), E of m's four children diamonds), and +Inf where a triangle of the diamond
// overlaps R without lying in it (it must be split to fit R). Every diamond then bounds its
// descendants, so a diamond splits whenever any descendant must: the cut
// "split while E > t" is a conforming triangulation (Lindstrom and Pascucci, §3), and a triangle
// left whole has every sample within its own error, at most E ≤ t, of it.
//
// Stage 3, extraction (Emit; kernels rtin_vcount, rtin_vwrite, rtin_tcount, rtin_twrite): given
// the threshold t (Threshold, on the CPU, from the bounds and the diamonds' weights, so that a face
// budget is met exactly), a triangle is in the cut when it lies in R, its own diamond does not
// split (E ≤ t, or it is a leaf) and its parent's does (E at its right-angle vertex, the parent's
// midpoint, > t; or it is a root): saturation makes "the parent splits" the same as "every
// ancestor splits". The test is local, so every triangle of every level is tested independently
// and the ones in the cut are compacted by prefix sums, in the order of the levels and, within a
// level, of the squares row by row. The vertices are the root squares' corners in R and the
// midpoints in R of the split diamonds, numbered row by row the same way.
//
// Along a side of R that is not on a multiple of a large power of two (an image 512 pixels wide
// has W−1 = 511), the triangles that straddle the side split down to the leaves, so every sample
// on it becomes a vertex; the refinement grades away from the side, at a cost of a few triangles
// per border sample.

// MaxLatticeSide is the largest side of the lattice, MX·N or MY·N: the error array then takes at
// most 4·(MaxLatticeSide+1)² bytes (268 MiB).
const MaxLatticeSide = 1 << 13

// MaxRootSide is the largest side N of the root squares. Capping it bounds the lattice's waste
// beyond R to less than N samples a side, at the price of two triangles per root square where
// the surface is flat.
const MaxRootSide = 256

// Lattice is the RTIN's hierarchy over a W×H grid.
type Lattice struct {
	// W and H are the grid's size in samples.
	W, H int
	// N = 2^K is the side of the root squares: the smallest power of two ≥ min(W−1, H−1) and ≥ 2,
	// at most MaxRootSide.
	N, K int
	// MX × MY root squares cover R: MX = ⌈(W−1)/N⌉, MY = ⌈(H−1)/N⌉.
	MX, MY int
}

// NewLattice returns the lattice over a w×h grid.
func NewLattice(w, h int) (Lattice, error) {
	if w < 2 || h < 2 {
		return Lattice{}, fmt.Errorf("heightfield: a %d×%d grid has no triangle", w, h)
	}
	l := Lattice{W: w, H: h, N: 2, K: 1}
	for l.N < min(w-1, h-1) && l.N < MaxRootSide {
		l.N, l.K = 2*l.N, l.K+1
	}
	l.MX, l.MY = (w-2)/l.N+1, (h-2)/l.N+1
	if l.MX*l.N > MaxLatticeSide || l.MY*l.N > MaxLatticeSide {
		return Lattice{}, fmt.Errorf("heightfield: a %d×%d grid needs a lattice of %d×%d, above %d a side", w, h, l.MX*l.N, l.MY*l.N, MaxLatticeSide)
	}
	return l, nil
}

// stride is the number of lattice points in a row.
func (l Lattice) stride() int { return l.MX*l.N + 1 }

// Points is the number of lattice points, the length of the error arrays.
func (l Lattice) Points() int { return l.stride() * (l.MY*l.N + 1) }

func (l Lattice) index(x, y int32) int { return int(y)*l.stride() + int(x) }

// squares returns the number of squares of side s along x and y.
func (l Lattice) squares(s int32) (kx, ky int32) {
	return int32(l.MX*l.N) / s, int32(l.MY*l.N) / s
}

// tri is a triangle of the hierarchy: hypotenuse a–b, right angle at c, positively oriented
// (a, b, c).
type tri struct{ ax, ay, bx, by, cx, cy int32 }

// Where a triangle lies relative to R.
const (
	outside = iota // its interior misses R
	partial        // it overlaps R without lying in it: it must split
	inside         // all its vertices are in R
)

// state classifies t against R = [0, W−1]×[0, H−1]. Lattice triangles have axis-parallel and
// diagonal edges only, so the axes x, y, x+y and x−y separate t from R whenever their interiors
// are disjoint (the separating axis theorem for convex polygons).
func (l Lattice) state(t tri) int {
	wm, hm := int32(l.W-1), int32(l.H-1)
	if t.ax <= wm && t.bx <= wm && t.cx <= wm && t.ay <= hm && t.by <= hm && t.cy <= hm {
		return inside
	}
	type axis struct{ dx, dy int32 }
	for _, d := range [4]axis{{1, 0}, {0, 1}, {1, 1}, {1, -1}} {
		p := func(x, y int32) int32 { return d.dx*x + d.dy*y }
		tlo := min(p(t.ax, t.ay), p(t.bx, t.by), p(t.cx, t.cy))
		thi := max(p(t.ax, t.ay), p(t.bx, t.by), p(t.cx, t.cy))
		rlo := min(p(0, 0), p(wm, 0), p(0, hm), p(wm, hm))
		rhi := max(p(0, 0), p(wm, 0), p(0, hm), p(wm, hm))
		if thi <= rlo || rhi <= tlo {
			return outside
		}
	}
	return partial
}

// errAt is the vertical distance between sample (px, py) and the plane of t, in the order of
// operations rtin.cu uses (every product rounded before it is added: no fused multiply-add).
func errAt(g heightfield.Grid, t tri, px, py int32) float64 {
	ux, uy := int64(t.ax-t.cx), int64(t.ay-t.cy)
	vx, vy := int64(t.bx-t.cx), int64(t.by-t.cy)
	dx, dy := int64(px-t.cx), int64(py-t.cy)
	l2 := float64(ux*ux + uy*uy)
	da := float64(dx*ux + dy*uy)
	db := float64(dx*vx + dy*vy)
	zc := float64(at(g, t.cx, t.cy))
	za := float64(at(g, t.ax, t.ay)) - zc
	zb := float64(at(g, t.bx, t.by)) - zc
	num := float64(da*za) + float64(db*zb)
	return math.Abs(float64(at(g, px, py)) - (zc + num/l2))
}

// at returns the height of sample (x, y) of g.
func at(g heightfield.Grid, x, y int32) float32 { return g.Z[int(y)*g.W+int(x)] }

// up32 rounds a non-negative error up to a float32, so that a float32 bound is never below the
// error it bounds.
func up32(e float64) float32 {
	f := float32(e)
	if float64(f) < e {
		f = math.Float32frombits(math.Float32bits(f) + 1)
	}
	return f
}

// squareHalf returns the half of square (x0, y0, side s) containing local (u, v) at an even
// level (the half below the diagonal where the point is on it).
func squareHalf(x0, y0, s, u, v int32, main bool) tri {
	x1, y1 := x0+s, y0+s
	if main {
		if v <= u { // right angle at (x1, y0)
			return tri{x1, y1, x0, y0, x1, y0}
		}
		return tri{x0, y0, x1, y1, x0, y1}
	}
	if u+v <= s { // right angle at (x0, y0)
		return tri{x1, y0, x0, y1, x0, y0}
	}
	return tri{x0, y1, x1, y0, x1, y1}
}

// quarter returns quarter q of square (x0, y0, side s) at an odd level, with the midpoint of its
// hypotenuse: 0 on side y = y0, 1 on x = x0+s, 2 on y = y0+s, 3 on x = x0.
func quarter(x0, y0, s int32, q int) (tri, int32, int32) {
	x1, y1 := x0+s, y0+s
	cx, cy := x0+s/2, y0+s/2
	switch q {
	case 0:
		return tri{x0, y0, x1, y0, cx, cy}, cx, y0
	case 1:
		return tri{x1, y0, x1, y1, cx, cy}, x1, cy
	case 2:
		return tri{x1, y1, x0, y1, cx, cy}, cx, y1
	}
	return tri{x0, y1, x0, y0, cx, cy}, x0, cy
}

// inQuarter reports whether local (u, v) of a square of side s lies in quarter q, edges included.
func inQuarter(u, v, s int32, q int) bool {
	switch q {
	case 0:
		return v <= u && u+v <= s
	case 1:
		return v <= u && u+v >= s
	case 2:
		return v >= u && u+v >= s
	}
	return v >= u && u+v <= s
}

// squaresAt returns the one or two indices of the squares of side s whose closed extent along
// one axis contains coordinate x, of k squares along that axis.
func squaresAt(x, s, k int32) (lo, hi int32) {
	q := x / s
	lo, hi = q, q
	if x%s == 0 {
		lo = q - 1
	}
	return max(lo, 0), min(hi, k-1)
}

// OwnErrors returns, for every diamond, the largest error of a sample against the plane of the
// diamond's triangles that lie in R (rounded up to float32; 0 where none lies in R). Stage 1.
func OwnErrors(ctx context.Context, g heightfield.Grid, l Lattice) ([]float32, error) {
	own := make([]float32, l.Points())
	for y := range int32(l.H) {
		if y%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for x := range int32(l.W) {
			ownAt(g, l, own, x, y)
		}
	}
	return own, nil
}

// ownAt maximises the errors of sample (x, y) into own, at every level: the rtin_own kernel's
// thread.
func ownAt(g heightfield.Grid, l Lattice, own []float32, x, y int32) {
	update := func(t tri, mx, my int32) {
		if l.state(t) == inside {
			e := up32(errAt(g, t, x, y))
			if i := l.index(mx, my); e > own[i] {
				own[i] = e
			}
		}
	}
	for s := int32(l.N); s >= 2; s /= 2 {
		kx, ky := l.squares(s)
		qx0, qx1 := squaresAt(x, s, kx)
		qy0, qy1 := squaresAt(y, s, ky)
		for qy := qy0; qy <= qy1; qy++ {
			for qx := qx0; qx <= qx1; qx++ {
				x0, y0 := qx*s, qy*s
				u, v := x-x0, y-y0
				if (u == 0 || u == s) && (v == 0 || v == s) {
					continue // a corner: a vertex of every triangle here
				}
				// Even level: the half of the square (diamond at its centre).
				update(squareHalf(x0, y0, s, u, v, (qx+qy)%2 == 0), x0+s/2, y0+s/2)
				// Odd level: the quarters (diamonds at the sides' midpoints).
				if u == s/2 && v == s/2 {
					continue // the centre: a vertex of all four
				}
				for q := range 4 {
					if inQuarter(u, v, s, q) {
						t, mx, my := quarter(x0, y0, s, q)
						update(t, mx, my)
					}
				}
			}
		}
	}
}

// Saturate turns own errors into saturated ones, in place: Stage 2. The finest level comes first;
// each diamond takes the largest of its own error and its children's, or +Inf where one of its
// triangles overlaps R without lying in it. The root squares' corners, which are no diamond's
// midpoint, are left as they are: nothing reads them.
//
// It also fills w, one byte per lattice point, with the diamond's weight in the cost of a cut
// (see Threshold): the faces its split adds to the closed solid.
func Saturate(l Lattice, e []float32, w []uint8) {
	for s := int32(2); s <= int32(l.N); s *= 2 {
		for i := range satOddCount(l, s) {
			satOdd(l, e, w, s, int32(i))
		}
		for i := range satEvenCount(l, s) {
			satEven(l, e, w, s, int32(i))
		}
	}
}

// weight is the number of faces splitting the diamond at (mx, my) with triangles ts adds to the
// closed solid: each triangle of it that is not outside R gives way to its children that are not
// (so the cut gains their difference), and a midpoint on R's border adds a border vertex, which
// takes ClosingFaces' three closing faces.
func (l Lattice) weight(mx, my int32, ts []tri) uint8 {
	d := 0
	for _, t := range ts {
		if l.state(t) == outside {
			continue
		}
		d--
		c1, c2 := t.children()
		if l.state(c1) != outside {
			d++
		}
		if l.state(c2) != outside {
			d++
		}
	}
	wm, hm := int32(l.W-1), int32(l.H-1)
	if mx <= wm && my <= hm && (mx == 0 || my == 0 || mx == wm || my == hm) {
		d += 3
	}
	return uint8(d)
}

// children returns the two halves of t, split at the midpoint m of its hypotenuse: (c, a, m) and
// (b, c, m), positively oriented like t.
func (t tri) children() (tri, tri) {
	mx, my := (t.ax+t.bx)/2, (t.ay+t.by)/2
	return tri{t.cx, t.cy, t.ax, t.ay, mx, my}, tri{t.bx, t.by, t.cx, t.cy, mx, my}
}

// satOddCount is the number of sides of the squares of side s: kx·(ky+1) horizontal ones and
// (kx+1)·ky vertical ones.
func satOddCount(l Lattice, s int32) int {
	kx, ky := l.squares(s)
	return int(kx*(ky+1) + (kx+1)*ky)
}

// satOdd saturates the i-th side of the squares of side s (rtin_sat_odd's thread): horizontal
// sides first, row by row, then vertical ones, column by column.
func satOdd(l Lattice, e []float32, w []uint8, s, i int32) {
	kx, ky := l.squares(s)
	var mx, my int32
	var ts [2]tri
	nt := 0
	if i < kx*(ky+1) {
		r, q := i/kx, i%kx // side y = r·s of squares (q, r−1) and (q, r)
		mx, my = q*s+s/2, r*s
		if r > 0 {
			ts[nt], _, _ = quarter(q*s, (r-1)*s, s, 2)
			nt++
		}
		if r < ky {
			ts[nt], _, _ = quarter(q*s, r*s, s, 0)
			nt++
		}
	} else {
		i -= kx * (ky + 1)
		c, q := i/ky, i%ky // side x = c·s of squares (c−1, q) and (c, q)
		mx, my = c*s, q*s+s/2
		if c > 0 {
			ts[nt], _, _ = quarter((c-1)*s, q*s, s, 1)
			nt++
		}
		if c < kx {
			ts[nt], _, _ = quarter(c*s, q*s, s, 3)
			nt++
		}
	}
	m := l.index(mx, my)
	v := e[m]
	for _, t := range ts[:nt] {
		if l.state(t) == partial {
			v = float32(math.Inf(1))
		}
	}
	if h := s / 4; h > 0 { // children: the centres of the squares of side s/2 at the corner m
		for _, d := range [4][2]int32{{-h, -h}, {h, -h}, {-h, h}, {h, h}} {
			cx, cy := mx+d[0], my+d[1]
			if cx >= 0 && cy >= 0 && cx <= kx*s && cy <= ky*s {
				v = max(v, e[l.index(cx, cy)])
			}
		}
	}
	e[m] = v
	w[m] = l.weight(mx, my, ts[:nt])
}

// satEvenCount is the number of squares of side s.
func satEvenCount(l Lattice, s int32) int {
	kx, ky := l.squares(s)
	return int(kx * ky)
}

// satEven saturates the i-th square of side s, row by row (rtin_sat_even's thread).
func satEven(l Lattice, e []float32, w []uint8, s, i int32) {
	kx, _ := l.squares(s)
	qx, qy := i%kx, i/kx
	x0, y0 := qx*s, qy*s
	mx, my := x0+s/2, y0+s/2
	m := l.index(mx, my)
	v := e[m]
	halves := [2]tri{squareHalf(x0, y0, s, 0, 0, false), squareHalf(x0, y0, s, s, s, false)}
	if (qx+qy)%2 == 0 {
		halves = [2]tri{squareHalf(x0, y0, s, s, 0, true), squareHalf(x0, y0, s, 0, s, true)}
	}
	for _, t := range halves {
		if l.state(t) == partial {
			v = float32(math.Inf(1))
		}
	}
	h := s / 2 // children: the midpoints of the four sides
	for _, d := range [4][2]int32{{0, -h}, {h, 0}, {0, h}, {-h, 0}} {
		v = max(v, e[l.index(mx+d[0], my+d[1])])
	}
	e[m] = v
	w[m] = l.weight(mx, my, halves[:])
}

// BaseCost is the part of every cut's cost that no split changes: the root triangles that reach
// into R, and the closing faces of the root squares' corners on R's border (see Threshold).
func (l Lattice) BaseCost() int64 {
	wm, hm := int32(l.W-1), int32(l.H-1)
	n := int32(l.N)
	roots, corners := 0, 0
	for i := range l.LevelSize(0) {
		if tr, _, _, _ := l.levelTri(0, i); l.state(tr) != outside {
			roots++
		}
	}
	for y := int32(0); y <= hm; y += n {
		for x := int32(0); x <= wm; x += n {
			if x == 0 || y == 0 || x == wm || y == hm {
				corners++
			}
		}
	}
	return int64(roots + heightfield.ClosingFaces(corners))
}

// CutCost is the cost of the cut at t (see Threshold): BaseCost plus the weights of the diamonds
// with E > t. The CUDA backend computes the sum on the device (rtin_wsum) to learn, without
// downloading the bounds, whether the cut at the tolerance fits the budget.
func (l Lattice) CutCost(e []float32, w []uint8, t float64) int64 {
	c := l.BaseCost()
	for m, v := range e {
		if float64(v) > t {
			c += int64(w[m])
		}
	}
	return c
}

// Threshold returns the threshold the cut is made at: tol when the closed solid fits budget (or
// budget ≤ 0), else the smallest error bound at which it does — or, where none does, the largest
// finite bound (the coarsest cut R allows).
//
// The cost of the cut at t, counted as the CPU triangulator counts it (its triangles plus
// heightfield.ClosingFaces of its border vertices), is base + Σ w(m) over the diamonds with E(m) > t: the
// cut starts from the root triangles and the root squares' corners on R's border, and every split
// diamond adds its weight (Saturate), because a diamond splits exactly when E(m) > t and
// saturation makes its ancestors split too. So the cost steps down at the values of E, and the threshold is found
// exactly by selecting on E: a histogram of the weights over the top 16 bits of E's float32
// bits, then over the low 16 bits inside the one bucket where the budget runs out. Two passes
// over the arrays, whatever the budget.
//
// The threshold is finite even for an infinite tol: triangles that straddle R's sides are marked
// +Inf so that they split at every finite threshold.
func (l Lattice) Threshold(e []float32, w []uint8, tol float64, budget int) float64 {
	tol = min(tol, math.MaxFloat64)
	if budget <= 0 {
		return tol
	}
	// room is what the finite bounds above t may add: what is left after the fixed part.
	room := int64(budget) - l.BaseCost()
	var above int64 // weights of the finite bounds above tol
	top := float32(0)
	for m, v := range e {
		switch {
		case math.IsInf(float64(v), 1):
			room -= int64(w[m])
		case float64(v) > tol:
			above += int64(w[m])
			top = max(top, v)
		}
	}
	if above <= room {
		return tol
	}
	if room < 0 {
		return max(float64(top), tol) // even the coarsest cut is over budget
	}
	// Walk the values of E down from the top, adding their weights; the threshold is the first
	// value whose weight no longer fits.
	var hist [1 << 16]int64
	for m, v := range e {
		if b := math.Float32bits(v); float64(v) > tol && !math.IsInf(float64(v), 1) {
			hist[b>>16] += int64(w[m])
		}
	}
	acc := int64(0)
	bucket := uint32(len(hist) - 1)
	for ; acc+hist[bucket] <= room; bucket-- {
		acc += hist[bucket]
	}
	clear(hist[:])
	for m, v := range e {
		if b := math.Float32bits(v); b>>16 == bucket && float64(v) > tol && !math.IsInf(float64(v), 1) {
			hist[b&0xffff] += int64(w[m])
		}
	}
	low := uint32(len(hist) - 1)
	for ; acc+hist[low] <= room; low-- {
		acc += hist[low]
	}
	return float64(math.Float32frombits(bucket<<16 | low))
}

// Levels returns the number of levels of the hierarchy, 2K+1: level 0 holds the roots, level 2K
// the leaves.
func (l Lattice) Levels() int { return 2*l.K + 1 }

// LevelSize returns the number of triangles on level lv: two halves of each square of side
// N/2^j on even level 2j, four quarters of each on odd level 2j+1.
func (l Lattice) LevelSize(lv int) int {
	sq := l.MX * l.MY << (2 * (lv / 2))
	if lv%2 == 0 {
		return 2 * sq
	}
	return 4 * sq
}

// levelTri returns triangle i of level lv, its diamond's midpoint and whether it is a leaf
// (rtin_level_tri).
func (l Lattice) levelTri(lv, i int) (t tri, mx, my int32, leaf bool) {
	s := int32(l.N) >> (lv / 2)
	k, _ := l.squares(s)
	if lv%2 == 0 {
		q := int32(i / 2)
		qx, qy := q%k, q/k
		x0, y0 := qx*s, qy*s
		switch {
		case (qx+qy)%2 == 0 && i%2 == 0:
			t = squareHalf(x0, y0, s, s, 0, true)
		case (qx+qy)%2 == 0:
			t = squareHalf(x0, y0, s, 0, s, true)
		case i%2 == 0:
			t = squareHalf(x0, y0, s, 0, 0, false)
		default:
			t = squareHalf(x0, y0, s, s, s, false)
		}
		return t, x0 + s/2, y0 + s/2, s == 1
	}
	q := int32(i / 4)
	t, mx, my = quarter((q%k)*s, (q/k)*s, s, i%4)
	return t, mx, my, false
}

// inCut reports whether triangle i of level lv is in the cut at t, with its error bound (the
// bound of its diamond, 0 for a leaf): Stage 3's test (rtin_in_cut).
func (l Lattice) inCut(e []float32, t float64, lv, i int) (tri, float64, bool) {
	tr, mx, my, leaf := l.levelTri(lv, i)
	if l.state(tr) != inside {
		return tr, 0, false
	}
	bound := 0.0
	if !leaf {
		if bound = float64(e[l.index(mx, my)]); bound > t {
			return tr, 0, false
		}
	}
	if lv > 0 && !(float64(e[l.index(tr.cx, tr.cy)]) > t) {
		return tr, 0, false
	}
	return tr, bound, true
}

// isVertex reports whether lattice point (x, y), in R, is a vertex of the cut at t: a corner of
// a root square, or the midpoint of a split diamond.
func (l Lattice) isVertex(e []float32, t float64, x, y int32) bool {
	n := int32(l.N)
	return float64(e[l.index(x, y)]) > t || (x%n == 0 && y%n == 0)
}

// Emit extracts the cut at t (Stage 3), as the kernels do: the vertices row by row, the triangles
// level by level. MaxErr is the largest error bound of a triangle in the cut. It tests every
// triangle of every level (about 4N² of them), one after another: it is the reference of the
// kernels, not a fast path.
func (l Lattice) Emit(g heightfield.Grid, e []float32, t float64) *heightfield.Surface {
	t = min(t, math.MaxFloat64) // see Threshold
	s := &heightfield.Surface{Grid: g}
	id := make([]int32, l.W*l.H)
	for y := range int32(l.H) {
		for x := range int32(l.W) {
			if l.isVertex(e, t, x, y) {
				id[int(y)*l.W+int(x)] = int32(len(s.PX))
				s.PX = append(s.PX, x)
				s.PY = append(s.PY, y)
			}
		}
	}
	vert := func(x, y int32) int32 { return id[int(y)*l.W+int(x)] }
	for lv := range l.Levels() {
		for i := range l.LevelSize(lv) {
			if tr, bound, ok := l.inCut(e, t, lv, i); ok {
				s.Tris = append(s.Tris, vert(tr.ax, tr.ay), vert(tr.bx, tr.by), vert(tr.cx, tr.cy))
				s.MaxErr = max(s.MaxErr, bound)
			}
		}
	}
	return s
}

// Triangulate builds the RTIN of g on the CPU: the reference the CUDA backend's kernels are
// checked against, and a parallel-friendly alternative to greedy insertion. Every sample ends
// within tol of the surface unless the budget (faces of the closed solid, 0 for none) forced a
// coarser cut; the surface's MaxErr says which.
func Triangulate(ctx context.Context, g heightfield.Grid, tol float64, budget int) (*heightfield.Surface, error) {
	l, err := NewLattice(g.W, g.H)
	if err != nil {
		return nil, err
	}
	if len(g.Z) != g.W*g.H {
		return nil, fmt.Errorf("heightfield: %d heights for a %d×%d grid", len(g.Z), g.W, g.H)
	}
	e, err := OwnErrors(ctx, g, l)
	if err != nil {
		return nil, err
	}
	w := make([]uint8, l.Points())
	Saturate(l, e, w)
	return l.Emit(g, e, l.Threshold(e, w, tol, budget)), nil
}
