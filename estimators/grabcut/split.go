package grabcut

import (
	"context"
	"runtime"

	"github.com/orfeas3d/orfeas/internal/par"
)

// The max-flow by halves, merged bottom-up, after J. Liu and J. Sun, "Parallel graph-cuts by
// adaptive bottom-up merging", CVPR 2010. The grid is cut in two across its longer side, the
// edges crossing the seam left out, and each half's maximum flow is found on its own (the same
// way, in turn split while large enough), both at once when there are goroutines for it. The two
// halves' flows together are a flow of the whole grid (the seam's edges carry none), so the
// seam's edges are put back and the whole grid's search runs on from that flow, as a later
// GrabCut round runs on from the last round's. Every maximum flow leaves the same set of nodes
// reachable from the source, so the cut is the one the search on the whole grid from no flow
// finds. The split depends only on the grid's size, never on how many goroutines run it, so
// neither do the float sums.

// minSplitSide is the least side of a half: a grid is split in two across its longer side when
// both halves have at least that many columns (rows). At 64 the astronaut's first cut, 256×256,
// runs as eight 64×128 pieces merged in pairs: the same CPU as the whole grid's search (the
// pieces' paths are shorter, the merges find the rest), its longest chain of pieces and merges a
// quarter of it; 32 and 128 did no better.
const minSplitSide = 64

// Directions that leave a node through each side: up, down, left, right.
var (
	upDirs    = [3]int{0, 1, 2}
	downDirs  = [3]int{5, 6, 7}
	leftDirs  = [3]int{0, 3, 5}
	rightDirs = [3]int{2, 4, 7}
)

// splitMaxflow is maxflow, by halves when the grid is large enough.
func (g *grid) splitMaxflow(ctx context.Context) error {
	cols := g.w >= g.h
	side := g.h
	if cols {
		side = g.w
	}
	mid := side / 2
	if mid < minSplitSide || side-mid < minSplitSide {
		return g.maxflow(ctx)
	}
	if g.bands[0] == nil {
		if cols {
			g.bands[0], g.bands[1] = newGrid(mid, g.h), newGrid(g.w-mid, g.h)
		} else {
			g.bands[0], g.bands[1] = newGrid(g.w, mid), newGrid(g.w, g.h-mid)
		}
	}
	var errs [2]error
	par.For(2, runtime.GOMAXPROCS(0), func(k int) {
		hv := g.bands[k]
		x0, y0 := 0, 0
		if k == 1 {
			if cols {
				x0 = mid
			} else {
				y0 = mid
			}
		}
		// the band's rows in, the seam's edges left out
		for y := range hv.h {
			p, q := g.node(x0, y0+y), hv.node(0, y)
			copy(hv.tr[q:q+hv.w], g.tr[p:p+hv.w])
			copy(hv.rc[8*q:8*(q+hv.w)], g.rc[8*p:8*(p+hv.w)])
		}
		seam := func(f func(q int, dirs [3]int)) {
			switch {
			case cols && k == 0:
				for y := range hv.h {
					f(hv.node(hv.w-1, y), rightDirs)
				}
			case cols:
				for y := range hv.h {
					f(hv.node(0, y), leftDirs)
				}
			case k == 0:
				for x := range hv.w {
					f(hv.node(x, hv.h-1), downDirs)
				}
			default:
				for x := range hv.w {
					f(hv.node(x, 0), upDirs)
				}
			}
		}
		seam(func(q int, dirs [3]int) {
			for _, d := range dirs {
				hv.rc[8*q+d] = 0
			}
		})
		if errs[k] = hv.splitMaxflow(ctx); errs[k] != nil {
			return
		}
		// The residuals back, all but the seam's edges, whose capacities are g's still.
		seam(func(q int, dirs [3]int) {
			for _, d := range dirs {
				p := q + g.node(x0, y0) - hv.node(0, 0) + (q/hv.stride-1)*(g.stride-hv.stride)
				hv.rc[8*q+d] = g.rc[8*p+d]
			}
		})
		for y := range hv.h {
			p, q := g.node(x0, y0+y), hv.node(0, y)
			copy(g.tr[p:p+hv.w], hv.tr[q:q+hv.w])
			copy(g.rc[8*p:8*(p+hv.w)], hv.rc[8*q:8*(q+hv.w)])
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	f := g.bands[0].flow + g.bands[1].flow
	if err := g.maxflow(ctx); err != nil {
		return err
	}
	g.flow += f
	return nil
}
