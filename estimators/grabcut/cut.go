package grabcut

import (
	"context"
	"math"
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
	fg         []bool    // subject at the working size
	fixed      []bool    // the border band
	post       []float32 // p(subject | colour) with equal priors, per pixel
	energy0    float64   // energy of the first round's labelling (all unknown = subject)
	energy     float64   // energy of the last cut
	iterations int
}

func runCut(ctx context.Context, px []float32, w, h int, o Options) (cutResult, error) {
	n := w * h
	res := cutResult{fg: make([]bool, n), fixed: make([]bool, n), post: make([]float32, n)}
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
	if sum > 0 {
		beta = float64(pairs) / (2 * sum)
	}
	base := make([]float32, 8*(w+2)*(h+2))
	for y := 0; y < h; y++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		for x := 0; x < w; x++ {
			p := g.node(x, y)
			for d := 0; d < 8; d++ {
				xx, yy := x+dirs[d][0], y+dirs[d][1]
				if xx < 0 || xx >= w || yy < 0 || yy >= h {
					continue
				}
				l := 1.0
				if d == 0 || d == 2 || d == 5 || d == 7 {
					l = math.Sqrt2
				}
				base[8*p+d] = float32(o.Gamma / l * math.Exp(-beta*diff2(y*w+x, yy*w+xx)))
			}
		}
	}

	comp := make([]uint8, n)
	var fgIdx, bgIdx []int32
	var fgM, bgM gmm
	dfg := make([]float32, n)
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
			splitInit(px, append([]int32(nil), fgIdx...), comp, o.Components)
			splitInit(px, append([]int32(nil), bgIdx...), comp, o.Components)
		} else {
			for _, i := range fgIdx {
				_, k := fgM.logLik(px[3*i : 3*i+3])
				comp[i] = uint8(k)
			}
			for _, i := range bgIdx {
				_, k := bgM.logLik(px[3*i : 3*i+3])
				comp[i] = uint8(k)
			}
		}
		fgM = fit(px, fgIdx, comp, o.Components)
		bgM = fit(px, bgIdx, comp, o.Components)

		copy(g.rc, base)
		konst, e0 := 0.0, 0.0
		for y := 0; y < h; y++ {
			if y&15 == 0 {
				if err := ctx.Err(); err != nil {
					return res, err
				}
			}
			for x := 0; x < w; x++ {
				i := y*w + x
				p := g.node(x, y)
				if res.fixed[i] {
					g.tr[p] = -1e30
					continue
				}
				lf, _ := fgM.logLik(px[3*i : 3*i+3])
				lb, _ := bgM.logLik(px[3*i : 3*i+3])
				dfg[i], dbg[i] = float32(-lf), float32(-lb)
				g.tr[p] = dbg[i] - dfg[i]
				konst += math.Min(-lf, -lb)
				if res.fg[i] {
					e0 += -lf
				} else {
					e0 += -lb
				}
			}
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
		if err := g.maxflow(ctx); err != nil {
			return res, err
		}
		res.energy = konst + g.flow
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
		if changed == 0 {
			break
		}
	}
	for i := 0; i < n; i++ {
		if res.fixed[i] {
			lf, _ := fgM.logLik(px[3*i : 3*i+3])
			lb, _ := bgM.logLik(px[3*i : 3*i+3])
			dfg[i], dbg[i] = float32(-lf), float32(-lb)
		}
		res.post[i] = float32(1 / (1 + math.Exp(math.Max(-50, math.Min(50, float64(dfg[i]-dbg[i]))))))
	}
	return res, nil
}
