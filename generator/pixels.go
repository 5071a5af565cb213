package generator

import (
	"image"
	"image/color"
)

// Rec. 709 luma coefficients, applied to the gamma-encoded sRGB values (ITU-R BT.709-6, item
// 3.2): Y′ = 0.2126 R′ + 0.7152 G′ + 0.0722 B′.
const (
	lumaR = 0.2126
	lumaG = 0.7152
	lumaB = 0.0722
)

// luma returns the Rec. 709 luma of sRGB values in 0..1.
func luma(r, g, b float32) float32 { return lumaR*r + lumaG*g + lumaB*b }

// pixelReader converts rows of any image.Image to straight (not premultiplied) RGBA float32 sRGB
// values in 0..1, four per pixel. Common concrete types are read directly; others through At.
// It is safe for concurrent use.
type pixelReader struct {
	img     image.Image
	rect    image.Rectangle
	palette [][4]float32 // for *image.Paletted
}

func newPixelReader(img image.Image) *pixelReader {
	p := &pixelReader{img: img, rect: img.Bounds()}
	if pal, ok := img.(*image.Paletted); ok {
		p.palette = make([][4]float32, 256)
		for i := range p.palette {
			var c color.Color = color.Transparent
			if i < len(pal.Palette) {
				c = pal.Palette[i]
			}
			p.palette[i] = straight(c.RGBA())
		}
	}
	return p
}

// straight converts premultiplied 16-bit RGBA to straight float32 values.
func straight(r, g, b, a uint32) [4]float32 {
	if a == 0 {
		return [4]float32{}
	}
	if a == 0xffff {
		return [4]float32{float32(r) / 0xffff, float32(g) / 0xffff, float32(b) / 0xffff, 1}
	}
	fa := float32(a)
	return [4]float32{float32(r) / fa, float32(g) / fa, float32(b) / fa, fa / 0xffff}
}

// row writes row y (0-based, relative to the image's bounds) into dst, which holds 4·width
// values.
func (p *pixelReader) row(y int, dst []float32) {
	w := p.rect.Dx()
	y += p.rect.Min.Y
	x0 := p.rect.Min.X
	// Divisions, not multiplications by the inverse: 255/255 must be exactly 1.
	const d8, d16 = 255, 65535
	switch m := p.img.(type) {
	case *image.NRGBA:
		s := m.Pix[m.PixOffset(x0, y):]
		for i := range w {
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = float32(s[4*i])/d8, float32(s[4*i+1])/d8, float32(s[4*i+2])/d8, float32(s[4*i+3])/d8
		}
	case *image.RGBA:
		s := m.Pix[m.PixOffset(x0, y):]
		for i := range w {
			r, g, b, a := s[4*i], s[4*i+1], s[4*i+2], s[4*i+3]
			c := straight(uint32(r)*0x101, uint32(g)*0x101, uint32(b)*0x101, uint32(a)*0x101)
			copy(dst[4*i:4*i+4], c[:])
		}
	case *image.Gray:
		s := m.Pix[m.PixOffset(x0, y):]
		for i := range w {
			v := float32(s[i]) / d8
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = v, v, v, 1
		}
	case *image.Gray16:
		s := m.Pix[m.PixOffset(x0, y):]
		for i := range w {
			v := float32(uint16(s[2*i])<<8|uint16(s[2*i+1])) / d16
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = v, v, v, 1
		}
	case *image.NRGBA64:
		s := m.Pix[m.PixOffset(x0, y):]
		for i := range w {
			q := s[8*i : 8*i+8 : 8*i+8]
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0] = float32(uint16(q[0])<<8|uint16(q[1])) / d16
			d[1] = float32(uint16(q[2])<<8|uint16(q[3])) / d16
			d[2] = float32(uint16(q[4])<<8|uint16(q[5])) / d16
			d[3] = float32(uint16(q[6])<<8|uint16(q[7])) / d16
		}
	case *image.RGBA64:
		s := m.Pix[m.PixOffset(x0, y):]
		for i := range w {
			q := s[8*i : 8*i+8 : 8*i+8]
			c := straight(uint32(q[0])<<8|uint32(q[1]), uint32(q[2])<<8|uint32(q[3]), uint32(q[4])<<8|uint32(q[5]), uint32(q[6])<<8|uint32(q[7]))
			copy(dst[4*i:4*i+4], c[:])
		}
	case *image.Paletted:
		s := m.Pix[m.PixOffset(x0, y):]
		for i := range w {
			copy(dst[4*i:4*i+4], p.palette[s[i]][:])
		}
	case *image.YCbCr:
		for i := range w {
			yi, ci := m.YOffset(x0+i, y), m.COffset(x0+i, y)
			r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = float32(r)/d8, float32(g)/d8, float32(b)/d8, 1
		}
	default:
		for i := range w {
			c := straight(m.At(x0+i, y).RGBA())
			copy(dst[4*i:4*i+4], c[:])
		}
	}
}

// pixel returns the straight RGBA value at (x, y), relative to the image's bounds. It goes through
// At, so it may differ from row's values by float rounding; it serves estimates only.
func (p *pixelReader) pixel(x, y int) [4]float32 {
	return straight(p.img.At(p.rect.Min.X+x, p.rect.Min.Y+y).RGBA())
}
