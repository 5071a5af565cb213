//go:build cgo

package emu_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/orfeas3d/orfeas/backends/cuda/internal/emu"
)

// TestSourcesHashCurrent fails when a kernel source changed after the last go generate: the
// emulator (and the committed PTX) would then be built from old sources.
func TestSourcesHashCurrent(t *testing.T) {
	dir := filepath.Join("..", "..", "kernels")
	var names []string
	for _, pat := range []string{"*.cu", "*.h"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m...)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(n), len(b))
		h.Write(b)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != emu.SourcesHash {
		t.Fatalf("kernel sources changed since the last go generate (hash %s, emulator built from %s): run go generate ./backends/cuda", got, emu.SourcesHash)
	}
}

func TestLaunchRejectsWrongArgumentSize(t *testing.T) {
	s := emu.NewStream(0)
	defer s.Close()
	var junk [3]byte
	if err := s.Launch(0, 1, 1, ptrOf(&junk), 3); err == nil {
		t.Fatal("a launch with a 3-byte argument struct succeeded")
	}
}

func TestAllocLimitAndRelease(t *testing.T) {
	s := emu.NewStream(100)
	if _, err := s.Alloc(60); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Alloc(60); err == nil {
		t.Fatal("allocation beyond the limit succeeded")
	}
	if now, peak := s.Held(); now != 60 || peak != 60 {
		t.Fatalf("held %d, peak %d; want 60, 60", now, peak)
	}
	s.Close()
	if now, _ := s.Held(); now != 0 {
		t.Fatalf("held %d after Close", now)
	}
	if _, err := s.Alloc(1); err == nil {
		t.Fatal("allocation after Close succeeded")
	}
}
