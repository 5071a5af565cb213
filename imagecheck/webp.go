package imagecheck

import "encoding/binary"

// parseWebP walks the RIFF chunks up to the image data (VP8 or VP8L),
// reading the VP8X canvas and the bitstream's frame header. Reference:
// RFC 9649 (WebP Image Format, 2024), sections 2 to 5; RFC 6386 section 9.1
// for the VP8 frame header.
func parseWebP(s *source) (header, error) {
	var h header
	h.info.Frames = 1
	h.info.BitDepth = 8
	var hd [12]byte
	if err := s.full(hd[:]); err != nil {
		return h, err
	}
	riffSize := int64(binary.LittleEndian.Uint32(hd[4:8]))
	if riffSize < 4+8 {
		return h, corruptf("webp: RIFF size %d", riffSize)
	}
	h.need = riffSize + 8
	end := riffSize + 8
	seenX, wantAlpha, seenAlpha := false, false, false
	var cw, ch int
	for {
		if s.pos()+8 > end {
			return h, corruptf("webp: no VP8 or VP8L chunk")
		}
		var c [8]byte
		if err := s.full(c[:]); err != nil {
			return h, err
		}
		id := string(c[:4])
		n := int64(binary.LittleEndian.Uint32(c[4:8]))
		if s.pos()+n > end {
			return h, corruptf("webp: chunk %q of %d bytes runs past the RIFF size", id, n)
		}
		switch id {
		case "VP8X":
			if seenX || n != 10 {
				return h, corruptf("webp: bad VP8X chunk")
			}
			seenX = true
			var x [10]byte
			if err := s.full(x[:]); err != nil {
				return h, err
			}
			if x[0]&0x02 != 0 {
				return h, unsupportedf("webp: animation")
			}
			wantAlpha = x[0]&0x10 != 0
			cw = int(uint32(x[4])|uint32(x[5])<<8|uint32(x[6])<<16) + 1
			ch = int(uint32(x[7])|uint32(x[8])<<8|uint32(x[9])<<16) + 1
			h.info.Width, h.info.Height = cw, ch
			continue
		case "ANIM", "ANMF":
			return h, unsupportedf("webp: animation")
		case "ALPH":
			if !wantAlpha || seenAlpha {
				return h, corruptf("webp: unexpected ALPH chunk")
			}
			seenAlpha = true
		case "VP8 ":
			var f [10]byte
			if n < 10 {
				return h, corruptf("webp: VP8 chunk of %d bytes", n)
			}
			if err := s.full(f[:]); err != nil {
				return h, err
			}
			if f[0]&1 != 0 || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
				return h, corruptf("webp: VP8 data is not a key frame")
			}
			w := int(binary.LittleEndian.Uint16(f[6:8]) & 0x3fff)
			ht := int(binary.LittleEndian.Uint16(f[8:10]) & 0x3fff)
			if w == 0 || ht == 0 || seenX && (w != cw || ht != ch) {
				return h, corruptf("webp: VP8 frame %d×%d does not match canvas %d×%d", w, ht, cw, ch)
			}
			h.info.Width, h.info.Height = w, ht
			h.info.ColorModel = ColorYCbCr
			if seenAlpha {
				h.info.ColorModel, h.info.HasAlpha = ColorYCbCrA, true
			}
			return h, nil
		case "VP8L":
			if seenAlpha {
				return h, corruptf("webp: ALPH chunk before VP8L")
			}
			var f [5]byte
			if n < 5 {
				return h, corruptf("webp: VP8L chunk of %d bytes", n)
			}
			if err := s.full(f[:]); err != nil {
				return h, err
			}
			if f[0] != 0x2f {
				return h, corruptf("webp: bad VP8L signature")
			}
			bits := binary.LittleEndian.Uint32(f[1:5])
			w := int(bits&0x3fff) + 1
			ht := int(bits>>14&0x3fff) + 1
			if bits>>29 != 0 {
				return h, corruptf("webp: VP8L version %d", bits>>29)
			}
			if seenX && (w != cw || ht != ch) {
				return h, corruptf("webp: VP8L image %d×%d does not match canvas %d×%d", w, ht, cw, ch)
			}
			h.info.Width, h.info.Height = w, ht
			h.info.ColorModel = ColorRGB
			if bits>>28&1 != 0 {
				h.info.ColorModel, h.info.HasAlpha = ColorRGBA, true
			}
			return h, nil
		}
		if err := s.skip(n + n&1); err != nil {
			return h, err
		}
	}
}
