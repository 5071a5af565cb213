package meshio

import (
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
