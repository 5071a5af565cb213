package imagecheck

import "encoding/binary"

// parseBMP reads the file header and the DIB header, accepting what
// golang.org/x/image/bmp decodes: BITMAPINFOHEADER, V4 and V5 headers, one
// plane, 1/2/4/8/24/32 bits per pixel, no compression. Reference: Microsoft,
// "Bitmap Storage" (Win32 GDI documentation).
func parseBMP(s *source) (header, error) {
	var h header
	h.info.Frames = 1
	var b [14 + 40]byte
	if err := s.full(b[:18]); err != nil {
		return h, err
	}
	offset := int64(binary.LittleEndian.Uint32(b[10:14]))
	infoLen := binary.LittleEndian.Uint32(b[14:18])
	if infoLen != 40 && infoLen != 108 && infoLen != 124 {
		return h, unsupportedf("bmp: DIB header of %d bytes", infoLen)
	}
	if err := s.full(b[18:]); err != nil {
		return h, err
	}
	w := int64(int32(binary.LittleEndian.Uint32(b[18:22])))
	ht := int64(int32(binary.LittleEndian.Uint32(b[22:26])))
	if ht < 0 {
		ht = -ht
	}
	if w <= 0 || ht <= 0 {
		return h, corruptf("bmp: invalid size %d×%d", w, ht)
	}
	h.info.Width, h.info.Height = int(w), int(ht)
	planes := binary.LittleEndian.Uint16(b[26:28])
	bpp := int64(binary.LittleEndian.Uint16(b[28:30]))
	compression := binary.LittleEndian.Uint32(b[30:34])
	h.info.BitDepth = int(bpp)
	if compression == 3 && infoLen > 40 {
		var m [16]byte
		if err := s.full(m[:]); err != nil {
			return h, err
		}
		if binary.LittleEndian.Uint32(m[0:4]) == 0xff0000 && binary.LittleEndian.Uint32(m[4:8]) == 0xff00 &&
			binary.LittleEndian.Uint32(m[8:12]) == 0xff && binary.LittleEndian.Uint32(m[12:16]) == 0xff000000 {
			compression = 0
		}
	}
	if planes != 1 || compression != 0 {
		return h, unsupportedf("bmp: %d planes, compression %d", planes, compression)
	}
	switch bpp {
	case 1, 2, 4, 8:
		h.info.ColorModel = ColorPaletted
	case 24:
		h.info.ColorModel = ColorRGB
		h.info.BitDepth = 8
	case 32:
		h.info.ColorModel = ColorRGB
		h.info.BitDepth = 8
		if infoLen > 40 {
			h.info.ColorModel, h.info.HasAlpha = ColorRGBA, true
		}
	default:
		return h, unsupportedf("bmp: %d bits per pixel", bpp)
	}
	// Rows are padded to 4 bytes. The pixel array must fit in the input.
	// (Sizes past the side limits are reported by check; skip the product
	// that could overflow.)
	if w <= 1<<24 && ht <= 1<<24 {
		stride := (w*bpp + 31) / 32 * 4
		h.need = offset + stride*ht
	}
	return h, nil
}
