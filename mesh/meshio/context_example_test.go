package meshio_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// texturedBox is a 10 mm cube, 8 corners and 12 triangles wound counter-clockwise seen from
// outside, with texture coordinates and a side × side texture.
func texturedBox(side int) *mesh.Mesh {
	const s = 10
	m := &mesh.Mesh{
		Positions: [][3]float32{{0, 0, 0}, {s, 0, 0}, {s, s, 0}, {0, s, 0}, {0, 0, s}, {s, 0, s}, {s, s, s}, {0, s, s}},
		Faces: [][3]uint32{
			{0, 2, 1}, {0, 3, 2}, {4, 5, 6}, {4, 6, 7}, {0, 1, 5}, {0, 5, 4},
			{3, 7, 6}, {3, 6, 2}, {0, 4, 7}, {0, 7, 3}, {1, 2, 6}, {1, 6, 5},
		},
		UVs:     [][2]float32{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}, {1, 0}, {1, 1}, {0, 1}},
		Texture: image.NewNRGBA(image.Rect(0, 0, side, side)),
	}
	return m
}

// Decode an uploaded GLB within a request's deadline: the context stops the decoding of its
// embedded texture, the one part whose cost the file's size does not bound, and every texture
// goes through imagecheck's limits before it is decoded.
func ExampleDecodeLimits_DecodeContext() {
	var upload bytes.Buffer
	if err := meshio.Encode(&upload, texturedBox(256), meshio.GLB); err != nil {
		fmt.Println(err)
		return
	}
	glb := upload.Bytes()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := meshio.DecodeLimits{}.DecodeContext(ctx, bytes.NewReader(glb), meshio.GLB)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(m.Faces), "faces, texture", m.Texture.Bounds().Size())

	// A texture over MaxTexturePixels is refused from its header, without decoding it.
	_, err = meshio.DecodeLimits{MaxTexturePixels: 128 * 128}.DecodeContext(ctx, bytes.NewReader(glb), meshio.GLB)
	var le *imagecheck.LimitError
	fmt.Println(errors.Is(err, meshio.ErrTooLarge), errors.As(err, &le) && le.Name == "pixels")

	// A request that has ended stops the decoding, with the context's error.
	gone, stop := context.WithCancel(context.Background())
	stop()
	_, err = meshio.DecodeLimits{}.DecodeContext(gone, bytes.NewReader(glb), meshio.GLB)
	fmt.Println(errors.Is(err, context.Canceled))
	// Output:
	// 12 faces, texture (256,256)
	// true true
	// true
}

// Write a model as the response to a request that may end first: once the request's context is
// done the encoder writes nothing more and returns the context's error, so a server stops
// spending CPU on a client that has gone.
func ExampleEncodeOptions_EncodeContext() {
	m := texturedBox(64)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := (meshio.EncodeOptions{}).EncodeContext(ctx, &out, m, meshio.GLB); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, %d faces\n", out.Bytes()[:4], len(m.Faces))

	gone, stop := context.WithCancel(context.Background())
	stop()
	out.Reset()
	err := (meshio.EncodeOptions{}).EncodeContext(gone, &out, m, meshio.ThreeMF)
	fmt.Println(errors.Is(err, context.Canceled), out.Len(), "bytes written")
	// Output:
	// glTF, 12 faces
	// true 0 bytes written
}
