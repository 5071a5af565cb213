// Command perf is bench/perf.sh's helper for issue 20's relief row: the orfeas side of the
// comparison with fogleman/hmm as one whole process, and one error measure applied to both
// programs' STL files.
//
//	perf upscale -in camera.png -n 1024 -o cam1024.png
//	perf relief -in cam1024.png -o out.stl -z 51.2 -e 0.01 -b 0.4 [-cpuprofile f] [-v]
//	perf error -in cam1024.png -stl out.stl
//	perf generate -in image.png -quality high -o out.stl [-n 5] [-glb] [-times] [-cpuprofile f]
//
// generate runs the generator's relief on an image n times in one process, the way img2mesh
// -mode relief -quality Q -format stl does (with -width 1024 -depth 51.2 -base 20.48 -tolerance
// 0.512 when -hmm is set: the relief row's settings), for a profile of the whole pipeline. With
// -times it prints "RUN wall_s cpu_s" for each run, Generate and Encode together, the CPU time
// being the whole process's over the run (bench/perf.sh e2e uses it for the explicit relief row).
//
// upscale writes the image's luminance resampled to n×n, bilinear with the corners aligned, as a
// 16-bit grey PNG: the deterministic input of every size.
//
// relief reads a grey PNG (16-bit, as hmm does), auto-levels it (hmm's --level; orfeas's relief
// normalises its field the same way), and builds the CPU backend's relief with the pixel as the
// unit of x and y (1024 px → 1024 mm, hmm's own units), depth z and base b·z under it, at a max
// error of e·z, with no face budget, then writes a binary STL: hmm's flags, read the same way.
//
// error measures, for any closed relief STL over that grid, the largest vertical distance
// between its top surface (every face whose normal points up) and the auto-levelled height map
// at every pixel centre, as a fraction of the relief's depth. The mapping of pixel (i, j) onto the
// mesh's x and y is found from the top's bounding box (both programs put the grid's corners on
// the box's corners); the height mapping z = z0 + depth·v from a least-squares fit over the top's
// vertices (each one a sample); the row direction (hmm flips rows, y up) is the one with the
// smaller error.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cpu"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/internal/cputime"
	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: perf relief|error [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "relief":
		err = relief(os.Args[2:])
	case "error":
		err = measure(os.Args[2:])
	case "upscale":
		err = upscale(os.Args[2:])
	case "generate":
		err = generate(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
}

// heightmap decodes a PNG into values in [0, 1] (16-bit grey read exactly), auto-levelled. A
// 16-bit grey image, hmm's input, is levelled in bands of rows on all cores: its range is the
// range of its 16-bit values (v/65535 rounds monotonically), and every pixel is computed by the
// same float32 operations as the serial loop for other images.
func heightmap(path string) (w, h int, v []float32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, nil, err
	}
	defer f.Close()
	img, err := png.Decode(bufio.NewReader(f))
	if err != nil {
		return 0, 0, nil, err
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	v = make([]float32, w*h)
	if gi, ok := img.(*image.Gray16); ok {
		levelGray16(gi, w, h, v)
		return w, h, v, nil
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for y := range h {
		for x := range w {
			r, gg, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			g := (299*r + 587*gg + 114*bb) / 1000
			s := float32(g) / 65535
			v[y*w+x] = s
			lo, hi = min(lo, s), max(hi, s)
		}
	}
	if hi > lo {
		for i := range v {
			v[i] = (v[i] - lo) / (hi - lo)
		}
	}
	return w, h, v, nil
}

// levelGray16 writes the w×h 16-bit grey image gi into v auto-levelled: (g/65535 − lo)/(hi − lo)
// in float32, lo and hi the smallest and largest g/65535, as hmm reads the bytes.
func levelGray16(gi *image.Gray16, w, h int, v []float32) {
	const band = 32
	nb := (h + band - 1) / band
	workers := runtime.GOMAXPROCS(0)
	pix := func(y int) []byte { return gi.Pix[y*gi.Stride:][:2*w] }
	ranges := make([][2]uint16, nb)
	par.For(nb, workers, func(k int) {
		lo, hi := uint16(math.MaxUint16), uint16(0)
		for y := k * band; y < min(h, (k+1)*band); y++ {
			p := pix(y)
			for x := range w {
				g := uint16(p[2*x])<<8 | uint16(p[2*x+1])
				lo, hi = min(lo, g), max(hi, g)
			}
		}
		ranges[k] = [2]uint16{lo, hi}
	})
	glo, ghi := uint16(math.MaxUint16), uint16(0)
	for _, r := range ranges {
		glo, ghi = min(glo, r[0]), max(ghi, r[1])
	}
	lo, hi := float32(glo)/65535, float32(ghi)/65535
	par.For(nb, workers, func(k int) {
		for y := k * band; y < min(h, (k+1)*band); y++ {
			p, row := pix(y), v[y*w:(y+1)*w]
			for x := range row {
				s := float32(uint16(p[2*x])<<8|uint16(p[2*x+1])) / 65535
				if hi > lo {
					s = (s - lo) / (hi - lo)
				}
				row[x] = s
			}
		}
	})
}

func relief(args []string) error {
	fs := flag.NewFlagSet("relief", flag.ExitOnError)
	in := fs.String("in", "", "grey PNG height map")
	out := fs.String("o", "", "output STL")
	z := fs.Float64("z", 51.2, "z scale (the relief's depth) in pixels")
	e := fs.Float64("e", 0.01, "max error, a fraction of z")
	base := fs.Float64("b", 0.4, "base height, a fraction of z")
	prof := fs.String("cpuprofile", "", "write a CPU profile")
	verbose := fs.Bool("v", false, "print each stage's start (and end, where the backend reports it): ms since the start, the process's CPU ms so far and its memory (memLine)")
	_ = fs.Parse(args)
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	last := ""
	stage := func(s string, f float64) {
		if *verbose && (s != last || f == 1) {
			end := ""
			if f == 1 {
				end = " done"
			}
			fmt.Fprintf(os.Stderr, "%7.1f ms %7.1f cpu-ms %s %s%s\n", time.Since(t0).Seconds()*1e3, cputime.Process().Seconds()*1e3, memLine(), s, end)
			last = s
		}
	}
	stage("decode", 0)
	w, h, v, err := heightmap(*in)
	if err != nil {
		return err
	}
	// A deliberate collection, this command's choice (the library sets nothing): the decoded PNG
	// (2 bytes a pixel) is garbage now, but the pacer, which last saw it live beside the plane,
	// would let the heap grow to twice both before looking again. One collection of a heap of
	// pointer-free planes costs well under a millisecond.
	runtime.GC()
	inp := &backends.Input{
		Width: w, Height: h, Luminance: v, PixelSize: 1, Mode: backends.Relief,
		Relief:    backends.ReliefParams{Depth: *z, Base: *base * *z},
		Tolerance: *e * *z,
	}
	be := cpu.New(cpu.Options{})
	stage("reconstruct", 0)
	// The plane is this process's own and not used again: the relief's heights go over it
	// (ReconstructInPlace), so that the levelled image and the height grid, 4 bytes a pixel each,
	// are never both whole in memory. Asked for through an interface, so that this tool still
	// builds against a revision without it (bench/perf.sh builds its base with today's tool),
	// where it is Reconstruct.
	v = nil
	reconstruct := be.Reconstruct
	if ip, ok := any(be).(interface {
		ReconstructInPlace(context.Context, *backends.Input, backends.Progress) (*mesh.Mesh, backends.Report, error)
	}); ok {
		reconstruct = ip.ReconstructInPlace
	}
	m, rep, err := reconstruct(context.Background(), inp, stage)
	if err != nil {
		return err
	}
	// The same choice at the next phase boundary: what the triangulation and the closing left
	// (the grid, the tiles, the surface) is garbage now, and the encoder's buffers can take its
	// place rather than add to it.
	runtime.GC()
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	stage("encode", 0)
	// meshio writes STL in large chunks of its own: no bufio copy in between.
	if err := meshio.Encode(f, m, meshio.STL); err != nil {
		f.Close()
		return err
	}
	fmt.Printf("faces %d max_error %.6f\n", rep.Faces, rep.MaxError / *z)
	err = f.Close()
	stage("done", 0)
	return err
}

// memLine describes the process's memory for -v: the heap's objects (live and not yet swept),
// the runtime's memory held from the OS, the resident set (and the part of it that is mapped
// files: the executable's own pages) and its high-water mark, in MiB.
func memLine() string {
	ms := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(ms)
	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
	rss, hwm, file := "?", "?", "?"
	if st, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(st), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:" || f[0] == "RssFile:") {
				kb, _ := strconv.Atoi(f[1])
				v := fmt.Sprintf("%.1f", float64(kb)/1024)
				switch f[0] {
				case "VmRSS:":
					rss = v
				case "VmHWM:":
					hwm = v
				default:
					file = v
				}
			}
		}
	}
	return fmt.Sprintf("[heap objects %6.1f, runtime total %6.1f, rss %s (of it mapped files %s), hwm %s MiB]", mib(ms[0].Value.Uint64()), mib(ms[1].Value.Uint64()-ms[2].Value.Uint64()), rss, file, hwm)
}

func measure(args []string) error {
	fs := flag.NewFlagSet("error", flag.ExitOnError)
	in := fs.String("in", "", "grey PNG height map")
	path := fs.String("stl", "", "STL to measure")
	_ = fs.Parse(args)
	w, h, v, err := heightmap(*in)
	if err != nil {
		return err
	}
	f, err := os.Open(*path)
	if err != nil {
		return err
	}
	m, err := meshio.Decode(bufio.NewReader(f), meshio.STL) // welded exactly
	f.Close()
	if err != nil {
		return err
	}
	var top [][3]uint32
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	for _, f := range m.Faces {
		a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		nz := float64(b[0]-a[0])*float64(c[1]-a[1]) - float64(b[1]-a[1])*float64(c[0]-a[0])
		if nz <= 0 {
			continue
		}
		top = append(top, f)
		for _, p := range [3][3]float32{a, b, c} {
			x0, x1 = min(x0, float64(p[0])), max(x1, float64(p[0]))
			y0, y1 = min(y0, float64(p[1])), max(y1, float64(p[1]))
		}
	}
	sx, sy := (x1-x0)/float64(w-1), (y1-y0)/float64(h-1)
	best, bestFlip, bestDepth := math.Inf(1), false, 0.0
	for _, flip := range []bool{false, true} {
		// Every top vertex lies on a sample: z = z0 + depth·v there. Fit z0 and depth by least
		// squares over the vertices (exact for the right row direction).
		gridOf := func(p [3]float32) (float64, float64) {
			gx, gy := (float64(p[0])-x0)/sx, (float64(p[1])-y0)/sy
			if !flip {
				gy = float64(h-1) - gy
			}
			return gx, gy
		}
		var n, sv, sz, svv, svz float64
		for _, f := range top {
			for _, k := range f {
				gx, gy := gridOf(m.Positions[k])
				i, j := min(w-1, max(0, int(math.Round(gx)))), min(h-1, max(0, int(math.Round(gy))))
				s, z := float64(v[j*w+i]), float64(m.Positions[k][2])
				n, sv, sz, svv, svz = n+1, sv+s, sz+z, svv+s*s, svz+s*z
			}
		}
		depth := (n*svz - sv*sz) / (n*svv - sv*sv)
		z0 := (sz - depth*sv) / n
		worst := 0.0
		for _, f := range top {
			var px, py, pz [3]float64
			for k := range 3 {
				p := m.Positions[f[k]]
				px[k] = (float64(p[0]) - x0) / sx
				py[k] = (float64(p[1]) - y0) / sy
				if !flip { // row 0 at the top: y falls as j grows
					py[k] = float64(h-1) - py[k]
				}
				pz[k] = float64(p[2])
			}
			worst = max(worst, triError(px, py, pz, w, h, v, z0, depth))
		}
		if worst/depth < best {
			best, bestFlip, bestDepth = worst/depth, flip, depth
		}
	}
	fmt.Printf("faces %d top %d max_error %.6f depth %.4f rows_up %v\n", len(m.Faces), len(top), best, bestDepth, !bestFlip)
	return nil
}

// triError is the largest |z − (z0 + depth·v)| over the grid points inside the triangle whose
// vertices lie at grid coordinates (px, py) with heights pz.
func triError(px, py, pz [3]float64, w, h int, v []float32, z0, depth float64) float64 {
	const eps = 1e-6
	i0 := max(0, int(math.Ceil(min(px[0], px[1], px[2])-eps)))
	i1 := min(w-1, int(math.Floor(max(px[0], px[1], px[2])+eps)))
	j0 := max(0, int(math.Ceil(min(py[0], py[1], py[2])-eps)))
	j1 := min(h-1, int(math.Floor(max(py[0], py[1], py[2])+eps)))
	d := (py[1]-py[2])*(px[0]-px[2]) + (px[2]-px[1])*(py[0]-py[2])
	if math.Abs(d) < 1e-12 {
		return 0
	}
	worst := 0.0
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			x, y := float64(i), float64(j)
			a := ((py[1]-py[2])*(x-px[2]) + (px[2]-px[1])*(y-py[2])) / d
			b := ((py[2]-py[0])*(x-px[2]) + (px[0]-px[2])*(y-py[2])) / d
			c := 1 - a - b
			if a < -eps || b < -eps || c < -eps {
				continue
			}
			z := a*pz[0] + b*pz[1] + c*pz[2]
			if d := math.Abs(z - (z0 + depth*float64(v[j*w+i]))); d > worst {
				worst = d

			}
		}
	}
	return worst
}

func upscale(args []string) error {
	fs := flag.NewFlagSet("upscale", flag.ExitOnError)
	in := fs.String("in", "", "source image")
	n := fs.Int("n", 1024, "side of the output in pixels")
	out := fs.String("o", "", "output PNG")
	_ = fs.Parse(args)
	w, h, v, err := heightmap(*in)
	if err != nil {
		return err
	}
	img := image.NewGray16(image.Rect(0, 0, *n, *n))
	at := func(x, y int) float64 { return float64(v[min(y, h-1)*w+min(x, w-1)]) }
	for j := range *n {
		fy := float64(j) * float64(h-1) / float64(*n-1)
		y0 := int(fy)
		ty := fy - float64(y0)
		for i := range *n {
			fx := float64(i) * float64(w-1) / float64(*n-1)
			x0 := int(fx)
			tx := fx - float64(x0)
			s := (1-ty)*((1-tx)*at(x0, y0)+tx*at(x0+1, y0)) + ty*((1-tx)*at(x0, y0+1)+tx*at(x0+1, y0+1))
			img.Pix[j*img.Stride+2*i] = uint8(uint16(s*65535+0.5) >> 8)
			img.Pix[j*img.Stride+2*i+1] = uint8(uint16(s*65535 + 0.5))
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func generate(args []string) error {
	fs := flag.NewFlagSet("generate", flag.ExitOnError)
	in := fs.String("in", "", "image")
	out := fs.String("o", "", "output STL")
	q := fs.String("quality", "standard", "quality level")
	hmmFlags := fs.Bool("hmm", false, "the relief row's size, depth, base and tolerance")
	n := fs.Int("n", 1, "runs")
	prof := fs.String("cpuprofile", "", "write a CPU profile")
	glb := fs.Bool("glb", false, "encode GLB (to -o) instead of STL")
	verbose := fs.Bool("v", false, "print each stage's start, in ms since the run's start")
	times := fs.Bool("times", false, "print each run's wall and CPU seconds")
	_ = fs.Parse(args)
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	quality, err := generator.ParseQuality(*q)
	if err != nil {
		return err
	}
	req := generator.Request{Image: data, Mode: generator.Relief, Quality: quality}
	if *hmmFlags {
		req.Width, req.Depth, req.Relief.Base, req.Tolerance = 1024, 51.2, 20.48, 0.512
	}
	g, err := generator.New(generator.Config{Backend: "cpu"})
	if err != nil {
		return err
	}
	defer g.Close()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	format := meshio.STL
	if *glb {
		format = meshio.GLB
	}
	for range *n {
		t0, c0 := time.Now(), cputime.Process()
		last := ""
		if *verbose {
			req.Progress = func(s string, _ float64) {
				if s != last {
					fmt.Fprintf(os.Stderr, "%7.1f ms %s\n", time.Since(t0).Seconds()*1e3, s)
					last = s
				}
			}
		}
		res, err := g.Generate(context.Background(), req)
		if err != nil {
			return err
		}
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		if *verbose {
			fmt.Fprintf(os.Stderr, "%7.1f ms encode\n", time.Since(t0).Seconds()*1e3)
		}
		if err := res.Encode(bw, format); err != nil {
			f.Close()
			return err
		}
		if err := bw.Flush(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if *verbose {
			fmt.Fprintf(os.Stderr, "%7.1f ms done\n", time.Since(t0).Seconds()*1e3)
		}
		if *times {
			fmt.Printf("RUN %.4f %.4f\n", time.Since(t0).Seconds(), (cputime.Process() - c0).Seconds())
		}
	}
	return nil
}
