package atomicfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// names lists dir's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	for _, s := range []string{"first", "second"} {
		if err := WriteFile(path, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != s {
			t.Fatalf("holds %q, %v; want %q", b, err, s)
		}
	}
	if fi, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644) {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"a.txt"}) {
		t.Errorf("folder holds %v", got)
	}
}

// TestFailedWriteLeavesNothing checks that a write that fails, or whose context ends, leaves
// the old file as it was and no temporary file, and that a new target is never created.
func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.txt")
	if err := WriteFile(old, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	half := func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	}
	if err := Write(context.Background(), old, half); !errors.Is(err, boom) {
		t.Errorf("err %v, want boom", err)
	}
	if err := Write(context.Background(), filepath.Join(dir, "new.txt"), half); !errors.Is(err, boom) {
		t.Errorf("err %v, want boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := Write(ctx, old, func(w io.Writer) error {
		io.WriteString(w, "x")
		cancel()
		_, err := io.WriteString(w, "y")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v", err)
	}
	if b, _ := os.ReadFile(old); string(b) != "old" {
		t.Errorf("old file holds %q", b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"old.txt"}) {
		t.Errorf("folder holds %v, want only old.txt", got)
	}
}

// TestCommitFailure renames onto a folder, which fails: the temporary file goes away.
func TestCommitFailure(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "taken"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "taken", "x"), nil, 0o644) // a non-empty folder cannot be replaced
	f, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "data")
	if err := f.Commit("taken"); err == nil {
		t.Fatal("commit onto a folder succeeded")
	}
	f.Abort() // no-op after a commit
	if got := names(t, dir); !slices.Equal(got, []string{"taken"}) {
		t.Errorf("folder holds %v, want only taken", got)
	}
}

func TestCreateCommitAbort(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 1 || got[0][:len(TempPrefix)] != TempPrefix {
		t.Fatalf("temporary file named %v", got)
	}
	io.WriteString(f, "model")
	if err := f.Commit("m.stl"); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit("other"); err != nil {
		t.Errorf("second commit: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "m.stl")); string(b) != "model" {
		t.Errorf("m.stl holds %q", b)
	}
	g, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(g, "dropped")
	g.Abort()
	g.Abort()
	if got := names(t, dir); !slices.Equal(got, []string{"m.stl"}) {
		t.Errorf("folder holds %v, want only m.stl", got)
	}
}

func TestCreateInMissingFolder(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("created a file in a missing folder")
	}
}
