package generator_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// Turn a photo into an 80 mm wide relief and write it as a GLB file.
func ExampleGenerator_Generate() {
	g, err := generator.New(generator.Config{}) // "auto": the GPU where one answers, else the CPU
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	photo, err := os.ReadFile("../testdata/images/astronaut.png")
	if err != nil {
		log.Fatal(err)
	}
	res, err := g.Generate(context.Background(), generator.Request{
		Image:   photo, // untrusted bytes are fine: they are checked by imagecheck
		Mode:    generator.Relief,
		Quality: generator.Draft,
		Width:   80, // mm; the height follows from the aspect ratio
	})
	if err != nil {
		log.Fatal(err)
	}

	f, err := os.CreateTemp("", "astronaut-*.glb")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	if err := res.Encode(f, meshio.GLB); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	r := res.Report
	fmt.Printf("%s, closed %v, %.0f × %.0f × %.0f mm\n", r.Mode, r.Topology.Closed() && r.Topology.Outward, r.Size[0], r.Size[1], r.Size[2])
	// Output: relief, closed true, 80 × 80 × 7 mm
}

// The 1–10 scale of HTTP forms maps onto the named quality levels.
func ExampleParseQuality() {
	for _, s := range []string{"2", "5", "high", "10"} {
		q, _ := generator.ParseQuality(s)
		set, _ := q.Settings()
		fmt.Println(s, q, set.Resolution, set.FaceBudget)
	}
	// Output:
	// 2 draft 256 50000
	// 5 standard 512 200000
	// high high 1024 500000
	// 10 ultra 2048 2000000
}

// Validate reports every problem with a request at once.
func ExampleRequest_Validate() {
	req := generator.Request{Image: []byte("…"), Width: -10, Mode: "sculpt"}
	fmt.Println(req.Validate())
	// Output: generator: invalid request: 2 problems: unknown mode "sculpt" (want relief, lithophane, extrude, inflate or auto); width -10 mm must be positive (or zero for the default)
}

// Choose a backend by name: "auto" (the default) takes the GPU where one answers and falls back
// to the CPU, "cpu" always takes the CPU, "cuda" fails where there is no GPU.
func ExampleNew() {
	g, err := generator.New(generator.Config{Backend: generator.BackendCPU})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	fmt.Println(g.Backend())
	// Output: cpu
}
