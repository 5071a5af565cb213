package meshio

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// TestSTLWriteErrorMidStream fails the writer after a few of the 1 MiB chunks of a large binary
// STL, so that the error comes from a flush inside the facet loop, not from the last one.
func TestSTLWriteErrorMidStream(t *testing.T) {
	m := ioShapes()[3].m // 6.5 MB of binary STL
	for _, at := range []int{fmtChunk - 1, fmtChunk + 1, 3*fmtChunk + 77} {
		if err := Encode(&ioFailWriter{n: at}, m, STL); !errors.Is(err, errIOFail) {
			t.Errorf("writer failing after %d bytes: err = %v, want %v", at, err, errIOFail)
		}
	}
}

// TestSTLParallelMatchesSerial holds the chunked parallel binary STL writer to the serial one,
// byte for byte, on meshes whose face counts fall just either side of the chunk boundaries, at
// several GOMAXPROCS; and checks that a writer failing partway stops it with that error.
func TestSTLParallelMatchesSerial(t *testing.T) {
	big := meshtest.UVSphere(100, 200, 400) // 159,600 faces
	for _, nf := range []int{2*stlChunk + 1, 3 * stlChunk, 3*stlChunk + 63, len(big.Faces)} {
		m := &mesh.Mesh{Positions: big.Positions, Faces: big.Faces[:nf]}
		prev := runtime.GOMAXPROCS(1)
		want := ioEncode(t, m, STL)
		runtime.GOMAXPROCS(prev)
		for _, procs := range []int{2, 3, 8} {
			prev := runtime.GOMAXPROCS(procs)
			got := ioEncode(t, m, STL)
			runtime.GOMAXPROCS(prev)
			if !bytes.Equal(got, want) {
				t.Fatalf("%d faces, GOMAXPROCS %d: parallel STL differs from the serial one", nf, procs)
			}
		}
		for _, at := range []int{10, stlChunk*stlFacetSize + 5, len(want) - 1} {
			prev := runtime.GOMAXPROCS(4)
			err := Encode(&ioFailWriter{n: at}, m, STL)
			runtime.GOMAXPROCS(prev)
			if !errors.Is(err, errIOFail) {
				t.Errorf("%d faces, writer failing after %d bytes: err = %v, want %v", nf, at, err, errIOFail)
			}
		}
	}
}
