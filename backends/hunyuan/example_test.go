package hunyuan_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// A stand-in for a Hunyuan3D-2 api_server: POST /generate answers a GLB, here a 40 mm box
// with one face missing (an open mesh, as such servers sometimes return).
func fakeServer() *httptest.Server {
	box := &mesh.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {40, 0, 0}, {40, 40, 0}, {0, 40, 0}, {0, 0, 40}, {40, 0, 40}, {40, 40, 40}, {0, 40, 40}},
		Faces: [][3]uint32{{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
			{1, 2, 6}, {1, 6, 5}, {2, 3, 7}, {2, 7, 6}, {3, 0, 4}}, // {3, 4, 7} is missing
	}
	var glb bytes.Buffer
	meshio.Encode(&glb, box, meshio.GLB)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/generate" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"text": "unknown route", "error_code": 1}`)
			return
		}
		w.Write(glb.Bytes())
	}))
}

// A model from a prompt, made printable and 60 mm wide.
func ExampleBackend_ReconstructText() {
	srv := fakeServer()
	defer srv.Close()
	b, err := hunyuan.New(hunyuan.Options{URL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	m, _, err := b.ReconstructText(context.Background(), "a small crate", 60, 5000, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	t := m.Topology()
	s := m.Bounds().Size()
	fmt.Printf("closed %v, %.0f × %.0f × %.0f mm\n", t.Closed(), s[0], s[1], s[2])
	// Output: closed true, 60 × 60 × 60 mm
}

// Without a server, the error is typed and comes at once.
func ExampleErrUnreachable() {
	srv := fakeServer()
	srv.Close() // nothing listens there any more
	b, _ := hunyuan.New(hunyuan.Options{URL: srv.URL, Retries: -1})
	_, _, err := b.ReconstructText(context.Background(), "a vase", 0, 0, nil)
	fmt.Println(errors.Is(err, hunyuan.ErrUnreachable), errors.Is(err, backends.ErrUnavailable))
	// Output: true true
}

// A server that never sends its answer's headers: HeaderTimeout bounds the wait, and the error is
// the typed ErrTimeout (not retried), long before the whole call's Timeout.
func ExampleOptions_headerTimeout() {
	stall := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stall)
	b, _ := hunyuan.New(hunyuan.Options{URL: srv.URL, HeaderTimeout: 200 * time.Millisecond})
	defer b.Close()
	_, _, err := b.ReconstructText(context.Background(), "a vase", 0, 0, nil)
	fmt.Println(errors.Is(err, hunyuan.ErrTimeout))
	// Output: true
}

// RestStableFace stands the model on the largest face of its convex hull that holds it up, rather
// than on its lowest point; the report says what making it printable took.
func ExampleRestStableFace() {
	srv := fakeServer()
	defer srv.Close()
	b, _ := hunyuan.New(hunyuan.Options{URL: srv.URL, Rest: hunyuan.RestStableFace})
	defer b.Close()
	m, rep, err := b.ReconstructText(context.Background(), "a small crate", 60, 5000, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	low := 0
	for _, p := range m.Positions {
		if p[2] < 1e-3 {
			low++
		}
	}
	fmt.Printf("closed %v, %d corners on the bed, repaired %v\n", m.Topology().Closed(), low, rep.Printable != nil && rep.Printable.Repaired)
	// Output: closed true, 4 corners on the bed, repaired true
}
