package generator

import (
	"bytes"
	"context"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/checktools"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// TestExternalCheckers holds every mode's output to the real checkers: each coloured or textured
// GLB passes the Khronos glTF Validator with no error or warning, and each STL passes admesh
// with no disconnected, degenerate or backwards facet.
func TestExternalCheckers(t *testing.T) {
	g := cpuGenerator(t)
	for _, c := range []struct {
		image    string
		req      Request
		textured bool
	}{
		{"astronaut.png", Request{Mode: Relief}, true},
		{"camera.png", Request{Mode: Lithophane, Lithophane: backends.LithophaneParams{Frame: true}}, false},
		{"coffee.png", Request{Mode: Lithophane, Lithophane: backends.LithophaneParams{Shape: backends.Cylinder, Arc: 360}}, false},
		{"armadillo.png", Request{Mode: Extrude, Extrude: backends.ExtrudeParams{BasePlate: true}}, true},
		{"bison.png", Request{Mode: Inflate}, true},
		{"horse.png", Request{Mode: Auto}, true},
	} {
		t.Run(c.image+"/"+string(c.req.Mode), func(t *testing.T) {
			req := c.req
			req.Image, req.Quality = readSample(t, c.image), Draft
			res, err := g.Generate(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Mesh.Texture != nil; got != c.textured {
				t.Errorf("textured %v, want %v", got, c.textured)
			}
			var glb, stl bytes.Buffer
			if err := res.Encode(&glb, meshio.GLB); err != nil {
				t.Fatal(err)
			}
			rep := checktools.ValidateGLB(t, glb.Bytes())
			if rep.Info.TotalTriangleCount != res.Report.Faces || rep.Info.HasTextures != c.textured {
				t.Errorf("validator saw %d triangles, textures %v; want %d, %v", rep.Info.TotalTriangleCount, rep.Info.HasTextures, res.Report.Faces, c.textured)
			}
			if err := res.Encode(&stl, meshio.STL); err != nil {
				t.Fatal(err)
			}
			checktools.CheckSTL(t, stl.Bytes(), res.Report.Faces, -1)
		})
	}
}
