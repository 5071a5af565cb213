package meshio

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/orfeas3d/orfeas/internal/meshtest"
)

// cancelOnWrite cancels its context during its first write, then counts what it is still given.
type cancelOnWrite struct {
	cancel      context.CancelFunc
	writes      int
	bytesAfter  int
	firstLength int
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.writes++
	if c.writes == 1 {
		c.firstLength = len(p)
		c.cancel()
	} else {
		c.bytesAfter += len(p)
	}
	return len(p), nil
}

// TestEncodeContextStops cancels the context during the first write of each format's encoding of
// a mesh several chunks long: nothing more may reach the writer, and the error must wrap
// context.Canceled. A context already done writes nothing at all. With a live context the bytes
// are Encode's.
func TestEncodeContextStops(t *testing.T) {
	m := meshtest.UVSphere(40, 300, 300) // 90k vertices, 180k faces: several MiB in every format
	m.Colors = make([][4]uint8, len(m.Positions))
	for i := range m.Colors {
		m.Colors[i] = [4]uint8{uint8(i), uint8(i >> 8), 90, 255}
	}
	for _, f := range Formats() {
		t.Run(f.String(), func(t *testing.T) {
			var want bytes.Buffer
			if err := Encode(&want, m, f); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := (EncodeOptions{}).EncodeContext(context.Background(), &got, m, f); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("EncodeContext wrote %d bytes, Encode %d, not the same", got.Len(), want.Len())
			}

			ctx, cancel := context.WithCancel(context.Background())
			w := &cancelOnWrite{cancel: cancel}
			err := (EncodeOptions{}).EncodeContext(ctx, w, m, f)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled during the first write: error %v, want one wrapping context.Canceled", err)
			}
			if w.bytesAfter != 0 || w.firstLength >= want.Len() {
				t.Errorf("first write %d of %d bytes, then %d bytes in %d more writes after the cancel; want none", w.firstLength, want.Len(), w.bytesAfter, w.writes-1)
			}

			done, stop := context.WithCancel(context.Background())
			stop()
			var none bytes.Buffer
			if err := (EncodeOptions{}).EncodeContext(done, &none, m, f); !errors.Is(err, context.Canceled) || none.Len() != 0 {
				t.Errorf("done context: %d bytes, error %v", none.Len(), err)
			}
		})
	}
}
