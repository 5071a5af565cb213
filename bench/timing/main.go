// Command timing measures Generate at one quality level, per mode, on the sample images, and
// prints one line per case: "image mode median_ms". It uses only the generator's public API of
// every revision since the plan (Request{Image, Mode, Quality}), so that bench/timing.sh can
// build it at an older commit and compare, interleaved, on the same machine.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

func main() {
	n := flag.Int("n", 5, "runs per case")
	dir := flag.String("images", "testdata/images", "sample images")
	quality := flag.String("quality", "standard", "quality level")
	flag.Parse()
	q, err := generator.ParseQuality(*quality)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	g, err := generator.New(generator.Config{Backend: "cpu"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer g.Close()
	for _, c := range []struct {
		image string
		mode  generator.Mode
	}{
		{"astronaut.png", generator.Relief}, {"camera.png", generator.Relief},
		{"astronaut.png", generator.Lithophane},
		{"horse.png", generator.Extrude},
		{"horse.png", generator.Inflate}, {"bison.png", generator.Inflate},
		{"horse.png", generator.Auto}, {"astronaut.png", generator.Auto},
	} {
		data, err := os.ReadFile(filepath.Join(*dir, c.image))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var ts []float64
		for range *n {
			start := time.Now()
			res, err := g.Generate(context.Background(), generator.Request{Image: data, Mode: c.mode, Quality: q})
			if err == nil {
				err = res.Encode(io.Discard, meshio.GLB)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, c.image, c.mode, err)
				os.Exit(1)
			}
			ts = append(ts, float64(time.Since(start).Microseconds())/1000)
		}
		slices.Sort(ts)
		fmt.Printf("%s %s %.1f\n", c.image, c.mode, ts[len(ts)/2])
	}
}
