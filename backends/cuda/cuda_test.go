package cuda_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda"
)

func TestUnavailable(t *testing.T) {
	b, err := cuda.New()
	if !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("New: err = %v, want one wrapping backends.ErrUnavailable", err)
	}
	if b != nil {
		t.Fatalf("New returned a backend with an error")
	}
	if cuda.Available() {
		t.Fatalf("Available() = true in a build without a GPU implementation")
	}
	var zero cuda.Backend
	if _, err := zero.Reconstruct(context.Background(), &backends.Input{}, nil); !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("Reconstruct: err = %v, want ErrUnavailable", err)
	}
}

func ExampleNew() {
	b, err := cuda.New()
	if errors.Is(err, backends.ErrUnavailable) {
		fmt.Println("no GPU here; use the CPU backend")
		return
	}
	if err != nil {
		fmt.Println("GPU error:", err)
		return
	}
	defer b.Close()
	fmt.Println("using", b.Name())
}
