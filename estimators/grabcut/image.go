package grabcut

import (
	"context"
	"image"
	"image/color"
	"runtime"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/internal/par"
)

// rowReader fills buf (3 bytes a pixel) with row y of img, colours as color.RGBA would give
// them (premultiplied: a transparent pixel reads as black), with fast paths for the decoders'
// usual types.
type rowReader func(y int, buf []uint8)

func newRowReader(img image.Image) rowReader {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.RGBA:
		return func(y int, buf []uint8) {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				buf[3*x], buf[3*x+1], buf[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.NRGBA:
		return func(y int, buf []uint8) {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				a := uint32(row[4*x+3])
				if a == 255 {
					buf[3*x], buf[3*x+1], buf[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
					continue
				}
				buf[3*x] = uint8((uint32(row[4*x])*a + 127) / 255)
				buf[3*x+1] = uint8((uint32(row[4*x+1])*a + 127) / 255)
				buf[3*x+2] = uint8((uint32(row[4*x+2])*a + 127) / 255)
			}
		}
	case *image.Gray:
		return func(y int, buf []uint8) {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				buf[3*x], buf[3*x+1], buf[3*x+2] = row[x], row[x], row[x]
			}
		}
	case *image.YCbCr:
		return func(y int, buf []uint8) {
			yy := b.Min.Y + y
			for x := 0; x < w; x++ {
				xx := b.Min.X + x
				yi, ci := m.YOffset(xx, yy), m.COffset(xx, yy)
				buf[3*x], buf[3*x+1], buf[3*x+2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			}
		}
	}
	return func(y int, buf []uint8) {
		for x := 0; x < w; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			buf[3*x], buf[3*x+1], buf[3*x+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
		}
	}
}

// workSize is the size the cut runs at: the image's, shrunk so its longest side is at most
// maxSide, never below 1×1.
func workSize(w, h, maxSide int) (int, int) {
	if w <= maxSide && h <= maxSide {
		return w, h
	}
	if w >= h {
		return maxSide, max(1, int((int64(h)*int64(maxSide)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(maxSide)+int64(h)/2)/int64(h))), maxSide
}

// shrink returns img box-averaged to ww×wh (each source pixel counted in the one working
// pixel its top-left corner falls in), as float RGB, 3 values a pixel. Bands of working rows
// are summed in parallel, each working pixel by one goroutine in the same order as a serial
// pass, so the sums do not depend on GOMAXPROCS.
func shrink(ctx context.Context, read rowReader, w, h, ww, wh int) ([]float32, error) {
	sum := make([]float32, 3*ww*wh)
	cnt := make([]float32, ww*wh)
	colOf := make([]int, w)
	for x := range colOf {
		colOf[x] = int(int64(x) * int64(ww) / int64(w))
	}
	// firstRow(r) is the first source row whose working row is r.
	firstRow := func(r int) int { return int((int64(r)*int64(h) + int64(wh) - 1) / int64(wh)) }
	bands := min(wh, 4*runtime.GOMAXPROCS(0))
	var stop atomic.Bool
	par.For(bands, bands, func(band int) {
		buf := make([]uint8, 3*w)
		for r := band * wh / bands; r < (band+1)*wh/bands; r++ {
			if ctx.Err() != nil {
				stop.Store(true)
				return
			}
			s := sum[3*r*ww:]
			c := cnt[r*ww:]
			for y := firstRow(r); y < firstRow(r+1); y++ {
				read(y, buf)
				for x := 0; x < w; x++ {
					j := colOf[x]
					s[3*j] += float32(buf[3*x])
					s[3*j+1] += float32(buf[3*x+1])
					s[3*j+2] += float32(buf[3*x+2])
					c[j]++
				}
			}
		}
	})
	if stop.Load() {
		return nil, ctx.Err()
	}
	for i, n := range cnt {
		if n > 0 {
			sum[3*i] /= n
			sum[3*i+1] /= n
			sum[3*i+2] /= n
		}
	}
	return sum, nil
}
