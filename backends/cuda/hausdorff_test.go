package cuda

import (
	"math"
	"runtime"
	"sync"

	"github.com/orfeas3d/orfeas/mesh"
)

// withinDistance returns the largest distance from a vertex of a to the surface of b, when every
// vertex of a lies within tol of b; otherwise it returns +Inf and the first vertex found beyond tol.
// The triangles of b are binned in a uniform grid of cell size tol, so each vertex looks at the
// cells around it. (Vertices are a sampling of a: for meshes from the same lattice, as here, the
// distance between vertices and surfaces is what moves when the surfaces differ.)
func withinDistance(a, b *mesh.Mesh, tol float64) (float64, int) {
	if len(a.Positions) == 0 {
		return 0, -1
	}
	if len(b.Faces) == 0 {
		return math.Inf(1), 0
	}
	// Cells of tol/2. Triangles larger than a cell are split at their edge midpoints (the pieces
	// cover the same surface), so each piece lands in at most 2×2×2 cells. A vertex searches
	// shells of cells around its own, Chebyshev distance 0, 1, 2: after shell s every unseen piece
	// is at least s cells away, so the search stops once the best distance is within that.
	cell := tol / 2
	bb := b.Bounds()
	lo := [3]float64{float64(bb.Min[0]) - cell, float64(bb.Min[1]) - cell, float64(bb.Min[2]) - cell}
	cellOf := func(p [3]float64) [3]int {
		var c [3]int
		for k := range 3 {
			c[k] = int(math.Floor((p[k] - lo[k]) / cell))
		}
		return c
	}
	var pieces [][3][3]float64
	var split func(t [3][3]float64)
	split = func(t [3][3]float64) {
		ext := 0.0
		for k := range 3 {
			mn := min(t[0][k], t[1][k], t[2][k])
			mx := max(t[0][k], t[1][k], t[2][k])
			ext = max(ext, mx-mn)
		}
		if ext <= cell {
			pieces = append(pieces, t)
			return
		}
		mid := func(p, q [3]float64) [3]float64 {
			return [3]float64{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2}
		}
		ab, bc, ca := mid(t[0], t[1]), mid(t[1], t[2]), mid(t[2], t[0])
		split([3][3]float64{t[0], ab, ca})
		split([3][3]float64{ab, t[1], bc})
		split([3][3]float64{ca, bc, t[2]})
		split([3][3]float64{ab, bc, ca})
	}
	for _, f := range b.Faces {
		split([3][3]float64{f64(b.Positions[f[0]]), f64(b.Positions[f[1]]), f64(b.Positions[f[2]])})
	}
	cells := map[[3]int][]int32{}
	for i, t := range pieces {
		var mn, mx [3]float64
		for k := range 3 {
			mn[k] = min(t[0][k], t[1][k], t[2][k])
			mx[k] = max(t[0][k], t[1][k], t[2][k])
		}
		c0, c1 := cellOf(mn), cellOf(mx)
		for x := c0[0]; x <= c1[0]; x++ {
			for y := c0[1]; y <= c1[1]; y++ {
				for z := c0[2]; z <= c1[2]; z++ {
					cells[[3]int{x, y, z}] = append(cells[[3]int{x, y, z}], int32(i))
				}
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	worst := make([]float64, workers)
	bad := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		bad[w] = -1
		wg.Go(func() {
			for i := w; i < len(a.Positions); i += workers {
				p := f64(a.Positions[i])
				c := cellOf(p)
				best := math.Inf(1)
				for sh := 0; sh <= 2; sh++ {
					for x := c[0] - sh; x <= c[0]+sh; x++ {
						for y := c[1] - sh; y <= c[1]+sh; y++ {
							for z := c[2] - sh; z <= c[2]+sh; z++ {
								if max(abs(x-c[0]), abs(y-c[1]), abs(z-c[2])) != sh {
									continue
								}
								for _, f := range cells[[3]int{x, y, z}] {
									t := &pieces[f]
									best = min(best, pointTriangle(p, t[0], t[1], t[2]))
								}
							}
						}
					}
					if best <= float64(sh)*cell {
						break
					}
				}
				if best > tol {
					worst[w], bad[w] = math.Inf(1), i
					return
				}
				worst[w] = max(worst[w], best)
			}
		})
	}
	wg.Wait()
	d, at := 0.0, -1
	for w := range workers {
		if worst[w] > d || (bad[w] >= 0 && at < 0) {
			d = worst[w]
			if bad[w] >= 0 {
				at = bad[w]
			}
		}
	}
	return d, at
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func f64(p [3]float32) [3]float64 { return [3]float64{float64(p[0]), float64(p[1]), float64(p[2])} }

func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func dot(a, b [3]float64) float64    { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func axpy(a [3]float64, s float64, d [3]float64) [3]float64 {
	return [3]float64{a[0] + s*d[0], a[1] + s*d[1], a[2] + s*d[2]}
}

// pointTriangle is the distance from p to triangle abc, by the closest-point regions of
// Ericson, "Real-Time Collision Detection" (2005), section 5.1.5.
func pointTriangle(p, a, b, c [3]float64) float64 {
	ab, ac, ap := sub(b, a), sub(c, a), sub(p, a)
	d1, d2 := dot(ab, ap), dot(ac, ap)
	var q [3]float64
	switch {
	case d1 <= 0 && d2 <= 0:
		q = a
	default:
		bp := sub(p, b)
		d3, d4 := dot(ab, bp), dot(ac, bp)
		cp := sub(p, c)
		d5, d6 := dot(ab, cp), dot(ac, cp)
		vc := d1*d4 - d3*d2
		vb := d5*d2 - d1*d6
		va := d3*d6 - d5*d4
		switch {
		case d3 >= 0 && d4 <= d3:
			q = b
		case vc <= 0 && d1 >= 0 && d3 <= 0:
			q = axpy(a, d1/(d1-d3), ab)
		case d6 >= 0 && d5 <= d6:
			q = c
		case vb <= 0 && d2 >= 0 && d6 <= 0:
			q = axpy(a, d2/(d2-d6), ac)
		case va <= 0 && (d4-d3) >= 0 && (d5-d6) >= 0:
			q = axpy(b, (d4-d3)/((d4-d3)+(d5-d6)), sub(c, b))
		default:
			den := 1 / (va + vb + vc)
			q = axpy(axpy(a, vb*den, ab), vc*den, ac)
		}
	}
	d := sub(p, q)
	return math.Sqrt(dot(d, d))
}
