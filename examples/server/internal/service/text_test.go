package service

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh/meshio"
	"github.com/orfeas3d/orfeas/textimage"
)

// fakeTxt2Img answers /sdapi/v1/txt2img with image, as AUTOMATIC1111 does.
func fakeTxt2Img(t *testing.T, image []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"images": []string{base64.StdEncoding.EncodeToString(image)}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTextToImageProvider(t *testing.T) {
	good := fakeTxt2Img(t, testPNG(t, 64, 48))
	_, ts := testService(t, func(c *Config) { c.TextImage = &textimage.A1111{URL: good.URL} })
	resp, out := postJSON(t, ts.URL+"/api/text-to-image", `{"prompt": "a red dragon"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	m := decode(t, out)
	id, _ := m["job_id"].(string)
	if id == "" || m["prompt"] != "a red dragon" || m["status"] != "uploaded" {
		t.Fatalf("answer %s", out)
	}
	// The generated image is an upload like any other: it generates.
	generate(t, ts.URL, id, "stl", 1)
	if st := waitState(t, ts.URL, id); st["status"] != "completed" {
		t.Fatalf("generation: %v", st)
	}

	// Bytes that are no image go through imagecheck and are refused.
	bad := fakeTxt2Img(t, []byte("<html>not an image</html>"))
	_, ts2 := testService(t, func(c *Config) { c.TextImage = &textimage.A1111{URL: bad.URL} })
	if resp, out := postJSON(t, ts2.URL+"/api/text-to-image", `{"prompt": "x"}`); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad image: %d %s", resp.StatusCode, out)
	}
	// A provider that is down is a 502.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	_, ts3 := testService(t, func(c *Config) {
		c.TextImage = &textimage.A1111{URL: down.URL, Options: textimage.Options{Retries: -1}}
	})
	if resp, out := postJSON(t, ts3.URL+"/api/text-to-image", `{"prompt": "x"}`); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("provider down: %d %s", resp.StatusCode, out)
	}
}

func TestHealthRemote(t *testing.T) {
	var glb bytes.Buffer
	if err := meshio.Encode(&glb, meshtest.Defective(500, 30, 48), meshio.GLB); err != nil {
		t.Fatal(err)
	}
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(glb.Bytes()) }))
	defer remote.Close()
	_, ts := testService(t, func(c *Config) { c.Backend = "hunyuan"; c.Hunyuan = hunyuan.Options{URL: remote.URL} })
	_, out := do(t, "GET", ts.URL+"/api/health", "", nil)
	if r, _ := decode(t, out)["remote"].(map[string]any); r["reachable"] != true || r["url"] != remote.URL {
		t.Errorf("health: %s", out)
	}
	// A generation through the remote: closed, in the requested format.
	id := uploadImage(t, ts.URL, testPNG(t, 64, 64))
	generate(t, ts.URL, id, "stl", 1)
	if st := waitState(t, ts.URL, id); st["status"] != "completed" {
		t.Fatalf("generation: %v", st)
	}
	remote.Close()
	_, out = do(t, "GET", ts.URL+"/api/health", "", nil)
	if r, _ := decode(t, out)["remote"].(map[string]any); r["reachable"] != false || r["error"] == "" {
		t.Errorf("health with the remote down: %s", out)
	}
}

func TestRepairSolidify(t *testing.T) {
	_, ts := testService(t, nil)
	var glb bytes.Buffer
	if err := meshio.Encode(&glb, meshtest.Defective(20, 30, 48), meshio.GLB); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fields map[string]string
		status int
	}{
		{map[string]string{"solidify": "maybe"}, 400},
		{map[string]string{"solidify": "true", "resolution": "100000"}, 400},
		{map[string]string{"solidify": "true", "resolution": "64", "target_faces": "3000", "format": "stl"}, 200},
	} {
		ct, body := multipartBody(t, c.fields, filePart{"file", "broken.glb", glb.Bytes()})
		resp, out := do(t, "POST", ts.URL+"/api/stl/repair", ct, body)
		if resp.StatusCode != c.status {
			t.Fatalf("%v: %d %s", c.fields, resp.StatusCode, out)
		}
		if c.status != 200 {
			continue
		}
		r := decode(t, out)
		rep := r["report"].(map[string]any)["repair"].(map[string]any)
		sol, _ := rep["solidify"].(map[string]any)
		if rep["solidified"] != true || sol == nil || !(sol["hausdorff_mm"].(float64) > 0) {
			t.Fatalf("report %s", out)
		}
		m := download(t, ts.URL+r["download_url"].(string), meshio.STL)
		if !m.Topology().Closed() || len(m.Faces) > 3000 {
			t.Errorf("solidified upload: %d faces, %+v", len(m.Faces), m.Topology())
		}
	}
}
