package grabcut

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/internal/par"
)

// The iterated graph cut of C. Rother, V. Kolmogorov and A. Blake, "GrabCut: interactive
// foreground extraction using iterated graph cuts", ACM SIGGRAPH 2004 (ACM TOG 23(3)), run at
// the working size. The trimap is the image border (a band of Options.Border of each side) as
// definite background, the rest unknown and first taken as subject. Each iteration:
//
//  1. gives every pixel the most likely component of its side's mixture (the first iteration
//     splits each side's colours by Orchard–Bouman instead),
//  2. refits both mixtures (K Gaussians in RGB each) to the pixels so assigned,
//  3. sets each unknown pixel's data costs to −log p(colour | subject) and −log p(colour |
//     background), and the 8-connected smoothness cost between neighbours m, n to
//     γ/dist(m,n)·exp(−β‖z_m − z_n‖²), β = 1/(2⟨‖z_m − z_n‖²⟩) over all neighbour pairs,
//  4. labels the pixels by the minimum cut of that energy (maxflow.go).
//
// It stops when no label changes or after Options.Iterations rounds.

const maxK = 8

// cutResult is what the cut leaves for the post-processing and the confidence.
type cutResult struct {
	px         []float32 // the working copy's colours
	fg         []bool    // subject at the working size
	fixed      []bool    // the border band
	post       []float32 // p(subject | colour) with equal priors, per pixel
	energy0    float64   // energy of the first round's labelling (all unknown = subject)
	energy     float64   // energy of the last cut
	iterations int
	meanDiff2  float64 // ⟨‖z_m − z_n‖²⟩ over 8-neighbour pairs
}

func runCut(ctx context.Context, px []float32, w, h int, o Options) (cutResult, error) {
	n := w * h
	res := cutResult{px: px, fg: make([]bool, n), fixed: make([]bool, n), post: make([]float32, n)}
	bx := max(1, int(math.Ceil(o.Border*float64(w))))
	by := max(1, int(math.Ceil(o.Border*float64(h))))
	unknown := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if x < bx || x >= w-bx || y < by || y >= h-by {
				res.fixed[i] = true
			} else {
				res.fg[i] = true
				unknown++
			}
		}
	}
	if unknown == 0 {
		return res, nil
	}

	// Smoothness weights, the same every round.
	g := newGrid(w, h)
	dirs := [8][2]int{{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}}
	diff2 := func(i, j int) float64 {
		a, b := px[3*i:3*i+3], px[3*j:3*j+3]
		d0, d1, d2 := float64(a[0]-b[0]), float64(a[1]-b[1]), float64(a[2]-b[2])
		return d0*d0 + d1*d1 + d2*d2
	}
	sum, pairs := 0.0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for d := 4; d < 8; d++ {
				xx, yy := x+dirs[d][0], y+dirs[d][1]
				if xx >= 0 && xx < w && yy < h {
					sum += diff2(y*w+x, yy*w+xx)
					pairs++
				}
			}
		}
	}
	beta := 0.0
	if pairs > 0 {
		res.meanDiff2 = sum / float64(pairs)
	}
	if sum > 0 {
		beta = float64(pairs) / (2 * sum)
	}
	// Each row's edges to its right and lower neighbours, in parallel rows; an edge's weight
	// is the same both ways (diff2 is symmetric to the bit), so it is also written as the
	// neighbour's edge back. Each entry is written by one row only.
	base := make([]float32, 8*(w+2)*(h+2))
	var stop atomic.Bool
	par.For(h, runtime.GOMAXPROCS(0), func(y int) {
		if y&15 == 0 && ctx.Err() != nil {
			stop.Store(true)
			return
		}
		for x := 0; x < w; x++ {
			p := g.node(x, y)
			for d := 4; d < 8; d++ {
				xx, yy := x+dirs[d][0], y+dirs[d][1]
				if xx < 0 || xx >= w || yy >= h {
					continue
				}
				l := 1.0
				if d == 5 || d == 7 {
					l = math.Sqrt2
				}
				c := float32(o.Gamma / l * math.Exp(-beta*diff2(y*w+x, yy*w+xx)))
				base[8*p+d] = c
				base[8*(p+g.off[d])+7-d] = c
			}
		}
	})
	if stop.Load() {
		return res, ctx.Err()
	}

	prior := centrePrior(w, h, o)
	if o.Prior&PriorDistinct != 0 {
		distinctInit(px, res.fg, res.fixed, o.Components)
	}
	comp := make([]uint8, n)
	argFg := make([]uint8, n)
	argBg := make([]uint8, n)
	var fgIdx, bgIdx []int32
	var fgM, bgM gmm
	dfg := make([]float32, n)
	capTr := make([]float32, len(g.tr)) // each node's folded terminal capacity this round
	cf := make([]float64, n)            // data costs of subject and background this round
	cb := make([]float64, n)
	rowE := make([]float64, h)
	workers := runtime.GOMAXPROCS(0)
	dbg := make([]float32, n)
	for it := 0; it < o.Iterations; it++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		fgIdx, bgIdx = fgIdx[:0], bgIdx[:0]
		for i := 0; i < n; i++ {
			if res.fg[i] {
				fgIdx = append(fgIdx, int32(i))
			} else {
				bgIdx = append(bgIdx, int32(i))
			}
		}
		if len(fgIdx) == 0 || len(bgIdx) == 0 {
			break
		}
		if it == 0 {
			// The two sides' clusters and mixtures are independent (each writes only its own
			// pixels' comp): both at once.
			par.For(2, workers, func(k int) {
				idx := fgIdx
				if k == 1 {
					idx = bgIdx
				}
				splitInit(px, append([]int32(nil), idx...), comp, o.Components)
			})
		} else {
			// The components the last data-term pass found most likely.
			for _, i := range fgIdx {
				comp[i] = argFg[i]
			}
			for _, i := range bgIdx {
				comp[i] = argBg[i]
			}
		}
		par.For(2, workers, func(k int) {
			if k == 0 {
				fgM = fit(px, fgIdx, comp, o.Components)
			} else {
				bgM = fit(px, bgIdx, comp, o.Components)
			}
		})

		// Rounds after the first keep the last round's flow (P. Kohli and P. Torr, "Efficiently
		// solving dynamic Markov random fields using graph cuts", ICCV 2005): the smoothness
		// capacities do not change, so their residuals stay, and each node's folded terminal
		// residual moves by the change of its terminal capacity. The flow so kept is a valid
		// flow of the new graph, and the maximum flow from it ends with the same residual
		// reachability, the same cut.
		if it == 0 {
			copy(g.rc, base)
		}
		// The data term, rows in parallel: each row writes only its own pixels, and the
		// first labelling's energy is summed per row, then over rows in order.
		par.For(h, workers, func(y int) {
			if y&15 == 0 && ctx.Err() != nil {
				stop.Store(true)
				return
			}
			e := 0.0
			for x := 0; x < w; x++ {
				i := y*w + x
				p := g.node(x, y)
				if res.fixed[i] {
					g.tr[p], capTr[p] = -1e30, -1e30
					argBg[i] = uint8(bgM.argMax(px[3*i : 3*i+3]))
					continue
				}
				lf, kf := fgM.logLik(px[3*i : 3*i+3])
				lb, kb := bgM.logLik(px[3*i : 3*i+3])
				argFg[i], argBg[i] = uint8(kf), uint8(kb)
				dfg[i], dbg[i] = float32(-lf), float32(-lb)
				lf -= float64(prior[i])
				c := float32(lf - lb)
				if it == 0 {
					g.tr[p] = c
				} else {
					g.tr[p] += c - capTr[p]
				}
				capTr[p] = c
				cf[i], cb[i] = -lf, -lb
				if res.fg[i] {
					e += -lf
				} else {
					e += -lb
				}
			}
			rowE[y] = e
		})
		if stop.Load() {
			return res, ctx.Err()
		}
		e0 := 0.0
		for _, e := range rowE {
			e0 += e
		}
		if it == 0 {
			// The first labelling: unknown all subject, so the only smoothness cost is
			// along the band's inner edge.
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if !res.fg[y*w+x] {
						continue
					}
					p := g.node(x, y)
					for d := 0; d < 8; d++ {
						xx, yy := x+dirs[d][0], y+dirs[d][1]
						if xx >= 0 && xx < w && yy >= 0 && yy < h && !res.fg[yy*w+xx] {
							e0 += float64(base[8*p+d])
						}
					}
				}
			}
			res.energy0 = e0
		}
		// By halves on the goroutines there are (split.go); the same cut as the whole
		// grid's search.
		if err := g.splitMaxflow(ctx); err != nil {
			return res, err
		}
		res.iterations = it + 1
		changed := 0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				i := y*w + x
				f := !res.fixed[i] && g.inSource(g.node(x, y))
				if f != res.fg[i] {
					changed++
				}
				res.fg[i] = f
			}
		}
		res.energy = cutEnergy(res.fg, res.fixed, cf, cb, base, g, dirs)
		// Stop when (nearly) nothing moves: a thousandth of the pixels.
		if changed <= n/1000 {
			break
		}
	}
	par.For(h, workers, func(y int) {
		for i := y * w; i < (y+1)*w; i++ {
			if res.fixed[i] {
				lf, _ := fgM.logLik(px[3*i : 3*i+3])
				lb, _ := bgM.logLik(px[3*i : 3*i+3])
				dfg[i], dbg[i] = float32(-lf), float32(-lb)
			}
			res.post[i] = float32(1 / (1 + math.Exp(math.Max(-50, math.Min(50, float64(dfg[i]-dbg[i]))))))
		}
	})
	return res, nil
}

// cutEnergy is the energy of labelling fg: the data costs cf (subject) and cb (background) of
// the unknown pixels plus the smoothness capacities from subject to background pixels.
func cutEnergy(fg, fixed []bool, cf, cb []float64, base []float32, g *grid, dirs [8][2]int) float64 {
	w, h := g.w, g.h
	e := 0.0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if fixed[i] {
				continue
			}
			if !fg[i] {
				e += cb[i]
				continue
			}
			e += cf[i]
			p := g.node(x, y)
			for d := 0; d < 8; d++ {
				xx, yy := x+dirs[d][0], y+dirs[d][1]
				if xx >= 0 && xx < w && yy >= 0 && yy < h && !fg[yy*w+xx] {
					e += float64(base[8*p+d])
				}
			}
		}
	}
	return e
}

// centrePrior is the extra cost, in nats, of labelling each pixel subject: with PriorCentre,
// CentreWeight × r², r the distance from the centre over the distance to a corner.
func centrePrior(w, h int, o Options) []float32 {
	p := make([]float32, w*h)
	if o.Prior&PriorCentre == 0 {
		return p
	}
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)+0.5-cx)/cx, (float64(y)+0.5-cy)/cy
			p[y*w+x] = float32(o.CentreWeight * (dx*dx + dy*dy) / 2)
		}
	}
	return p
}

// distinctInit starts the subject as only the unknown pixels whose colour the band's mixture
// explains worse than it explains 95 % of the band itself; the rest of the inside starts as
// background. If that leaves nothing, the whole inside stays subject.
func distinctInit(px []float32, fg, fixed []bool, k int) {
	var band []int32
	for i, f := range fixed {
		if f {
			band = append(band, int32(i))
		}
	}
	comp := make([]uint8, len(fg))
	splitInit(px, append([]int32(nil), band...), comp, k)
	m := fit(px, band, comp, k)
	costs := make([]float64, len(band))
	for j, i := range band {
		l, _ := m.logLik(px[3*i : 3*i+3])
		costs[j] = -l
	}
	slices.Sort(costs)
	tau := costs[len(costs)*95/100]
	any := false
	next := make([]bool, len(fg))
	for i := range fg {
		if fixed[i] {
			continue
		}
		l, _ := m.logLik(px[3*i : 3*i+3])
		if -l > tau {
			next[i] = true
			any = true
		}
	}
	if any {
		copy(fg, next)
	}
}
