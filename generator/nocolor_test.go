package generator_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// generateAlloc runs one Generate and returns its result and the bytes allocated meanwhile.
func generateAlloc(t *testing.T, g *generator.Generator, req generator.Request) (*generator.Result, uint64) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := g.Generate(context.Background(), req)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	return res, after.TotalAlloc - before.TotalAlloc
}

// TestNoColorSameGeometry checks that a colourless request (Request.NoColor) builds the mesh and
// the report of the coloured one, positions, faces, fidelity and all, with no colour in the mesh,
// allocating less wherever the coloured request makes colour (a lithophane never does).
func TestNoColorSameGeometry(t *testing.T) {
	g, err := generator.New(generator.Config{Backend: generator.BackendCPU})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, c := range []struct {
		image    string
		mode     generator.Mode
		quality  generator.Quality
		coloured bool // the request with colour makes a colour plane
	}{
		{"camera.png", generator.Relief, generator.Standard, true}, // gray, at its own size
		{"horse.png", generator.Relief, generator.Draft, true},     // a masked relief (unmixed edges)
		{"horse.png", generator.Extrude, generator.Draft, true},
		{"horse.png", generator.Inflate, generator.Draft, true},
		{"bison.png", generator.Inflate, generator.Standard, true}, // alpha, at its own size
		{"camera.png", generator.Lithophane, generator.Standard, false},
		{"astronaut.png", generator.Auto, generator.Standard, true}, // segmented, at its own size
	} {
		t.Run(c.image+"/"+string(c.mode), func(t *testing.T) {
			data, err := os.ReadFile("../testdata/images/" + c.image)
			if err != nil {
				t.Fatal(err)
			}
			req := generator.Request{Image: data, Mode: c.mode, Quality: c.quality}
			col, colBytes := generateAlloc(t, g, req)
			req.NoColor = true
			plain, plainBytes := generateAlloc(t, g, req)

			if !reflect.DeepEqual(plain.Mesh.Positions, col.Mesh.Positions) || !reflect.DeepEqual(plain.Mesh.Faces, col.Mesh.Faces) {
				t.Errorf("mesh differs: %d vertices, %d faces without colour; %d, %d with",
					len(plain.Mesh.Positions), len(plain.Mesh.Faces), len(col.Mesh.Positions), len(col.Mesh.Faces))
			}
			if !reflect.DeepEqual(plain.Report.Fidelity, col.Report.Fidelity) {
				t.Errorf("fidelity differs:\n%+v without colour\n%+v with", plain.Report.Fidelity, col.Report.Fidelity)
			}
			a, b := plain.Report, col.Report
			a.Timings, a.Total, b.Timings, b.Total = nil, 0, nil, 0
			if !reflect.DeepEqual(a, b) {
				t.Errorf("report differs:\n%+v without colour\n%+v with", a, b)
			}
			if m := plain.Mesh; m.Colors != nil || m.UVs != nil || m.Texture != nil {
				t.Errorf("colourless mesh has colours %v, UVs %v, texture %v", m.Colors != nil, m.UVs != nil, m.Texture != nil)
			}
			if c.coloured && col.Mesh.Colors == nil && col.Mesh.Texture == nil {
				t.Errorf("the coloured request's mesh has no colour")
			}
			// STL stores no colour: the files are the same.
			var s1, s2 bytes.Buffer
			if err := plain.Encode(&s1, meshio.STL); err != nil {
				t.Fatal(err)
			}
			if err := col.Encode(&s2, meshio.STL); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s1.Bytes(), s2.Bytes()) {
				t.Errorf("STL differs")
			}
			t.Logf("allocated %.1f MiB without colour, %.1f MiB with", float64(plainBytes)/(1<<20), float64(colBytes)/(1<<20))
			if c.coloured && plainBytes >= colBytes {
				t.Errorf("allocated %d bytes without colour, %d with: want fewer", plainBytes, colBytes)
			}
		})
	}
}

// TestNoColorFull3D checks that a full 3D backend, which shapes its model from the image, is
// sent the same coloured image whatever NoColor says, and that only the mesh's colours go.
func TestNoColorFull3D(t *testing.T) {
	var glb bytes.Buffer
	if err := meshio.Encode(&glb, meshtest.Defective(500, 40, 64), meshio.GLB); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Image string `json:"image"`
		}
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		sent = append(sent, p.Image)
		mu.Unlock()
		w.Write(glb.Bytes())
	}))
	defer srv.Close()
	g, err := generator.New(generator.Config{Backend: "hunyuan", Hunyuan: hunyuan.Options{URL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	img, err := os.ReadFile("../testdata/images/astronaut.png")
	if err != nil {
		t.Fatal(err)
	}
	req := generator.Request{Image: img, Quality: generator.Draft, Width: 60}
	col, err := g.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	req.NoColor = true
	plain, err := g.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 || sent[0] != sent[1] || sent[0] == "" {
		t.Fatalf("%d images sent; the same: %v", len(sent), len(sent) == 2 && sent[0] == sent[1])
	}
	if _, err := base64.StdEncoding.DecodeString(sent[0]); err != nil {
		t.Fatal(err)
	}
	if col.Mesh.Colors == nil {
		t.Error("the coloured request's mesh has no colours")
	}
	if m := plain.Mesh; m.Colors != nil || m.UVs != nil || m.Texture != nil {
		t.Error("the colourless request's mesh has colour")
	}
	if !reflect.DeepEqual(plain.Mesh.Positions, col.Mesh.Positions) || !reflect.DeepEqual(plain.Mesh.Faces, col.Mesh.Faces) {
		t.Error("mesh differs")
	}
}
