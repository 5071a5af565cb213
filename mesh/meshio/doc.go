// Package meshio reads and writes meshes (package mesh) in the STL, OBJ, GLB, PLY and 3MF file formats,
// as image/png does for package image: the mesh type and its algorithms stay in mesh, the formats
// live here. Format is the registry that every program of the module (the img2mesh CLI, the batch
// converter, the HTTP service) goes through: ParseFormat reads a format's name, FormatFromExt a
// file extension, DetectFormat the first bytes of an upload, and Formats lists them all.
//
// Encode writes a mesh in any format, EncodeOptions.Encode with a crease angle for the shading
// normals (OBJ and GLB split them along creases: mesh.Mesh.Crease), an up axis, and the 3MF
// thumbnail (rendered by mesh/render unless given); EncodeOBJ writes an OBJ with its material
// library and texture to three writers. Writers take io.Writers: owning files (temporary names, renames,
// cleanup) is the caller's.
//
// Decoding untrusted bytes is bounded: Decode applies the default DecodeLimits, and
// DecodeLimits.Decode tighter ones; every count a file claims is checked against the bytes
// present before anything is allocated. Errors wrap ErrMalformed, ErrTooLarge or
// ErrUnknownFormat, so callers branch with errors.Is.
//
// # One package, a file per format
//
// The formats share more than an interface: the decode limits and their amplification bound, the
// error sentinels, detection from the first bytes (which must know every format at once), and the
// chunked writer that keeps the first error, so that an encode through a context-aware writer
// stops within one chunk. Per-format packages (mesh/stl, mesh/glb, …) would need a fourth, shared
// package for those and a registry above them all. So meshio is one package with a file per
// format: stl.go, obj.go, glb.go (with glb_encode.go, glb_decode.go, glb_json.go), ply.go, 3mf.go,
// and format.go for the registry, Encode, Decode and the limits. A new format goes in as one more
// file and one more Format.
package meshio
