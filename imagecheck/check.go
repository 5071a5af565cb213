package imagecheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// errTruncated is returned by the header parsers when the input ends early.
// check turns it into ErrCorrupt, or into a "bytes" LimitError when the end
// was the MaxBytes cut rather than the real end of the input.
var errTruncated = errors.New("input ends early")

// source is the bounded, buffered reader the header parsers read from.
type source struct {
	cr   countingReader
	br   *bufio.Reader
	size int64 // total input size when known (seekable input), else -1
}

// countingReader counts the bytes handed out by a limited reader.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ioError marks a read error of the underlying reader (not an EOF), which is
// returned to the caller as is, wrapped with context.
type ioError struct{ err error }

func (e *ioError) Error() string { return "imagecheck: reading input: " + e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

func (s *source) fail(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errTruncated
	}
	return &ioError{err}
}

// pos is the offset of the next unread byte.
func (s *source) pos() int64 { return s.cr.n - int64(s.br.Buffered()) }

// full reads exactly len(p) bytes.
func (s *source) full(p []byte) error {
	if s.size >= 0 && s.pos()+int64(len(p)) > s.size {
		return errTruncated
	}
	if _, err := io.ReadFull(s.br, p); err != nil {
		return s.fail(err)
	}
	return nil
}

func (s *source) byte() (byte, error) {
	b, err := s.br.ReadByte()
	if err != nil {
		return 0, s.fail(err)
	}
	return b, nil
}

// skip discards n bytes.
func (s *source) skip(n int64) error {
	if n < 0 {
		return errTruncated
	}
	if s.size >= 0 && s.pos()+n > s.size {
		return errTruncated
	}
	for n > 0 {
		k := n
		if k > 1<<30 {
			k = 1 << 30
		}
		d, err := s.br.Discard(int(k))
		n -= int64(d)
		if err != nil {
			return s.fail(err)
		}
	}
	return nil
}

// rest reads the remaining input into memory (bounded by the byte limit).
func (s *source) rest() ([]byte, error) {
	b, err := io.ReadAll(s.br)
	if err != nil {
		return nil, s.fail(err)
	}
	return b, nil
}

// drain reads and discards the rest of the input, and returns the total size
// read (at most the byte limit plus one).
func (s *source) drain() (int64, error) {
	if _, err := io.Copy(io.Discard, s.br); err != nil {
		return 0, &ioError{err}
	}
	return s.cr.n, nil
}

// header is what a format parser learns.
type header struct {
	info Info  // stored (not yet oriented) width and height
	need int64 // minimum total input size the headers imply, 0 if unknown
	errs []error
}

// Check identifies the image in r by its magic bytes and validates its
// headers against lim, without decoding pixels. It reads only the headers it
// needs (for JPEG the markers up to the frame header, for GIF the block
// structure without decompressing it) and then discards the rest of the input
// to learn its size, stopping at lim.MaxBytes+1 bytes. When r is an io.Seeker
// the size is taken by seeking instead. For TIFF, whose directory may lie
// anywhere in the file, input that is not an io.ReaderAt is buffered in memory
// (up to lim.MaxBytes).
//
// Check consumes r. The returned Info describes the image as displayed:
// Width and Height are swapped for EXIF orientations 5 to 8. On error, Info
// holds whatever was learnt before the problem.
//
// Errors wrap ErrEmpty, ErrUnsupportedFormat, ErrCorrupt, or one or more
// *LimitError (matching ErrTooLarge or ErrDimensions); several violated limits
// are reported together in one *multierror.Error. Read errors of r are
// returned wrapped.
func Check(r io.Reader, lim Limits) (Info, error) {
	return check(r, lim.withDefaults())
}

// magic lengths: the longest prefix needed to tell formats apart.
const magicLen = 12

func detect(b []byte) (Format, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, true
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG, true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF, true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP, true
	case bytes.HasPrefix(b, []byte("BM")) && len(b) >= 6:
		return BMP, true
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return TIFF, true
	}
	return "", false
}

// truncatedMagic reports whether b, shorter than any full signature, is the
// start of one: a file cut inside its magic bytes is corrupt, not foreign.
func truncatedMagic(b []byte) bool {
	for _, m := range []string{"\x89PNG\r\n\x1a\n", "\xFF\xD8\xFF", "GIF87a", "GIF89a", "II*\x00", "MM\x00*", "BM\x00\x00\x00\x00"} {
		if len(b) < len(m) && string(b) == m[:len(b)] {
			return true
		}
	}
	if len(b) < 12 && len(b) > 0 {
		w := "RIFF\x00\x00\x00\x00WEBP"
		if len(b) <= 4 {
			return string(b) == w[:len(b)]
		}
		if string(b[:4]) != "RIFF" {
			return false
		}
		return len(b) <= 8 || string(b[8:]) == w[8:len(b)]
	}
	return false
}

func check(r io.Reader, lim Limits) (Info, error) {
	if r == nil {
		return Info{}, fmt.Errorf("%w: nil reader", ErrEmpty)
	}
	size := int64(-1)
	var ra io.ReaderAt
	var base int64
	if sk, ok := r.(io.Seeker); ok {
		cur, err1 := sk.Seek(0, io.SeekCurrent)
		end, err2 := sk.Seek(0, io.SeekEnd)
		if err1 == nil && err2 == nil {
			if _, err := sk.Seek(cur, io.SeekStart); err != nil {
				return Info{}, &ioError{err}
			}
			// A size of 0 may be a file that does not know its size
			// (/proc): read it as a stream.
			if end > cur {
				size = end - cur
				if a, ok := r.(io.ReaderAt); ok {
					ra, base = a, cur
				}
			}
		}
	}
	s := &source{size: size}
	s.cr.r = io.LimitReader(r, lim.MaxBytes+1)
	bufSize := 4096
	if size >= 0 && size < int64(bufSize) {
		bufSize = max(int(size), 16) // bufio's minimum
	}
	s.br = bufio.NewReaderSize(&s.cr, bufSize)
	if s.size > lim.MaxBytes+1 {
		s.size = lim.MaxBytes + 1 // what the limited reader can hand out
	}

	var sizeErr error
	over := func(n int64) error { return &LimitError{Name: "bytes", Value: n, Max: lim.MaxBytes} }
	if size > lim.MaxBytes {
		sizeErr = over(size)
	}
	withSize := func(errs ...error) error {
		if sizeErr != nil {
			errs = append([]error{sizeErr}, errs...)
		}
		return combine(errs)
	}

	m, err := s.br.Peek(magicLen)
	if len(m) == 0 {
		if err != nil && err != io.EOF {
			return Info{}, &ioError{err}
		}
		return Info{}, ErrEmpty
	}
	if err != nil && err != io.EOF {
		return Info{}, &ioError{err}
	}
	f, ok := detect(m)
	if !ok {
		if len(m) < magicLen && truncatedMagic(m) {
			return Info{}, corruptf("input of %d bytes ends inside the signature", len(m))
		}
		return Info{}, withSize(unsupportedf("unknown signature % x", m[:min(len(m), 8)]))
	}
	if !lim.allows(f) {
		return Info{Format: f}, withSize(unsupportedf("%s is not an allowed format", f))
	}

	var h header
	var perr error
	switch f {
	case PNG:
		h, perr = parsePNG(s)
	case JPEG:
		h, perr = parseJPEG(s)
	case GIF:
		h, perr = parseGIF(s, lim)
	case WebP:
		h, perr = parseWebP(s)
	case BMP:
		h, perr = parseBMP(s)
	case TIFF:
		if ra != nil {
			h, perr = parseTIFF(io.NewSectionReader(ra, base, min(size, lim.MaxBytes+1)), min(size, lim.MaxBytes+1))
		} else {
			var b []byte
			b, perr = s.rest()
			if perr == nil {
				h, perr = parseTIFF(bytes.NewReader(b), int64(len(b)))
			}
		}
	}
	h.info.Format = f
	if h.info.Frames == 0 {
		h.info.Frames = 1
	}
	if h.info.Orientation < 1 || h.info.Orientation > 8 {
		h.info.Orientation = 1
	}
	if perr != nil {
		var ioe *ioError
		if errors.As(perr, &ioe) {
			return h.info, perr
		}
		if sizeErr == nil && s.cr.n > lim.MaxBytes {
			sizeErr = over(s.cr.n) // a stream that reached the cut
		}
		if errors.Is(perr, errTruncated) {
			if sizeErr != nil {
				return h.info, sizeErr // the end was our cut, not the file's
			}
			return h.info, corruptf("%s: %v at byte %d", f, errTruncated, s.pos())
		}
		return h.info, withSize(perr)
	}

	// Dimension limits apply to the stored image; MinSide/MaxSide are the same
	// for both axes, so orientation does not change the verdict.
	errs := h.errs
	w, ht := int64(h.info.Width), int64(h.info.Height)
	for _, d := range []struct {
		name string
		v    int64
	}{{"width", w}, {"height", ht}} {
		if d.v > int64(lim.MaxSide) {
			errs = append(errs, &LimitError{Name: d.name, Value: d.v, Max: int64(lim.MaxSide)})
		} else if d.v < int64(lim.MinSide) {
			errs = append(errs, &LimitError{Name: d.name, Value: d.v, Max: int64(lim.MinSide), Below: true})
		}
	}
	if p := w * ht; p > lim.MaxPixels {
		errs = append(errs, &LimitError{Name: "pixels", Value: p, Max: lim.MaxPixels})
	}

	if size < 0 {
		n, err := s.drain()
		if err != nil {
			return h.info, err
		}
		size = n
		if n > lim.MaxBytes {
			sizeErr = over(n)
		}
	}
	h.info.Bytes = size
	if sizeErr == nil && h.need > size {
		errs = append(errs, corruptf("%s: headers need %d bytes, input has %d", f, h.need, size))
	}
	if swapsSides(h.info.Orientation) {
		h.info.Width, h.info.Height = h.info.Height, h.info.Width
	}
	return h.info, withSize(errs...)
}
