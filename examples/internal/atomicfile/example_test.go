package atomicfile_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/orfeas3d/orfeas/examples/internal/atomicfile"
)

// A reader of model.stl sees the previous model or the new one, never a part of one.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "atomicfile-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.stl")
	err = atomicfile.Write(context.Background(), path, func(w io.Writer) error {
		_, err := io.WriteString(w, "solid example\nendsolid example\n")
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output:
	// solid example
	// endsolid example
}
