package meshio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/orfeas3d/orfeas/internal/ctxio"
	"github.com/orfeas3d/orfeas/mesh"
)

// ErrUnknownFormat is wrapped by errors about a format name, extension or content that is not one
// of the supported mesh formats.
var ErrUnknownFormat = errors.New("meshio: unknown format")

// ErrMalformed is wrapped by every decoder error about bytes that are not a well-formed file of the
// format asked for: truncation, counts the data cannot hold, indices out of range, bad numbers.
var ErrMalformed = errors.New("meshio: malformed input")

// ErrTooLarge is wrapped by decoder errors about input that exceeds the DecodeLimits in force.
var ErrTooLarge = errors.New("meshio: input exceeds decode limits")

// Format names a mesh file format. The zero Format is not a format: Encode and Decode reject it
// with ErrUnknownFormat.
type Format int

const (
	// STL is binary STL: an 80-byte header, a triangle count and 50 bytes per triangle, in mm.
	STL Format = iota + 1
	// STLASCII is the text form of STL ("solid … facet normal … endsolid").
	STLASCII
	// OBJ is Wavefront OBJ text: v (with optional r g b), vt, vn and f lines, in mm.
	OBJ
	// GLB is binary glTF 2.0, in metres with +Y up.
	GLB
	// PLY is the Stanford polygon format; Encode writes binary little-endian with optional
	// per-vertex colours, Decode also reads ASCII and big-endian files.
	PLY
	// ThreeMF is the 3D Manufacturing Format slicers prefer: a zip (OPC) package holding
	// 3D/3dmodel.model in millimetres, one object and its build item, per-triangle colours as a
	// colour group when the mesh has colours or a texture, and a thumbnail.
	ThreeMF
)

var formatInfo = [...]struct{ name, ext, contentType string }{
	STL:      {"stl", ".stl", "model/stl"},
	STLASCII: {"stl-ascii", ".stl", "model/stl"},
	OBJ:      {"obj", ".obj", "model/obj"},
	GLB:      {"glb", ".glb", "model/gltf-binary"},
	PLY:      {"ply", ".ply", "application/octet-stream"},
	ThreeMF:  {"3mf", ".3mf", "model/3mf"},
}

func (f Format) valid() bool { return f >= STL && f <= ThreeMF }

// String returns the format's name as ParseFormat reads it ("stl", "stl-ascii", "obj", "glb",
// "ply", "3mf"), or "Format(n)" for an invalid value.
func (f Format) String() string {
	if !f.valid() {
		return fmt.Sprintf("Format(%d)", int(f))
	}
	return formatInfo[f].name
}

// Ext returns the usual file extension, with its dot (".stl" for both STL forms).
func (f Format) Ext() string {
	if !f.valid() {
		return ""
	}
	return formatInfo[f].ext
}

// ContentType returns the media type to serve the format with (model/stl, model/obj,
// model/gltf-binary, model/3mf, application/octet-stream for PLY, which has no registered type).
func (f Format) ContentType() string {
	if !f.valid() {
		return "application/octet-stream"
	}
	return formatInfo[f].contentType
}

// Formats returns every format, in the order of their constants (STL, STLASCII, OBJ, GLB, PLY,
// ThreeMF),
// for programs that list or offer them: flag help, a service's download formats.
func Formats() []Format {
	fs := make([]Format, 0, len(formatInfo)-1)
	for f := STL; f.valid(); f++ {
		fs = append(fs, f)
	}
	return fs
}

// ParseFormat returns the format with the given name, case-insensitively: "stl" (binary),
// "stl-ascii" (also "stlascii", "ascii-stl"), "obj", "glb" (also "gltf-binary"), "ply" or "3mf".
func ParseFormat(name string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "stl", "stl-binary", "binary-stl":
		return STL, nil
	case "stl-ascii", "stlascii", "ascii-stl":
		return STLASCII, nil
	case "obj":
		return OBJ, nil
	case "glb", "gltf-binary":
		return GLB, nil
	case "ply":
		return PLY, nil
	case "3mf":
		return ThreeMF, nil
	}
	return 0, fmt.Errorf("%w: format name %q", ErrUnknownFormat, name)
}

// FormatFromExt returns the format that a file extension names, case-insensitively and with or
// without the dot (".glb", "GLB"). A file name or path is accepted too ("out/model.glb"). ".stl"
// gives binary STL.
func FormatFromExt(ext string) (Format, error) {
	e := ext
	if i := strings.LastIndexByte(e, '.'); i > 0 || strings.ContainsAny(e, `/\`) {
		e = filepath.Ext(e)
	}
	switch strings.ToLower(strings.TrimPrefix(e, ".")) {
	case "stl":
		return STL, nil
	case "obj":
		return OBJ, nil
	case "glb":
		return GLB, nil
	case "ply":
		return PLY, nil
	case "3mf":
		return ThreeMF, nil
	}
	return 0, fmt.Errorf("%w: file extension %q", ErrUnknownFormat, ext)
}

// DetectFormat guesses the format of a file from its first bytes (512 or more are best), for
// uploads that do not say what they are: the "glTF" magic is GLB, "ply" is PLY, a zip ("PK\x03\x04")
// is 3MF, text beginning
// with "solid" and holding STL keywords is ASCII STL, other text made of OBJ statements is OBJ, and
// anything else of at least 84 bytes is taken for binary STL, which has no magic number (Decode
// then checks its size against its triangle count). Binary STL files whose header begins with
// "solid" are recognised by their non-text bytes.
func DetectFormat(head []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(head, []byte("glTF")):
		return GLB, nil
	case bytes.HasPrefix(head, []byte("ply\n")) || bytes.HasPrefix(head, []byte("ply\r\n")):
		return PLY, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return ThreeMF, nil
	}
	text := fmtIsText(head)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if text && bytes.HasPrefix(trimmed, []byte("solid")) {
		if len(head) < 84 || bytes.Contains(head, []byte("facet")) || bytes.Contains(head, []byte("endsolid")) {
			return STLASCII, nil
		}
	}
	if text && fmtLooksOBJ(head) {
		return OBJ, nil
	}
	if !text && len(head) >= 84 {
		return STL, nil
	}
	return 0, fmt.Errorf("%w: content not recognised", ErrUnknownFormat)
}

// fmtIsText reports whether b holds only printable ASCII, whitespace and UTF-8 bytes (a cut
// multi-byte sequence at the end is fine), with no control characters.
func fmtIsText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' || c == 0x7f {
			return false
		}
	}
	return true
}

// fmtLooksOBJ reports whether every complete line of b is blank, a comment or starts with an OBJ
// statement, and at least one is a v or f statement.
func fmtLooksOBJ(b []byte) bool {
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last line may be cut
	}
	seen := false
	for _, l := range lines {
		f := bytes.Fields(l)
		if len(f) == 0 || f[0][0] == '#' {
			continue
		}
		switch string(f[0]) {
		case "v", "f", "vt", "vn", "vp", "fo":
			seen = true
		case "o", "g", "s", "l", "p", "mtllib", "usemtl", "cstype", "deg", "curv", "surf":
		default:
			return false
		}
	}
	return seen
}

// Encode writes m to w in format f with the default EncodeOptions. See EncodeOptions.Encode.
func Encode(w io.Writer, m *mesh.Mesh, f Format) error { return EncodeOptions{}.Encode(w, m, f) }

// UpAxis names the axis a file's "up" is written along.
type UpAxis int

const (
	// UpZ writes the mesh as it is, Z up: what slicers and printers expect. The default.
	UpZ UpAxis = iota
	// UpY turns the mesh so that its Z becomes +Y (x, y, z → x, z, −y), for tools that take Y as
	// up (Blender's OBJ import by default, Unity, Maya).
	UpY
)

// ParseUpAxis reads "z" or "y" (case-insensitively; "" is z).
func ParseUpAxis(s string) (UpAxis, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "z", "+z":
		return UpZ, nil
	case "y", "+y":
		return UpY, nil
	}
	return 0, fmt.Errorf("meshio: up axis %q is not z or y", s)
}

// EncodeOptions tunes Encode. The zero value means the defaults given on each field.
type EncodeOptions struct {
	// CreaseAngle, in degrees, is where shading normals split (see mesh.Mesh.CreaseNormals): an
	// edge whose faces meet at more than it is drawn sharp, and flat faces shade flat. It applies
	// to the formats that carry normals (OBJ, GLB). Zero means mesh.DefaultCreaseAngle (40°);
	// 180 smooths every edge, as one normal per position.
	CreaseAngle float64
	// Up is the up axis of STL, OBJ and PLY files (default UpZ). GLB is always +Y up (glTF) and
	// 3MF always Z up (its specification), whatever Up says.
	Up UpAxis
	// Thumbnail is the PNG a 3MF package carries as Metadata/thumbnail.png. Nil renders one with
	// mesh/render (256 × 256); NoThumbnail leaves it out.
	Thumbnail   []byte
	NoThumbnail bool
}

// Encode writes m to w in format f. It validates m first (the error wraps ErrInvalid) and returns
// any write error. Output is deterministic: the same mesh gives the same bytes. STL, OBJ and PLY
// are written in chunks of about 1 MiB and GLB in chunks of about 1.5 MiB (its binary buffer is
// never held whole; the texture's PNG is one write), so w needs no buffering of its own; 3MF is
// built in memory and written in a few large writes.
//
// STL, OBJ, PLY and 3MF are written in millimetres with Z up, as the mesh is (STL, OBJ and PLY
// turned to Y up when o.Up says so); GLB is converted to metres and +Y up. What each format keeps:
// STL keeps positions only (one normal per face, computed from the float32 vertices written); OBJ
// keeps positions, colours (v x y z r g b), UVs (vt) and crease-aware normals (vn; EncodeOBJ also
// writes the material library and texture); GLB keeps positions, crease-aware normals, colours
// (COLOR_0), UVs (TEXCOORD_0) and the texture (embedded PNG); PLY keeps positions and colours; 3MF
// keeps positions and colours (one per triangle corner, from the vertex colours or the texture).
// OBJ and GLB split vertices along creases, so they may hold more vertices than m.
func (o EncodeOptions) Encode(w io.Writer, m *mesh.Mesh, f Format) error {
	return o.EncodeContext(context.Background(), w, m, f)
}

// EncodeContext is Encode under ctx, for a request that may end while its model is written: once
// ctx is done, nothing more is written to w (encoders write in chunks of about 1 MiB, so at most
// the chunk in hand is finished), a 3MF thumbnail being rendered stops, and the error returned
// wraps ctx.Err(). What was written by then is a truncated file: a caller writing to a file
// writes to a temporary one and renames it into place only after a nil error.
func (o EncodeOptions) EncodeContext(ctx context.Context, w io.Writer, m *mesh.Mesh, f Format) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("meshio: encode %v: %w", f, err)
	}
	// Every encoder writes through w, so a writer that fails once ctx is done stops each of them
	// at its next write, and that failure is the error they return.
	w = ctxio.NewWriter(ctx, w)
	if !f.valid() {
		return fmt.Errorf("%w: %v", ErrUnknownFormat, f)
	}
	if m == nil {
		return fmt.Errorf("meshio: encode %v: %w: nil mesh", f, mesh.ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("meshio: encode %v: %w", f, err)
	}
	if o.Up == UpY && (f == STL || f == STLASCII || f == OBJ || f == PLY) {
		m = upY(m)
	}
	var err error
	switch f {
	case STL:
		err = encodeSTLBinary(w, m)
	case STLASCII:
		err = encodeSTLASCII(w, m)
	case OBJ:
		err = encodeOBJ(w, m, "", o.CreaseAngle)
	case GLB:
		err = encodeGLB(w, m, o.CreaseAngle)
	case PLY:
		err = encodePLY(w, m)
	case ThreeMF:
		err = encode3MF(ctx, w, m, o)
	}
	if err != nil {
		return fmt.Errorf("meshio: encode %v: %w", f, err)
	}
	return nil
}

// upY returns a copy of m turned so that its +Z is +Y (x, y, z → x, z, −y): a rotation, so the
// winding and the volume's sign are kept.
func upY(m *mesh.Mesh) *mesh.Mesh {
	c := *m
	c.Positions = make([][3]float32, len(m.Positions))
	for i, p := range m.Positions {
		c.Positions[i] = [3]float32{p[0], p[2], -p[1]}
	}
	return &c
}

// DecodeLimits bounds what a decoder accepts, for input that may be hostile. The zero value means
// the defaults given on each field.
//
// Besides these limits, decoding n bytes allocates at most DecodeAmplification·n bytes in all
// plus 16 KiB, whatever the bytes claim, with one exception: an embedded GLB texture, which
// MaxTexturePixels bounds instead (an image decoder holds up to 8 bytes a pixel, and a PNG can
// compress a blank image a thousandfold). Every count a header claims is checked against the
// bytes that remain before anything is allocated; OBJ and PLY count the triangles their polygons
// make before allocating the faces; GLB primitives that share vertex accessors share the decoded
// vertices, and a file whose primitives still decode to more than 8 times its binary chunk
// (accessors reused over and over) fails with ErrTooLarge. The largest multiples measured
// (TestDecodeAllocationBounded) are about 30 for GLB (a JSON chunk of many tiny primitives), 14
// for PLY (a polygon of one-byte indices: 12 bytes of triangle per input byte), 8 for OBJ and a
// few for STL; DecodeAmplification leaves room above them. 3MF is the other exception: a zip
// package, whose model part may decompress to at most 40 times the package (and MaxBytes), a zip
// bomb beyond failing with ErrTooLarge; decoding then allocates at most four times the decompressed
// model (TestThreeMFAllocation), so up to 160 times the package's size.
type DecodeLimits struct {
	// MaxBytes is the most input read; longer input fails with ErrTooLarge. Default 256 MiB.
	MaxBytes int64
	// MaxFaces is the most triangles a decoded mesh may have (after triangulating polygons).
	// Default 16 Mi (16,777,216).
	MaxFaces int
	// MaxVertices is the most vertices a decoded mesh may have. Default 16 Mi.
	MaxVertices int
	// MaxTexturePixels is the most pixels (width × height) of a texture embedded in a GLB file;
	// a larger one fails with ErrTooLarge before it is decoded. Default 16 Mi (4096 × 4096).
	MaxTexturePixels int64
}

// DecodeAmplification is the most bytes a decoder allocates per input byte, textures apart; see
// DecodeLimits.
const DecodeAmplification = 64

// Default limits; see DecodeLimits.
const (
	DefaultMaxBytes         = 256 << 20
	DefaultMaxFaces         = 16 << 20
	DefaultMaxVertices      = 16 << 20
	DefaultMaxTexturePixels = 4096 * 4096
)

func (l DecodeLimits) withDefaults() DecodeLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxFaces <= 0 {
		l.MaxFaces = DefaultMaxFaces
	}
	if l.MaxVertices <= 0 {
		l.MaxVertices = DefaultMaxVertices
	}
	// Indices are uint32, and the decoders keep some in int32.
	l.MaxFaces = min(l.MaxFaces, math.MaxInt32)
	l.MaxVertices = min(l.MaxVertices, math.MaxInt32)
	if l.MaxTexturePixels <= 0 {
		l.MaxTexturePixels = DefaultMaxTexturePixels
	}
	return l
}

// Decode reads a mesh in format f from r with the default DecodeLimits. See DecodeLimits.Decode.
func Decode(r io.Reader, f Format) (*mesh.Mesh, error) { return DecodeLimits{}.Decode(r, f) }

// Decode reads a mesh in format f from r, reading at most l.MaxBytes. The result is an indexed
// mesh that passes Validate. Errors wrap ErrMalformed (bad bytes), ErrTooLarge (limits),
// ErrUnknownFormat, or the reader's own error.
//
// STL and STLASCII both accept either form of STL (binary when the size matches the triangle
// count, text when it starts with "solid" and is not binary); STL triangles are welded on exactly
// coincident vertices (Mesh.Weld(0)). OBJ polygons and PLY polygons are fan-triangulated. GLB
// reads the TRIANGLES primitives of the first mesh (primitives with the same vertex accessors
// share one copy of the vertices), ignoring node transforms, and converts back to millimetres
// and Z up; vertices that differ only in their normals (split for shading, as Encode splits them
// along creases) are merged back into one, so a closed mesh reads back closed. A 3MF package's
// build items (with their components and transforms) are merged into one mesh in millimetres.
func (l DecodeLimits) Decode(r io.Reader, f Format) (*mesh.Mesh, error) {
	return l.DecodeContext(context.Background(), r, f)
}

// DecodeContext is Decode with a context, which stops the decoding of an embedded GLB texture
// (the one part of decoding whose cost the mesh's bytes do not bound) and is checked between
// stages; the error then wraps ctx.Err(). A texture that imagecheck refuses (too many pixels,
// a JPEG of more than 256 scans, bad bytes) fails the decode before its decoder runs, with an
// error that wraps both ErrTooLarge or ErrMalformed and imagecheck's own error (a
// *imagecheck.LimitError for a limit).
func (l DecodeLimits) DecodeContext(ctx context.Context, r io.Reader, f Format) (*mesh.Mesh, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("meshio: decode %v: %w", f, err)
	}
	if !f.valid() {
		return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, f)
	}
	l = l.withDefaults()
	data, err := fmtReadAll(r, l.MaxBytes+1)
	if err != nil {
		return nil, fmt.Errorf("meshio: decode %v: %w", f, err)
	}
	if int64(len(data)) > l.MaxBytes {
		return nil, fmt.Errorf("%w: %v input is longer than %d bytes", ErrTooLarge, f, l.MaxBytes)
	}
	var m *mesh.Mesh
	switch f {
	case STL, STLASCII:
		m, err = decodeSTL(data, l)
	case OBJ:
		m, err = decodeOBJ(data, l)
	case GLB:
		if m, err = decodeGLB(ctx, data, l); err == nil {
			m = weldSplitVertices(m)
		}
	case PLY:
		m, err = decodePLY(data, l)
	case ThreeMF:
		m, err = decode3MF(data, l)
	}
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		// Decoders check what they build; reaching this is a decoder bug, reported, not hidden.
		return nil, fmt.Errorf("%w: %v: decoded mesh is invalid: %v", ErrMalformed, f, err)
	}
	return m, nil
}

// fmtReadAll reads r to its end or to max bytes. A reader that knows its length (bytes.Reader,
// bytes.Buffer, strings.Reader) is read into one buffer of that size; others through io.ReadAll,
// which allocates about twice what it returns.
func fmtReadAll(r io.Reader, max int64) ([]byte, error) {
	lr := io.LimitReader(r, max)
	if n, ok := r.(interface{ Len() int }); ok {
		var b bytes.Buffer
		// bytes.Buffer.ReadFrom wants bytes.MinRead free bytes before it reads again, and needs
		// a read at the end to see io.EOF.
		b.Grow(int(min(int64(n.Len()), max)) + bytes.MinRead)
		_, err := b.ReadFrom(lr)
		return b.Bytes(), err
	}
	return io.ReadAll(lr)
}

// fmtWriter accumulates output in a buffer of about 1 MiB and hands it to its ctxio.Writer in
// large writes, which keeps the first write error: encoders append to b and call flushIfFull. A
// writer that fails once its context is done (the CLI's) so stops an encode within one chunk.
type fmtWriter struct {
	w *ctxio.Writer
	b []byte
}

const fmtChunk = 1 << 20

func newFmtWriter(w io.Writer) *fmtWriter {
	return &fmtWriter{w: ctxio.NewWriter(context.Background(), w), b: make([]byte, 0, fmtChunk+4096)}
}

// flushIfFull writes the buffer out once it holds at least fmtChunk bytes.
func (fw *fmtWriter) flushIfFull() {
	if len(fw.b) >= fmtChunk {
		fw.flush()
	}
}

// flush writes the buffer out, unless a write failed before, and returns the first write error.
func (fw *fmtWriter) flush() error {
	if fw.w.Err() == nil && len(fw.b) > 0 {
		fw.w.Write(fw.b)
	}
	fw.b = fw.b[:0]
	return fw.w.Err()
}

// malformed returns an error wrapping ErrMalformed with the format's prefix.
func malformed(f Format, format string, args ...any) error {
	return fmt.Errorf("%w: %v: %s", ErrMalformed, f, fmt.Sprintf(format, args...))
}

// tooLarge returns an error wrapping ErrTooLarge with the format's prefix.
func tooLarge(f Format, format string, args ...any) error {
	return fmt.Errorf("%w: %v: %s", ErrTooLarge, f, fmt.Sprintf(format, args...))
}
