package generator

import (
	"context"
	"io"
	"testing"

	"github.com/orfeas3d/orfeas/internal/cputime"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// BenchmarkGenerateAstronaut measures Generate on the 512×512 astronaut photo, relief mode,
// encoded to GLB, at every quality level (targets: standard < 250 ms, high < 1 s). cpu-ms/op is
// the CPU time of all threads per call: on a shared machine, where wall time is inflated by
// other processes, wall time on an idle machine lies between cpu-ms/op divided by the core count
// and cpu-ms/op.
func BenchmarkGenerateAstronaut(b *testing.B) {
	data := readSample(b, "astronaut.png")
	g := cpuGenerator(b)
	for _, q := range Qualities {
		b.Run(string(q), func(b *testing.B) {
			benchGenerate(b, g, Request{Image: data, Quality: q})
		})
	}
}

// BenchmarkPrepare measures decoding-free preparation of the astronaut at standard quality.
func BenchmarkPrepare(b *testing.B) {
	img := loadImage(b, "astronaut.png")
	for b.Loop() {
		if _, err := prepare(context.Background(), img, nil, prepOptions{resolution: 512, maskTolerance: 0.1}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateSilhouettes measures Generate for the outline modes on the clip-art samples,
// encoded to GLB (targets: inflate standard < 400 ms and high < 1.5 s on horse.png and
// bison.png; extrude of horse.png at standard < 100 ms).
func BenchmarkGenerateSilhouettes(b *testing.B) {
	g := cpuGenerator(b)
	for _, c := range []struct {
		image string
		mode  Mode
		q     Quality
	}{
		{"horse.png", Inflate, Standard}, {"horse.png", Inflate, High},
		{"bison.png", Inflate, Standard}, {"bison.png", Inflate, High},
		{"horse.png", Extrude, Standard},
	} {
		data := readSample(b, c.image)
		b.Run(c.image+"/"+string(c.mode)+"/"+string(c.q), func(b *testing.B) {
			benchGenerate(b, g, Request{Image: data, Mode: c.mode, Quality: c.q})
		})
	}
}

// benchGenerate runs req through g and encodes the mesh to GLB once per iteration, and reports
// the mesh's faces and, where the platform measures it, the process's CPU time per iteration.
func benchGenerate(b *testing.B, g *Generator, req Request) {
	var faces int
	cpu0 := cputime.Process()
	for b.Loop() {
		res, err := g.Generate(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if err := res.Encode(io.Discard, meshio.GLB); err != nil {
			b.Fatal(err)
		}
		faces = res.Report.Faces
	}
	b.ReportMetric(float64(faces), "faces")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}
