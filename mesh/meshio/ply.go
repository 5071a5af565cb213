package meshio

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strconv"

	"github.com/orfeas3d/orfeas/mesh"
)

// encodePLY writes binary little-endian PLY (Turk, "The PLY Polygon File Format", 1994): x, y, z
// as float, red, green, blue as uchar when the mesh has colours (plus alpha when any vertex is not
// opaque), and faces as "list uchar uint vertex_indices".
func encodePLY(w io.Writer, m *mesh.Mesh) error {
	alpha := false
	for _, c := range m.Colors {
		if c[3] != 255 {
			alpha = true
			break
		}
	}
	fw := newFmtWriter(w)
	fw.b = append(fw.b, "ply\nformat binary_little_endian 1.0\ncomment orfeas: units mm, Z up\nelement vertex "...)
	fw.b = strconv.AppendInt(fw.b, int64(len(m.Positions)), 10)
	fw.b = append(fw.b, "\nproperty float x\nproperty float y\nproperty float z\n"...)
	if m.Colors != nil {
		fw.b = append(fw.b, "property uchar red\nproperty uchar green\nproperty uchar blue\n"...)
		if alpha {
			fw.b = append(fw.b, "property uchar alpha\n"...)
		}
	}
	fw.b = append(fw.b, "element face "...)
	fw.b = strconv.AppendInt(fw.b, int64(len(m.Faces)), 10)
	fw.b = append(fw.b, "\nproperty list uchar uint vertex_indices\nend_header\n"...)
	le := binary.LittleEndian
	for i, p := range m.Positions {
		fw.b = le.AppendUint32(fw.b, math.Float32bits(p[0]))
		fw.b = le.AppendUint32(fw.b, math.Float32bits(p[1]))
		fw.b = le.AppendUint32(fw.b, math.Float32bits(p[2]))
		if m.Colors != nil {
			c := m.Colors[i]
			fw.b = append(fw.b, c[0], c[1], c[2])
			if alpha {
				fw.b = append(fw.b, c[3])
			}
		}
		fw.flushIfFull()
	}
	for _, f := range m.Faces {
		fw.b = append(fw.b, 3)
		fw.b = le.AppendUint32(fw.b, f[0])
		fw.b = le.AppendUint32(fw.b, f[1])
		fw.b = le.AppendUint32(fw.b, f[2])
		if len(fw.b) >= fmtChunk {
			if fw.flush() != nil {
				return fw.w.Err()
			}
		}
	}
	return fw.flush()
}

// plyType is a PLY scalar type.
type plyType uint8

const (
	plyNone plyType = iota
	plyInt8
	plyUint8
	plyInt16
	plyUint16
	plyInt32
	plyUint32
	plyFloat32
	plyFloat64
)

func plyParseType(s string) plyType {
	switch s {
	case "char", "int8":
		return plyInt8
	case "uchar", "uint8":
		return plyUint8
	case "short", "int16":
		return plyInt16
	case "ushort", "uint16":
		return plyUint16
	case "int", "int32":
		return plyInt32
	case "uint", "uint32":
		return plyUint32
	case "float", "float32":
		return plyFloat32
	case "double", "float64":
		return plyFloat64
	}
	return plyNone
}

func (t plyType) size() int {
	return [...]int{0, 1, 1, 2, 2, 4, 4, 4, 8}[t]
}

func (t plyType) isInt() bool { return t >= plyInt8 && t <= plyUint32 }

type plyProperty struct {
	name      string
	typ       plyType // the value type, or the item type of a list
	countType plyType // plyNone for a scalar
}

type plyElement struct {
	name  string
	count int64
	props []plyProperty
}

// minRow is the fewest bytes one row can take in a binary file (lists may be empty).
func (e *plyElement) minRow() int64 {
	var n int64
	for _, p := range e.props {
		if p.countType != plyNone {
			n += int64(p.countType.size())
		} else {
			n += int64(p.typ.size())
		}
	}
	return n
}

// plyReader reads values from the body of a PLY file in its encoding.
type plyReader struct {
	data   []byte
	pos    int
	ascii  bool
	order  binary.ByteOrder
	line   int  // ASCII only, for messages
	failed bool // set when the data ran out or a number was bad
}

// value reads one scalar of type t as a float64 (integers up to 32 bits are exact).
func (r *plyReader) value(t plyType) float64 {
	if r.failed {
		return 0
	}
	if r.ascii {
		w := r.asciiWord()
		if len(w) == 0 {
			r.failed = true
			return 0
		}
		var v float64
		var err error
		if t.isInt() {
			var i int64
			i, err = strconv.ParseInt(string(w), 10, 64)
			v = float64(i)
		} else {
			v, err = strconv.ParseFloat(string(w), 64)
		}
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			r.failed = true
			return 0
		}
		return v
	}
	n := t.size()
	if len(r.data)-r.pos < n {
		r.failed = true
		return 0
	}
	b := r.data[r.pos : r.pos+n]
	r.pos += n
	switch t {
	case plyInt8:
		return float64(int8(b[0]))
	case plyUint8:
		return float64(b[0])
	case plyInt16:
		return float64(int16(r.order.Uint16(b)))
	case plyUint16:
		return float64(r.order.Uint16(b))
	case plyInt32:
		return float64(int32(r.order.Uint32(b)))
	case plyUint32:
		return float64(r.order.Uint32(b))
	case plyFloat32:
		return float64(math.Float32frombits(r.order.Uint32(b)))
	default:
		return math.Float64frombits(r.order.Uint64(b))
	}
}

func (r *plyReader) asciiWord() []byte {
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		if c == '\n' {
			r.line++
		} else if c != ' ' && c != '\t' && c != '\r' {
			break
		}
		r.pos++
	}
	s := r.pos
	for r.pos < len(r.data) && r.data[r.pos] != ' ' && r.data[r.pos] != '\t' && r.data[r.pos] != '\r' && r.data[r.pos] != '\n' {
		r.pos++
	}
	return r.data[s:r.pos]
}

func (r *plyReader) remaining() int64 { return int64(len(r.data) - r.pos) }

// decodePLY reads ASCII, binary little-endian or binary big-endian PLY: the vertex element's x, y,
// z (any numeric type) and red, green, blue, alpha (uchar, or float in 0..1), and the face
// element's vertex_indices (or vertex_index) list, fan-triangulating polygons. Other properties
// and elements are skipped.
func decodePLY(data []byte, l DecodeLimits) (*mesh.Mesh, error) {
	if !bytes.HasPrefix(data, []byte("ply\n")) && !bytes.HasPrefix(data, []byte("ply\r\n")) {
		return nil, malformed(PLY, "no \"ply\" magic")
	}
	end := bytes.Index(data, []byte("\nend_header"))
	if end < 0 {
		return nil, malformed(PLY, "no end_header")
	}
	end++
	body := end + len("end_header")
	switch rest := data[body:]; {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		body += 2
	case bytes.HasPrefix(rest, []byte("\n")):
		body++
	case len(rest) > 0:
		return nil, malformed(PLY, "end_header is not followed by a newline")
	}
	r := &plyReader{data: data, pos: body}
	var elems []*plyElement
	formatSeen := false
	for i, line := range bytes.Split(data[:end], []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 || i == 0 {
			continue
		}
		switch string(f[0]) {
		case "format":
			if len(f) != 3 || string(f[2]) != "1.0" {
				return nil, malformed(PLY, "header line %d: bad format line", i+1)
			}
			switch string(f[1]) {
			case "ascii":
				r.ascii = true
			case "binary_little_endian":
				r.order = binary.LittleEndian
			case "binary_big_endian":
				r.order = binary.BigEndian
			default:
				return nil, malformed(PLY, "header line %d: unknown format %.20q", i+1, f[1])
			}
			formatSeen = true
		case "element":
			if len(f) != 3 {
				return nil, malformed(PLY, "header line %d: bad element line", i+1)
			}
			n, err := strconv.ParseInt(string(f[2]), 10, 64)
			if err != nil || n < 0 {
				return nil, malformed(PLY, "header line %d: bad element count %.20q", i+1, f[2])
			}
			elems = append(elems, &plyElement{name: string(f[1]), count: n})
		case "property":
			if len(elems) == 0 {
				return nil, malformed(PLY, "header line %d: property before any element", i+1)
			}
			e := elems[len(elems)-1]
			var p plyProperty
			switch {
			case len(f) == 3:
				p = plyProperty{name: string(f[2]), typ: plyParseType(string(f[1]))}
				if p.typ == plyNone {
					return nil, malformed(PLY, "header line %d: unknown type %.20q", i+1, f[1])
				}
			case len(f) == 5 && string(f[1]) == "list":
				p = plyProperty{name: string(f[4]), countType: plyParseType(string(f[2])), typ: plyParseType(string(f[3]))}
				if !p.countType.isInt() || p.typ == plyNone {
					return nil, malformed(PLY, "header line %d: bad list types", i+1)
				}
			default:
				return nil, malformed(PLY, "header line %d: bad property line", i+1)
			}
			e.props = append(e.props, p)
		case "comment", "obj_info":
		default:
			return nil, malformed(PLY, "header line %d: unknown keyword %.20q", i+1, f[0])
		}
	}
	if !formatSeen {
		return nil, malformed(PLY, "no format line")
	}
	m := &mesh.Mesh{}
	haveVertices := false
	for _, e := range elems {
		// Bound the count by the bytes left before trusting it: every binary row takes at least
		// minRow bytes, every ASCII row at least one byte per value plus a separator.
		minRow := e.minRow()
		if r.ascii {
			minRow = 2 * int64(len(e.props))
		}
		if e.count > 0 && (minRow == 0 || e.count > r.remaining()/minRow) {
			return nil, malformed(PLY, "element %q claims %d rows but %d bytes remain", e.name, e.count, r.remaining())
		}
		var err error
		switch {
		case e.name == "vertex" && !haveVertices:
			err = plyReadVertices(r, e, m, l)
			haveVertices = true
		case e.name == "face" && haveVertices:
			err = plyReadFaces(r, e, m, l)
		default:
			err = plySkip(r, e)
		}
		if err != nil {
			return nil, err
		}
	}
	nv := uint32(len(m.Positions))
	for i, f := range m.Faces {
		if f[0] >= nv || f[1] >= nv || f[2] >= nv {
			return nil, malformed(PLY, "triangle %d refers to a vertex beyond the %d vertices", i, nv)
		}
	}
	return m, nil
}

func (r *plyReader) errRow(e *plyElement, row int64) error {
	if r.ascii {
		return malformed(PLY, "element %q row %d (body line %d): missing or bad value", e.name, row, r.line+1)
	}
	return malformed(PLY, "element %q row %d: data ends early", e.name, row)
}

// listLen reads a list count and checks it against the bytes left.
func (r *plyReader) listLen(p plyProperty) (int64, bool) {
	n := r.value(p.countType)
	if r.failed || n < 0 {
		r.failed = true
		return 0, false
	}
	per := int64(p.typ.size())
	if r.ascii {
		per = 2
	}
	if int64(n) > r.remaining()/per+1 {
		r.failed = true
		return 0, false
	}
	return int64(n), true
}

// skipList passes over the n items of the list property p whose count listLen has just read. In
// binary it moves past them at once; past the end of the data it fails, as reading them would.
func (r *plyReader) skipList(p plyProperty, n int64) {
	if !r.ascii {
		r.pos += int(n) * p.typ.size() // listLen checked that it fits, up to one item
		if r.pos > len(r.data) {
			r.pos, r.failed = len(r.data), true
		}
		return
	}
	for j := int64(0); j < n && !r.failed; j++ {
		r.value(p.typ)
	}
}

// plySkip reads past the rows of an element the decoder does not use: plyCountFaces with no
// list to count does exactly that.
func plySkip(r *plyReader, e *plyElement) error {
	_, err := plyCountFaces(r, e, -1)
	return err
}

func plyReadVertices(r *plyReader, e *plyElement, m *mesh.Mesh, l DecodeLimits) error {
	if e.count > int64(l.MaxVertices) {
		return tooLarge(PLY, "%d vertices exceed the limit of %d", e.count, l.MaxVertices)
	}
	role := make([]int, len(e.props)) // 0 skip, 1..3 x y z, 4..7 r g b a
	var found [8]bool
	for i, p := range e.props {
		k := map[string]int{"x": 1, "y": 2, "z": 3, "red": 4, "green": 5, "blue": 6, "alpha": 7,
			"r": 4, "g": 5, "b": 6, "a": 7, "diffuse_red": 4, "diffuse_green": 5, "diffuse_blue": 6}[p.name]
		if k == 0 || p.countType != plyNone || found[k] {
			continue
		}
		role[i], found[k] = k, true
	}
	if !found[1] || !found[2] || !found[3] {
		return malformed(PLY, "vertex element lacks x, y or z")
	}
	colors := found[4] && found[5] && found[6]
	m.Positions = make([][3]float32, e.count)
	if colors {
		m.Colors = make([][4]uint8, e.count)
	}
	for row := range e.count {
		c := [4]uint8{255, 255, 255, 255}
		for i, p := range e.props {
			if p.countType != plyNone {
				n, ok := r.listLen(p)
				if !ok {
					break
				}
				r.skipList(p, n)
				continue
			}
			v := r.value(p.typ)
			switch k := role[i]; {
			case k >= 1 && k <= 3:
				f := float32(v)
				if math.IsInf(float64(f), 0) {
					return malformed(PLY, "vertex %d: coordinate %g is out of float32 range", row, v)
				}
				m.Positions[row][k-1] = f
			case k >= 4 && colors:
				if !p.typ.isInt() { // float colours are in 0..1
					v *= 255
				}
				c[k-4] = uint8(math.Round(min(max(v, 0), 255)))
			}
		}
		if r.failed {
			return r.errRow(e, row)
		}
		if colors {
			m.Colors[row] = c
		}
	}
	return nil
}

func plyReadFaces(r *plyReader, e *plyElement, m *mesh.Mesh, l DecodeLimits) error {
	idx := -1
	for i, p := range e.props {
		if p.countType != plyNone && (p.name == "vertex_indices" || p.name == "vertex_index") {
			idx = i
			break
		}
	}
	if idx < 0 {
		return malformed(PLY, "face element has no vertex_indices list")
	}
	if !e.props[idx].typ.isInt() {
		return malformed(PLY, "vertex_indices items are not integers")
	}
	// A first pass over the rows counts the triangles the polygons make, so that the limit is
	// checked and the faces allocated once, at their final size: a polygon of n vertices takes at
	// least n index bytes and makes n−2 triangles of 12 bytes, so the faces take at most 12
	// bytes per input byte. The second pass writes each fan triangle as its corner is read.
	cr := *r
	ntri, err := plyCountFaces(&cr, e, idx)
	if err != nil {
		return err
	}
	if ntri > int64(l.MaxFaces) {
		return tooLarge(PLY, "more than %d triangles", l.MaxFaces)
	}
	m.Faces = make([][3]uint32, 0, ntri)
	for row := range e.count {
		for i, p := range e.props {
			if p.countType == plyNone {
				r.value(p.typ)
				continue
			}
			n, ok := r.listLen(p)
			if !ok {
				break
			}
			if i != idx {
				r.skipList(p, n)
				continue
			}
			if n < 3 {
				return malformed(PLY, "face %d has %d vertices", row, n)
			}
			var v0, prev uint32
			for j := int64(0); j < n && !r.failed; j++ {
				v := r.value(p.typ)
				if r.failed {
					break
				}
				if v < 0 || v > math.MaxUint32 {
					return malformed(PLY, "face %d: vertex index %g out of range", row, v)
				}
				switch j {
				case 0:
					v0 = uint32(v)
				case 1:
				default:
					if len(m.Faces) >= cap(m.Faces) { // the count pass read the same rows
						return malformed(PLY, "face %d: more triangles than counted", row)
					}
					m.Faces = append(m.Faces, [3]uint32{v0, prev, uint32(v)})
				}
				prev = uint32(v)
			}
		}
		if r.failed {
			return r.errRow(e, row)
		}
	}
	return nil
}

// plyCountFaces reads the rows of the element e with r and returns how many triangles the
// polygons of its list idx make (none when idx is -1), without storing anything.
func plyCountFaces(r *plyReader, e *plyElement, idx int) (int64, error) {
	var ntri int64
	for row := range e.count {
		for i, p := range e.props {
			if p.countType == plyNone {
				r.value(p.typ)
				continue
			}
			n, ok := r.listLen(p)
			if !ok {
				break
			}
			if i == idx && n >= 3 {
				ntri += n - 2
			}
			r.skipList(p, n)
		}
		if r.failed {
			return 0, r.errRow(e, row)
		}
	}
	return ntri, nil
}
