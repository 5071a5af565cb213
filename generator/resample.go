package generator

import (
	"context"
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// axisMap holds the area-averaging weights along one axis from src cells to dst cells (area
// sampling with a box filter, separable in X and Y: Wolberg, "Digital Image Warping", IEEE
// Computer Society Press 1990, on area sampling and separable filters): each
// destination cell covers src/dst source cells, and each source cell contributes the length of
// its overlap with that span, divided by the span. Overlaps are computed in integers (units of
// 1/dst of a source cell), so the weights are exact rationals and independent of rounding order.
// It serves shrinking and enlarging alike (enlarging repeats each source cell over the
// destination cells it covers).
type axisMap struct {
	lo, hi []int     // source cells [lo[i], hi[i]) feed destination cell i
	off    []int     // weights of cell i are w[off[i] : off[i]+hi[i]-lo[i]]
	w      []float32 // weights, summing to 1 for each destination cell
}

func newAxisMap(src, dst int) axisMap {
	m := axisMap{lo: make([]int, dst), hi: make([]int, dst), off: make([]int, dst)}
	for i := range dst {
		a, b := i*src, (i+1)*src // the span in units of 1/dst
		j0, j1 := a/dst, (b+dst-1)/dst
		m.lo[i], m.hi[i], m.off[i] = j0, j1, len(m.w)
		for j := j0; j < j1; j++ {
			ov := min(b, (j+1)*dst) - max(a, j*dst)
			m.w = append(m.w, float32(float64(ov)/float64(src)))
		}
	}
	return m
}

// rowFunc writes the nch channel values of every pixel of source row y into dst (interleaved,
// nch per pixel). owner is true for exactly one of the calls for each row (rows at the seam of
// two workers are read by both), so a rowFunc may record per-row side results there.
type rowFunc func(y int, dst []float32, owner bool)

// resample area-averages an nch-channel srcW×srcH raster, read row by row through the rowFuncs
// that newRow makes (one per worker), into nch planes of dstW×dstH. Destination rows are split
// among workers in contiguous bands, and every destination value is summed in the same order
// whatever the number of workers, so the result does not depend on GOMAXPROCS. done, when not
// nil, is called with the number of source rows read so far (from several goroutines).
func resample(ctx context.Context, srcW, srcH, dstW, dstH, nch int, newRow func() rowFunc, done func(rows int64)) ([][]float32, error) {
	xm, ym := newAxisMap(srcW, dstW), newAxisMap(srcH, dstH)
	out := make([][]float32, nch)
	for c := range out {
		out[c] = make([]float32, dstW*dstH)
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, dstH/8))
	identity := srcW == dstW && srcH == dstH
	var rowsRead atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for k := range workers {
		t0, t1 := k*dstH/workers, (k+1)*dstH/workers
		if t0 == t1 {
			continue
		}
		ownLo, ownHi := ym.lo[t0], srcH
		if t1 < dstH {
			ownHi = ym.lo[t1]
		}
		g.Go(func() error {
			read := newRow()
			src := make([]float32, srcW*nch)
			tmp := make([]float32, dstW*nch)
			first := t0 // first destination row still fed by the current source row
			for y := ym.lo[t0]; y < ym.hi[t1-1]; y++ {
				if err := gctx.Err(); err != nil {
					return err
				}
				if identity && nch == 1 {
					// Same size, one channel: the row is the plane's own.
					read(y, out[0][y*dstW:(y+1)*dstW], true)
					if done != nil {
						done(rowsRead.Add(1))
					}
					continue
				}
				read(y, src, y >= ownLo && y < ownHi)
				if identity {
					// Same size: every weight is 1, so the row is copied.
					for c := range nch {
						o := out[c][y*dstW : y*dstW+dstW : y*dstW+dstW]
						for i := range o {
							o[i] = src[i*nch+c]
						}
					}
					if done != nil {
						done(rowsRead.Add(1))
					}
					continue
				}
				// Horizontal pass into tmp.
				for i := range dstW {
					ws := xm.w[xm.off[i] : xm.off[i]+xm.hi[i]-xm.lo[i]]
					acc := tmp[i*nch : i*nch+nch : i*nch+nch]
					clear(acc)
					for k, w := range ws {
						s := src[(xm.lo[i]+k)*nch : (xm.lo[i]+k)*nch+nch : (xm.lo[i]+k)*nch+nch]
						for c := range acc {
							acc[c] += w * s[c]
						}
					}
				}
				// Vertical pass: add tmp to every destination row y feeds.
				for first < t1 && ym.hi[first] <= y {
					first++
				}
				for t := first; t < t1 && ym.lo[t] <= y; t++ {
					w := ym.w[ym.off[t]+y-ym.lo[t]]
					row := t * dstW
					for c := range nch {
						o := out[c][row : row+dstW : row+dstW]
						for i := range o {
							o[i] += w * tmp[i*nch+c]
						}
					}
				}
				if done != nil && y >= ownLo && y < ownHi {
					done(rowsRead.Add(1))
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// forRows reads every row of an nch-channel srcW×srcH raster once, through the rowFuncs that
// newRow makes (one per worker, each row with owner true), and hands each row's values to sink
// (interleaved, as the rowFunc wrote them): resample's same-size case for a caller that wants
// the values rather than planes of them. Rows are split among workers in contiguous bands, each
// row read and sunk by one; done is as resample's.
func forRows(ctx context.Context, srcW, srcH, nch int, newRow func() rowFunc, sink func(y int, src []float32), done func(rows int64)) error {
	workers := min(runtime.GOMAXPROCS(0), max(1, srcH/8))
	var rowsRead atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for k := range workers {
		t0, t1 := k*srcH/workers, (k+1)*srcH/workers
		if t0 == t1 {
			continue
		}
		g.Go(func() error {
			read := newRow()
			src := make([]float32, srcW*nch)
			for y := t0; y < t1; y++ {
				if err := gctx.Err(); err != nil {
					return err
				}
				read(y, src, true)
				sink(y, src)
				if done != nil {
					done(rowsRead.Add(1))
				}
			}
			return nil
		})
	}
	return g.Wait()
}
