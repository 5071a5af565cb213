package imagecheck

import (
	"encoding/binary"
	"io"
)

// maxExifBytes bounds the EXIF block read to find the orientation.
const maxExifBytes = 1 << 20

// TIFF tags used here. Reference: TIFF Revision 6.0 (Adobe, 1992), section 8;
// EXIF 2.32 (CIPA DC-008), section 4.6.4 for Orientation.
const (
	tagImageWidth    = 256
	tagImageLength   = 257
	tagBitsPerSample = 258
	tagCompression   = 259
	tagPhotometric   = 262
	tagOrientation   = 274
	tagSamplesPerPix = 277
	tagExtraSamples  = 338
	tagSampleFormat  = 339
)

// ifdEntry is one 12-byte TIFF directory entry.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    [4]byte // the value itself, or its offset when it does not fit
}

// ifd0 is the first image file directory of a TIFF structure.
type ifd0 struct {
	ra      io.ReaderAt
	size    int64
	order   binary.ByteOrder
	entries []ifdEntry
	// short is set when a value's offset lies past the end of the input.
	short bool
}

// readIFD0 reads the TIFF header and the first directory from ra (size bytes).
func readIFD0(ra io.ReaderAt, size int64) (*ifd0, error) {
	var hd [8]byte
	if size < 8 {
		return nil, errTruncated
	}
	if _, err := ra.ReadAt(hd[:], 0); err != nil {
		return nil, atErr(err)
	}
	d := &ifd0{ra: ra, size: size}
	switch string(hd[:4]) {
	case "II*\x00":
		d.order = binary.LittleEndian
	case "MM\x00*":
		d.order = binary.BigEndian
	default:
		return nil, corruptf("tiff: bad header")
	}
	off := int64(d.order.Uint32(hd[4:8]))
	if off < 8 {
		return nil, corruptf("tiff: directory offset %d inside the header", off)
	}
	if off+2 > size {
		return nil, errTruncated // the directory lies past the end
	}
	var nb [2]byte
	if _, err := ra.ReadAt(nb[:], off); err != nil {
		return nil, atErr(err)
	}
	n := int64(d.order.Uint16(nb[:]))
	if n == 0 {
		return nil, corruptf("tiff: empty directory")
	}
	if off+2+12*n > size {
		return nil, errTruncated
	}
	raw := make([]byte, 12*n)
	if _, err := ra.ReadAt(raw, off+2); err != nil {
		return nil, atErr(err)
	}
	d.entries = make([]ifdEntry, n)
	for i := range d.entries {
		e := raw[12*i:]
		d.entries[i] = ifdEntry{tag: d.order.Uint16(e[0:2]), typ: d.order.Uint16(e[2:4]), count: d.order.Uint32(e[4:8])}
		copy(d.entries[i].value[:], e[8:12])
	}
	return d, nil
}

func atErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errTruncated
	}
	return &ioError{err}
}

func (d *ifd0) find(tag uint16) *ifdEntry {
	for i := range d.entries {
		if d.entries[i].tag == tag {
			return &d.entries[i]
		}
	}
	return nil
}

// uint returns value i of an integer entry (BYTE, SHORT or LONG), reading it
// from its offset when it does not fit in the entry. ok is false for other
// types, an index past the count, or an offset outside the input.
func (d *ifd0) uint(e *ifdEntry, i uint32) (v uint32, ok bool) {
	var width int64
	switch e.typ {
	case 1: // BYTE
		width = 1
	case 3: // SHORT
		width = 2
	case 4: // LONG
		width = 4
	default:
		return 0, false
	}
	if i >= e.count {
		return 0, false
	}
	var b [4]byte
	if int64(e.count)*width <= 4 {
		copy(b[:], e.value[int64(i)*width:])
	} else {
		off := int64(d.order.Uint32(e.value[:])) + int64(i)*width
		if off < 0 || off+width > d.size {
			d.short = off >= 0
			return 0, false
		}
		if _, err := d.ra.ReadAt(b[:width], off); err != nil {
			return 0, false
		}
	}
	switch width {
	case 1:
		return uint32(b[0]), true
	case 2:
		return uint32(d.order.Uint16(b[:2])), true
	}
	return d.order.Uint32(b[:]), true
}

// first returns the first value of tag, or def when the tag is absent.
func (d *ifd0) first(tag uint16, def uint32) (uint32, bool) {
	e := d.find(tag)
	if e == nil {
		return def, true
	}
	return d.uint(e, 0)
}

// exifOrientation returns the Orientation tag of the TIFF structure of an EXIF
// block, or 1 when it is absent or unreadable: a broken EXIF block does not
// make the image unusable.
func exifOrientation(ra io.ReaderAt, size int64) int {
	d, err := readIFD0(ra, size)
	if err != nil {
		return 1
	}
	o, ok := d.first(tagOrientation, 1)
	if !ok || o < 1 || o > 8 {
		return 1
	}
	return int(o)
}

// parseTIFF reads the first directory of a TIFF file and checks that
// golang.org/x/image/tiff can decode what it describes.
func parseTIFF(ra io.ReaderAt, size int64) (header, error) {
	d, err := readIFD0(ra, size)
	if err != nil {
		return header{info: Info{Frames: 1}}, err
	}
	h, err := tiffDir(d)
	if err != nil && d.short {
		// A value lies past the end: the input is truncated (or was cut at
		// MaxBytes), which check reports as such.
		err = errTruncated
	}
	return h, err
}

// tiffDir reads the image description from the first directory.
func tiffDir(d *ifd0) (header, error) {
	var h header
	h.info.Frames = 1
	w, ok1 := d.first(tagImageWidth, 0)
	ht, ok2 := d.first(tagImageLength, 0)
	if !ok1 || !ok2 || w == 0 || ht == 0 || w > 1<<31-1 || ht > 1<<31-1 {
		return h, corruptf("tiff: missing or invalid ImageWidth/ImageLength")
	}
	h.info.Width, h.info.Height = int(w), int(ht)
	if o, ok := d.first(tagOrientation, 1); ok && o >= 1 && o <= 8 {
		h.info.Orientation = int(o)
	}
	bps, ok := d.first(tagBitsPerSample, 1)
	if !ok {
		return h, corruptf("tiff: invalid BitsPerSample")
	}
	nbps := uint32(1)
	if e := d.find(tagBitsPerSample); e != nil {
		nbps = e.count
	}
	h.info.BitDepth = int(bps)
	if bps != 1 && bps != 8 && bps != 16 {
		return h, unsupportedf("tiff: %d bits per sample", bps)
	}
	if sf, ok := d.first(tagSampleFormat, 1); !ok || sf != 1 {
		return h, unsupportedf("tiff: sample format %d", sf)
	}
	comp, ok := d.first(tagCompression, 1)
	switch {
	case !ok:
		return h, corruptf("tiff: invalid Compression")
	case comp == 0, comp == 1, comp == 3, comp == 4, comp == 5, comp == 8, comp == 32773, comp == 32946:
	default:
		return h, unsupportedf("tiff: compression %d", comp)
	}
	photo, ok := d.first(tagPhotometric, 0)
	if !ok {
		return h, corruptf("tiff: invalid PhotometricInterpretation")
	}
	switch photo {
	case 0, 1:
		h.info.ColorModel = ColorGray
	case 2:
		h.info.ColorModel = ColorRGB
		switch nbps {
		case 3:
		case 4:
			if x, ok := d.first(tagExtraSamples, 0); !ok || (x != 1 && x != 2) {
				return h, unsupportedf("tiff: unspecified extra sample")
			}
			h.info.ColorModel, h.info.HasAlpha = ColorRGBA, true
		default:
			return h, unsupportedf("tiff: RGB with %d samples", nbps)
		}
	case 3:
		h.info.ColorModel = ColorPaletted
	default:
		return h, unsupportedf("tiff: photometric interpretation %d", photo)
	}
	if photo != 2 && nbps != 1 {
		return h, unsupportedf("tiff: extra samples")
	}
	return h, nil
}
