package cpu

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/heightfield"
	"github.com/orfeas3d/orfeas/internal/par"
)

// Large grids are triangulated in tiles, in parallel. The seams between tiles are simplified
// first, as polylines, to a hair under the tolerance (the 1D case of the same greedy insertion);
// every tile then starts from its rectangle with those seam vertices on its sides, so neighbouring
// tiles share exactly the same vertices along their common side and the union is one conforming
// triangulation. Because the seam samples are already within tolerance, no tile ever inserts a
// point on a seam. The tiling depends only on the grid's size, never on the number of workers, and
// each tile is computed by one goroutine in a fixed order of its own, so the result is the same
// for every GOMAXPROCS.

// decimation enables the vertex-removal pass after refinement (see decimate.go). It runs only when
// the tolerance was met; under a binding face budget the greedy order is kept as it is.
var decimation = true

// speculation enables runBudget's first try, the tolerance alone on all tiles at once (see
// speculate); tests turn it off to compare with the epochs' result.
var speculation = true

// tileReuse makes each worker of the no-budget pass hand its finished tile's working arrays to the
// next tile it refines (tinBuffers); tests turn it off to compare with tiles that each allocate
// their own.
var tileReuse = true

// tileSide is the target side of a tile in samples. It is a variable so that tests can tile
// small grids.
var tileSide = 256

// tinLimits tell the triangulator when to stop.
type tinLimits struct {
	// tol is the largest vertical error allowed at any sample.
	tol float64
	// budget is the most faces the closed solid may have, counting closing faces; 0 means none.
	budget int
}

// triangulate builds the greedy triangulation of g within lim, in tiles where g is large.
func triangulate(ctx context.Context, g grid, lim tinLimits, workers int, progress backends.Progress) (*surface, error) {
	tiles, xs, ys, err := refineTiles(ctx, g, lim, workers, progress)
	if err != nil {
		return nil, err
	}
	return mergeTiles(g, tiles, xs, ys, max(workers, 1)), nil
}

// refineTiles refines (and, where the tolerance was met, decimates) the tiles of g within lim,
// and returns their surfaces (tin.pack) with the tiling's cuts.
func refineTiles(ctx context.Context, g grid, lim tinLimits, workers int, progress backends.Progress) ([]*tileSurface, []int32, []int32, error) {
	if g.W < 2 || g.H < 2 || g.W > maxGridSide || g.H > maxGridSide || len(g.Z) != g.W*g.H {
		return nil, nil, nil, fmt.Errorf("%w: sample grid %d×%d is outside 2…%d per side", backends.ErrInvalidInput, g.W, g.H, maxGridSide)
	}
	workers = max(workers, 1)
	xs := tileCuts(g.W)
	ys := tileCuts(g.H)
	nx, ny := len(xs)-1, len(ys)-1
	ntiles := nx * ny
	// Seam vertices: vseam[k][j] on x = xs[k] between ys[j] and ys[j+1]; hseam[j][i] on y = ys[j]
	// between xs[i] and xs[i+1].
	seamTol := lim.tol * (1 - 1e-6)
	vseam := make([][][]int32, nx+1)
	for k := 1; k < nx; k++ {
		vseam[k] = make([][]int32, ny)
		for j := range ny {
			vseam[k][j] = simplifyLine(g, xs[k], ys[j], 0, 1, ys[j+1]-ys[j], seamTol)
		}
	}
	hseam := make([][][]int32, ny+1)
	for j := 1; j < ny; j++ {
		hseam[j] = make([][]int32, nx)
		for i := range nx {
			hseam[j][i] = simplifyLine(g, xs[i], ys[j], 1, 0, xs[i+1]-xs[i], seamTol)
		}
	}

	if ntiles > 1 && lim.budget > 0 {
		// The seams cost faces before any refinement; under a tight budget they would take most
		// of it, so such a budget gets one tile.
		seams := 0
		for k := 1; k < nx; k++ {
			for j := range ny {
				seams += len(vseam[k][j])
			}
		}
		for j := 1; j < ny; j++ {
			for i := range nx {
				seams += len(hseam[j][i])
			}
		}
		if lim.budget < 4*(2*ntiles+2*seams)+heightfield.ClosingFaces(2*(nx+ny)) {
			xs, ys = []int32{0, int32(g.W - 1)}, []int32{0, int32(g.H - 1)}
			nx, ny, ntiles = 1, 1, 1
		}
	}
	tileWorkers := 1
	if ntiles == 1 {
		tileWorkers = workers
	}
	tiles := make([]*tin, ntiles)
	est := make([]int, ntiles)
	build := func(idx int) error {
		i, j := idx%nx, idx/nx
		x0, x1, y0, y1 := xs[i], xs[i+1], ys[j], ys[j+1]
		var side [][2]int32
		if j > 0 {
			for _, x := range hseam[j][i] {
				side = append(side, [2]int32{x, y0})
			}
		}
		if i+1 < nx {
			for _, y := range vseam[i+1][j] {
				side = append(side, [2]int32{x1, y})
			}
		}
		if j+1 < ny {
			for _, x := range hseam[j+1][i] {
				side = append(side, [2]int32{x, y1})
			}
		}
		if i > 0 {
			for _, y := range vseam[i][j] {
				side = append(side, [2]int32{x0, y})
			}
		}
		tiles[idx] = newTin(g, x0, y0, x1, y1, side, lim.tol, tileWorkers)
		// The tile's sides simplified at the tolerance: how rough it is, roughly, and so how
		// long it will take to refine.
		est[idx] = len(side)
		if j == 0 {
			est[idx] += len(simplifyLine(g, x0, y0, 1, 0, x1-x0, seamTol))
		}
		if i+1 == nx {
			est[idx] += len(simplifyLine(g, x1, y0, 0, 1, y1-y0, seamTol))
		}
		if j+1 == ny {
			est[idx] += len(simplifyLine(g, x0, y1, 1, 0, x1-x0, seamTol))
		}
		if i == 0 {
			est[idx] += len(simplifyLine(g, x0, y0, 0, 1, y1-y0, seamTol))
		}
		return ctx.Err()
	}

	// Progress: the worst remaining error against the first one, on a log scale, or the share of
	// the budget used, whichever is further along; never below what was reported before (a
	// speculative pass that does not fit puts the tiles back, and their error with them).
	var e0, reported float64
	var cost int
	report := func() {
		if progress == nil {
			return
		}
		e := 0.0
		for _, t := range tiles {
			e = max(e, math.Float64frombits(t.progress.Load()))
		}
		f := 0.0
		if e > 0 && e0 > lim.tol && e < e0 {
			f = math.Log(e0/e) / math.Log(e0/lim.tol)
		}
		if lim.budget > 0 {
			f = max(f, float64(cost)/float64(lim.budget))
		}
		reported = max(reported, min(max(f, 0), 0.99))
		progress.Report("triangulate", reported)
	}
	progress.Report("triangulate", 0)
	if err := forTiles(ctx, ntiles, workers, nil, build, nil); err != nil {
		return nil, nil, nil, fmt.Errorf("cpu: triangulating: %w", err)
	}
	// The refinement hands out the roughest tiles first (longest processing time first, R. L.
	// Graham, "Bounds on multiprocessing timing anomalies", 1969), so that the last tiles to
	// finish are short ones and no core waits long for the slowest: on a photograph the rough
	// tiles are often the last rows. Only the schedule changes, never a tile's result.
	order := make([]int, ntiles)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return est[b] - est[a] })
	totalCost := func() int {
		c := heightfield.ClosingFaces(0)
		for _, t := range tiles {
			c += t.cost()
		}
		return c
	}
	for _, t := range tiles {
		t.progress.Store(math.Float64bits(t.topError()))
		e0 = max(e0, t.topError())
	}
	cost = totalCost()

	surfaces := make([]*tileSurface, ntiles)
	if lim.budget <= 0 {
		// With no budget every tile is refined to the tolerance, so the tolerance is met and each
		// tile is decimated as soon as it is refined: one pass, and no core waits at a barrier for
		// the slowest tile between the two. A finished tile is packed at once, and its working
		// arrays go to the next tile its worker takes: at most one tile a worker holds its whole
		// working state, and the heap grows with the largest tile rather than with their sum.
		// (report reads only the tiles' atomic progress, which pack leaves alone.)
		bufs := make(chan *tinBuffers, workers) // at most one a worker exists: sends never block
		err := forTiles(ctx, ntiles, workers, order, func(i int) error {
			t := tiles[i]
			var b *tinBuffers
			if tileReuse {
				b = adoptBuffers(bufs, t)
			}
			if err := t.run(ctx, lim.tol, 0); err != nil {
				return err
			}
			if decimation {
				if err := t.decimate(ctx); err != nil {
					return err
				}
			}
			surfaces[i] = t.pack(b)
			if b != nil {
				bufs <- b
			}
			return nil
		}, report)
		if err != nil {
			return nil, nil, nil, err
		}
	} else {
		decimated, err := runBudget(ctx, tiles, surfaces, order, lim, workers, report, &cost, totalCost)
		if err != nil {
			return nil, nil, nil, err
		}
		met := true
		for _, t := range tiles {
			met = met && t.topError() <= lim.tol
		}
		if met && decimation && !decimated {
			if err := forTiles(ctx, ntiles, workers, order, func(i int) error { return tiles[i].decimate(ctx) }, nil); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	if lim.budget > 0 {
		par.For(ntiles, workers, func(i int) {
			if surfaces[i] == nil { // speculate packs the tiles of a try it keeps
				surfaces[i] = tiles[i].pack(nil)
			}
		})
	}
	progress.Report("triangulate", 1)
	return surfaces, xs, ys, nil
}

// runBudget refines the tiles within the face budget. It works in epochs that halve the error
// threshold, all tiles in parallel, while the next epoch looks safely within budget; then it
// finishes one insertion at a time, always in the tile with the worst error, until the budget or
// the tolerance is reached. Every decision depends only on the tiles' state, never on timing. It
// reports whether the tiles are already decimated (speculate's do when its try is kept; they are
// then packed into surfaces too).
func runBudget(ctx context.Context, tiles []*tin, surfaces []*tileSurface, order []int, lim tinLimits, workers int, report func(), cost *int, totalCost func() int) (bool, error) {
	if speculation && len(tiles) > 1 {
		fits, err := speculate(ctx, tiles, surfaces, order, lim, workers, report)
		if err != nil {
			return false, err
		}
		if fits {
			*cost = totalCost()
			return decimation, nil
		}
	}
	tau := 0.0
	for _, t := range tiles {
		tau = max(tau, t.topError())
	}
	prev := -1
	for tau > lim.tol && len(tiles) > 1 {
		*cost = totalCost()
		if prev >= 0 && *cost+3*(*cost-prev) > lim.budget {
			break
		}
		next := max(tau/2, lim.tol)
		share := (lim.budget - *cost) / len(tiles)
		caps := make([]int, len(tiles))
		for i, t := range tiles {
			caps[i] = t.cost() + share
		}
		err := forTiles(ctx, len(tiles), workers, order, func(i int) error { return tiles[i].run(ctx, next, caps[i]) }, report)
		if err != nil {
			return false, err
		}
		prev, tau = *cost, next
	}
	worst := func() *tin {
		var w *tin
		for _, t := range tiles {
			if t.topError() > lim.tol && (w == nil || t.topError() > w.topError()) {
				w = t
			}
		}
		return w
	}
	// The cost is summed afresh before each step (finding the worst tile is as long a loop).
	costNow := func() int {
		*cost = totalCost()
		return *cost
	}
	tick := func(t *tin) {
		t.progress.Store(math.Float64bits(t.topError()))
		report()
	}
	err := refine(ctx, worst, costNow, lim.budget, 4096, tick)
	*cost = totalCost()
	return false, err
}

// speculate refines every tile to the tolerance at once, in parallel with no epochs, as if there
// were no budget, stopping all of them as soon as their summed cost could pass the budget. When
// the tolerance alone fits, with room for one more step (the sum of the tiles' final costs plus
// heightfield.ClosingGrowth is within the budget), it reports true, and the tiles are exactly
// what runBudget's epochs and greedy finish would have made: a tile's state depends only on how
// many of its own worst-first steps it has taken, the epochs' thresholds and caps only pause it,
// and the finish would never have stopped on the budget, the cost never falling as it grows.
// Otherwise it puts every tile back as it was and reports false, and runBudget proceeds as
// before; the work lost is at most what a budget's worth of faces costs on all cores. Whether
// it fits is decided on the final costs alone (taken before the tiles' decimation, which it
// does as each tile finishes), never on the interleaving.
//
// A tile so finished is also packed into surfaces at once, its working arrays going to the next
// tile its worker takes, as in the no-budget pass; a try that is not kept clears surfaces again.
// Packing leaves a tile's live and border counts, and so its cost, as they were.
func speculate(ctx context.Context, tiles []*tin, surfaces []*tileSurface, order []int, lim tinLimits, workers int, report func()) (bool, error) {
	saved := make([]*tin, len(tiles))
	var total atomic.Int64
	total.Add(int64(heightfield.ClosingFaces(0)))
	for i, t := range tiles {
		saved[i] = t.clone()
		total.Add(int64(t.cost()))
	}
	var over atomic.Bool
	budget := int64(lim.budget)
	costs := make([]int, len(tiles))        // each tile's cost once refined, before any decimation
	bufs := make(chan *tinBuffers, workers) // at most one a worker exists: sends never block
	err := forTiles(ctx, len(tiles), workers, order, func(i int) error {
		t := tiles[i]
		var b *tinBuffers
		if tileReuse {
			b = adoptBuffers(bufs, t)
			// Back to the pool at the end, holding what pack gave it, or nothing (adopt took its
			// room) when the tile stays unpacked and keeps that room.
			defer func() { bufs <- b }()
		}
		for step := 1; len(t.heap) > 0 && t.heap[0].err > lim.tol; step++ {
			if over.Load() || total.Load()+heightfield.ClosingGrowth > budget {
				over.Store(true)
				break
			}
			if step%64 == 0 {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("cpu: triangulating: %w", err)
				}
				t.progress.Store(math.Float64bits(t.topError()))
			}
			c := t.cost()
			t.step()
			total.Add(int64(t.cost() - c))
		}
		t.progress.Store(math.Float64bits(t.topError()))
		costs[i] = t.cost()
		// A tile refined to the tolerance while the try still fits is decimated at once, as the
		// pass after runBudget would do it if the try is kept (every tile then meets the
		// tolerance); if it is not kept, the tile goes back to its saved state anyway.
		if decimation && !over.Load() && t.topError() <= lim.tol {
			if err := t.decimate(ctx); err != nil {
				return err
			}
			surfaces[i] = t.pack(b)
		}
		return nil
	}, report)
	if err != nil {
		return false, err
	}
	final := int64(heightfield.ClosingFaces(0))
	for _, c := range costs {
		final += int64(c)
	}
	if !over.Load() && final+heightfield.ClosingGrowth <= budget {
		return true, nil
	}
	copy(tiles, saved)
	clear(surfaces)
	return false, nil
}

// forTiles calls fn for every tile index on up to workers goroutines and returns the first error
// in index order. It hands the indices out in the given order (nil: 0, 1, …), which changes
// nothing but the schedule: each call works on its own tile. While it waits it calls poll, if not
// nil, every 20 ms from the caller's goroutine. Every goroutine it starts has ended when it
// returns.
func forTiles(ctx context.Context, n, workers int, order []int, fn func(int) error, poll func()) error {
	errs := make([]error, n)
	if workers <= 1 || n == 1 {
		for i := range n {
			if errs[i] = fn(i); errs[i] != nil {
				return errs[i]
			}
		}
		return nil
	}
	var next atomic.Int32
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if order != nil {
					i = order[i]
				}
				if err := ctx.Err(); err != nil {
					errs[i] = fmt.Errorf("cpu: triangulating: %w", err)
					continue
				}
				errs[i] = fn(i)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			for _, err := range errs {
				if err != nil {
					return err
				}
			}
			return nil
		case <-tick.C:
			if poll != nil {
				poll()
			}
		}
	}
}

// tileCuts splits n samples into tiles of about tileSide; consecutive tiles share their boundary.
func tileCuts(n int) []int32 {
	k := max(1, (n-1+tileSide/2)/tileSide)
	cuts := make([]int32, k+1)
	for i := range cuts {
		cuts[i] = int32(i * (n - 1) / k)
	}
	return cuts
}

// simplifyLine returns, in order, the interior samples kept when the n+1 samples from (x0, y0) in
// steps of (dx, dy) are approximated by a polyline through its ends within tol: greedy insertion of
// the worst sample, the 1D case of the surface's refinement (Douglas–Peucker on vertical error).
func simplifyLine(g grid, x0, y0, dx, dy, n int32, tol float64) []int32 {
	at := func(i int32) float64 { return float64(g.Z[int(y0+i*dy)*g.W+int(x0+i*dx)]) }
	keep := make([]bool, n+1)
	stack := [][2]int32{{0, n}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		a, b := s[0], s[1]
		za, zb := at(a), at(b)
		worst, wi := tol, int32(-1)
		for i := a + 1; i < b; i++ {
			lin := za + (zb-za)*float64(i-a)/float64(b-a)
			if d := math.Abs(at(i) - lin); d > worst {
				worst, wi = d, i
			}
		}
		if wi >= 0 {
			keep[wi] = true
			stack = append(stack, [2]int32{a, wi}, [2]int32{wi, b})
		}
	}
	var out []int32
	for i := int32(1); i < n; i++ {
		if keep[i] {
			out = append(out, x0*dx+y0*dy+i) // the coordinate that varies along the line
		}
	}
	return out
}

// mergeTiles joins the tiles' surfaces into one, sharing the vertices on the seams: the vertices of
// tile 0 in order, then those of tile 1 that no earlier tile has, and so on, and the triangles
// tile by tile in order. A vertex belongs to the first tile, in row-major order, whose rectangle
// holds it: a vertex of tile (i, j) on its left side (i > 0) or its top (j > 0) is shared with an
// earlier tile, which has it too (seam vertices and corners are on both sides of a seam, and no
// tile inserts another on one), so which tile a vertex takes its index from follows from its
// coordinates alone. The tiles are therefore merged in parallel in two passes on up to workers
// goroutines: each numbers its own vertices from its offset (the counts of the tiles before it)
// and records those on its right and bottom seams, then each renumbers its triangles, taking
// shared vertices from the seam records.
func mergeTiles(g grid, tiles []*tileSurface, xs, ys []int32, workers int) *surface {
	nx, ny := len(xs)-1, len(ys)-1
	owned := func(i, j int, x, y int32) bool { return !(i > 0 && x == xs[i]) && !(j > 0 && y == ys[j]) }
	// The tiles' first vertex and triangle-corner indices in the merged surface.
	vOff, tOff := make([]int, len(tiles)+1), make([]int, len(tiles)+1)
	par.For(len(tiles), workers, func(idx int) {
		t, i, j := tiles[idx], idx%nx, idx/nx
		n := 0
		for v := range t.px {
			if owned(i, j, int32(t.px[v]), int32(t.py[v])) {
				n++
			}
		}
		vOff[idx+1], tOff[idx+1] = n, 3*t.triangleCount()
	})
	s := &surface{Grid: g}
	for k, t := range tiles {
		vOff[k+1] += vOff[k]
		tOff[k+1] += tOff[k]
		s.MaxErr = max(s.MaxErr, t.maxErr)
	}
	// Tris with room for the closing faces: Solid then builds the mesh's faces in it.
	s.PX, s.PY, s.Tris = make([]int32, vOff[len(tiles)]), make([]int32, vOff[len(tiles)]), make([]int32, tOff[len(tiles)], tOff[len(tiles)]+heightfield.FacesRoom(g))
	// vseam[k][y] is the merged index of vertex (xs[k], y), hseam[j][x] that of (x, ys[j]), for
	// the interior cuts, written by the vertex's owner.
	vseam, hseam := make([][]int32, nx), make([][]int32, ny)
	for k := 1; k < nx; k++ {
		vseam[k] = make([]int32, g.H)
	}
	for j := 1; j < ny; j++ {
		hseam[j] = make([]int32, g.W)
	}
	remaps := make([][]int32, len(tiles))
	par.For(len(tiles), workers, func(idx int) {
		t, i, j := tiles[idx], idx%nx, idx/nx
		remap := make([]int32, len(t.px))
		id := int32(vOff[idx])
		for v := range t.px {
			x, y := int32(t.px[v]), int32(t.py[v])
			if owned(i, j, x, y) {
				remap[v] = id
				s.PX[id], s.PY[id] = x, y
				if i+1 < nx && x == xs[i+1] {
					vseam[i+1][y] = id
				}
				if j+1 < ny && y == ys[j+1] {
					hseam[j+1][x] = id
				}
				id++
			}
		}
		remaps[idx] = remap
	})
	par.For(len(tiles), workers, func(idx int) {
		t, i, j := tiles[idx], idx%nx, idx/nx
		remap := remaps[idx]
		for v := range t.px {
			x, y := int32(t.px[v]), int32(t.py[v])
			if owned(i, j, x, y) {
				continue
			}
			if j > 0 && y == ys[j] {
				remap[v] = hseam[j][x]
			} else {
				remap[v] = vseam[i][y]
			}
		}
		out := s.Tris[tOff[idx]:tOff[idx+1]]
		for k, v := range t.tris {
			out[k] = remap[v]
		}
		for k, v := range t.tris32 {
			out[k] = remap[v]
		}
	})
	return s
}

// adoptBuffers hands t a worker's working arrays: those another tile left in bufs, or new ones.
func adoptBuffers(bufs chan *tinBuffers, t *tin) *tinBuffers {
	var b *tinBuffers
	select {
	case b = <-bufs:
	default:
		b = new(tinBuffers)
	}
	t.adopt(b)
	return b
}
