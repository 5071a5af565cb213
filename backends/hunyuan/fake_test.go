package hunyuan

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// fakeServer speaks Hunyuan3D-2's api_server API: POST /generate (the GLB, or 404 with
// {"text", "error_code": 1}), POST /send → {"uid"}, GET /status/{uid} → {"status": "processing"}
// or {"status": "completed", "model_base64"}. The first path segment picks a behaviour:
//
//	/ok/…        a defective GLB (Y-up metres, floater, duplicates, degenerate faces, a hole, a
//	             non-manifold edge), with vertex colours
//	/textured/…  the same with a baked texture
//	/big/…       a 500k-face defective GLB
//	/closed/…    a closed, clean box (repair alone suffices)
//	/error/…     404 {"text": "CUDA out of memory", "error_code": 1}
//	/never/…     /status stays "processing" forever
//	/truncated/… the body cut short of its Content-Length
//	/huge/…      a claimed Content-Length of 2 GB
//	/slow/…      headers after 10 s
//	/flaky/…     503 on the first two calls, then ok
//	/delay/…     ok after delay (fakeServer.delay): /generate answers after it, a /send job
//	             completes after it
//	/delay-closed/… the same with the clean box (repair only, no solidify)
type fakeServer struct {
	t      testing.TB
	srv    *httptest.Server
	calls  atomic.Int64
	delay  time.Duration
	last   Params
	mu     sync.Mutex
	models sync.Map // behaviour → []byte
	sent   sync.Map // uid → time.Time of its /send
}

func newFake(t testing.TB) *fakeServer {
	f := &fakeServer{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) url(behaviour string) string { return f.srv.URL + "/" + behaviour }

// glb returns the (cached) model a behaviour serves: Hunyuan's output is about 1 unit across,
// in metres-ish units, Y up; meshio's encoder writes our Z-up millimetres as exactly that.
func (f *fakeServer) glb(behaviour string) []byte {
	if v, ok := f.models.Load(behaviour); ok {
		return v.([]byte)
	}
	var m *mesh.Mesh
	switch behaviour {
	case "textured":
		m = meshtest.DefectiveTextured(500, 40, 64)
	case "big":
		m = meshtest.Defective(500, 385, 770)
	case "closed", "delay-closed":
		m = meshtest.Cuboid([3]float32{-300, -200, -400}, [3]float32{300, 200, 400})
	default:
		m = meshtest.Defective(500, 40, 64)
	}
	var buf bytes.Buffer
	if err := meshio.Encode(&buf, m, meshio.GLB); err != nil {
		f.t.Fatal(err)
	}
	f.models.Store(behaviour, buf.Bytes())
	return buf.Bytes()
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	n := f.calls.Add(1)
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	if len(parts) != 2 {
		http.NotFound(w, r)
		return
	}
	behaviour, route := parts[0], parts[1]
	if !strings.Contains(" ok textured big closed error never truncated huge slow flaky delay delay-closed ", " "+behaviour+" ") {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodPost {
		var p Params
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil || (p.Image == "") == (p.Text == "") {
			apiError(w, "bad request body")
			return
		}
		if p.Image != "" {
			if _, err := base64.StdEncoding.DecodeString(p.Image); err != nil {
				apiError(w, "image is not base64")
				return
			}
		}
		f.mu.Lock()
		f.last = p
		f.mu.Unlock()
	}
	switch behaviour {
	case "error":
		apiError(w, "CUDA out of memory")
		return
	case "slow":
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
			return
		}
	case "flaky":
		if n <= 2 {
			http.Error(w, "upstream busy", http.StatusServiceUnavailable)
			return
		}
	case "delay", "delay-closed":
		// The server's own time: /generate takes delay; a /send job completes delay after it.
		if route == "generate" {
			time.Sleep(f.delay)
		}
	}
	model := f.glb(behaviour)
	switch {
	case route == "generate":
		f.writeModel(w, behaviour, model)
	case route == "send" && r.Method == http.MethodPost:
		uid := "job-" + strconv.FormatInt(n, 10)
		f.sent.Store(uid, time.Now())
		json.NewEncoder(w).Encode(map[string]string{"uid": uid})
	case strings.HasPrefix(route, "status/"):
		if behaviour == "never" {
			json.NewEncoder(w).Encode(map[string]string{"status": "processing"})
			return
		}
		if t, ok := f.sent.Load(strings.TrimPrefix(route, "status/")); ok && time.Since(t.(time.Time)) < f.delay {
			json.NewEncoder(w).Encode(map[string]string{"status": "processing"})
			return
		}
		if behaviour == "huge" || behaviour == "truncated" {
			f.writeModel(w, behaviour, model)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "completed", "model_base64": base64.StdEncoding.EncodeToString(model)})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeServer) writeModel(w http.ResponseWriter, behaviour string, model []byte) {
	switch behaviour {
	case "huge":
		w.Header().Set("Content-Length", strconv.FormatInt(2<<30, 10))
		w.WriteHeader(http.StatusOK)
		w.Write(model)
		return
	case "truncated":
		w.Header().Set("Content-Length", strconv.Itoa(len(model)))
		w.WriteHeader(http.StatusOK)
		w.Write(model[:len(model)/2])
		return // the server closes a connection whose body fell short
	}
	w.Header().Set("Content-Type", "model/gltf-binary")
	w.Write(model)
}

func apiError(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `{"text": %q, "error_code": 1}`, text)
}
