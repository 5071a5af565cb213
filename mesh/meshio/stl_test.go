package meshio

import (
	"errors"
	"testing"
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
