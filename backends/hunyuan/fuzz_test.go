package hunyuan

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// FuzzModelAnswer feeds arbitrary bytes to the backend as the server's model: the result is a
// closed mesh or an error wrapping ErrInvalidModel, never a panic.
func FuzzModelAnswer(f *testing.F) {
	var glb bytes.Buffer
	meshio.Encode(&glb, meshtest.Defective(10, 8, 12), meshio.GLB)
	f.Add(glb.Bytes())
	f.Add(glb.Bytes()[:len(glb.Bytes())/2])
	f.Add([]byte("glTF"))
	f.Add([]byte(`{"text": "CUDA error", "error_code": 1}`))
	b, _ := New(Options{URL: "http://127.0.0.1:1", SolidifyResolution: 16})
	stable, _ := New(Options{URL: "http://127.0.0.1:1", SolidifyResolution: 16, Rest: RestStableFace})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := b
		if len(data)%2 == 1 { // half the inputs also go through the convex hull
			b = stable
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		m, _, err := b.printable(ctx, data, tier{solidify: 16}, 500, 10, nil, nil)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("took %v (%v)", d, err)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidModel) && ctx.Err() == nil {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if top := m.Topology(); !top.Closed() || !top.Outward {
			t.Fatalf("not closed: %+v", top)
		}
	})
}

// FuzzServerError parses arbitrary error bodies.
func FuzzServerError(f *testing.F) {
	f.Add([]byte(`{"text": "bad image", "error_code": 1}`))
	f.Add([]byte(`{"text": "x", "error_code": "1"}`))
	f.Add([]byte("<html>502</html>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if e := serverError(404, body); e.Text == "" || e.Error() == "" {
			t.Fatalf("empty message for %q", body)
		}
	})
}
