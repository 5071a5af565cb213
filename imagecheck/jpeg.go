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
	if n < 6 || n > len(seg) {
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
	h.info.Progressive = m == 0xC2
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

// maxJPEGScans bounds the scans of a JPEG that Decode accepts.
const maxJPEGScans = 256

var errIncomplete = corruptf("jpeg: incomplete: no EOI after scans covering every component")

// jpegComplete returns nil when data holds a complete JPEG stream. It walks
// the markers through every scan's entropy-coded data (where 0xFF is always
// followed by 0x00 or a RSTn marker) to EOI, and requires the scans to cover
// every coefficient (0 to 63) of every frame component: in a progressive
// frame through the first scans of spectral selection (Ah = 0; refinement
// scans are optional), in a sequential frame by naming the component in a
// scan. ITU-T T.81 annex G.1.1.1 describes the scan parameters.
//
// The standard decoder returns truncated JPEGs, progressive ones especially,
// without error as partly grey images, so Decode uses this to reject them as
// corrupt. It also refuses more than maxJPEGScans scans with a LimitError
// ("scans"), before the decoder runs: each scan of a
// progressive image is a pass over all of its blocks, so a small file with
// thousands of scans would cost minutes of CPU (encoders write about 10).
func jpegComplete(data []byte) error {
	var (
		scans       int
		ids         [4]byte
		cover       [4]uint64
		nc          int
		progressive bool
		sawFrame    bool
	)
	i := 2
	for i+1 < len(data) {
		if data[i] != 0xFF {
			return errIncomplete
		}
		m := data[i+1]
		i += 2
		switch {
		case m == 0xFF:
			i-- // fill byte: the next 0xFF starts the marker
			continue
		case m == 0xD9:
			if !sawFrame {
				return errIncomplete
			}
			for c := 0; c < nc; c++ {
				if cover[c] != ^uint64(0) {
					return errIncomplete
				}
			}
			return nil
		case m == 0x01 || m >= 0xD0 && m <= 0xD7:
			continue
		}
		if i+2 > len(data) {
			return errIncomplete
		}
		n := int(binary.BigEndian.Uint16(data[i : i+2]))
		if n < 2 || i+n > len(data) {
			return errIncomplete
		}
		seg := data[i+2 : i+n]
		i += n
		switch m {
		case 0xC0, 0xC1, 0xC2:
			if sawFrame || len(seg) < 6 || int(seg[5]) > len(ids) || len(seg) < 6+3*int(seg[5]) {
				return errIncomplete
			}
			sawFrame, progressive, nc = true, m == 0xC2, int(seg[5])
			for c := 0; c < nc; c++ {
				ids[c] = seg[6+3*c]
			}
			continue
		case 0xDA:
			if scans++; scans > maxJPEGScans {
				return &LimitError{Name: "scans", Value: int64(scans), Max: maxJPEGScans}
			}
		default:
			continue
		}
		// Scan header: Ns, Ns×(Cs, Td/Ta), Ss, Se, Ah/Al.
		if !sawFrame || len(seg) < 1 || len(seg) < 1+2*int(seg[0])+3 {
			return errIncomplete
		}
		ns := int(seg[0])
		ss, se, ah := int(seg[1+2*ns]), int(seg[2+2*ns]), seg[3+2*ns]>>4
		var band uint64
		switch {
		case !progressive:
			band = ^uint64(0)
		case ah == 0 && ss <= se && se <= 63:
			band = (^uint64(0) >> (63 - se)) &^ (1<<ss - 1)
		}
		for k := 0; k < ns; k++ {
			for c := 0; c < nc; c++ {
				if ids[c] == seg[1+2*k] {
					cover[c] |= band
				}
			}
		}
		// Entropy-coded data: find the next marker that is not a stuffed
		// zero or a restart marker.
		for {
			if i >= len(data) {
				return errIncomplete
			}
			k := bytes.IndexByte(data[i:], 0xFF)
			if k < 0 || i+k+1 >= len(data) {
				return errIncomplete
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
	return errIncomplete
}
