package imagecheck

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// parsePNG reads the signature, IHDR (checking its CRC) and the chunks before
// the first IDAT, looking for PLTE, tRNS and eXIf. Reference: PNG
// Specification, third edition (W3C, 2025), sections 5 and 11.
func parsePNG(s *source) (header, error) {
	var h header
	h.info.Frames = 1
	var buf [8 + 8 + 13 + 4]byte
	if err := s.full(buf[:]); err != nil {
		return h, err
	}
	chunk := buf[8:]
	if binary.BigEndian.Uint32(chunk[0:4]) != 13 || string(chunk[4:8]) != "IHDR" {
		return h, corruptf("png: first chunk is not a 13-byte IHDR")
	}
	if crc32.ChecksumIEEE(chunk[4:21]) != binary.BigEndian.Uint32(chunk[21:25]) {
		return h, corruptf("png: IHDR CRC mismatch")
	}
	d := chunk[8:21]
	w, ht := binary.BigEndian.Uint32(d[0:4]), binary.BigEndian.Uint32(d[4:8])
	depth, ctype := d[8], d[9]
	if w == 0 || ht == 0 || w > 1<<31-1 || ht > 1<<31-1 {
		return h, corruptf("png: invalid size %d×%d", w, ht)
	}
	if d[10] != 0 || d[11] != 0 || d[12] > 1 {
		return h, corruptf("png: invalid compression, filter or interlace method")
	}
	ok := false
	switch ctype {
	case 0:
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
		h.info.ColorModel = ColorGray
	case 2:
		ok = depth == 8 || depth == 16
		h.info.ColorModel = ColorRGB
	case 3:
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8
		h.info.ColorModel = ColorPaletted
	case 4:
		ok = depth == 8 || depth == 16
		h.info.ColorModel, h.info.HasAlpha = ColorGrayAlpha, true
	case 6:
		ok = depth == 8 || depth == 16
		h.info.ColorModel, h.info.HasAlpha = ColorRGBA, true
	}
	if !ok {
		return h, corruptf("png: invalid colour type %d with bit depth %d", ctype, depth)
	}
	h.info.Width, h.info.Height, h.info.BitDepth = int(w), int(ht), int(depth)

	// Walk the chunks up to the first IDAT. Each chunk consumes at least 12
	// bytes, so the walk is bounded by the input size.
	seenPLTE := false
	var small [1024]byte
	for {
		var ch [8]byte
		if err := s.full(ch[:]); err != nil {
			return h, err
		}
		n := int64(binary.BigEndian.Uint32(ch[0:4]))
		typ := string(ch[4:8])
		if n > 1<<31-1 {
			return h, corruptf("png: chunk %q length %d too large", typ, n)
		}
		for _, c := range ch[4:8] {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return h, corruptf("png: invalid chunk type % x", ch[4:8])
			}
		}
		switch typ {
		case "IDAT":
			if ctype == 3 && !seenPLTE {
				return h, corruptf("png: paletted image without PLTE")
			}
			return h, nil
		case "IEND":
			return h, corruptf("png: IEND before image data")
		case "IHDR":
			return h, corruptf("png: second IHDR")
		case "PLTE", "tRNS":
			if n > 768 || typ == "PLTE" && (n%3 != 0 || n == 0) {
				return h, corruptf("png: bad %s length %d", typ, n)
			}
			data := small[:n+4]
			if err := s.full(data); err != nil {
				return h, err
			}
			if crc32.Update(crc32.ChecksumIEEE(ch[4:8]), crc32.IEEETable, data[:n]) != binary.BigEndian.Uint32(data[n:]) {
				return h, corruptf("png: %s CRC mismatch", typ)
			}
			if typ == "PLTE" {
				seenPLTE = true
			} else {
				h.info.HasAlpha = true
			}
		case "eXIf":
			if n > maxExifBytes {
				if err := s.skip(n + 4); err != nil {
					return h, err
				}
				continue
			}
			data := make([]byte, n+4)
			if err := s.full(data); err != nil {
				return h, err
			}
			if crc32.Update(crc32.ChecksumIEEE(ch[4:8]), crc32.IEEETable, data[:n]) != binary.BigEndian.Uint32(data[n:]) {
				return h, corruptf("png: eXIf CRC mismatch")
			}
			h.info.Orientation = exifOrientation(bytes.NewReader(data[:n]), n)
		default:
			if err := s.skip(n + 4); err != nil {
				return h, err
			}
		}
	}
}
