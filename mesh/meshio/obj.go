package meshio

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/orfeas3d/orfeas/mesh"
)

// objColorText holds "c/255" formatted shortest for each 8-bit channel value, so that colours
// cost a copy instead of a float formatting, and read back to the same byte.
var objColorText = func() (t [256][]byte) {
	for i := range t {
		t[i] = strconv.AppendFloat(nil, float64(float32(float64(i)/255)), 'g', -1, 32)
	}
	return t
}()

// OBJTextureSuffix ends the name of the texture file EncodeOBJ's material library refers to.
const OBJTextureSuffix = "_texture.png"

// objMaterial is the name of the one material EncodeOBJ writes.
const objMaterial = "orfeas_texture"

// encodeOBJ writes v (with r g b when the mesh has colours), vt (with v flipped: OBJ's texture
// origin is the bottom-left corner, the mesh's the top-left), vn (crease-aware normals: split
// along creases of more than crease degrees, mesh.Mesh.Crease) and f v/vt/vn. OBJ indexes normals
// apart from positions, so the positions stay shared (a closed mesh reads back closed) while a
// corner on a crease takes its own normal. When mtl is not empty, the file refers to that
// material library and to objMaterial, and leaves the vertex colours out: the texture carries the
// colour.
func encodeOBJ(w io.Writer, m *mesh.Mesh, mtl string, crease float64) error {
	cr := m.Crease(crease)
	colours := m.Colors
	if mtl != "" {
		// Viewers multiply the texture by vertex colours, which sample the same image, and would
		// darken it twice (as glTF does: see encodeGLB).
		colours = nil
	}
	fw := newFmtWriter(w)
	fw.b = append(fw.b, "# orfeas: units mm, Z up\n"...)
	if mtl != "" {
		fw.b = append(fw.b, "mtllib "...)
		fw.b = append(fw.b, mtl...)
		fw.b = append(fw.b, '\n')
	}
	fl := func(x float32) {
		fw.b = append(fw.b, ' ')
		fw.b = strconv.AppendFloat(fw.b, float64(x), 'g', -1, 32)
	}
	for i, p := range m.Positions {
		fw.b = append(fw.b, 'v')
		fl(p[0])
		fl(p[1])
		fl(p[2])
		if colours != nil {
			c := colours[i]
			for k := range 3 {
				fw.b = append(fw.b, ' ')
				fw.b = append(fw.b, objColorText[c[k]]...)
			}
		}
		fw.b = append(fw.b, '\n')
		fw.flushIfFull()
	}
	for _, uv := range m.UVs {
		fw.b = append(fw.b, "vt"...)
		fl(uv[0])
		fl(1 - uv[1])
		fw.b = append(fw.b, '\n')
		fw.flushIfFull()
	}
	for _, n := range cr.Normals {
		if n == ([3]float32{}) {
			// A vertex no face uses, or one only degenerate faces use: a unit normal anyway,
			// for readers that normalise.
			n = [3]float32{0, 0, 1}
		}
		fw.b = append(fw.b, "vn"...)
		fl(n[0])
		fl(n[1])
		fl(n[2])
		fw.b = append(fw.b, '\n')
		fw.flushIfFull()
	}
	if mtl != "" {
		fw.b = append(fw.b, "usemtl "+objMaterial+"\n"...)
	}
	sep := []byte("//")
	if m.UVs != nil {
		sep = []byte("/")
	}
	for i, f := range m.Faces {
		fw.b = append(fw.b, 'f')
		for k := range 3 {
			v := uint64(f[k]) + 1
			fw.b = append(fw.b, ' ')
			fw.b = strconv.AppendUint(fw.b, v, 10)
			fw.b = append(fw.b, sep...)
			if m.UVs != nil {
				fw.b = strconv.AppendUint(fw.b, v, 10)
				fw.b = append(fw.b, '/')
			}
			fw.b = strconv.AppendUint(fw.b, uint64(cr.Faces[i][k])+1, 10)
		}
		fw.b = append(fw.b, '\n')
		if len(fw.b) >= fmtChunk {
			if fw.flush() != nil {
				return fw.w.Err()
			}
		}
	}
	return fw.flush()
}

// EncodeOBJ writes m as an OBJ to obj and, when m has a texture and UVs, its material library to
// mtl and its texture, as PNG, to texture, in that order: texture first, the OBJ last. The OBJ
// refers to the library as name+".mtl" and the library to the texture as name+"_texture.png"
// (OBJTextureSuffix: not name.png, which is often the image the model was made from), so the
// three belong side by side in files of those names (name.obj, name.mtl, name_texture.png), as MeshLab
// and Blender expect; name must be a plain file name without extension or separators. With a
// texture, the OBJ carries no vertex colours (the texture does), so that viewers do not multiply
// the two. Without a texture, only obj is written (the bytes Encode writes for OBJ) and mtl and texture may be nil.
//
// It validates m first (the error wraps mesh.ErrInvalid). Writing the files, and making sure a
// reader never sees half of them, is the caller's: write each to a temporary file and rename the
// OBJ into place last.
func EncodeOBJ(obj, mtl, texture io.Writer, m *mesh.Mesh, name string) error {
	return EncodeOptions{}.EncodeOBJ(obj, mtl, texture, m, name)
}

// EncodeOBJ is the package's EncodeOBJ with o's crease angle and up axis.
func (o EncodeOptions) EncodeOBJ(obj, mtl, texture io.Writer, m *mesh.Mesh, name string) error {
	if m == nil {
		return fmt.Errorf("meshio: EncodeOBJ: %w: nil mesh", mesh.ErrInvalid)
	}
	if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, "/\\\r\n") || name == "." || name == ".." {
		return fmt.Errorf("meshio: EncodeOBJ: name %q is not a plain file name", name)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("meshio: EncodeOBJ: %w", err)
	}
	if o.Up == UpY {
		m = upY(m)
	}
	lib := ""
	if m.Texture != nil && m.UVs != nil {
		if mtl == nil || texture == nil {
			return fmt.Errorf("meshio: EncodeOBJ: the mesh is textured and needs mtl and texture writers")
		}
		pngName := name + OBJTextureSuffix
		if err := (&png.Encoder{}).Encode(texture, m.Texture); err != nil {
			return fmt.Errorf("meshio: EncodeOBJ: %s: %w", pngName, err)
		}
		lib = name + ".mtl"
		if _, err := fmt.Fprintf(mtl, "# orfeas\nnewmtl %s\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nd 1\nillum 1\nmap_Kd %s\n", objMaterial, pngName); err != nil {
			return fmt.Errorf("meshio: EncodeOBJ: %s: %w", lib, err)
		}
	}
	if err := encodeOBJ(obj, m, lib, o.CreaseAngle); err != nil {
		return fmt.Errorf("meshio: EncodeOBJ: %s.obj: %w", name, err)
	}
	return nil
}

// objCorner is one face corner: a vertex index and a texture-coordinate index (-1 for none), both
// already resolved to 0-based.
type objCorner struct{ v, t int64 }

// objCount counts the v and vt statements and the triangles the f statements make, as
// decodeOBJ reads them, so that it can size its slices exactly before filling them.
func objCount(data []byte) (nv, nt, ntri int64) {
	for len(data) > 0 {
		var line []byte
		line, data = objLine(data)
		kw, rest := objWord(line)
		switch string(kw) {
		case "v":
			nv++
		case "vt":
			nt++
		case "f":
			n := int64(0)
			for {
				var w []byte
				w, rest = objWord(rest)
				if len(w) == 0 {
					break
				}
				n++
			}
			if n >= 3 {
				ntri += n - 2
			}
		}
	}
	return nv, nt, ntri
}

// decodeOBJ reads v (optionally with r g b), vt and f statements; every other statement is
// ignored. Polygons are fan-triangulated. A vertex used with two different vt indices is
// duplicated so that each vertex has one UV.
//
// A first pass counts the statements, so that the limits are checked before anything is
// allocated and every slice is allocated once at its final size; the second writes triangles
// straight into the mesh (12 bytes each, and each takes at least 2 bytes of input, " 1"), with
// their texture-coordinate indices beside them (int32, 12 more) only when a face has some.
func decodeOBJ(data []byte, l DecodeLimits) (*mesh.Mesh, error) {
	nvAll, ntAll, ntriAll := objCount(data)
	switch {
	case nvAll > int64(l.MaxVertices):
		return nil, tooLarge(OBJ, "more than %d vertices", l.MaxVertices)
	case ntAll > int64(l.MaxVertices):
		return nil, tooLarge(OBJ, "more than %d texture coordinates", l.MaxVertices)
	case ntriAll > int64(l.MaxFaces):
		return nil, tooLarge(OBJ, "more than %d triangles", l.MaxFaces)
	}
	m := &mesh.Mesh{Positions: make([][3]float32, 0, nvAll), Faces: make([][3]uint32, 0, ntriAll)}
	var colors [][4]uint8 // allocated at the first coloured vertex
	var uvs [][2]float32
	if ntAll > 0 {
		uvs = make([][2]float32, 0, ntAll)
	}
	var faceUV [][3]int32 // texture-coordinate index per corner (-1 none), allocated at the first
	lineNo := 0
	var fields [8][]byte
	for len(data) > 0 {
		lineNo++
		var line []byte
		line, data = objLine(data)
		kw, rest := objWord(line)
		if len(kw) == 0 {
			continue
		}
		switch string(kw) {
		case "v":
			n := 0
			for n < len(fields) {
				var w []byte
				w, rest = objWord(rest)
				if len(w) == 0 {
					break
				}
				fields[n] = w
				n++
			}
			if n < 3 {
				return nil, malformed(OBJ, "line %d: vertex has %d coordinates", lineNo, n)
			}
			var p [3]float32
			for a := range 3 {
				v, err := objFloat(fields[a])
				if err != nil {
					return nil, malformed(OBJ, "line %d: %v", lineNo, err)
				}
				p[a] = v
			}
			m.Positions = append(m.Positions, p)
			if n >= 6 { // v x y z r g b, colours in 0..1 (MeshLab, Blender)
				if colors == nil {
					colors = make([][4]uint8, len(m.Positions)-1, nvAll)
					for i := range colors {
						colors[i] = [4]uint8{255, 255, 255, 255}
					}
				}
				c := [4]uint8{255, 255, 255, 255}
				for k := range 3 {
					v, err := objFloat(fields[3+k])
					if err != nil {
						return nil, malformed(OBJ, "line %d: %v", lineNo, err)
					}
					c[k] = uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
				}
				colors = append(colors, c)
			} else if colors != nil {
				colors = append(colors, [4]uint8{255, 255, 255, 255})
			}
		case "vt":
			var uv [2]float32
			for a := range 2 {
				var w []byte
				w, rest = objWord(rest)
				if len(w) == 0 && a == 1 {
					break // "vt u" is allowed; v defaults to 0
				}
				v, err := objFloat(w)
				if err != nil {
					return nil, malformed(OBJ, "line %d: %v", lineNo, err)
				}
				uv[a] = v
			}
			uvs = append(uvs, [2]float32{uv[0], 1 - uv[1]})
		case "f":
			// Fan triangulation, written as the corners come: (c0, prev, c) for each corner
			// after the second.
			var c0, prev objCorner
			n := 0
			for {
				var w []byte
				w, rest = objWord(rest)
				if len(w) == 0 {
					break
				}
				c, err := objParseCorner(w, len(m.Positions), len(uvs))
				if err != nil {
					return nil, malformed(OBJ, "line %d: %v", lineNo, err)
				}
				// Forward references are allowed, so indices are checked against the counts
				// of the whole file (which objCount found).
				if c.v >= nvAll {
					return nil, malformed(OBJ, "line %d: face refers to vertex %d of %d", lineNo, c.v+1, nvAll)
				}
				if c.t >= ntAll {
					return nil, malformed(OBJ, "line %d: face refers to texture coordinate %d of %d", lineNo, c.t+1, ntAll)
				}
				if c.t >= 0 && faceUV == nil {
					faceUV = make([][3]int32, len(m.Faces), ntriAll)
					for i := range faceUV {
						faceUV[i] = [3]int32{-1, -1, -1}
					}
				}
				switch n {
				case 0:
					c0 = c
				case 1:
				default:
					if len(m.Faces) >= l.MaxFaces {
						return nil, tooLarge(OBJ, "more than %d triangles", l.MaxFaces)
					}
					m.Faces = append(m.Faces, [3]uint32{uint32(c0.v), uint32(prev.v), uint32(c.v)})
					if faceUV != nil {
						faceUV = append(faceUV, [3]int32{int32(c0.t), int32(prev.t), int32(c.t)})
					}
				}
				prev = c
				n++
			}
			if n < 3 {
				return nil, malformed(OBJ, "line %d: face has %d vertices", lineNo, n)
			}
		}
	}
	m.Colors = colors
	useUV := len(uvs) > 0 && faceUV != nil
	for _, ft := range faceUV {
		if ft[0] < 0 || ft[1] < 0 || ft[2] < 0 {
			useUV = false // UVs on some corners only: not a textured mesh we can represent
			break
		}
	}
	if !useUV {
		return m, nil
	}
	// Give each vertex the UV of its first corner; a vertex seen again with another vt becomes a
	// new vertex (found through split, a lookup only, never iterated).
	nv := len(m.Positions)
	uvOf := make([]int32, nv)
	for i := range uvOf {
		uvOf[i] = -1
	}
	split := map[[2]int32]uint32{}
	for i := range m.Faces {
		for k := range 3 {
			v, t := m.Faces[i][k], faceUV[i][k]
			switch {
			case uvOf[v] < 0:
				uvOf[v] = t
			case uvOf[v] != t:
				key := [2]int32{int32(v), t}
				j, ok := split[key]
				if !ok {
					if len(m.Positions) >= l.MaxVertices {
						return nil, tooLarge(OBJ, "more than %d vertices after splitting texture seams", l.MaxVertices)
					}
					j = uint32(len(m.Positions))
					m.Positions = append(m.Positions, m.Positions[v])
					if m.Colors != nil {
						m.Colors = append(m.Colors, m.Colors[v])
					}
					uvOf = append(uvOf, t)
					split[key] = j
				}
				m.Faces[i][k] = j
			}
		}
	}
	m.UVs = make([][2]float32, len(m.Positions))
	for i, t := range uvOf {
		if t >= 0 {
			m.UVs[i] = uvs[t]
		}
	}
	return m, nil
}

// objLine splits the first line off data, without its newline and without any comment (from '#'
// on), and returns it with what follows.
func objLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line, rest = data[:i], data[i+1:]
	} else {
		line, rest = data, nil
	}
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	return line, rest
}

// objWord returns the first whitespace-separated word of b and what follows it.
func objWord(b []byte) (word, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\f' || b[i] == '\v') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' && b[j] != '\r' && b[j] != '\f' && b[j] != '\v' {
		j++
	}
	return b[i:j], b[j:]
}

var errOBJNumber = errors.New("bad number")

func objFloat(w []byte) (float32, error) {
	v, err := strconv.ParseFloat(string(w), 32)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w %.20q", errOBJNumber, w)
	}
	return float32(v), nil
}

// objParseCorner parses "v", "v/t", "v//n" or "v/t/n" with 1-based or negative (relative)
// indices. The normal index is checked for syntax only: normals are recomputed.
func objParseCorner(w []byte, nv, nt int) (objCorner, error) {
	var parts [3][]byte // v, t, n; SplitN would allocate for every corner
	np := 0
	for np < 2 {
		i := bytes.IndexByte(w, '/')
		if i < 0 {
			break
		}
		parts[np], w = w[:i], w[i+1:]
		np++
	}
	parts[np] = w
	np++
	idx := func(s []byte, n int) (int64, error) {
		i, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || i == 0 {
			return 0, fmt.Errorf("bad index %.20q", s)
		}
		if i < 0 {
			i += int64(n)
			if i < 0 {
				return 0, fmt.Errorf("relative index %.20q before the first element", s)
			}
			return i, nil
		}
		return i - 1, nil
	}
	c := objCorner{t: -1}
	var err error
	if c.v, err = idx(parts[0], nv); err != nil {
		return c, err
	}
	if np > 1 && len(parts[1]) > 0 {
		if c.t, err = idx(parts[1], nt); err != nil {
			return c, err
		}
	}
	if np > 2 && len(parts[2]) > 0 {
		if _, err := strconv.ParseInt(string(parts[2]), 10, 64); err != nil {
			return c, fmt.Errorf("bad normal index %.20q", parts[2])
		}
	}
	return c, nil
}
