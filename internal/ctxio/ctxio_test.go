package ctxio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

type failAfter struct {
	n   int // writes that succeed
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	f.n--
	return len(p), nil
}

type short struct{}

func (short) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(context.Background(), &buf)
	if n, err := w.Write([]byte("abc")); n != 3 || err != nil || buf.String() != "abc" || w.Err() != nil {
		t.Fatalf("plain write: %d, %v, %q", n, err, buf.String())
	}

	boom := errors.New("boom")
	fw := &failAfter{n: 1, err: boom}
	w = NewWriter(context.Background(), fw)
	w.Write([]byte("x"))
	if _, err := w.Write([]byte("y")); err != boom {
		t.Fatalf("second write: %v, want boom", err)
	}
	fw.n = 10 // the underlying writer would succeed again; the error sticks
	if _, err := w.Write([]byte("z")); err != boom || w.Err() != boom {
		t.Fatalf("after failure: %v, Err %v", err, w.Err())
	}

	w = NewWriter(context.Background(), short{})
	if _, err := w.Write([]byte("abcd")); err != io.ErrShortWrite || w.Err() != io.ErrShortWrite {
		t.Fatalf("short write: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	buf.Reset()
	w = NewWriter(ctx, &buf)
	w.Write([]byte("a"))
	cancel()
	if n, err := w.Write([]byte("b")); n != 0 || !errors.Is(err, context.Canceled) || buf.String() != "a" || !errors.Is(w.Err(), context.Canceled) {
		t.Fatalf("after cancel: %d, %v, %q", n, err, buf.String())
	}
}
