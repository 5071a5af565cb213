package generator_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"reflect"

	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// A request whose output carries no colour (an STL for the printer) says so with NoColor: the
// generator then makes no colour plane and no texture, and the mesh is the coloured request's
// in every other way.
func ExampleRequest_noColor() {
	g, err := generator.New(generator.Config{Backend: generator.BackendCPU})
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	horse, err := os.ReadFile("../testdata/images/horse.png")
	if err != nil {
		log.Fatal(err)
	}
	req := generator.Request{Image: horse, Mode: generator.Inflate, Quality: generator.Draft}
	coloured, err := g.Generate(context.Background(), req)
	if err != nil {
		log.Fatal(err)
	}
	req.NoColor = true
	plain, err := g.Generate(context.Background(), req)
	if err != nil {
		log.Fatal(err)
	}
	var a, b bytes.Buffer // STL stores no colour: the two files are the same
	if err := coloured.Encode(&a, meshio.STL); err != nil {
		log.Fatal(err)
	}
	if err := plain.Encode(&b, meshio.STL); err != nil {
		log.Fatal(err)
	}
	fmt.Println("vertex colours:", coloured.Mesh.Colors != nil, "then", plain.Mesh.Colors != nil)
	fmt.Println("same STL:", bytes.Equal(a.Bytes(), b.Bytes()))
	fmt.Println("same fidelity:", reflect.DeepEqual(plain.Report.Fidelity, coloured.Report.Fidelity))
	// Output:
	// vertex colours: true then false
	// same STL: true
	// same fidelity: true
}
