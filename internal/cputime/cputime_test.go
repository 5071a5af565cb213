//go:build unix

package cputime

import (
	"testing"
	"time"
)

// TestProcessGrows burns CPU until the process's CPU time has visibly grown: it must, on unix.
func TestProcessGrows(t *testing.T) {
	t0 := Process()
	if t0 <= 0 {
		t.Fatalf("Process() = %v at start, want > 0", t0)
	}
	deadline := time.Now().Add(10 * time.Second)
	x := 1.0
	for Process()-t0 < 20*time.Millisecond {
		for range 100000 {
			x = x*1.0000001 + 1e-9
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stuck at %v after 10 s of spinning (x=%v)", Process(), x)
		}
	}
}
