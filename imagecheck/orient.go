package imagecheck

import (
	"context"
	"fmt"
	"image"
	"image/draw"
)

// orient returns img turned upright for EXIF orientation o (EXIF 2.32,
// CIPA DC-008, tag 0x0112): 2 mirrors left-right, 3 turns 180°, 4 mirrors
// top-bottom, 5 transposes, 6 turns 90° clockwise, 7 transverses, 8 turns 90°
// anticlockwise. The result starts at (0,0). Images stored as one interleaved
// pixel array keep their type; YCbCr images become *image.RGBA and other
// types *image.RGBA64.
func orient(ctx context.Context, img image.Image, o int) (image.Image, error) {
	if o <= 1 || o > 8 {
		return img, nil
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if swapsSides(o) {
		dw, dh = h, w
	}
	dr := image.Rect(0, 0, dw, dh)

	var (
		src, dst     []byte
		sStride, bpp int
		sOff         int // offset of b.Min in src
		out          image.Image
		dStride      int
	)
	switch m := img.(type) {
	case *image.Gray:
		n := image.NewGray(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 1, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.Gray16:
		n := image.NewGray16(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 2, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.Alpha:
		n := image.NewAlpha(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 1, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.Alpha16:
		n := image.NewAlpha16(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 2, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.RGBA:
		n := image.NewRGBA(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 4, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.NRGBA:
		n := image.NewNRGBA(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 4, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.CMYK:
		n := image.NewCMYK(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 4, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.RGBA64:
		n := image.NewRGBA64(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 8, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.NRGBA64:
		n := image.NewNRGBA64(dr)
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 8, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.Paletted:
		n := image.NewPaletted(dr, append(m.Palette[:0:0], m.Palette...))
		src, sStride, bpp, sOff, dst, dStride, out = m.Pix, m.Stride, 1, m.PixOffset(b.Min.X, b.Min.Y), n.Pix, n.Stride, n
	case *image.YCbCr:
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(c, c.Rect, m, b.Min, draw.Src) // fast path in image/draw
		return orient(ctx, c, o)
	default:
		c := image.NewRGBA64(image.Rect(0, 0, w, h))
		draw.Draw(c, c.Rect, m, b.Min, draw.Src)
		return orient(ctx, c, o)
	}

	// For each destination pixel (dx,dy), the source pixel is (sx,sy) =
	// (x0 + dx*ax + dy*bx, y0 + dx*ay + dy*by), walking the source by
	// constant byte steps.
	var x0, y0, ax, ay, bx, by int
	switch o {
	case 2:
		x0, y0, ax, ay, bx, by = w-1, 0, -1, 0, 0, 1
	case 3:
		x0, y0, ax, ay, bx, by = w-1, h-1, -1, 0, 0, -1
	case 4:
		x0, y0, ax, ay, bx, by = 0, h-1, 1, 0, 0, -1
	case 5:
		x0, y0, ax, ay, bx, by = 0, 0, 0, 1, 1, 0
	case 6:
		x0, y0, ax, ay, bx, by = 0, h-1, 0, -1, 1, 0
	case 7:
		x0, y0, ax, ay, bx, by = w-1, h-1, 0, -1, -1, 0
	case 8:
		x0, y0, ax, ay, bx, by = w-1, 0, 0, 1, -1, 0
	}
	stepX := ax*bpp + ay*sStride // source step for dx+1
	stepY := bx*bpp + by*sStride // source step for dy+1
	rowStart := sOff + x0*bpp + y0*sStride
	for dy := 0; dy < dh; dy++ {
		if dy&63 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("imagecheck: orienting: %w", err)
			}
		}
		si := rowStart
		di := dy * dStride
		switch bpp {
		case 1:
			for dx := 0; dx < dw; dx++ {
				dst[di+dx] = src[si]
				si += stepX
			}
		default:
			for dx := 0; dx < dw; dx++ {
				copy(dst[di:di+bpp], src[si:si+bpp])
				di += bpp
				si += stepX
			}
		}
		rowStart += stepY
	}
	return out, nil
}
