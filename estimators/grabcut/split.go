package grabcut

import (
	"context"
	"runtime"

	"github.com/orfeas3d/orfeas/internal/par"
)

// The max-flow by halves, merged bottom-up, after J. Liu and J. Sun, "Parallel graph-cuts by
// adaptive bottom-up merging", CVPR 2010. The grid is cut in two across its longer side, the
// edges crossing the seam set aside (no capacity), and each half's maximum flow is found on its
// own (the same way, in turn split while large enough), both at once when there are goroutines
// for it, each on its own pixels of the shared arrays (a view, with queues of its own). The two
// halves' flows together are a flow of the whole grid (the seam's edges carry none), and their
// search trees are valid trees of it, so the seam's edges are put back and the search goes on
// from the nodes beside the seam, with those trees, as it does between augmentations (rounds
// after the first also start from the last round's flow, cut.go). Every maximum flow leaves the
// same set of nodes reachable from the source, so the cut is the one the search on the whole
// grid finds (TestSplitMaxflowMatchesWhole; the float sums differ in order, and no golden mask
// moved). The split depends only on the grid's size, never on how many goroutines run it, so
// neither do the float sums.

// minSplitSide is the least side of a half: a grid is split in two across its longer side when
// both halves have at least that many columns (rows). At 64 the astronaut's 256×256 cut runs as
// eight 64×128 pieces merged in pairs, with less CPU than the whole grid's search (the pieces'
// paths are shorter, and fit in cache) and a longest chain of pieces and merges under a third
// of it; 32 and 128 did no better.
const minSplitSide = 64

// Directions that leave a node through each side: up, down, left, right.
var (
	upDirs    = [3]int{0, 1, 2}
	downDirs  = [3]int{5, 6, 7}
	leftDirs  = [3]int{0, 3, 5}
	rightDirs = [3]int{2, 4, 7}
	dx        = [8]int{-1, 0, 1, -1, 1, -1, 0, 1}
	dy        = [8]int{-1, -1, -1, 0, 0, 1, 1, 1}
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
			g.bands[0], g.bands[1] = g.view(0, 0, mid, g.h), g.view(mid, 0, g.w-mid, g.h)
		} else {
			g.bands[0], g.bands[1] = g.view(0, 0, g.w, mid), g.view(0, mid, g.w, g.h-mid)
		}
	}
	// The seam's edges, both ways, set aside: the halves' searches run on the shared arrays,
	// each on its own pixels, and with no capacity across the seam neither reads the other's.
	// Only edges between two of g's pixels: those leaving g are padding's or an outer seam's,
	// already without capacity, and written by no one while the halves run.
	var seam []int // indices in rc
	add := func(x, y int, dirs [3]int) {
		for _, d := range dirs {
			if xx, yy := x+dx[d], y+dy[d]; xx >= 0 && xx < g.w && yy >= 0 && yy < g.h {
				seam = append(seam, 8*g.node(x, y)+d)
			}
		}
	}
	if cols {
		for y := range g.h {
			add(mid-1, y, rightDirs)
			add(mid, y, leftDirs)
		}
	} else {
		for x := range g.w {
			add(x, mid-1, downDirs)
			add(x, mid, upDirs)
		}
	}
	saved := make([]float32, len(seam))
	for i, e := range seam {
		saved[i], g.rc[e] = g.rc[e], 0
	}
	var errs [2]error
	par.For(2, runtime.GOMAXPROCS(0), func(k int) { errs[k] = g.bands[k].splitMaxflow(ctx) })
	for i, e := range seam {
		g.rc[e] = saved[i]
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	// The merge keeps the halves' trees (they are valid trees of the whole, whose other edges
	// did not change) and grows on from the nodes beside the seam, as the search does between
	// augmentations; the halves' searches ended with no active node.
	g.active, g.head, g.orph = g.active[:0], 0, g.orph[:0]
	g.time = max(g.bands[0].time, g.bands[1].time)
	g.flow = g.bands[0].flow + g.bands[1].flow
	act := func(x, y int) {
		if p := g.node(x, y); g.tree[p] != free {
			g.push(p)
		}
	}
	if cols {
		for y := range g.h {
			act(mid-1, y)
			act(mid, y)
		}
	} else {
		for x := range g.w {
			act(x, mid-1)
			act(x, mid)
		}
	}
	return g.run(ctx)
}
