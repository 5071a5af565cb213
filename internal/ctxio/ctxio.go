// Package ctxio holds the one io.Writer wrapper that the module's encoders and file helpers share:
// it stops at the first failed write, or once a context is done, and keeps that error. Encoders
// that write in large chunks (mesh/meshio), the PNG re-encoder (imagecheck.Sanitize) and the CLI's
// atomic file writer use it, so that a cancelled or failed write stops the work at the next
// chunk and no error a library drops along the way is lost.
package ctxio

import (
	"context"
	"io"
)

// Writer passes writes to an underlying io.Writer until one fails or its context is done, then
// fails every later write with that first error, which Err returns. A short write counts as
// io.ErrShortWrite. It lets a library that ignores some of its write errors be used safely, and
// makes a long encode stop promptly when its context is cancelled.
type Writer struct {
	ctx context.Context
	w   io.Writer
	err error
}

// NewWriter returns a Writer that writes to w while ctx is not done.
func NewWriter(ctx context.Context, w io.Writer) *Writer { return &Writer{ctx: ctx, w: w} }

// Write writes p to the underlying writer unless an earlier write failed or the context is done,
// and keeps the first error.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return 0, err
	}
	n, err := w.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	w.err = err
	return n, err
}

// Err returns the first error a write returned, or nil.
func (w *Writer) Err() error { return w.err }
