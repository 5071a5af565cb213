package generator_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log"
	"os"

	"github.com/orfeas3d/orfeas/generator"
)

// An image with nothing to build (here one flat colour) is no mesh but a typed error: branch on
// it with errors.Is, and read its reason with errors.As.
func ExampleErrNoSubject() {
	g, err := generator.New(generator.Config{Backend: "cpu"})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()

	blank := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range 64 * 64 {
		blank.SetNRGBA(i%64, i/64, color.NRGBA{200, 200, 200, 255})
	}
	_, err = g.Generate(context.Background(), generator.Request{Decoded: blank})
	var ns *generator.NoSubjectError
	if errors.Is(err, generator.ErrNoSubject) && errors.As(err, &ns) {
		fmt.Println("no subject for", ns.Mode+":", ns.Reason)
	}
	// Output: no subject for auto: the image is one flat colour
}

// Every Result says how faithful its mesh is: the fidelity figures, and warnings in words where
// a figure falls short (none here: the horse's extrusion matches its outline).
func ExampleReport_fidelity() {
	g, err := generator.New(generator.Config{Backend: "cpu"})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	horse, err := os.ReadFile("../testdata/images/horse.png")
	if err != nil {
		log.Fatal(err)
	}
	res, err := g.Generate(context.Background(), generator.Request{Image: horse, Mode: generator.Extrude, Quality: generator.Draft})
	if err != nil {
		log.Fatal(err)
	}
	f := res.Report.Fidelity
	fmt.Printf("outline match ≥ 0.9: %v, pieces %d for %d subject parts, floating %d\n", *f.SilhouetteIoU >= 0.9, f.Pieces, f.SubjectParts, f.Floating)
	for _, w := range res.Report.Warnings {
		fmt.Println("warning:", w.Kind, w.Message)
	}
	fmt.Println("warnings:", len(res.Report.Warnings))
	// Output:
	// outline match ≥ 0.9: true, pieces 1 for 1 subject parts, floating 0
	// warnings: 0
}
