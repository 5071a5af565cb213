package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestTableCurrent fails when kernels/mc_table.h no longer matches internal/mctables: the GPU
// would then build a different surface from the CPU's. go generate ./backends/cuda fixes it.
func TestTableCurrent(t *testing.T) {
	got, err := os.ReadFile(filepath.Join("..", "..", "kernels", "mc_table.h"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, tableHeader()) {
		t.Fatal("kernels/mc_table.h is stale: run go generate ./backends/cuda")
	}
}
