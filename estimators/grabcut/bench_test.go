package grabcut

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"testing"

	_ "image/png"
)

func loadTestImage(tb testing.TB, name string) image.Image {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "images", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	m, _, err := image.Decode(f)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkSegmentCoffee times one default segmentation of coffee.png (600×400).
func BenchmarkSegmentCoffee(b *testing.B) {
	img := loadTestImage(b, "coffee.png")
	s := New(Options{})
	for b.Loop() {
		if _, err := s.Segment(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
}
