// Package atomicfile writes files so that a reader sees the old content or the new, never a
// part: the content goes to a temporary file in the target's folder, which is synced, closed
// and renamed over the target, and then the folder is synced. A failed or cancelled write
// removes its temporary file and leaves the target as it was; a crash can leave at most a
// temporary file, whose name starts with TempPrefix, for the program to remove at start-up.
//
// It serves the example programs (img2mesh, batch, the server); the library itself writes to
// io.Writers and owns no files.
package atomicfile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/orfeas3d/orfeas/internal/ctxio"
)

// TempPrefix starts the name of every temporary file: hidden on Unix, and distinct from any
// name a program gives its own files.
const TempPrefix = ".tmp-"

// File is a temporary file that becomes a named file on Commit, or disappears on Abort.
type File struct {
	f    *os.File
	dir  string
	done bool
}

// Create makes a new temporary file in dir (mode 0644, named TempPrefix and a random part).
func Create(dir string) (*File, error) {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	f, err := os.OpenFile(filepath.Join(dir, TempPrefix+hex.EncodeToString(b[:])), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	return &File{f: f, dir: dir}, nil
}

// Write writes to the temporary file.
func (t *File) Write(p []byte) (int, error) { return t.f.Write(p) }

// Sync flushes what was written to disk, so that a later Commit has little left to wait for.
func (t *File) Sync() error { return t.f.Sync() }

// Commit syncs and closes the temporary file, renames it to name in its folder (replacing a
// file there) and syncs the folder. On failure the temporary file is removed. Commit and Abort
// after a Commit do nothing.
func (t *File) Commit(name string) error {
	if t.done {
		return nil
	}
	t.done = true
	err := t.f.Sync()
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(t.f.Name(), filepath.Join(t.dir, name))
	}
	if err != nil {
		os.Remove(t.f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	syncDir(t.dir)
	return nil
}

// Abort closes and removes the temporary file. It does nothing after Commit or Abort.
func (t *File) Abort() {
	if t.done {
		return
	}
	t.done = true
	t.f.Close()
	os.Remove(t.f.Name())
}

// Write writes path atomically with the content write produces. write's io.Writer fails once
// ctx is done, so a long write stops promptly; on any error, the temporary file is removed and
// path is left as it was.
func Write(ctx context.Context, path string, write func(io.Writer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := Create(filepath.Dir(path))
	if err != nil {
		return err
	}
	if err := write(ctxio.NewWriter(ctx, t)); err != nil {
		t.Abort()
		return err
	}
	if err := ctx.Err(); err != nil {
		t.Abort()
		return err
	}
	return t.Commit(filepath.Base(path))
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	return Write(context.Background(), path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// syncDir makes a rename in dir durable where the platform allows it (best effort: some file
// systems refuse to sync a folder).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
