package imagecheck

import (
	"bytes"
	"encoding/binary"
)

// parseJPEG walks the marker segments from SOI to the first SOFn, reading
// APP1 (Exif orientation) and APP14 (Adobe colour transform) on the way.
// Reference: ITU-T T.81 (1992), annex B; Adobe Technical Note 5116 for APP14.
func parseJPEG(s *source) (header, error) {
	var h header
	h.info.Frames = 1
	var soi [2]byte
	if err := s.full(soi[:]); err != nil {
		return h, err
	}
	adobe, adobeTransform := false, byte(0)
	jfif := false
	var seg [6 + 3*255]byte // the largest frame header
	for {
		b, err := s.byte()
		if err != nil {
			return h, err
		}
		if b != 0xFF {
			return h, corruptf("jpeg: expected marker at byte %d, found %#02x", s.pos()-1, b)
		}
		m := byte(0xFF)
		for m == 0xFF { // fill bytes
			if m, err = s.byte(); err != nil {
				return h, err
			}
		}
		switch {
		case m == 0x01 || m >= 0xD0 && m <= 0xD7: // TEM, RSTn: no length
			continue
		case m == 0xD8:
			return h, corruptf("jpeg: second SOI")
		case m == 0xD9:
			return h, corruptf("jpeg: EOI before a frame header")
		case m == 0xDA:
			return h, corruptf("jpeg: scan before a frame header")
		case m == 0x00:
			return h, corruptf("jpeg: stuffed byte outside entropy-coded data")
		}
		var lb [2]byte
		if err := s.full(lb[:]); err != nil {
			return h, err
		}
		n := int(binary.BigEndian.Uint16(lb[:]))
		if n < 2 {
			return h, corruptf("jpeg: marker %#02x with length %d", m, n)
		}
		n -= 2
		switch {
		case m == 0xC0 || m == 0xC1 || m == 0xC2:
			return h, jpegFrame(&h, s, seg[:], n, m, adobe, adobeTransform, jfif)
		case m >= 0xC3 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			return h, unsupportedf("jpeg: frame type SOF%d (lossless, hierarchical or arithmetic-coded)", m-0xC0)
		case m == 0xE0 || m == 0xEE:
			d := seg[:min(n, 12)]
			if err := s.full(d); err != nil {
				return h, err
			}
			if err := s.skip(int64(n - len(d))); err != nil {
				return h, err
			}
			switch {
			case m == 0xE0 && bytes.HasPrefix(d, []byte("JFIF\x00")):
				jfif = true
			case m == 0xEE && len(d) >= 12 && bytes.HasPrefix(d, []byte("Adobe")):
				adobe, adobeTransform = true, d[11]
			}
		case m == 0xE1 && h.info.Orientation == 0:
			pre := seg[:min(n, 6)]
			if err := s.full(pre); err != nil {
				return h, err
			}
			rest := int64(n - len(pre))
			if string(pre) != "Exif\x00\x00" {
				if err := s.skip(rest); err != nil {
					return h, err
				}
				continue
			}
			d := make([]byte, rest)
			if err := s.full(d); err != nil {
				return h, err
			}
			h.info.Orientation = exifOrientation(bytes.NewReader(d), rest)
		default:
			if err := s.skip(int64(n)); err != nil {
				return h, err
			}
		}
	}
}

// jpegFrame reads a SOF0/1/2 segment body of n bytes.
func jpegFrame(h *header, s *source, seg []byte, n int, m byte, adobe bool, transform byte, jfif bool) error {
	if n < 6 {
		return corruptf("jpeg: frame header of %d bytes", n)
	}
	d := seg[:n]
	if err := s.full(d); err != nil {
		return err
	}
	prec := int(d[0])
	ht, w := int(binary.BigEndian.Uint16(d[1:3])), int(binary.BigEndian.Uint16(d[3:5]))
	nc := int(d[5])
	h.info.BitDepth = prec
	if prec != 8 {
		return unsupportedf("jpeg: %d-bit precision", prec)
	}
	if w == 0 || ht == 0 {
		return unsupportedf("jpeg: zero width or height (DNL)")
	}
	h.info.Width, h.info.Height = w, ht
	if n != 6+3*nc {
		return corruptf("jpeg: frame header length %d does not fit %d components", n, nc)
	}
	comps := d[6:]
	for i := 0; i < nc; i++ {
		hv := comps[3*i+1]
		hs, vs := hv>>4, hv&0x0F
		if hs < 1 || hs > 4 || vs < 1 || vs > 4 {
			return corruptf("jpeg: component %d sampling factors %d×%d", i, hs, vs)
		}
	}
	switch nc {
	case 1:
		h.info.ColorModel = ColorGray
	case 3:
		h.info.ColorModel = ColorYCbCr
		if !jfif && (adobe && transform == 0 || comps[0] == 'R' && comps[3] == 'G' && comps[6] == 'B') {
			h.info.ColorModel = ColorRGB
		}
	case 4:
		h.info.ColorModel = ColorCMYK
	default:
		return unsupportedf("jpeg: %d colour components", nc)
	}
	return nil
}

// jpegComplete reports whether data holds a complete JPEG stream: the marker
// walk after the frame header, through every scan's entropy-coded data
// (where 0xFF is always followed by 0x00 or a RSTn marker), reaches EOI.
// The standard decoder returns truncated progressive JPEGs without error, so
// Decode uses this to reject them as corrupt rather than return a partly grey
// image.
func jpegComplete(data []byte) bool {
	i := 2
	for i+1 < len(data) {
		if data[i] != 0xFF {
			return false
		}
		m := data[i+1]
		i += 2
		switch {
		case m == 0xFF:
			i-- // fill byte: the next 0xFF starts the marker
			continue
		case m == 0xD9:
			return true
		case m == 0x01 || m >= 0xD0 && m <= 0xD7:
			continue
		}
		if i+2 > len(data) {
			return false
		}
		n := int(binary.BigEndian.Uint16(data[i : i+2]))
		if n < 2 {
			return false
		}
		i += n
		if m != 0xDA {
			continue
		}
		// Entropy-coded data: find the next marker that is not a stuffed
		// zero or a restart marker.
		for {
			if i >= len(data) {
				return false
			}
			k := bytes.IndexByte(data[i:], 0xFF)
			if k < 0 || i+k+1 >= len(data) {
				return false
			}
			i += k
			nx := data[i+1]
			if nx == 0x00 || nx >= 0xD0 && nx <= 0xD7 || nx == 0xFF {
				i++
				continue
			}
			break
		}
	}
	return false
}
