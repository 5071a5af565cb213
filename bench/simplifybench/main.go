// Command simplifybench writes the simplification benchmark mesh and compares mesh.Simplify with
// meshoptimizer's simplifier on it. It is driven by bench/simplify.sh; it is not part of CI.
//
//	simplifybench write -n 448 -o in.bin
//	simplifybench compare -in in.bin -ratio 0.1 -runs 3 -meshopt mo.bin
//
// Mesh files are little-endian: uint32 vertex count, uint32 face count, then the positions as
// float32 x, y, z and the faces as uint32 triples. meshoptimizer's result (mo.bin) is a uint32 face
// count and the faces, indexing the input's vertices.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"

	"time"

	"github.com/orfeas3d/orfeas/internal/cputime"
	"github.com/orfeas3d/orfeas/mesh"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: simplifybench write|compare [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "write":
		err = write(os.Args[2:])
	case "compare":
		err = compare(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "simplifybench:", err)
		os.Exit(1)
	}
}

// rippledSphere is the benchmark surface: the zero set of |p| − 0.7 + 0.05·sin 8x·sin 8y on an
// n³ grid over [−1, 1]³, extracted by marching cubes.
func rippledSphere(n int) (*mesh.Mesh, error) {
	v := 2 / float64(n-1)
	g, err := mesh.SampleGrid(context.Background(), n, n, n, v, [3]float64{-1, -1, -1}, func(x, y, z float64) float32 {
		return float32(math.Sqrt(x*x+y*y+z*z) - 0.7 + 0.05*math.Sin(8*x)*math.Sin(8*y))
	})
	if err != nil {
		return nil, err
	}
	return mesh.Isosurface(context.Background(), g, 0)
}

func write(args []string) error {
	fs := flag.NewFlagSet("write", flag.ExitOnError)
	n := fs.Int("n", 448, "grid samples per axis")
	out := fs.String("o", "in.bin", "output file")
	fs.Parse(args)
	m, err := rippledSphere(*n)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := []uint32{uint32(len(m.Positions)), uint32(len(m.Faces))}
	for _, x := range []any{hdr, m.Positions, m.Faces} {
		if err := binary.Write(f, binary.LittleEndian, x); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %s: %d vertices, %d triangles\n", *out, len(m.Positions), len(m.Faces))
	return f.Close()
}

func readMesh(path string) (*mesh.Mesh, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 8 {
		return nil, fmt.Errorf("%s: too short", path)
	}
	nv, nf := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	if uint64(len(b)) != 8+12*uint64(nv)+12*uint64(nf) {
		return nil, fmt.Errorf("%s: size %d does not match %d vertices, %d faces", path, len(b), nv, nf)
	}
	m := &mesh.Mesh{Positions: make([][3]float32, nv), Faces: make([][3]uint32, nf)}
	for i := range m.Positions {
		for k := range 3 {
			m.Positions[i][k] = math.Float32frombits(binary.LittleEndian.Uint32(b[8+12*i+4*k:]))
		}
	}
	o := 8 + 12*int(nv)
	for i := range m.Faces {
		for k := range 3 {
			m.Faces[i][k] = binary.LittleEndian.Uint32(b[o+12*i+4*k:])
		}
	}
	return m, m.Validate()
}

func compare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	in := fs.String("in", "in.bin", "input mesh")
	ratio := fs.Float64("ratio", 0.1, "fraction of faces to keep")
	runs := fs.Int("runs", 3, "timed runs of Simplify (the best is reported)")
	mo := fs.String("meshopt", "", "meshoptimizer's result faces, to measure with the same metric")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the timed runs to this file")
	skip := fs.Bool("skip-deviation", false, "simplify with SkipDeviation (the deviation figures printed are then measured after the timing, with SurfaceDeviation)")
	fs.Parse(args)
	m, err := readMesh(*in)
	if err != nil {
		return err
	}
	var out *mesh.Mesh
	var rep mesh.SimplifyReport
	best, bestCPU := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	var walls, cpus []time.Duration
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
	}
	for range *runs {
		runtime.GC()
		c0 := cputime.Process()
		t0 := time.Now()
		out, rep, err = mesh.Simplify(context.Background(), m, mesh.SimplifyOptions{TargetRatio: *ratio, SkipDeviation: *skip})
		if err != nil {
			return err
		}
		walls = append(walls, time.Since(t0))
		cpus = append(cpus, cputime.Process()-c0)
		best, bestCPU = min(best, walls[len(walls)-1]), min(bestCPU, cpus[len(cpus)-1])
	}
	if *prof != "" {
		pprof.StopCPUProfile()
	}
	if *skip {
		rep.MaxError, rep.MeanError = mesh.SurfaceDeviation(m, out)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	fmt.Printf("TIME orfeas %.4f %.4f\n", walls[(len(walls)-1)/2].Seconds(), cpus[(len(cpus)-1)/2].Seconds())
	b := m.Bounds().Size()
	extent := float64(max(b[0], b[1], b[2]))
	topo := out.Topology()
	fmt.Printf("input: %d triangles, extent %.4g mm, GOMAXPROCS %d; result hash %016x\n", len(m.Faces), extent, runtime.GOMAXPROCS(0), hash(out))
	fmt.Printf("orfeas   Simplify: %.3f s (best of %d; %.3f s CPU), %d triangles, max deviation %.4g mm (%.3g of extent), mean %.4g mm, quadric error %.4g mm, closed %v, volume %+.3f%%\n",
		best.Seconds(), *runs, bestCPU.Seconds(), len(out.Faces), rep.MaxError, rep.MaxError/extent, rep.MeanError, rep.QuadricError, topo.Closed(), 100*(out.Volume()-m.Volume())/m.Volume())
	if *mo != "" {
		b, err := os.ReadFile(*mo)
		if err != nil {
			return err
		}
		nf := binary.LittleEndian.Uint32(b)
		if uint64(len(b)) != 4+12*uint64(nf) {
			return fmt.Errorf("%s: bad size", *mo)
		}
		r := &mesh.Mesh{Positions: m.Positions, Faces: make([][3]uint32, nf)}
		for i := range r.Faces {
			for k := range 3 {
				r.Faces[i][k] = binary.LittleEndian.Uint32(b[4+12*i+4*k:])
			}
		}
		if err := r.Validate(); err != nil {
			return err
		}
		mx, mean := mesh.SurfaceDeviation(m, r)
		t := r.Topology()
		fmt.Printf("meshopt  simplify: %d triangles, max deviation %.4g mm (%.3g of extent), mean %.4g mm, closed %v, volume %+.3f%% (same metric as above)\n",
			len(r.Faces), mx, mx/extent, mean, t.Closed(), 100*(r.Volume()-m.Volume())/m.Volume())
	}
	return nil
}

// hash is an FNV-1a hash of the mesh's positions and faces, to compare runs.
func hash(m *mesh.Mesh) uint64 {
	h := fnv.New64a()
	binary.Write(h, binary.LittleEndian, m.Positions)
	binary.Write(h, binary.LittleEndian, m.Faces)
	return h.Sum64()
}
