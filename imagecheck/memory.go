package imagecheck

import (
	"bytes"
	"context"
	"fmt"
	"image"
)

// DecodeMemory estimates the most memory, in bytes, that Decode holds while
// decoding the image info describes (as Check returns it), the input bytes
// apart. It is known from the headers alone, before anything is decoded, so a
// service can reserve it from a memory budget shared by its requests (a
// weighted semaphore) and decode only when it fits.
//
// The estimate is the decoded image at the bytes per pixel the standard
// decoders use for the format and colour model (1 for grey or paletted, 3 to 4
// for colour, twice that at 16 bits), plus what the decoder holds besides: a
// progressive JPEG keeps every DCT coefficient, 4 bytes per pixel and
// component (a 40 MP colour JPEG needs about 600 MB, where a baseline one
// needs about 120 MB), a GIF frame is drawn onto an RGBA-sized screen, and an
// EXIF rotation or flip makes a second copy. It rounds up: the figures
// measured in BenchmarkDecodeMemory stay below it.
func DecodeMemory(info Info) int64 {
	px := int64(info.Width) * int64(info.Height)
	if px <= 0 {
		return 0
	}
	depth := int64(1)
	if info.BitDepth > 8 {
		depth = 2
	}
	var pix, extra int64 // bytes per pixel of the result, and of the decoder's own buffers
	switch info.Format {
	case JPEG:
		comps := int64(3)
		switch info.ColorModel {
		case ColorGray:
			comps = 1
		case ColorCMYK:
			comps = 4
		}
		pix = comps
		if info.ColorModel == ColorRGB {
			pix = 4 // decoded into RGBA
		}
		if info.Progressive {
			extra = 4 * comps // a [64]int32 block per 8×8 pixels and component
		}
	case GIF:
		pix, extra = 1, 1
	default: // PNG, WebP, BMP, TIFF
		switch info.ColorModel {
		case ColorGray, ColorPaletted:
			pix = 1 * depth
		case ColorGrayAlpha:
			pix = 4 * depth // decoded into NRGBA
		default:
			pix = 4 * depth
		}
		if info.Format == WebP || info.Format == TIFF {
			extra = 4 // an intermediate plane or buffer of the whole image
		}
	}
	total := px * (pix + extra)
	if info.Orientation > 1 {
		total += px * pix
	}
	// The decoders' row buffers, Huffman and zlib state: small, but not nothing.
	return total + total/8 + 1<<20
}

// DecodeStored decodes image bytes that another file embeds (a GLB
// texture), through the same checks and limits as Decode: the headers are
// checked against lim first, the decoder runs only when they pass, and
// cancelling ctx stops it. Unlike Decode it keeps the pixels as stored,
// ignoring any EXIF orientation, because the embedding file addresses them
// that way (texture coordinates); Info's Width and Height are the stored
// ones too.
func DecodeStored(ctx context.Context, data []byte, lim Limits) (image.Image, Info, error) {
	lim = lim.withDefaults()
	if err := ctx.Err(); err != nil {
		return nil, Info{}, fmt.Errorf("imagecheck: %w", err)
	}
	info, err := check(bytes.NewReader(data), lim)
	if err != nil {
		return nil, info, err
	}
	if swapsSides(info.Orientation) {
		info.Width, info.Height = info.Height, info.Width
	}
	info.Orientation = 1
	img, err := decodeBytes(ctx, info, data)
	if err != nil {
		return nil, info, err
	}
	return img, info, nil
}
