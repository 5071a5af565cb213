package meshio_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"strings"

	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// box is an x×y×z mm box with a corner on the origin: 8 corners, 12 triangles wound
// counter-clockwise seen from outside.
func box(x, y, z float32) *mesh.Mesh {
	return &mesh.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {x, 0, 0}, {x, y, 0}, {0, y, 0}, {0, 0, z}, {x, 0, z}, {x, y, z}, {0, y, z}},
		Faces: [][3]uint32{
			{0, 2, 1}, {0, 3, 2}, // bottom
			{4, 5, 6}, {4, 6, 7}, // top
			{0, 1, 5}, {0, 5, 4}, // front
			{3, 7, 6}, {3, 6, 2}, // back
			{0, 4, 7}, {0, 7, 3}, // left
			{1, 2, 6}, {1, 6, 5}, // right
		},
	}
}

// Build a mesh, check that it is closed, and write it as GLB.
func ExampleEncode() {
	m := box(20, 10, 5) // mm
	if !m.Topology().Closed() {
		fmt.Println("not printable")
		return
	}
	var buf bytes.Buffer
	if err := meshio.Encode(&buf, m, meshio.GLB); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, %s, %d faces, %.0f mm³\n", buf.Bytes()[:4], meshio.GLB.ContentType(), len(m.Faces), m.Volume())
	// Output: glTF, model/gltf-binary, 12 faces, 1000 mm³
}

// Decode a mesh uploaded in a format given by its file name, with tighter limits than the
// defaults.
func ExampleDecodeLimits_Decode() {
	var upload bytes.Buffer
	_ = meshio.Encode(&upload, box(30, 20, 10), meshio.STL)

	f, err := meshio.FormatFromExt("part.STL")
	if err != nil {
		fmt.Println(err)
		return
	}
	limits := meshio.DecodeLimits{MaxBytes: 10 << 20, MaxFaces: 100_000}
	m, err := limits.Decode(&upload, f)
	if err != nil {
		fmt.Println(err)
		return
	}
	t := m.Topology()
	fmt.Println(f, len(m.Positions), "vertices", len(m.Faces), "faces, closed:", t.Closed(), "genus", t.Genus)
	// Output: stl 8 vertices 12 faces, closed: true genus 0
}

// Sniff the format of an upload from its first bytes.
func ExampleDetectFormat() {
	for _, head := range []string{"glTF\x02\x00\x00\x00", "ply\nformat ascii 1.0\n", "solid part\n  facet normal 0 0 1\n", "# cube\nv 0 0 0\nv 1 0 0\n"} {
		f, err := meshio.DetectFormat([]byte(head))
		fmt.Println(f, err)
	}
	// Output:
	// glb <nil>
	// ply <nil>
	// stl-ascii <nil>
	// obj <nil>
}

// Pick the format of a download from a file name or a query parameter, and serve it with the
// right media type.
func ExampleFormatFromExt() {
	for _, name := range []string{"model.GLB", "part.stl", "scan.ply"} {
		f, _ := meshio.FormatFromExt(name)
		fmt.Println(name, f, f.ContentType())
	}
	f, _ := meshio.ParseFormat("stl-ascii")
	fmt.Println(f, f.Ext())
	// Output:
	// model.GLB glb model/gltf-binary
	// part.stl stl model/stl
	// scan.ply ply application/octet-stream
	// stl-ascii .stl
}

// Write an OBJ with its material and texture, into three files side by side as MeshLab and
// Blender open them; here into buffers. Without a texture, only the OBJ is written.
func ExampleEncodeOBJ() {
	m := box(10, 10, 10)
	m.UVs = make([][2]float32, len(m.Positions))
	for i, p := range m.Positions {
		m.UVs[i] = [2]float32{p[0] / 10, p[1] / 10}
	}
	m.Texture = image.NewNRGBA(image.Rect(0, 0, 4, 4))

	var obj, mtl, png bytes.Buffer // cube.obj, cube.mtl, cube_texture.png
	if err := meshio.EncodeOBJ(&obj, &mtl, &png, m, "cube"); err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(obj.String(), "\n") {
		if strings.HasPrefix(line, "mtllib") {
			fmt.Println("cube.obj:", line)
		}
	}
	for _, line := range strings.Split(mtl.String(), "\n") {
		if strings.HasPrefix(line, "map_Kd") {
			fmt.Println("cube.mtl:", line)
		}
	}
	fmt.Printf("cube_texture.png: %q\n", png.Bytes()[1:4])
	// Output:
	// cube.obj: mtllib cube.mtl
	// cube.mtl: map_Kd cube_texture.png
	// cube_texture.png: "PNG"
}

// Read a mesh with the default limits, which suit most uploads.
func ExampleDecode() {
	var file bytes.Buffer
	_ = meshio.Encode(&file, box(10, 10, 10), meshio.PLY)

	m, err := meshio.Decode(&file, meshio.PLY)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(m.Faces), "faces, closed:", m.Topology().Closed())
	// Output: 12 faces, closed: true
}

// Read a format name from a flag or a form, and reject what is not a format.
func ExampleParseFormat() {
	for _, name := range []string{"GLB", "stl-ascii", "step"} {
		f, err := meshio.ParseFormat(name)
		if errors.Is(err, meshio.ErrUnknownFormat) {
			fmt.Println(name, "is not a mesh format")
			continue
		}
		fmt.Println(name, "→", f, f.Ext())
	}
	// Output:
	// GLB → glb .glb
	// stl-ascii → stl-ascii .stl
	// step is not a mesh format
}

// List the formats, for a flag's help or a service's download options.
func ExampleFormats() {
	for _, f := range meshio.Formats() {
		fmt.Printf("%-9s %s %s\n", f, f.Ext(), f.ContentType())
	}
	// Output:
	// stl       .stl model/stl
	// stl-ascii .stl model/stl
	// obj       .obj model/obj
	// glb       .glb model/gltf-binary
	// ply       .ply application/octet-stream
	// 3mf       .3mf model/3mf
}

// Write a coloured box as 3MF for a slicer, Y-up OBJ for Blender, and read the 3MF back.
func ExampleEncodeOptions_Encode() {
	m := box(40, 20, 10)
	m.Colors = make([][4]uint8, len(m.Positions))
	for i := range m.Colors {
		m.Colors[i] = [4]uint8{200, 60, 30, 255}
	}
	var tmf bytes.Buffer
	// The zero options render a thumbnail into the package; NoThumbnail leaves it out.
	if err := (meshio.EncodeOptions{NoThumbnail: true}).Encode(&tmf, m, meshio.ThreeMF); err != nil {
		fmt.Println(err)
		return
	}
	back, err := meshio.Decode(bytes.NewReader(tmf.Bytes()), meshio.ThreeMF)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("3mf:", len(back.Faces), "faces, closed:", back.Topology().Closed(), "colour:", back.Colors[0])

	var obj bytes.Buffer
	if err := (meshio.EncodeOptions{Up: meshio.UpY, CreaseAngle: 30}).Encode(&obj, m, meshio.OBJ); err != nil {
		fmt.Println(err)
		return
	}
	yup, _ := meshio.Decode(bytes.NewReader(obj.Bytes()), meshio.OBJ)
	fmt.Println("obj, Y up: size", yup.Bounds().Size(), "normals:", strings.Count(obj.String(), "\nvn "))
	// Output:
	// 3mf: 12 faces, closed: true colour: [200 60 30 255]
	// obj, Y up: size [40 10 20] normals: 24
}
