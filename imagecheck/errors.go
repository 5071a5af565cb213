package imagecheck

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// Sentinel errors. Every error returned by this package wraps at least one of
// them (or, for I/O failures and cancellation, the underlying reader or context
// error), so callers can branch with errors.Is.
var (
	// ErrEmpty reports input with no bytes at all.
	ErrEmpty = errors.New("imagecheck: empty input")
	// ErrUnsupportedFormat reports input that is not one of the allowed
	// formats, or that uses a feature of a format the decoders do not support
	// (12-bit or arithmetic-coded JPEG, animated WebP, CMYK TIFF, ...).
	ErrUnsupportedFormat = errors.New("imagecheck: unsupported format")
	// ErrTooLarge reports input over MaxBytes, MaxPixels or MaxFrames.
	ErrTooLarge = errors.New("imagecheck: too large")
	// ErrDimensions reports a width or height outside MinSide..MaxSide.
	ErrDimensions = errors.New("imagecheck: bad dimensions")
	// ErrCorrupt reports malformed or truncated input: a bad header, a bad
	// checksum, a decoder failure, or data that ends early.
	ErrCorrupt = errors.New("imagecheck: corrupt image")
)

// LimitError reports one violated limit. Several LimitErrors found in the same
// input are returned together in a *multierror.Error; errors.Is and errors.As
// find each of them through it.
//
// A LimitError matches ErrDimensions when Name is "width" or "height" and
// ErrTooLarge otherwise ("bytes", "pixels", "frames", "scans").
type LimitError struct {
	// Name is the limited quantity: "bytes", "width", "height", "pixels",
	// "frames" or "scans" (a JPEG's, at most 256: each is a pass of the
	// decoder over the whole image).
	Name string
	// Value is the value found. Counting stops early where going on would
	// cost more than the limit allows: for "bytes" read from a reader that
	// cannot seek, Value is Max+1 (the bytes read before giving up); for
	// "frames" and "scans", the walk stops at frame or scan Max+1.
	Value int64
	// Max is the largest allowed value. For a value below a minimum
	// (width or height under MinSide), Max is that minimum and Below is true.
	Max int64
	// Below is true when Value is smaller than the minimum Max.
	Below bool
}

// Error implements error.
func (e *LimitError) Error() string {
	if e.Below {
		return fmt.Sprintf("imagecheck: %s %d below minimum %d", e.Name, e.Value, e.Max)
	}
	return fmt.Sprintf("imagecheck: %s %d exceeds limit %d", e.Name, e.Value, e.Max)
}

// Is reports whether target is the sentinel this limit belongs to.
func (e *LimitError) Is(target error) bool {
	switch e.Name {
	case "width", "height":
		return target == ErrDimensions
	default:
		return target == ErrTooLarge
	}
}

// corruptf returns an ErrCorrupt with context.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// unsupportedf returns an ErrUnsupportedFormat with context.
func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupportedFormat}, args...)...)
}

// combine returns nil for no errors, the error itself for one, and a
// *multierror.Error listing all of them on one line for several.
func combine(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	m := &multierror.Error{Errors: errs, ErrorFormat: formatErrors}
	return m
}

func formatErrors(es []error) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = strings.TrimPrefix(e.Error(), "imagecheck: ")
	}
	return fmt.Sprintf("imagecheck: %d problems: %s", len(es), strings.Join(parts, "; "))
}
