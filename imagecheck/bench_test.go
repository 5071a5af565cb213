package imagecheck

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"sync"
	"testing"
)

// BenchmarkCheckPNGBomb: rejecting a 100,000×100,000 PNG from its header.
// Target: < 20 µs and < 16 KiB allocated per check.
func BenchmarkCheckPNGBomb(b *testing.B) {
	bomb := pngBomb(100000, 100000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(bytes.NewReader(bomb), Limits{}); err == nil {
			b.Fatal("bomb accepted")
		}
	}
}

var (
	jpegSizesOnce sync.Once
	jpegSizes     map[string][]byte
)

// photoLike returns a w×h image with enough detail that its JPEG is of
// photographic size (a few bits per pixel), not a flat few kilobytes.
func photoLike(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for i := 0; i < len(m.Pix); i += 4 {
		seed = seed*1664525 + 1013904223
		x, y := (i/4)%w, (i/4)/w
		m.Pix[i] = uint8(x*255/w) + uint8(seed>>28)
		m.Pix[i+1] = uint8(y*255/h) + uint8(seed>>24&15)
		m.Pix[i+2] = uint8((x^y)&0xFF) + uint8(seed>>20&15)
		m.Pix[i+3] = 255
	}
	return m
}

// BenchmarkCheckJPEG12MP: Check of a JPEG's headers costs the same for 0.3
// and 12 megapixels. Target: < 50 µs.
func BenchmarkCheckJPEG12MP(b *testing.B) {
	jpegSizesOnce.Do(func() {
		jpegSizes = map[string][]byte{}
		for name, sz := range map[string]image.Point{"0.3MP": {640, 480}, "12MP": {4000, 3000}} {
			jpegSizes[name] = withExif(mustJPEG(b, photoLike(sz.X, sz.Y), 85), binary.LittleEndian, 6)
		}
	})
	for _, name := range []string{"0.3MP", "12MP"} {
		data := jpegSizes[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Check(bytes.NewReader(data), Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data))/1e6, "file-MB")
		})
	}
}

// BenchmarkDecodePhotos: Decode throughput (MB/s of input) next to the bare
// standard decoder on the same bytes. The "rotated" photo carries EXIF
// orientation 6, so Decode also turns it upright.
func BenchmarkDecodePhotos(b *testing.B) {
	coffee := readTestdata(b, "coffee.jpg")
	photos := []struct {
		name string
		data []byte
		std  func([]byte) (image.Image, error)
	}{
		{"astronaut.png", readTestdata(b, "astronaut.png"), func(d []byte) (image.Image, error) { return png.Decode(bytes.NewReader(d)) }},
		{"coffee.jpg", coffee, func(d []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(d)) }},
		{"coffee-rotated.jpg", withExif(coffee, binary.BigEndian, 6), func(d []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(d)) }},
		{"progressive.jpg", readTestdata(b, "video-001.progressive.jpeg"), func(d []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(d)) }},
	}
	for _, p := range photos {
		b.Run(p.name+"/imagecheck", func(b *testing.B) {
			b.SetBytes(int64(len(p.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Decode(context.Background(), bytes.NewReader(p.data), Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/stdlib", func(b *testing.B) {
			b.SetBytes(int64(len(p.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.std(p.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
