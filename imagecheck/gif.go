package imagecheck

import "encoding/binary"

// parseGIF reads the logical screen descriptor and walks every block to the
// trailer, counting image descriptors and skipping colour tables and data
// sub-blocks without LZW decoding. It stops once more than lim.MaxFrames
// frames are seen. Reference: GIF89a Specification (CompuServe, 1990).
func parseGIF(s *source, lim Limits) (header, error) {
	var h header
	var hd [13]byte
	if err := s.full(hd[:]); err != nil {
		return h, err
	}
	w, ht := int(binary.LittleEndian.Uint16(hd[6:8])), int(binary.LittleEndian.Uint16(hd[8:10]))
	h.info.Width, h.info.Height = w, ht
	h.info.ColorModel = ColorPaletted
	packed := hd[10]
	hasGlobal := packed&0x80 != 0
	if hasGlobal {
		h.info.BitDepth = int(packed&7) + 1
		if err := s.skip(3 << (packed&7 + 1)); err != nil {
			return h, err
		}
	}
	if w == 0 || ht == 0 {
		return h, corruptf("gif: zero logical screen size %d×%d", w, ht)
	}
	frames := 0
	for {
		b, err := s.byte()
		if err != nil {
			return h, err
		}
		switch b {
		case 0x3B: // trailer
			if frames == 0 {
				return h, corruptf("gif: no image")
			}
			h.info.Frames = frames
			return h, nil
		case 0x21: // extension
			label, err := s.byte()
			if err != nil {
				return h, err
			}
			if label == 0xF9 { // graphic control: transparency flag
				var gce [6]byte
				if err := s.full(gce[:]); err != nil {
					return h, err
				}
				if gce[0] != 4 || gce[5] != 0 {
					return h, corruptf("gif: bad graphic control extension")
				}
				if gce[1]&1 != 0 {
					h.info.HasAlpha = true
				}
				continue
			}
			if err := skipSubBlocks(s); err != nil {
				return h, err
			}
		case 0x2C: // image descriptor
			frames++
			if frames > lim.MaxFrames {
				h.info.Frames = frames
				h.errs = append(h.errs, &LimitError{Name: "frames", Value: int64(frames), Max: int64(lim.MaxFrames)})
				return h, nil
			}
			var d [9]byte
			if err := s.full(d[:]); err != nil {
				return h, err
			}
			l, t := int(binary.LittleEndian.Uint16(d[0:2])), int(binary.LittleEndian.Uint16(d[2:4]))
			fw, fh := int(binary.LittleEndian.Uint16(d[4:6])), int(binary.LittleEndian.Uint16(d[6:8]))
			if l+fw > w || t+fh > ht {
				return h, corruptf("gif: frame %d bounds %d,%d %d×%d outside the %d×%d screen", frames, l, t, fw, fh, w, ht)
			}
			if d[8]&0x80 != 0 {
				if h.info.BitDepth == 0 {
					h.info.BitDepth = int(d[8]&7) + 1
				}
				if err := s.skip(3 << (d[8]&7 + 1)); err != nil {
					return h, err
				}
			} else if !hasGlobal {
				return h, corruptf("gif: frame %d has no colour table", frames)
			}
			lw, err := s.byte()
			if err != nil {
				return h, err
			}
			if lw < 2 || lw > 8 {
				return h, corruptf("gif: frame %d LZW code size %d", frames, lw)
			}
			if err := skipSubBlocks(s); err != nil {
				return h, err
			}
		default:
			return h, corruptf("gif: unknown block %#02x at byte %d", b, s.pos()-1)
		}
	}
}

// skipSubBlocks skips data sub-blocks up to and including the terminator.
func skipSubBlocks(s *source) error {
	for {
		n, err := s.byte()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if err := s.skip(int64(n)); err != nil {
			return err
		}
	}
}
