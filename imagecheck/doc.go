// Package imagecheck is the one door untrusted image bytes come through:
// it identifies them, bounds them, and decodes them without hanging, without
// unbounded memory, and without panicking, whatever the bytes.
//
// # The safe path
//
// Never hand uploaded bytes straight to image.Decode: an 80-byte PNG can
// declare 100,000×100,000 pixels and make the decoder allocate 40 GB, and a
// truncated JPEG decodes "successfully" into a partly grey picture. Instead:
//
//   - Call Decode. It reads at most Limits.MaxBytes+1 bytes, runs Check on
//     them, and only when every header is sound and within the limits runs
//     the standard decoder, then turns the image upright per its EXIF
//     orientation.
//   - When only the facts are needed (format, size, frames), call Check: it
//     reads the headers, never decodes pixels, and costs microseconds.
//   - To store an upload, store Sanitize(img), a fresh PNG with the pixels and
//     no metadata (no GPS EXIF), never the original bytes.
//
// The zero Limits is the safe default: 50 MiB, sides of 8 to 16384 pixels,
// 40 megapixels, 1000 GIF frames, and the formats PNG, JPEG, GIF, WebP, BMP
// and TIFF. The format is found from the magic bytes, never from a file name.
//
// # Errors
//
// Every error wraps one of ErrEmpty, ErrUnsupportedFormat, ErrTooLarge,
// ErrDimensions or ErrCorrupt, or a read or context error. Violated limits are
// *LimitError values (Name, Value, Max); when several are violated, all come
// back in one *multierror.Error (github.com/hashicorp/go-multierror), and
// errors.Is and errors.As find each of them through it.
//
// # Decoders
//
// PNG, JPEG and GIF use the standard library, WebP, BMP and TIFF
// golang.org/x/image. The package dispatches on its own magic-byte detection
// and registers nothing itself; note only that the x/image decoders it
// imports register "webp", "bmp" and "tiff" with image.Decode in their init
// functions, as they do for any program that imports them.
package imagecheck
