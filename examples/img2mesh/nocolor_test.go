package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSTLWithoutColour: an STL written without colour (no -preview) is the one written beside a
// preview, which is made in colour: the preview of an STL run is a GLB run's.
func TestSTLWithoutColour(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"-q", "-quality", "draft", "-mode", "inflate", samples + "horse.png"}
	runOK := func(extra ...string) {
		t.Helper()
		if code := run(append(append([]string(nil), args...), extra...), &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	plain, withPreview, glb := filepath.Join(dir, "a.stl"), filepath.Join(dir, "b.stl"), filepath.Join(dir, "c.glb")
	runOK("-o", plain)
	runOK("-o", withPreview, "-preview", filepath.Join(dir, "b.png"))
	runOK("-o", glb, "-preview", filepath.Join(dir, "c.png"))
	read := func(p string) []byte {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(read(plain), read(withPreview)) {
		t.Error("the STL written without colour differs from the one written with a preview")
	}
	if !bytes.Equal(read(filepath.Join(dir, "b.png")), read(filepath.Join(dir, "c.png"))) {
		t.Error("the STL run's preview differs from the GLB run's: not in colour")
	}
}
