package grabcut

import (
	"context"
	"image"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/internal/par"
)

// The working-size labels are brought to the image's size by joint bilateral upsampling
// (J. Kopf, M. Cohen, D. Lischinski, M. Uyttendaele, "Joint bilateral upsampling", ACM SIGGRAPH
// 2007): near the cut's outline, a full-size pixel's value is the mean of the labels of the
// working pixels around it (a 4×4 window), each weighted by its distance and by how close its
// colour is to the full-size pixel's, so the outline moves onto the real colour edge between
// working pixels. Away from the outline (every label in the window equal) the label is copied,
// so only a band about two working pixels wide costs more than a lookup.

const (
	jbuSpatial = 1.0  // σ of the spatial weight, in working pixels
	jbuRange   = 14.0 // σ of the colour weight, in 0–255 RGB units
)

// rangeTable holds the colour weight exp(−d²/2σ²) for every integer squared RGB distance d²
// (0 … 3·255²).
var rangeTable = sync.OnceValue(func() []float32 {
	t := make([]float32, 3*255*255+1)
	for d2 := range t {
		t[d2] = float32(math.Exp(-float64(d2) / (2 * jbuRange * jbuRange)))
	}
	return t
})

func upsample(ctx context.Context, fg []bool, px []float32, w, h int, read rowReader, bounds image.Rectangle, hard bool) (*image.Alpha, error) {
	W, H := bounds.Dx(), bounds.Dy()
	out := image.NewAlpha(bounds)
	if W == 0 || H == 0 {
		return out, nil
	}
	if W == w && H == h {
		for y := 0; y < h; y++ {
			row := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				if fg[y*w+x] {
					row[x] = 255
				}
			}
		}
		return out, nil
	}
	// mixed[j*w+i]: the 4×4 window whose second cell is (i, j) holds both labels.
	mixed := make([]bool, w*h)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			a := fg[j*w+i]
			for jj := max(0, j-1); jj <= min(h-1, j+2) && !mixed[j*w+i]; jj++ {
				for ii := max(0, i-1); ii <= min(w-1, i+2); ii++ {
					if fg[jj*w+ii] != a {
						mixed[j*w+i] = true
						break
					}
				}
			}
		}
	}
	rowMixed := make([]bool, h)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			rowMixed[j] = rowMixed[j] || mixed[j*w+i]
		}
	}
	// The spatial weight is separable: per column, the weights of the window's four columns
	// i0−1 … i0+2; per row, of its four rows.
	colCell := make([]int, W)
	colI0 := make([]int, W)
	colW := make([]float64, 4*W)
	for x := range colCell {
		u := (float64(x)+0.5)*float64(w)/float64(W) - 0.5
		colCell[x] = int(int64(x) * int64(w) / int64(W))
		colI0[x] = min(w-1, max(0, int(math.Floor(u))))
		for k := range 4 {
			du := u - float64(colI0[x]-1+k)
			colW[4*x+k] = math.Exp(-du * du / (2 * jbuSpatial * jbuSpatial))
		}
	}
	rangeW := rangeTable()
	// Bands of output rows in parallel: each writes only its own rows.
	bands := min(H, 4*runtime.GOMAXPROCS(0))
	var stop atomic.Bool
	par.For(bands, bands, func(band int) {
		var rowW [4]float64
		buf := make([]uint8, 3*W)
		for y := band * H / bands; y < (band+1)*H/bands; y++ {
			if y&31 == 0 && ctx.Err() != nil {
				stop.Store(true)
				return
			}
			v := (float64(y)+0.5)*float64(h)/float64(H) - 0.5
			cellY := int(int64(y) * int64(h) / int64(H))
			j0 := min(h-1, max(0, int(math.Floor(v))))
			row := out.Pix[y*out.Stride : y*out.Stride+W]
			for k := range 4 {
				dv := v - float64(j0-1+k)
				rowW[k] = math.Exp(-dv * dv / (2 * jbuSpatial * jbuSpatial))
			}
			labels := fg[cellY*w : cellY*w+w]
			if !rowMixed[j0] {
				for x := 0; x < W; x++ {
					if labels[colCell[x]] {
						row[x] = 255
					}
				}
				continue
			}
			read(y, buf)
			mixedRow := mixed[j0*w : j0*w+w]
			for x := 0; x < W; x++ {
				i0 := colI0[x]
				if !mixedRow[i0] {
					if labels[colCell[x]] {
						row[x] = 255
					}
					continue
				}
				c0, c1, c2 := float32(buf[3*x]), float32(buf[3*x+1]), float32(buf[3*x+2])
				num, den := 0.0, 0.0
				for jj := max(0, j0-1); jj <= min(h-1, j0+2); jj++ {
					wy := rowW[jj-j0+1]
					for ii := max(0, i0-1); ii <= min(w-1, i0+2); ii++ {
						q := px[3*(jj*w+ii):]
						d0, d1, d2 := c0-q[0], c1-q[1], c2-q[2]
						wr := float64(rangeW[int(d0*d0+d1*d1+d2*d2+0.5)]) + 1e-6
						wt := wy * colW[4*x+ii-i0+1] * wr
						den += wt
						if fg[jj*w+ii] {
							num += wt
						}
					}
				}
				a := num / den
				if hard {
					if a >= 0.5 {
						row[x] = 255
					}
					continue
				}
				row[x] = uint8(math.Round(255 * a))
			}
		}
	})
	if stop.Load() {
		return nil, ctx.Err()
	}
	return out, nil
}
