package imagecheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/orfeas3d/orfeas/internal/ctxio"
)

// Decode reads the image in r, checks it with Check against lim, and only
// then decodes it. The result is turned upright according to its EXIF
// orientation (all eight values), so its bounds are (0,0)-(info.Width,
// info.Height). For an animated GIF the first frame is returned, drawn on the
// logical screen; info.Frames counts all frames.
//
// Decode buffers the input in memory, at most lim.MaxBytes+1 bytes, so its
// memory use is bounded by MaxBytes plus the pixel memory MaxPixels allows
// (at most 8 bytes a pixel, twice when the image is rotated).
//
// Cancelling ctx stops Decode at its next read of the input or of the
// buffered data; the error then wraps ctx.Err(). Truncated or otherwise
// malformed data gives ErrCorrupt, never a partly decoded image; a panic in
// a decoder is recovered and reported as ErrCorrupt.
func Decode(ctx context.Context, r io.Reader, lim Limits) (image.Image, Info, error) {
	lim = lim.withDefaults()
	if err := ctx.Err(); err != nil {
		return nil, Info{}, fmt.Errorf("imagecheck: %w", err)
	}
	if r == nil {
		return nil, Info{}, fmt.Errorf("%w: nil reader", ErrEmpty)
	}
	data, err := readBounded(&ctxReader{ctx: ctx, r: r}, r, lim.MaxBytes+1)
	if err != nil {
		if ctx.Err() != nil {
			return nil, Info{}, fmt.Errorf("imagecheck: reading input: %w", ctx.Err())
		}
		return nil, Info{}, fmt.Errorf("imagecheck: reading input: %w", err)
	}
	info, err := check(bytes.NewReader(data), lim)
	if err != nil {
		return nil, info, err
	}
	img, err := decodeBytes(ctx, info, data)
	if err != nil {
		return nil, info, err
	}
	img, err = orient(ctx, img, info.Orientation)
	if err != nil {
		return nil, info, err
	}
	return img, info, nil
}

// readBounded reads at most limit bytes from cr (which reads r). When r can
// seek, the buffer is allocated once at the input's size.
func readBounded(cr io.Reader, r io.Reader, limit int64) ([]byte, error) {
	if sk, ok := r.(io.Seeker); ok {
		cur, err1 := sk.Seek(0, io.SeekCurrent)
		end, err2 := sk.Seek(0, io.SeekEnd)
		if err1 == nil && err2 == nil {
			if _, err := sk.Seek(cur, io.SeekStart); err != nil {
				return nil, err
			}
		}
		// A size of 0 may be a file that does not know its size (/proc):
		// read it as a stream.
		if err1 == nil && err2 == nil && end > cur {
			buf := make([]byte, min(max(end-cur, 0), limit))
			n, err := io.ReadFull(cr, buf)
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				err = nil // the input shrank since it was measured
			}
			return buf[:n], err
		}
	}
	var b bytes.Buffer
	_, err := b.ReadFrom(io.LimitReader(cr, limit))
	return b.Bytes(), err
}

// decodeBytes runs the standard decoder for info.Format on data, turning its
// failures into this package's errors.
func decodeBytes(ctx context.Context, info Info, data []byte) (img image.Image, err error) {
	f := info.Format
	if f == JPEG {
		if err := jpegComplete(data); err != nil {
			return nil, err
		}
	}
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, corruptf("%s: decoder panicked: %v", f, p)
		}
	}()
	cr := &ctxReader{ctx: ctx, r: bytes.NewReader(data)}
	switch f {
	case PNG:
		img, err = png.Decode(cr)
	case JPEG:
		img, err = jpeg.Decode(cr)
	case GIF:
		img, err = gif.Decode(cr)
	case WebP:
		img, err = webp.Decode(cr)
	case BMP:
		img, err = bmp.Decode(cr)
	case TIFF:
		img, err = tiff.Decode(cr)
	default:
		return nil, unsupportedf("%q", f)
	}
	if err != nil {
		if ce := ctx.Err(); ce != nil {
			return nil, fmt.Errorf("imagecheck: decoding %s: %w", f, ce)
		}
		return nil, decodeError(f, err)
	}
	w, h := info.Width, info.Height
	if swapsSides(info.Orientation) {
		w, h = h, w
	}
	if f == GIF {
		img = onScreen(img, w, h)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return nil, corruptf("%s: decoded %d×%d, headers say %d×%d", f, b.Dx(), b.Dy(), w, h)
	}
	return img, nil
}

// decodeError classifies a decoder error.
func decodeError(f Format, err error) error {
	var (
		pu png.UnsupportedError
		ju jpeg.UnsupportedError
		tu tiff.UnsupportedError
	)
	switch {
	case errors.As(err, &pu), errors.As(err, &ju), errors.As(err, &tu), errors.Is(err, bmp.ErrUnsupported):
		return fmt.Errorf("%w: %s: %v", ErrUnsupportedFormat, f, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return corruptf("%s: truncated: %v", f, err)
	}
	return corruptf("%s: %v", f, err)
}

// onScreen draws a GIF frame whose bounds differ from the logical screen onto
// a paletted image of the screen's size; uncovered pixels are transparent.
func onScreen(img image.Image, w, h int) image.Image {
	p, ok := img.(*image.Paletted)
	screen := image.Rect(0, 0, w, h)
	if !ok || p.Rect == screen {
		return img
	}
	pal := append(color.Palette(nil), p.Palette...)
	fill := -1
	for i, c := range pal {
		if _, _, _, a := c.RGBA(); a == 0 {
			fill = i
			break
		}
	}
	if fill < 0 && len(pal) < 256 {
		pal = append(pal, color.RGBA{})
		fill = len(pal) - 1
	}
	if fill < 0 {
		fill = 0
	}
	out := image.NewPaletted(screen, pal)
	if fill != 0 {
		for i := range out.Pix {
			out.Pix[i] = uint8(fill)
		}
	}
	r := p.Rect.Intersect(screen)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(out.Pix[out.PixOffset(r.Min.X, y):out.PixOffset(r.Max.X, y)], p.Pix[p.PixOffset(r.Min.X, y):p.PixOffset(r.Max.X, y)])
	}
	return out
}

// ctxReader fails with ctx.Err() once ctx is done. It forwards ReadAt when
// the wrapped reader has it (the TIFF decoder reads at offsets).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c *ctxReader) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	ra, ok := c.r.(io.ReaderAt)
	if !ok {
		return 0, errors.New("imagecheck: internal: reader has no ReadAt")
	}
	return ra.ReadAt(p, off)
}

// Sanitize re-encodes img as a PNG that holds the decoded pixels and nothing
// else: no EXIF, no text, no colour profile, no trailing bytes. Store what it
// returns rather than the uploaded bytes. Cancelling ctx stops the encoder at
// its next write.
func Sanitize(ctx context.Context, img image.Image) ([]byte, error) {
	if img == nil {
		return nil, fmt.Errorf("%w: nil image", ErrEmpty)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("imagecheck: sanitize: %w", err)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(ctxio.NewWriter(ctx, &buf), img); err != nil {
		if ce := ctx.Err(); ce != nil {
			return nil, fmt.Errorf("imagecheck: sanitize: %w", ce)
		}
		return nil, fmt.Errorf("imagecheck: sanitize: %w", err)
	}
	return buf.Bytes(), nil
}
