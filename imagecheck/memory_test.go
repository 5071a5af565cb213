package imagecheck

import (
	"bytes"
	"context"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkDecodeMemory reports, per image, the bytes Decode allocates (alloc-MB, an upper
// bound of its peak: it counts everything, freed or not) beside DecodeMemory's estimate
// (estimate-MB). The images are synthesized ones (a 10 MP PNG and baseline JPEG), plus the files
// listed in $ORFEAS_DECODE_MEMORY_IMAGES (comma-separated paths), for instance a 40 MP
// progressive JPEG made with cjpeg -progressive.
func BenchmarkDecodeMemory(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 4000, 2500))
	for i := range img.Pix {
		img.Pix[i] = uint8(i / 4 % 251)
	}
	cases := map[string][]byte{
		"png-10MP":  mustPNG(b, img),
		"jpeg-10MP": mustJPEG(b, img, 50),
	}
	for _, p := range strings.Split(os.Getenv("ORFEAS_DECODE_MEMORY_IMAGES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			cases[filepath.Base(p)] = data
		}
	}
	for name, data := range cases {
		b.Run(name, func(b *testing.B) {
			info, err := Check(bytes.NewReader(data), Limits{})
			if err != nil {
				b.Fatal(err)
			}
			var before, after runtime.MemStats
			var alloc uint64
			for b.Loop() {
				runtime.GC()
				runtime.ReadMemStats(&before)
				if _, _, err := Decode(context.Background(), bytes.NewReader(data), Limits{}); err != nil {
					b.Fatal(err)
				}
				runtime.ReadMemStats(&after)
				alloc += after.TotalAlloc - before.TotalAlloc
			}
			b.ReportMetric(float64(alloc)/float64(b.N)/(1<<20), "alloc-MB")
			b.ReportMetric(float64(DecodeMemory(info))/(1<<20), "estimate-MB")
			b.ReportMetric(0, "ns/op")
		})
	}
}
