// Command inflate times one Generate (and its GLB encoding) per run on one image, optionally
// resized so that its longest side is -size px, and prints "median_ms cpu_ms peak_rss_MiB faces":
// the median wall time of the runs, the process's CPU time (user + system) per run, and its
// maximum resident set (getrusage), so run one case per process, on an image written beforehand
// with -write (resizing in the same process would count in its peak). CPU time is the
// steadier figure on a machine that other work shares.
// It uses only the generator's public API, so that bench/inflate.sh can build it at an older
// commit and compare the two interleaved.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"golang.org/x/image/draw"

	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// processCPU returns the user + system time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	n := flag.Int("n", 5, "runs")
	path := flag.String("image", "testdata/images/coffee.png", "image")
	size := flag.Int("size", 0, "resize so the longest side is this many px (0: as it is)")
	quality := flag.String("quality", "ultra", "quality level")
	mode := flag.String("mode", "inflate", "mode")
	write := flag.String("write", "", "write the (resized) image as PNG to this path and exit")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile")
	memprofile := flag.String("memprofile", "", "write an allocation profile after the runs")
	stages := flag.Bool("stages", false, "print each run's stages with their wall times (ms) to stderr")
	heapdir := flag.String("heapdir", "", "with -memtrace: write a heap profile to this folder after each collection")
	memtrace := flag.Bool("memtrace", false, "sample the runtime's memory classes every millisecond and print, per stage, their largest values (MiB) to stderr")
	flag.Parse()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	q, err := generator.ParseQuality(*quality)
	if err != nil {
		fail(err)
	}
	data, err := os.ReadFile(*path)
	if err != nil {
		fail(err)
	}
	if *size > 0 {
		src, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			fail(err)
		}
		b := src.Bounds()
		w, h := *size, *size*b.Dy()/b.Dx()
		if b.Dy() > b.Dx() {
			w, h = *size*b.Dx()/b.Dy(), *size
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
		var buf bytes.Buffer
		if err := png.Encode(&buf, dst); err != nil {
			fail(err)
		}
		data = buf.Bytes()
	}
	if *write != "" {
		if err := os.WriteFile(*write, data, 0o644); err != nil {
			fail(err)
		}
		return
	}
	g, err := generator.New(generator.Config{Backend: "cpu"})
	if err != nil {
		fail(err)
	}
	defer g.Close()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	var ts []float64
	faces := 0
	for range *n {
		start := time.Now()
		req := generator.Request{Image: data, Mode: generator.Mode(*mode), Quality: q}
		last, lastCPU, stage := start, processCPU(), ""
		// mark prints the stage that ends now: its wall and CPU time (ms).
		mark := func(next string) {
			now, cpu := time.Now(), processCPU()
			fmt.Fprintf(os.Stderr, "%s %.0f/%.0f  ", stage, float64(now.Sub(last).Microseconds())/1000, float64((cpu-lastCPU).Microseconds())/1000)
			last, lastCPU, stage = now, cpu, next
		}
		var tr *memTracer
		if *memtrace {
			tr = startMemTracer(*heapdir)
		}
		if *stages || *memtrace {
			req.Progress = func(s string, _ float64) {
				if s != stage {
					if *stages {
						mark(s)
					}
					stage = s
					tr.enter(s)
				}
			}
		}
		res, err := g.Generate(context.Background(), req)
		if *stages {
			mark("encode")
		}
		tr.enter("encode")
		if err == nil {
			err = res.Encode(io.Discard, meshio.GLB)
		}
		if *stages {
			mark("")
			fmt.Fprintln(os.Stderr, "(stage wall/CPU ms)")
		}
		tr.stop()
		if err != nil {
			fail(err)
		}
		ts = append(ts, float64(time.Since(start).Microseconds())/1000)
		faces = len(res.Mesh.Faces)
	}
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			fail(err)
		}
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	slices.Sort(ts)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	fmt.Printf("%.1f %.1f %.0f %d\n", ts[len(ts)/2], float64(cpu.Microseconds())/1000/float64(*n), float64(ru.Maxrss)/1024, faces)
}
