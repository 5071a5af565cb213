//go:build cgo

package cuda

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
)

// Without an injected host, the stages that stay on the CPU fail with a typed error that names
// the missing option, and the device is never asked.
func TestNoHostIsUnsupported(t *testing.T) {
	lum := make([]float32, 16*16)
	for _, in := range []*backends.Input{
		{Width: 16, Height: 16, Luminance: lum, PixelSize: 1, Mode: backends.Extrude},
		{Width: 16, Height: 16, Luminance: lum, PixelSize: 1, Mode: backends.Lithophane,
			Lithophane: backends.LithophaneParams{Shape: backends.Cylinder}},
	} {
		m, rep, err := dispatch(context.Background(), in, nil, nil, nil, 0)
		if !errors.Is(err, backends.ErrUnsupportedMode) || !strings.Contains(err.Error(), "Options.Host") || m != nil || rep != (backends.Report{}) {
			t.Fatalf("%s: mesh %v, report %+v, err %v; want ErrUnsupportedMode naming Options.Host", in.Mode, m != nil, rep, err)
		}
	}
}
