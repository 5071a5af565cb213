package generator

// The Poisson solve of the bas-relief: L h = b on a w×h grid, L the graph Laplacian of the
// 4-neighbour grid (DᵀD for the forward differences D, so natural boundaries), b summing to zero.
//
// Conjugate gradients (Hestenes and Stiefel 1952) preconditioned by one V-cycle of aggregation
// multigrid: each coarser level joins 2×2 cells into one, its operator the Galerkin product PᵀLP
// for the piecewise-constant prolongation P, which is again a weighted graph Laplacian (an edge's
// weight is the number of fine edges between the two aggregates). A V-cycle smooths with forward
// Gauss-Seidel on the way down and backward on the way up, so the preconditioner is symmetric,
// as conjugate gradients need. L is singular (constants are its null space); every vector is
// kept at zero mean, and so is the solution.

import (
	"context"
	"math"
)

// mgLevel is one grid of the hierarchy.
type mgLevel struct {
	w, h   int
	wx, wy []float32 // wx[k]: the weight of the edge k—k+1 (x < w−1); wy[k]: of k—k+w (y < h−1)
	diag   []float32 // the sum of each cell's edge weights
	r, e   []float32 // this level's right-hand side and correction, for the V-cycle
	res    []float32 // scratch: the residual
}

// mgSweeps is the number of Gauss-Seidel sweeps before and after each coarse correction, and
// mgCoarsest the side at which coarsening stops (solved there by many sweeps).
const (
	mgSweeps   = 2
	mgCoarsest = 3
)

// mgOvercorrect scales the coarse correction: a piecewise-constant prolongation's correction
// falls short on smooth errors, so it is scaled up ("over-correction", as aggregation multigrid
// does); one factor on every cycle keeps the preconditioner symmetric. On the dome scene of the
// tests it takes the iterations from 33 (256 px) and 48 (512 px) unscaled to 7 and 8; 2 gave
// 4, but sits at the edge where the preconditioner stops being positive definite.
const mgOvercorrect = 1.8

func newMGLevels(w, h int) []*mgLevel {
	l := &mgLevel{w: w, h: h, wx: make([]float32, w*h), wy: make([]float32, w*h)}
	for y := range h {
		for x := range w {
			if x < w-1 {
				l.wx[y*w+x] = 1
			}
			if y < h-1 {
				l.wy[y*w+x] = 1
			}
		}
	}
	levels := []*mgLevel{l}
	for max(l.w, l.h) > mgCoarsest {
		l = l.coarsen()
		levels = append(levels, l)
	}
	for _, l := range levels {
		n := l.w * l.h
		l.diag, l.r, l.e, l.res = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for k := range n {
			if l.wx[k] > 0 {
				l.diag[k] += l.wx[k]
				l.diag[k+1] += l.wx[k]
			}
			if l.wy[k] > 0 {
				l.diag[k] += l.wy[k]
				l.diag[k+l.w] += l.wy[k]
			}
		}
	}
	return levels
}

// coarsen returns the Galerkin coarse level of l: cells (x, y) join aggregate (x/2, y/2).
func (l *mgLevel) coarsen() *mgLevel {
	cw, ch := (l.w+1)/2, (l.h+1)/2
	c := &mgLevel{w: cw, h: ch, wx: make([]float32, cw*ch), wy: make([]float32, cw*ch)}
	for y := range l.h {
		for x := range l.w {
			k, ck := y*l.w+x, (y/2)*cw+x/2
			if x < l.w-1 && x%2 == 1 {
				c.wx[ck] += l.wx[k] // crosses into the aggregate on the right
			}
			if y < l.h-1 && y%2 == 1 {
				c.wy[ck] += l.wy[k]
			}
		}
	}
	return c
}

// apply sets out = L x.
func (l *mgLevel) apply(x, out []float32) {
	w := l.w
	for k := range out {
		out[k] = l.diag[k] * x[k]
	}
	for k := range out {
		if wx := l.wx[k]; wx != 0 {
			out[k] -= wx * x[k+1]
			out[k+1] -= wx * x[k]
		}
		if wy := l.wy[k]; wy != 0 {
			out[k] -= wy * x[k+w]
			out[k+w] -= wy * x[k]
		}
	}
}

// gaussSeidel sweeps x towards L x = b, forward or backward through the cells.
func (l *mgLevel) gaussSeidel(x, b []float32, forward bool) {
	w, n := l.w, l.w*l.h
	for i := range n {
		k := i
		if !forward {
			k = n - 1 - i
		}
		d := l.diag[k]
		if d == 0 {
			continue
		}
		s := b[k]
		if k%w < w-1 {
			s += l.wx[k] * x[k+1]
		}
		if k%w > 0 {
			s += l.wx[k-1] * x[k-1]
		}
		if k+w < n {
			s += l.wy[k] * x[k+w]
		}
		if k >= w {
			s += l.wy[k-w] * x[k-w]
		}
		x[k] = s / d
	}
}

// vcycle sets levels[i].e to an approximate solution of L e = levels[i].r.
func vcycle(levels []*mgLevel, i int) {
	l := levels[i]
	clear(l.e)
	if i == len(levels)-1 {
		for range 8 {
			l.gaussSeidel(l.e, l.r, true)
			l.gaussSeidel(l.e, l.r, false)
		}
		return
	}
	for range mgSweeps {
		l.gaussSeidel(l.e, l.r, true)
	}
	l.apply(l.e, l.res)
	c := levels[i+1]
	clear(c.r)
	for y := range l.h {
		for x := range l.w {
			k := y*l.w + x
			c.r[(y/2)*c.w+x/2] += l.r[k] - l.res[k]
		}
	}
	vcycle(levels, i+1)
	for y := range l.h {
		for x := range l.w {
			l.e[y*l.w+x] += mgOvercorrect * c.e[(y/2)*c.w+x/2]
		}
	}
	for range mgSweeps {
		l.gaussSeidel(l.e, l.r, false)
	}
}

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// zeroMean subtracts v's mean from v.
func zeroMean(v []float32) {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	m := float32(s / float64(len(v)))
	for i := range v {
		v[i] -= m
	}
}

// solvePoisson solves L x = b on the w×h grid to a residual of tol relative to b's, in at most
// maxIter iterations, and returns x (zero mean), the iterations taken and the final relative
// residual. It checks ctx every iteration.
func solvePoisson(ctx context.Context, b []float32, w, h int, tol float64, maxIter int) ([]float32, int, float64, error) {
	n := w * h
	x := make([]float32, n)
	r := append([]float32(nil), b...)
	zeroMean(r)
	bn := math.Sqrt(dot(r, r))
	if bn == 0 {
		return x, 0, 0, nil
	}
	levels := newMGLevels(w, h)
	top := levels[0]
	precondition := func(r, z []float32) {
		copy(top.r, r)
		vcycle(levels, 0)
		copy(z, top.e)
		zeroMean(z)
	}
	z := make([]float32, n)
	precondition(r, z)
	p := append([]float32(nil), z...)
	q := make([]float32, n)
	rz := dot(r, z)
	rel := 1.0
	it := 0
	for it < maxIter {
		if err := ctx.Err(); err != nil {
			return nil, it, rel, err
		}
		top.apply(p, q)
		pq := dot(p, q)
		if pq <= 0 {
			break
		}
		a := rz / pq
		for i := range x {
			x[i] += float32(a) * p[i]
			r[i] -= float32(a) * q[i]
		}
		it++
		rel = math.Sqrt(dot(r, r)) / bn
		if rel <= tol {
			break
		}
		precondition(r, z)
		rz2 := dot(r, z)
		beta := rz2 / rz
		rz = rz2
		for i := range p {
			p[i] = z[i] + float32(beta)*p[i]
		}
	}
	zeroMean(x)
	return x, it, rel, nil
}
