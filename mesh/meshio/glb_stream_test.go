package meshio

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// TestGLBStreamMatchesWhole holds the streamed GLB encoder to the one that built the whole file
// in memory (encodeGLBWhole), byte for byte: every attribute, uint16 and uint32 indices, an odd
// face count (a padded binary chunk), more vertices and faces than one streamed buffer holds
// (glbStreamBlocks·glbBlock), vertices without a normal (unused ones, a degenerate face's), a
// mesh without faces, and several crease angles; then with a writer that fails partway, which
// both must report.
func TestGLBStreamMatchesWhole(t *testing.T) {
	shapes := ioShapes()
	huge := meshtest.UVSphere(80, 400, 400) // 160k vertices, 320k faces: several stream buffers
	huge.Colors = make([][4]uint8, len(huge.Positions))
	for i := range huge.Colors {
		huge.Colors[i] = [4]uint8{uint8(i), uint8(i >> 8), uint8(i >> 16), uint8(255 - i%7)}
	}
	shapes = append(shapes, ioShape{"sphere-160k-colours", huge})
	odd := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{1, 2, 3})
	odd.Faces = odd.Faces[:11] // open, but an odd count of uint16 indices triples
	shapes = append(shapes, ioShape{"odd-faces", odd})
	loose := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{4, 4, 4})
	// An unused vertex and a degenerate face on new vertices: neither gets a crease normal.
	n := uint32(len(loose.Positions))
	loose.Positions = append(loose.Positions, [3]float32{9, 9, 9}, [3]float32{1, 1, 5}, [3]float32{2, 2, 5}, [3]float32{3, 3, 5})
	loose.Faces = append(loose.Faces, [3]uint32{n + 1, n + 2, n + 3})
	shapes = append(shapes, ioShape{"loose-and-degenerate", loose})
	shapes = append(shapes, ioShape{"no-faces", &mesh.Mesh{Positions: [][3]float32{{1, 2, 3}, {4, 5, 6}}}})
	uvOnly := meshtest.UVSphere(10, 12, 24)
	uvOnly.UVs = make([][2]float32, len(uvOnly.Positions))
	for i := range uvOnly.UVs {
		uvOnly.UVs[i] = [2]float32{float32(i) / 100, 1 - float32(i)/300}
	}
	shapes = append(shapes, ioShape{"uvs-without-texture", uvOnly})

	for _, s := range shapes {
		for _, crease := range []float64{0, 1, 90, 180} {
			t.Run(fmt.Sprintf("%s/%g", s.name, crease), func(t *testing.T) {
				var want, got bytes.Buffer
				if err := encodeGLBWhole(&want, s.m.Clone(), crease); err != nil {
					t.Fatal(err)
				}
				if err := encodeGLB(&got, s.m.Clone(), crease); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					i := 0
					for i < min(got.Len(), want.Len()) && got.Bytes()[i] == want.Bytes()[i] {
						i++
					}
					t.Fatalf("streamed GLB differs from the whole one at byte %d (lengths %d and %d)", i, got.Len(), want.Len())
				}
				if crease != 0 {
					return
				}
				for _, at := range []int{0, 10, 30, want.Len() / 3, want.Len() - 2} {
					err := encodeGLB(&ioFailWriter{n: at}, s.m.Clone(), crease)
					if !errors.Is(err, errIOFail) {
						t.Errorf("writer failing after %d of %d bytes: error %v, want %v", at, want.Len(), err, errIOFail)
					}
				}
			})
		}
	}
}
