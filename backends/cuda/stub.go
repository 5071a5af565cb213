//go:build !cgo

package cuda

import (
	"context"
	"fmt"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/mesh"
)

// errNoCgo is why New fails in a build without cgo.
var errNoCgo = fmt.Errorf("%w: cuda: built without cgo", backends.ErrUnavailable)

// Backend is the CUDA backend. This build has no cgo, so no value of it can be obtained from New
// and its methods report backends.ErrUnavailable.
type Backend struct {
	_ struct{}
}

var _ backends.Backend = (*Backend)(nil)

// New returns an error wrapping backends.ErrUnavailable: the backend needs cgo.
func New() (*Backend, error) { return nil, errNoCgo }

// NewWithOptions returns an error wrapping backends.ErrUnavailable: the backend needs cgo.
func NewWithOptions(Options) (*Backend, error) { return nil, errNoCgo }

// Available reports false: the backend needs cgo.
func Available() bool { return false }

// Name returns "cuda".
func (*Backend) Name() string { return "cuda" }

// Info returns the zero Info.
func (*Backend) Info() Info { return Info{} }

// Reconstruct returns an error wrapping backends.ErrUnavailable.
func (*Backend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, errNoCgo
}

// ReconstructReport returns an error wrapping backends.ErrUnavailable.
func (b *Backend) ReconstructReport(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, cpu.Report, error) {
	m, err := b.Reconstruct(ctx, in, progress)
	return m, cpu.Report{}, err
}

// Close returns an error wrapping backends.ErrUnavailable: there is nothing open to close.
func (*Backend) Close() error { return errNoCgo }
