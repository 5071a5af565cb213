package generator_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
	"github.com/orfeas3d/orfeas/textimage"
)

// fakeHunyuan serves a defective 4k-face GLB (Y-up metres, a hole, a fin, duplicates,
// degenerate faces, a floater) at /generate, as Hunyuan3D-2's api_server does.
func fakeHunyuan(t testing.TB) *httptest.Server {
	return fakeHunyuanModel(t, meshtest.Defective(500, 40, 64))
}

// fakeHunyuanModel serves model at /generate.
func fakeHunyuanModel(t testing.TB, model *mesh.Mesh) *httptest.Server {
	var glb bytes.Buffer
	if err := meshio.Encode(&glb, model, meshio.GLB); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/generate" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"text": "no such route", "error_code": 1}`)
			return
		}
		w.Write(glb.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHunyuanBackend(t *testing.T) {
	srv := fakeHunyuan(t)
	g, err := generator.New(generator.Config{Backend: "hunyuan", Hunyuan: hunyuan.Options{URL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	img, err := os.ReadFile("../testdata/images/astronaut.png")
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Generate(context.Background(), generator.Request{Image: img, Quality: generator.Draft, Width: 60})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	if !r.Topology.Closed() || r.Backend != "hunyuan" || r.Mode != generator.Inflate || r.Faces > 50000 {
		t.Fatalf("report %+v", r)
	}
	if math.Abs(r.Size[0]-60) > 0.01 || r.Size[2] < 1.2*r.Size[0] || r.Bounds.Min[2] != 0 {
		t.Errorf("size %v, bounds %v: want 60 mm wide, upright, on the bed", r.Size, r.Bounds)
	}
	if res.Mesh.Colors == nil {
		t.Error("no colours")
	}
	for _, f := range meshio.Formats() {
		if err := res.Encode(&bytes.Buffer{}, f); err != nil {
			t.Errorf("%v: %v", f, err)
		}
	}
	// Text to 3D: the server's own text path (the fake answers any body with its model).
	tres, err := g.GenerateText(context.Background(), "a vase", generator.Request{Width: 80, Quality: generator.Draft})
	if err != nil {
		t.Fatal(err)
	}
	if tr := tres.Report; !tr.Topology.Closed() || math.Abs(tr.Size[0]-80) > 0.01 || tr.Faces > 50000 {
		t.Errorf("text to 3D: %+v", tr)
	}
}

// TestHunyuanPrintableReport checks that what the backend did to the server's model reaches the
// generator's report and its JSON: a defective model solidified, with finite Hausdorff figures in
// the final mm; a clean one repaired only.
func TestHunyuanPrintableReport(t *testing.T) {
	img, err := os.ReadFile("../testdata/images/astronaut.png")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		model *mesh.Mesh
		solid bool
	}{
		{"defective", meshtest.Defective(500, 40, 64), true},
		{"clean", meshtest.Cuboid([3]float32{-300, -200, -400}, [3]float32{300, 200, 400}), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := generator.New(generator.Config{Backend: "hunyuan", Hunyuan: hunyuan.Options{URL: fakeHunyuanModel(t, c.model).URL}})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			res, err := g.Generate(context.Background(), generator.Request{Image: img, Quality: generator.Draft, Width: 60})
			if err != nil {
				t.Fatal(err)
			}
			p := res.Report.Printable
			if p == nil || !p.Repaired || p.Solidified != c.solid || p.FacesBefore == 0 || p.FacesAfter == 0 {
				t.Fatalf("printable %+v, want repaired, solidified %v, faces counted", p, c.solid)
			}
			finite := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) && v < 60 }
			if c.solid {
				if !finite(p.HausdorffMM) || !finite(p.SourceToResultMM) || !finite(p.ResultToSourceMM) || !finite(p.VoxelMM) ||
					p.HausdorffMM != max(p.SourceToResultMM, p.ResultToSourceMM) || p.FloatersRemoved == 0 {
					t.Errorf("solidified figures %+v: want finite Hausdorff both ways, a voxel size, the floater removed", p)
				}
				if res.Report.MaxError < p.HausdorffMM {
					t.Errorf("MaxError %v below the Hausdorff distance %v", res.Report.MaxError, p.HausdorffMM)
				}
			} else if p.HausdorffMM != 0 || p.VoxelMM != 0 || p.FacesBefore != 12 || p.FacesAfter != 12 {
				t.Errorf("clean model %+v: want repair only, nothing moved", p)
			}
			var j struct {
				Printable map[string]any `json:"printable"`
			}
			data, _ := json.Marshal(res.Report)
			if err := json.Unmarshal(data, &j); err != nil || j.Printable["solidified"] != c.solid || j.Printable["hausdorff_mm"] == nil {
				t.Errorf("report JSON printable %v (%v)", j.Printable, err)
			}
		})
	}
}

func TestHunyuanConfig(t *testing.T) {
	if _, err := generator.New(generator.Config{Backend: "hunyuan"}); !errors.Is(err, generator.ErrInvalidConfig) {
		t.Errorf("no URL: %v", err)
	}
}

func TestGenerateTextProvider(t *testing.T) {
	img, err := os.ReadFile("../testdata/images/astronaut.png")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"images": []string{base64.StdEncoding.EncodeToString(img)}})
	}))
	defer srv.Close()
	g, err := generator.New(generator.Config{Backend: "cpu", TextImage: &textimage.A1111{URL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	res, err := g.GenerateText(context.Background(), "an astronaut", generator.Request{Quality: generator.Draft, Mode: generator.Relief})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Report.Topology.Closed() || res.Report.Image.Width != 512 {
		t.Errorf("report %+v", res.Report)
	}
	cpu, _ := generator.New(generator.Config{Backend: "cpu"})
	defer cpu.Close()
	if _, err := cpu.GenerateText(context.Background(), "x", generator.Request{}); !errors.Is(err, generator.ErrNoTextProvider) {
		t.Errorf("no provider: %v", err)
	}
	if _, err := g.GenerateText(context.Background(), "", generator.Request{}); !errors.Is(err, generator.ErrInvalidRequest) {
		t.Errorf("empty prompt: %v", err)
	}
}

// A model from a prompt: a text-to-image provider (here a stand-in AUTOMATIC1111 server that
// answers with a photo) makes the image, and the CPU backend builds a relief from it.
func ExampleGenerator_GenerateText() {
	photo, err := os.ReadFile("../testdata/images/camera.png")
	if err != nil {
		fmt.Println(err)
		return
	}
	sd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"images": []string{base64.StdEncoding.EncodeToString(photo)}})
	}))
	defer sd.Close()
	g, err := generator.New(generator.Config{Backend: "cpu", TextImage: &textimage.A1111{URL: sd.URL}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer g.Close()
	res, err := g.GenerateText(context.Background(), "a photographer with a camera, black and white",
		generator.Request{Mode: generator.Relief, Quality: generator.Draft, Width: 80})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := res.Report
	fmt.Printf("%s, closed %v, %.0f mm wide\n", r.Mode, r.Topology.Closed(), r.Size[0])
	// Output: relief, closed true, 80 mm wide
}
