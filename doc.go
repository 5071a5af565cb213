// Package orfeas turns 2D images into closed, printable 3D meshes. It is a library first: Go
// services import it, and the programs under examples/ show it off.
//
// # Data flow
//
// Each arrow is one package boundary, and nothing flows back:
//
//	bytes ──imagecheck──▶ image.Image ──generator──▶ backends.Input ──Backend.Reconstruct──▶ mesh.Mesh ──▶ STL/OBJ/GLB/PLY/3MF
//
// The packages:
//
//   - imagecheck validates untrusted image bytes with bounded work (format by magic bytes,
//     byte/pixel/frame limits, decompression bombs rejected from the header) and decodes them
//     upright per EXIF orientation.
//   - generator is the façade: it validates a Request, prepares the image (luminance,
//     foreground mask, colour, resize to the quality level's working resolution), picks a
//     backend ("auto": CUDA where a GPU answers, else CPU), and checks and reports the result.
//   - backends defines the contract; backends/cpu is the pure-Go reference implementation of
//     every mode (relief, lithophane, extrude, inflate) and backends/cuda runs them on an NVIDIA
//     GPU.
//   - mesh holds the indexed triangle mesh in millimetres (Z up, counter-clockwise outward), its
//     topology report (watertight, manifold, oriented, genus), weld, orientation, simplification,
//     iso-surface extraction, repair, print analysis, and the encoders and decoders.
//   - jobs runs many generations at once for services: duplicate in-flight IDs are rejected with
//     ErrJobConflict, identical work is shared, the queue is bounded, progress is streamed per job.
//
// Every mesh the generator returns is closed: watertight, 2-manifold, consistently oriented
// outward, with no degenerate faces. That is checked on every result, not hoped for.
//
// # Quick start
//
//	g, err := generator.New(generator.Config{}) // backend "auto"
//	if err != nil { ... }
//	defer g.Close()
//	res, err := g.Generate(ctx, generator.Request{
//		Image:   pngBytes,
//		Mode:    generator.Relief,
//		Quality: generator.Standard,
//		Width:   100, // mm
//	})
//	if err != nil { ... } // errors.Is(err, imagecheck.ErrCorrupt), generator.ErrInvalidRequest, ...
//	f, _ := os.Create("model.glb")
//	defer f.Close()
//	err = res.Encode(f, meshio.GLB)
//
// See examples/img2mesh for a command-line tool, examples/server for an HTTP service, and
// examples/batch for a folder converter.
package orfeas
