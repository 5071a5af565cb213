package grabcut

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

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
	b.ReportAllocs()
	c0 := processCPU()
	for b.Loop() {
		if _, err := s.Segment(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, c0)
}

// BenchmarkSegmentSize reports the time per input size (issue 16's 512², 1024², 4096²) on a
// disc on a noisy background, at the default options.
func BenchmarkSegmentSize(b *testing.B) {
	for _, n := range []int{512, 1024, 4096} {
		img, _ := disc(n, n, float64(n)*0.45, float64(n)*0.55, float64(n)*0.3, 1)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			s := New(Options{})
			b.ReportAllocs()
			c0 := processCPU()
			for b.Loop() {
				if _, err := s.Segment(context.Background(), img); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkSegmentAstronaut times one default segmentation of astronaut.png (512², the photo
// the generator's auto mode spends most on: three cut rounds).
func BenchmarkSegmentAstronaut(b *testing.B) {
	img := loadTestImage(b, "astronaut.png")
	s := New(Options{})
	b.ReportAllocs()
	c0 := processCPU()
	for b.Loop() {
		if _, err := s.Segment(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, c0)
}

// reportCPU adds the process CPU time per call since c0 (all goroutines: the figure that
// parallel parts do not hide) as cpu-ms/op.
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(processCPU()-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}
