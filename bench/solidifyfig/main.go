// Command solidifyfig measures mesh.MakePrintable's solidify on a defective open mesh of about
// 500k faces (internal/meshtest.Defective: a hole too large for repair, a non-manifold fin,
// duplicates, degenerate faces, a floater, vertex colours) at each quality level's grid, and
// writes the source and each result as GLB for a look.
//
//	go run ./bench/solidifyfig -out /tmp/solid
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

func main() {
	rings := flag.Int("rings", 385, "latitude rings of the source ellipsoid")
	segments := flag.Int("segments", 770, "longitude segments")
	out := flag.String("out", "", "folder for source.glb and solid-<quality>.glb (none: no files)")
	flag.Parse()
	src := meshtest.Defective(500, *rings, *segments)
	write := func(name string, m *mesh.Mesh) {
		if *out == "" {
			return
		}
		f, err := os.Create(filepath.Join(*out, name))
		if err == nil {
			err = meshio.Encode(f, m, meshio.GLB)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if *out != "" {
		os.MkdirAll(*out, 0o755)
	}
	write("source.glb", src)
	fmt.Printf("source: %d faces, %+v\n\n", len(src.Faces), src.Topology())
	fmt.Println("| quality | budget | grid (voxels) | voxel mm | time s | faces | source→result mm | result→source mm | bridged vertices | mean mm |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, q := range []struct {
		name   string
		budget int
	}{{"draft", 50000}, {"standard", 200000}, {"high", 500000}, {"ultra", 2000000}} {
		start := time.Now()
		m, rep, err := mesh.MakePrintable(context.Background(), src, mesh.PrintableOptions{
			Solidify: mesh.SolidifyOptions{Resolution: hunyuan.SolidifyResolution(q.budget), FaceBudget: q.budget},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		took := time.Since(start)
		s := rep.Solidify
		if t := m.Topology(); !t.Closed() || !t.Outward {
			fmt.Fprintf(os.Stderr, "%s: not closed: %+v\n", q.name, t)
			os.Exit(1)
		}
		fmt.Printf("| %s | %d | %d | %.2f | %.2f | %d | %.1f | %.1f | %d | %.2f |\n", q.name, q.budget, hunyuan.SolidifyResolution(q.budget),
			s.Voxel, took.Seconds(), len(m.Faces), s.SourceToResult, s.ResultToSource, s.BridgedVertices, s.MeanDistance)
		write("solid-"+q.name+".glb", m)
	}
}
