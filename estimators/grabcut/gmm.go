package grabcut

import "math"

// A Gaussian mixture over RGB (0–255 per channel), as GrabCut models the subject's and the
// background's colours. It is initialised by the splitting rule of M. Orchard and C. Bouman,
// "Color quantization of images", IEEE Trans. Signal Processing 39(12), 1991 (split the cluster
// whose covariance has the largest eigenvalue, across that eigenvector, at its mean): no random
// seeds, so the same pixels always give the same mixture.

// varianceFloor is added to every covariance's diagonal: flat clip-art colours would otherwise
// give singular covariances.
const varianceFloor = 2.0

type gaussian struct {
	mean    [3]float64
	inv2    [6]float64 // inverse covariance: 00, 2·01, 2·02, 11, 2·12, 22
	logNorm float64    // log(weight) − ½ log det Σ − 3/2 log 2π
}

type gmm struct {
	comp []gaussian
}

// stats accumulates the moments of one cluster.
type stats struct {
	n   float64
	sum [3]float64
	sq  [3][3]float64
}

func (s *stats) add(c []float32) {
	s.n++
	for i := 0; i < 3; i++ {
		s.sum[i] += float64(c[i])
		for j := i; j < 3; j++ {
			s.sq[i][j] += float64(c[i]) * float64(c[j])
		}
	}
}

func (s *stats) meanCov() ([3]float64, [3][3]float64) {
	var m [3]float64
	var c [3][3]float64
	for i := range 3 {
		m[i] = s.sum[i] / s.n
	}
	for i := range 3 {
		for j := i; j < 3; j++ {
			c[i][j] = s.sq[i][j]/s.n - m[i]*m[j]
			c[j][i] = c[i][j]
		}
	}
	return m, c
}

// gaussianOf turns a cluster's moments into a mixture component of weight n/total.
func gaussianOf(s *stats, total float64) gaussian {
	m, c := s.meanCov()
	for i := range 3 {
		c[i][i] += varianceFloor
	}
	det := c[0][0]*(c[1][1]*c[2][2]-c[1][2]*c[2][1]) -
		c[0][1]*(c[1][0]*c[2][2]-c[1][2]*c[2][0]) +
		c[0][2]*(c[1][0]*c[2][1]-c[1][1]*c[2][0])
	if det < 1e-6 {
		det = 1e-6
	}
	var inv [3][3]float64
	inv[0][0] = (c[1][1]*c[2][2] - c[1][2]*c[2][1]) / det
	inv[0][1] = (c[0][2]*c[2][1] - c[0][1]*c[2][2]) / det
	inv[0][2] = (c[0][1]*c[1][2] - c[0][2]*c[1][1]) / det
	inv[1][0] = inv[0][1]
	inv[1][1] = (c[0][0]*c[2][2] - c[0][2]*c[2][0]) / det
	inv[1][2] = (c[0][2]*c[1][0] - c[0][0]*c[1][2]) / det
	inv[2][0] = inv[0][2]
	inv[2][1] = inv[1][2]
	inv[2][2] = (c[0][0]*c[1][1] - c[0][1]*c[1][0]) / det
	return gaussian{
		mean:    m,
		inv2:    [6]float64{inv[0][0], 2 * inv[0][1], 2 * inv[0][2], inv[1][1], 2 * inv[1][2], inv[2][2]},
		logNorm: math.Log(s.n/total) - 0.5*math.Log(det) - 1.5*math.Log(2*math.Pi),
	}
}

// logDensity returns component g's weighted log density at colour c. inv2 holds the inverse
// covariance with its off-diagonal entries doubled (exactly: a power of two), so the quadratic
// form needs six products.
func (g *gaussian) logDensity(c []float32) float64 {
	d0 := float64(c[0]) - g.mean[0]
	d1 := float64(c[1]) - g.mean[1]
	d2 := float64(c[2]) - g.mean[2]
	q := d0*(g.inv2[0]*d0+g.inv2[1]*d1+g.inv2[2]*d2) +
		d1*(g.inv2[3]*d1+g.inv2[4]*d2) +
		d2*g.inv2[5]*d2
	return g.logNorm - 0.5*q
}

// negligible: a term exp(d) with d under it is below 2⁻⁵⁶, so adding it to a sum that holds
// the largest term's 1 cannot change that sum's float64 value (up to 8 such terms, added in any
// order before the 1, stay under half its ulp); such terms are left out. The one case where
// this is not exact to the bit is a moderate term's rounding nudged by a negligible one added
// before it: at most one float64 ulp of the sum, far under the float32 the cut keeps.
const negligible = -40

// logLik returns the mixture's log density at c and its most likely component, by
// log-sum-exp about the largest term. The largest term's exp(0) is 1 and negligible terms are
// left out, so neither calls math.Exp; a sum of 1 alone needs no math.Log.
func (m *gmm) logLik(c []float32) (float64, int) {
	if len(m.comp) == 0 {
		return -1e4, 0
	}
	best, arg := math.Inf(-1), 0
	var ld [maxK]float64
	for k := range m.comp {
		ld[k] = m.comp[k].logDensity(c)
		if ld[k] > best {
			best, arg = ld[k], k
		}
	}
	s, more := 0.0, false
	for k := range m.comp {
		switch d := ld[k] - best; {
		case k == arg:
			s += 1
		case d >= negligible:
			s += math.Exp(d)
			more = true
		}
	}
	if !more {
		return best, arg
	}
	return best + math.Log(s), arg
}

// argMax returns the mixture's most likely component at c (what logLik returns second).
func (m *gmm) argMax(c []float32) int {
	best, arg := math.Inf(-1), 0
	for k := range m.comp {
		if l := m.comp[k].logDensity(c); l > best {
			best, arg = l, k
		}
	}
	return arg
}

// fit builds a mixture from the colours px[3i:3i+3] of the pixels idx, each in cluster
// label[i] (< k).
func fit(px []float32, idx []int32, label []uint8, k int) gmm {
	var st [maxK]stats
	for _, i := range idx {
		st[label[i]].add(px[3*i : 3*i+3])
	}
	total := float64(len(idx))
	var m gmm
	for c := 0; c < k; c++ {
		if st[c].n > 0 {
			m.comp = append(m.comp, gaussianOf(&st[c], total))
		}
	}
	return m
}

// splitInit clusters the pixels idx into at most k clusters by Orchard–Bouman splitting and
// writes each pixel's cluster into label. idx is reordered.
func splitInit(px []float32, idx []int32, label []uint8, k int) {
	// A cluster's mean and principal axis are found once: the clusters not split keep their
	// pixels, in the same order, so recomputing them would give the same figures.
	type cluster struct {
		lo, hi int
		done   bool
		mean   [3]float64
		vec    [3]float64
		eig    float64
	}
	cl := []cluster{{lo: 0, hi: len(idx)}}
	for len(cl) < k {
		best, bestEig := -1, 1e-3
		var bestVec, bestMean [3]float64
		for ci := range cl {
			c := &cl[ci]
			if c.hi-c.lo < 2 {
				continue
			}
			if !c.done {
				var s stats
				for _, i := range idx[c.lo:c.hi] {
					s.add(px[3*i : 3*i+3])
				}
				m, cov := s.meanCov()
				c.vec, c.eig = principal(cov)
				c.mean, c.done = m, true
			}
			if c.eig > bestEig {
				best, bestEig, bestVec, bestMean = ci, c.eig, c.vec, c.mean
			}
		}
		if best < 0 {
			break
		}
		c := cl[best]
		// Partition idx[lo:hi] by the side of the plane through the mean.
		i, j := c.lo, c.hi-1
		for i <= j {
			p := px[3*idx[i] : 3*idx[i]+3]
			side := (float64(p[0])-bestMean[0])*bestVec[0] + (float64(p[1])-bestMean[1])*bestVec[1] +
				(float64(p[2])-bestMean[2])*bestVec[2]
			if side <= 0 {
				i++
			} else {
				idx[i], idx[j] = idx[j], idx[i]
				j--
			}
		}
		if i == c.lo || i == c.hi {
			break // cannot happen with a positive eigenvalue, but never loop
		}
		cl[best] = cluster{lo: c.lo, hi: i}
		cl = append(cl, cluster{lo: i, hi: c.hi})
	}
	for ci, c := range cl {
		for _, i := range idx[c.lo:c.hi] {
			label[i] = uint8(ci)
		}
	}
}

// principal returns the largest eigenvalue of a symmetric 3×3 matrix and its eigenvector, by
// power iteration from the matrix's largest column (which is never orthogonal to it).
func principal(c [3][3]float64) ([3]float64, float64) {
	col, best := 0, -1.0
	for j := range 3 {
		n := c[0][j]*c[0][j] + c[1][j]*c[1][j] + c[2][j]*c[2][j]
		if n > best {
			col, best = j, n
		}
	}
	if best <= 0 {
		return [3]float64{1, 0, 0}, 0
	}
	v := [3]float64{c[0][col], c[1][col], c[2][col]}
	e := 0.0
	for range 40 {
		var w [3]float64
		for i := range 3 {
			w[i] = c[i][0]*v[0] + c[i][1]*v[1] + c[i][2]*v[2]
		}
		e = math.Sqrt(w[0]*w[0] + w[1]*w[1] + w[2]*w[2])
		if e == 0 {
			return v, 0
		}
		v = [3]float64{w[0] / e, w[1] / e, w[2] / e}
	}
	return v, e
}
