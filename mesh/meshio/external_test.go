package meshio

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/orfeas3d/orfeas/internal/checktools"
)

// The tests in this file run real external checkers on the encoders' output (see package
// checktools): the Khronos glTF Validator on GLB, admesh on binary and ASCII STL. A missing tool
// skips the test, unless ORFEAS_REQUIRE_TOOLS=1 (as CI sets it), where it fails.

func TestGLBKhronosValidator(t *testing.T) {
	for _, s := range ioShapes() {
		t.Run(s.name, func(t *testing.T) {
			rep := checktools.ValidateGLB(t, ioEncode(t, s.m, GLB))
			for _, msg := range rep.Issues.Messages {
				if msg.Code == "IMAGE_NPOT_DIMENSIONS" {
					t.Errorf("validator: %s (textures are resampled to power-of-two sides)", msg.Message)
				}
			}
			if rep.Info.TotalTriangleCount != len(s.m.Faces) || rep.Info.HasTextures != (s.m.Texture != nil) {
				t.Fatalf("validator saw %d triangles, textures %v; want %d, %v", rep.Info.TotalTriangleCount, rep.Info.HasTextures, len(s.m.Faces), s.m.Texture != nil)
			}
		})
	}
}

func TestSTLAdmesh(t *testing.T) {
	for _, s := range ioShapes() {
		for _, f := range []Format{STL, STLASCII} {
			if f == STLASCII && len(s.m.Faces) > 100_000 {
				continue // admesh reads large ASCII files slowly; the small shapes cover ASCII
			}
			t.Run(s.name+"/"+f.String(), func(t *testing.T) {
				checktools.CheckSTL(t, ioEncode(t, s.m, f), len(s.m.Faces), 1)
			})
		}
	}
}

// TestThreeMFLib3MF reads every shape's 3MF with lib3mf: millimetres, one object and one build
// item, the triangles and bounds written, manifold and oriented where the shape is closed, and
// every triangle coloured where the shape has colours.
func TestThreeMFLib3MF(t *testing.T) {
	for _, s := range ioShapes() {
		t.Run(s.name, func(t *testing.T) {
			rep := checktools.Read3MF(t, ioEncode(t, s.m, ThreeMF))
			if rep.Unit != checktools.Lib3MFUnitMillimetre || rep.Objects != 1 || rep.BuildItems != 1 {
				t.Errorf("unit %d, %d objects, %d build items; want millimetres, 1, 1", rep.Unit, rep.Objects, rep.BuildItems)
			}
			if rep.Triangles != len(s.m.Faces) || rep.Vertices != len(s.m.Positions) {
				t.Errorf("%d triangles, %d vertices; want %d, %d", rep.Triangles, rep.Vertices, len(s.m.Faces), len(s.m.Positions))
			}
			b := s.m.Bounds()
			for k := range 3 {
				if rep.Min[k] != float64(b.Min[k]) || rep.Max[k] != float64(b.Max[k]) {
					t.Errorf("bounds %v–%v, want %v", rep.Min, rep.Max, b)
					break
				}
			}
			if s.m.Topology().Closed() && !rep.ManifoldAndOriented {
				t.Error("lib3mf finds the closed shape not manifold and oriented")
			}
			if coloured := s.m.Colors != nil || (s.m.Texture != nil && s.m.UVs != nil); coloured != (rep.ColouredTriangles == len(s.m.Faces)) {
				t.Errorf("%d of %d triangles coloured; the mesh has colours: %v", rep.ColouredTriangles, len(s.m.Faces), coloured)
			}
		})
	}
}

// TestOBJThreeJS loads EncodeOBJ's three files in three.js (OBJLoader with MTLLoader's
// materials): the textured sphere comes with its UVs, normals, material and texture of the
// right size, no vertex colours, and the size written; the untextured cube as a plain OBJ.
func TestOBJThreeJS(t *testing.T) {
	for _, s := range ioShapes()[:3] {
		t.Run(s.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]*bytes.Buffer{"model.obj": {}, "model.mtl": {}, "model_texture.png": {}}
			if err := EncodeOBJ(files["model.obj"], files["model.mtl"], files["model_texture.png"], s.m, "model"); err != nil {
				t.Fatal(err)
			}
			for name, b := range files {
				if b.Len() > 0 {
					if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			rep := checktools.LoadOBJ(t, filepath.Join(dir, "model.obj"))
			textured := s.m.Texture != nil && s.m.UVs != nil
			if rep.Meshes != 1 || rep.Triangles != len(s.m.Faces) || !rep.HasNormal || rep.HasUV != (s.m.UVs != nil) {
				t.Errorf("three.js: %+v; want 1 mesh of %d triangles with normals, UVs %v", rep, len(s.m.Faces), s.m.UVs != nil)
			}
			if textured {
				tb := s.m.Texture.Bounds()
				if rep.MTLLib != "model.mtl" || rep.Material != objMaterial || rep.Map != "model_texture.png" || rep.HasColor ||
					len(rep.Textures) != 1 || rep.Textures[0].Width != tb.Dx() || rep.Textures[0].Height != tb.Dy() {
					t.Errorf("three.js: %+v; want model.mtl, %s, map model_texture.png of %v, no vertex colours", rep, objMaterial, tb.Size())
				}
			} else if rep.MTLLib != "" || rep.HasColor != (s.m.Colors != nil) {
				t.Errorf("three.js: %+v; want no material library, vertex colours %v", rep, s.m.Colors != nil)
			}
			b := s.m.Bounds()
			for k := range 3 {
				if math.Abs(rep.Min[k]-float64(b.Min[k])) > 1e-4 || math.Abs(rep.Max[k]-float64(b.Max[k])) > 1e-4 {
					t.Errorf("bounds %v–%v, want %v", rep.Min, rep.Max, b)
					break
				}
			}
		})
	}
}
