package imagecheck

// Format names an image file format, identified by its magic bytes.
type Format string

// The formats this package recognises.
const (
	PNG  Format = "png"
	JPEG Format = "jpeg"
	GIF  Format = "gif"
	WebP Format = "webp"
	BMP  Format = "bmp"
	TIFF Format = "tiff"
)

// AllFormats lists every supported format, in the order used for documentation.
var AllFormats = []Format{PNG, JPEG, GIF, WebP, BMP, TIFF}

// Default limits, used for zero fields of Limits.
const (
	DefaultMaxBytes  = 50 << 20 // 50 MiB
	DefaultMinSide   = 8
	DefaultMaxSide   = 16384
	DefaultMaxPixels = 40_000_000
	DefaultMaxFrames = 1000
)

// Limits bounds what Check and Decode accept. The zero value means the
// documented defaults; a zero (or negative) field takes its default, except
// MinSide, where a negative value allows any side of at least 1 pixel.
type Limits struct {
	// MaxBytes is the largest accepted input size in bytes (default 50 MiB).
	MaxBytes int64
	// MinSide is the smallest accepted width and height in pixels (default 8).
	MinSide int
	// MaxSide is the largest accepted width and height in pixels
	// (default 16384).
	MaxSide int
	// MaxPixels is the largest accepted width×height (default 40,000,000).
	MaxPixels int64
	// MaxFrames is the largest accepted number of frames of an animated GIF
	// (default 1000).
	MaxFrames int
	// Formats lists the accepted formats; nil or empty means all of
	// AllFormats.
	Formats []Format
}

// withDefaults returns l with every unset field replaced by its default.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxBytes > 1<<62 {
		l.MaxBytes = 1 << 62 // keep MaxBytes+1 from overflowing
	}
	switch {
	case l.MinSide == 0:
		l.MinSide = DefaultMinSide
	case l.MinSide < 0:
		l.MinSide = 1
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultMaxSide
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxFrames <= 0 {
		l.MaxFrames = DefaultMaxFrames
	}
	return l
}

func (l Limits) allows(f Format) bool {
	if len(l.Formats) == 0 {
		return true
	}
	for _, g := range l.Formats {
		if g == f {
			return true
		}
	}
	return false
}

// ColorModel names how an image stores its colours.
type ColorModel string

// Colour models reported in Info.
const (
	ColorGray      ColorModel = "gray"
	ColorGrayAlpha ColorModel = "gray+alpha"
	ColorRGB       ColorModel = "rgb"
	ColorRGBA      ColorModel = "rgba"
	ColorPaletted  ColorModel = "paletted"
	ColorCMYK      ColorModel = "cmyk"
	ColorYCbCr     ColorModel = "ycbcr"
	ColorYCbCrA    ColorModel = "ycbcr+alpha"
)

// Info describes an image as read from its headers.
type Info struct {
	// Format is the file format found from the magic bytes.
	Format Format
	// Width and Height are the size in pixels of the image as displayed,
	// that is after EXIF orientation: for orientations 5 to 8 they are the
	// stored height and width.
	Width, Height int
	// ColorModel is the stored colour model.
	ColorModel ColorModel
	// BitDepth is the number of bits per sample (per channel; per index for
	// paletted images).
	BitDepth int
	// HasAlpha reports whether the image can carry transparency: an alpha
	// channel, a PNG tRNS chunk, a GIF transparent index, a WebP ALPH chunk.
	HasAlpha bool
	// Frames is the number of frames: the image descriptors of a GIF, 1 for
	// every other format.
	Frames int
	// Orientation is the EXIF orientation, 1 to 8 (1 when absent). It is
	// read from JPEG APP1 Exif, PNG eXIf chunks before the image data, and
	// the TIFF Orientation tag.
	Orientation int
	// Bytes is the size of the input in bytes.
	Bytes int64
	// Progressive reports a progressive JPEG (SOF2), whose decoder keeps every
	// coefficient of the image in memory until the last scan: see
	// DecodeMemory.
	Progressive bool
}

// swapsSides reports whether orientation o turns the image by 90 degrees.
func swapsSides(o int) bool { return o >= 5 && o <= 8 }
