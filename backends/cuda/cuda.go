// Package cuda is orfeas's NVIDIA GPU backend.
//
// This build holds no GPU implementation yet: New always fails with an error wrapping
// backends.ErrUnavailable and Available reports false, so the generator's "auto" backend choice
// falls back to the CPU reference. The real backend, which loads the driver (libcuda.so.1) at run
// time, will keep this API.
package cuda

import (
	"context"
	"fmt"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
)

// errNotBuilt is why New fails in this build.
var errNotBuilt = fmt.Errorf("%w: cuda: not implemented in this build", backends.ErrUnavailable)

// Backend is the CUDA backend. In this build no value of it can be obtained from New; its methods
// report backends.ErrUnavailable.
type Backend struct {
	_ struct{}
}

// New opens the GPU backend. In this build it always returns an error wrapping
// backends.ErrUnavailable.
func New() (*Backend, error) {
	return nil, errNotBuilt
}

// Available reports whether a GPU backend can be opened here. In this build it is always false.
func Available() bool { return false }

// Name returns "cuda".
func (*Backend) Name() string { return "cuda" }

// Reconstruct returns an error wrapping backends.ErrUnavailable.
func (*Backend) Reconstruct(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, errNotBuilt
}

// Close returns an error wrapping backends.ErrUnavailable: there is nothing open to close.
func (*Backend) Close() error { return errNotBuilt }

var _ backends.Backend = (*Backend)(nil)
