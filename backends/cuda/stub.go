//go:build !cgo

package cuda

import (
	"context"
	"fmt"

	"github.com/orfeas3d/orfeas/backends"
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
func New(Options) (*Backend, error) { return nil, errNoCgo }

// Available reports false: the backend needs cgo.
func Available() bool { return false }

// Name returns "cuda".
func (*Backend) Name() string { return "cuda" }

// Info returns the zero Info.
func (*Backend) Info() Info { return Info{} }

// Reconstruct returns an error wrapping backends.ErrUnavailable.
func (*Backend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, backends.Report{}, err
	}
	return nil, backends.Report{}, errNoCgo
}

// Close returns an error wrapping backends.ErrUnavailable: there is nothing open to close.
func (*Backend) Close() error { return errNoCgo }
