package meshio

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"

	"image/color"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/render"
)

// 3MF: 3MF Consortium, "3MF Core Specification" v1.3.0 (2022), and "Materials and Properties
// Extension" v1.2.1 for the colour group; the package is an Open Packaging Conventions zip
// (ECMA-376 part 2) holding [Content_Types].xml, _rels/.rels and the model part.

const (
	tmfCoreNS     = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
	tmfMaterialNS = "http://schemas.microsoft.com/3dmanufacturing/material/2015/02"
	tmfModelRel   = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"
	tmfThumbRel   = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"
	tmfModelPath  = "3D/3dmodel.model"
	tmfThumbPath  = "Metadata/thumbnail.png"
	// tmfThumbSize is the side of the thumbnail Encode renders.
	tmfThumbSize = 256
)

const tmfContentTypes = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
 <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
 <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
 <Default Extension="png" ContentType="image/png"/>
</Types>
`

// encode3MF writes m as a 3MF package: one object (a mesh, colours as a colour group with one
// colour per vertex where the mesh has colours or a texture), one build item, and the thumbnail
// o asks for, rendered under ctx.
func encode3MF(ctx context.Context, w io.Writer, m *mesh.Mesh, o EncodeOptions) error {
	thumb := o.Thumbnail
	if thumb == nil && !o.NoThumbnail && len(m.Faces) > 0 {
		var b bytes.Buffer
		err := render.EncodePNG(ctx, &b, m, render.Options{Width: tmfThumbSize, Height: tmfThumbSize})
		if err != nil {
			return fmt.Errorf("thumbnail: %w", err)
		}
		thumb = b.Bytes()
	}
	if o.NoThumbnail {
		thumb = nil
	}
	zw := zip.NewWriter(w)
	// Fixed headers (no modification time) keep the bytes the same from run to run.
	create := func(name string, method uint16) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
	}
	part, err := create("[Content_Types].xml", zip.Deflate)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(part, tmfContentTypes); err != nil {
		return err
	}
	if part, err = create("_rels/.rels", zip.Deflate); err != nil {
		return err
	}
	rels := `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/` + tmfModelPath + `" Id="rel0" Type="` + tmfModelRel + `"/>
`
	if thumb != nil {
		rels += ` <Relationship Target="/` + tmfThumbPath + `" Id="rel1" Type="` + tmfThumbRel + `"/>
`
	}
	rels += "</Relationships>\n"
	if _, err := io.WriteString(part, rels); err != nil {
		return err
	}
	if part, err = create(tmfModelPath, zip.Deflate); err != nil {
		return err
	}
	if err := tmfWriteModel(part, m); err != nil {
		return err
	}
	if thumb != nil {
		if part, err = create(tmfThumbPath, zip.Store); err != nil { // PNG is compressed already
			return err
		}
		if _, err := part.Write(thumb); err != nil {
			return err
		}
	}
	return zw.Close()
}

// tmfVertexColours returns a colour per vertex: the mesh's colours, else its texture sampled at
// the UVs, else nil.
func tmfVertexColours(m *mesh.Mesh) [][4]uint8 {
	if m.Colors != nil {
		return m.Colors
	}
	if m.Texture == nil || m.UVs == nil || m.Texture.Bounds().Empty() {
		return nil
	}
	b := m.Texture.Bounds()
	out := make([][4]uint8, len(m.UVs))
	for i, uv := range m.UVs {
		x := b.Min.X + min(max(int(float64(uv[0])*float64(b.Dx())), 0), b.Dx()-1)
		y := b.Min.Y + min(max(int(float64(uv[1])*float64(b.Dy())), 0), b.Dy()-1)
		c := color.NRGBAModel.Convert(m.Texture.At(x, y)).(color.NRGBA)
		out[i] = [4]uint8{c.R, c.G, c.B, 255}
	}
	return out
}

// tmfWriteModel writes the model part.
func tmfWriteModel(w io.Writer, m *mesh.Mesh) error {
	fw := newFmtWriter(w)
	colours := tmfVertexColours(m)
	fw.b = append(fw.b, `<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xml:lang="en-US" xmlns="`+tmfCoreNS+`" xmlns:m="`+tmfMaterialNS+`">
 <metadata name="Application">orfeas</metadata>
 <resources>
`...)
	const hex = "0123456789ABCDEF"
	if colours != nil {
		fw.b = append(fw.b, "  <m:colorgroup id=\"2\">\n"...)
		for _, c := range colours {
			fw.b = append(fw.b, `   <m:color color="#`...)
			for _, v := range [4]uint8{c[0], c[1], c[2], 255} {
				fw.b = append(fw.b, hex[v>>4], hex[v&15])
			}
			fw.b = append(fw.b, "\"/>\n"...)
			fw.flushIfFull()
		}
		fw.b = append(fw.b, "  </m:colorgroup>\n"...)
		fw.b = append(fw.b, "  <object id=\"1\" type=\"model\" name=\"orfeas\" pid=\"2\" pindex=\"0\">\n"...)
	} else {
		fw.b = append(fw.b, "  <object id=\"1\" type=\"model\" name=\"orfeas\">\n"...)
	}
	fw.b = append(fw.b, "   <mesh>\n    <vertices>\n"...)
	fl := func(name string, x float32) {
		fw.b = append(fw.b, name...)
		fw.b = strconv.AppendFloat(fw.b, float64(x), 'g', -1, 32)
		fw.b = append(fw.b, '"')
	}
	for _, p := range m.Positions {
		fw.b = append(fw.b, "     <vertex"...)
		fl(` x="`, p[0])
		fl(` y="`, p[1])
		fl(` z="`, p[2])
		fw.b = append(fw.b, "/>\n"...)
		fw.flushIfFull()
	}
	fw.b = append(fw.b, "    </vertices>\n    <triangles>\n"...)
	in := func(name string, v uint32) {
		fw.b = append(fw.b, name...)
		fw.b = strconv.AppendUint(fw.b, uint64(v), 10)
		fw.b = append(fw.b, '"')
	}
	for _, f := range m.Faces {
		fw.b = append(fw.b, "     <triangle"...)
		in(` v1="`, f[0])
		in(` v2="`, f[1])
		in(` v3="`, f[2])
		if colours != nil {
			in(` p1="`, f[0])
			in(` p2="`, f[1])
			in(` p3="`, f[2])
		}
		fw.b = append(fw.b, "/>\n"...)
		if len(fw.b) >= fmtChunk && fw.flush() != nil {
			return fw.w.Err()
		}
	}
	fw.b = append(fw.b, "    </triangles>\n   </mesh>\n  </object>\n </resources>\n <build>\n  <item objectid=\"1\"/>\n </build>\n</model>\n"...)
	return fw.flush()
}

// Limits of the 3MF reader beyond DecodeLimits.
const (
	// tmfMaxEntries is the most zip entries a package may hold.
	tmfMaxEntries = 1024
	// tmfMaxDepth is the deepest XML nesting accepted.
	tmfMaxDepth = 32
	// tmfMaxInflate is how many times its compressed size the model part may grow when
	// decompressed (XML meshes deflate 3 to 8 times); a zip bomb fails with ErrTooLarge.
	tmfMaxInflate = 40
	// tmfMaxComponentDepth is the deepest chain of components resolved.
	tmfMaxComponentDepth = 16
)

// tmfObject is one parsed <object>.
type tmfObject struct {
	pos        [][3]float32
	tris       [][3]uint32
	props      [][3]int32 // per triangle corner: colour index into the object's property group, or −1
	pid        int        // property group of the object's triangles (−1 for none)
	pindex     int
	triPID     []int32 // per triangle: its pid, or −1 for the object's
	components []tmfComponent
	hasMesh    bool
}

type tmfComponent struct {
	object    int
	transform mesh.Affine
}

type tmfItem = tmfComponent

// decode3MF reads the model part of a 3MF package: every build item's object (meshes and
// components, with their transforms) merged into one mesh in millimetres, with vertex colours
// from colour groups or base materials where the triangles have them.
func decode3MF(data []byte, l DecodeLimits) (*mesh.Mesh, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, malformed(ThreeMF, "not a zip package: %v", err)
	}
	if len(zr.File) > tmfMaxEntries {
		return nil, tooLarge(ThreeMF, "%d zip entries, more than %d", len(zr.File), tmfMaxEntries)
	}
	find := func(name string) *zip.File {
		name = strings.TrimPrefix(name, "/")
		for _, f := range zr.File {
			if strings.EqualFold(f.Name, name) {
				return f
			}
		}
		return nil
	}
	budget := min(l.MaxBytes, tmfMaxInflate*int64(len(data))+1<<20)
	read := func(f *zip.File) ([]byte, error) {
		rc, err := f.Open()
		if err != nil {
			return nil, malformed(ThreeMF, "%s: %v", f.Name, err)
		}
		defer rc.Close()
		// Sized from the header (which may lie: the limit holds either way), so that a large
		// part is not read through ReadAll's doubling.
		buf := bytes.NewBuffer(make([]byte, 0, int(min(int64(min(f.UncompressedSize64, 1<<62)), budget))+bytes.MinRead))
		_, err = buf.ReadFrom(io.LimitReader(rc, budget+1))
		b := buf.Bytes()
		if err != nil {
			return nil, malformed(ThreeMF, "%s: %v", f.Name, err)
		}
		if int64(len(b)) > budget {
			return nil, tooLarge(ThreeMF, "%s decompresses to more than %d bytes", f.Name, budget)
		}
		budget -= int64(len(b))
		return b, nil
	}
	modelName := tmfModelPath
	if rf := find("_rels/.rels"); rf != nil {
		b, err := read(rf)
		if err != nil {
			return nil, err
		}
		if t := tmfRelTarget(b); t != "" {
			modelName = path.Clean("/" + t)
		}
	}
	mf := find(modelName)
	if mf == nil {
		return nil, malformed(ThreeMF, "no model part %q", modelName)
	}
	xmlData, err := read(mf)
	if err != nil {
		return nil, err
	}
	return tmfParse(xmlData, l)
}

// tmfRelTarget returns the target of the package's 3D model relationship, or "".
func tmfRelTarget(b []byte) string {
	d := xml.NewDecoder(bytes.NewReader(b))
	for depth := 0; ; {
		tok, err := d.RawToken()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth++; depth > tmfMaxDepth {
				return ""
			}
			if t.Name.Local == "Relationship" && tmfAttr(t, "Type") == tmfModelRel {
				return tmfAttr(t, "Target")
			}
		case xml.EndElement:
			depth--
		}
	}
}

func tmfAttr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// tmfParse reads the model XML.
func tmfParse(data []byte, l DecodeLimits) (*mesh.Mesh, error) {
	// Upper bounds of the counts (a tag name inside a comment counts too), capped by the limits.
	nVertexTags := min(bytes.Count(data, []byte("<vertex ")), l.MaxVertices)
	nTriangleTags := min(bytes.Count(data, []byte("<triangle ")), l.MaxFaces)
	scale := 1.0
	objects := map[int]*tmfObject{}
	colours := map[int][][4]uint8{} // colour groups and base materials, by id
	var items []tmfItem
	var cur *tmfObject
	var curGroup []([4]uint8)
	curGroupID := -1
	var totalV, totalF int
	depth := 0
	bad := func(format string, args ...any) error { return malformed(ThreeMF, format, args...) }
	var t tmfToken
	sc := tmfScanner{data: data}
	end := func(local string) {
		switch local {
		case "object":
			cur = nil
		case "colorgroup", "basematerials":
			if curGroupID >= 0 {
				colours[curGroupID] = curGroup
			}
			curGroup, curGroupID = nil, -1
		}
	}
	start := func() error {
		attr := t.attr
		num := func(name string) (int, error) {
			s := attr(name)
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n > math.MaxInt32 {
				return 0, bad("<%s> %s=%q is not an index", t.local, name, s)
			}
			return n, nil
		}
		optNum := func(name string) (int, error) {
			if attr(name) == "" {
				return -1, nil
			}
			return num(name)
		}
		switch t.local {
		case "model":
			switch u := attr("unit"); u {
			case "", "millimeter":
			case "micron":
				scale = 0.001
			case "centimeter":
				scale = 10
			case "inch":
				scale = 25.4
			case "foot":
				scale = 304.8
			case "meter":
				scale = 1000
			default:
				return bad("unit %q", u)
			}
		case "object":
			id, err := num("id")
			if err != nil {
				return err
			}
			if objects[id] != nil {
				return bad("object id %d defined twice", id)
			}
			// Sized for every vertex and triangle left in the document (counted once, above),
			// so that a large mesh is not built through append's doubling.
			cur = &tmfObject{
				pos:    make([][3]float32, 0, max(0, nVertexTags-totalV)),
				tris:   make([][3]uint32, 0, max(0, nTriangleTags-totalF)),
				props:  make([][3]int32, 0, max(0, nTriangleTags-totalF)),
				triPID: make([]int32, 0, max(0, nTriangleTags-totalF)),
			}
			if cur.pid, err = optNum("pid"); err != nil {
				return err
			}
			if cur.pindex, err = optNum("pindex"); err != nil {
				return err
			}
			objects[id] = cur
		case "colorgroup", "basematerials":
			id, err := num("id")
			if err != nil {
				return err
			}
			curGroupID, curGroup = id, nil
		case "color", "base":
			if curGroupID < 0 {
				return nil
			}
			s := attr("color")
			if t.local == "base" {
				s = attr("displaycolor")
			}
			c, ok := tmfParseColour(s)
			if !ok {
				return bad("colour %q", s)
			}
			if totalV+len(curGroup) >= l.MaxVertices {
				return tooLarge(ThreeMF, "more than %d colours", l.MaxVertices)
			}
			curGroup = append(curGroup, c)
		case "mesh":
			if cur == nil {
				return bad("<mesh> outside an object")
			}
			cur.hasMesh = true
		case "vertex":
			if cur == nil {
				return bad("<vertex> outside an object")
			}
			var p [3]float32
			for k, n := range [3]string{"x", "y", "z"} {
				v, err := strconv.ParseFloat(attr(n), 32)
				if err != nil || math.IsInf(v*scale, 0) || math.IsNaN(v) {
					return bad("vertex %s=%q", n, attr(n))
				}
				p[k] = float32(v * scale)
			}
			if totalV++; totalV > l.MaxVertices {
				return tooLarge(ThreeMF, "more than %d vertices", l.MaxVertices)
			}
			cur.pos = append(cur.pos, p)
		case "triangle":
			if cur == nil {
				return bad("<triangle> outside an object")
			}
			var tri [3]uint32
			for k, n := range [3]string{"v1", "v2", "v3"} {
				v, err := num(n)
				if err != nil {
					return err
				}
				if v >= len(cur.pos) {
					return bad("triangle %s=%d of %d vertices", n, v, len(cur.pos))
				}
				tri[k] = uint32(v)
			}
			if totalF++; totalF > l.MaxFaces {
				return tooLarge(ThreeMF, "more than %d triangles", l.MaxFaces)
			}
			pid, err := optNum("pid")
			if err != nil {
				return err
			}
			var pr [3]int32
			p1, err := optNum("p1")
			if err != nil {
				return err
			}
			pr[0] = int32(p1)
			for k, n := range [2]string{"p2", "p3"} {
				v, err := optNum(n)
				if err != nil {
					return err
				}
				if v < 0 {
					v = p1 // p2 and p3 default to p1
				}
				pr[k+1] = int32(v)
			}
			cur.tris = append(cur.tris, tri)
			cur.props = append(cur.props, pr)
			cur.triPID = append(cur.triPID, int32(pid))
		case "component":
			if cur == nil {
				return bad("<component> outside an object")
			}
			c, err := tmfParseRef(&t)
			if err != nil {
				return err
			}
			cur.components = append(cur.components, c)
		case "item":
			c, err := tmfParseRef(&t)
			if err != nil {
				return err
			}
			items = append(items, c)
		}
		return nil
	}
	for {
		ok, err := sc.next(&t)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if t.end {
			end(t.local)
			depth--
			continue
		}
		if depth++; depth > tmfMaxDepth {
			return nil, tooLarge(ThreeMF, "XML nested deeper than %d", tmfMaxDepth)
		}
		if err := start(); err != nil {
			return nil, err
		}
		if t.selfClose {
			end(t.local)
			depth--
		}
	}
	if depth != 0 {
		return nil, bad("model XML ends inside an element")
	}
	if len(items) == 0 {
		return nil, bad("no build item")
	}
	out := &mesh.Mesh{}
	var anyColour bool
	var outColours [][4]uint8
	var emit func(id int, tf mesh.Affine, level int) error
	emit = func(id int, tf mesh.Affine, level int) error {
		if level > tmfMaxComponentDepth {
			return bad("components nested deeper than %d (or a cycle)", tmfMaxComponentDepth)
		}
		o := objects[id]
		if o == nil {
			return bad("reference to undefined object %d", id)
		}
		if len(out.Faces)+len(o.tris) > l.MaxFaces || len(out.Positions)+len(o.pos) > l.MaxVertices ||
			len(out.Faces)+len(o.tris) > 8*totalF+16 {
			return tooLarge(ThreeMF, "build items and components make more than %d triangles", min(l.MaxFaces, 8*totalF+16))
		}
		base := uint32(len(out.Positions))
		for _, p := range o.pos {
			out.Positions = append(out.Positions, tf.Apply(p))
		}
		vc := make([][4]uint8, len(o.pos))
		set := make([]bool, len(o.pos))
		for i, tri := range o.tris {
			out.Faces = append(out.Faces, [3]uint32{tri[0] + base, tri[1] + base, tri[2] + base})
			pid := int(o.triPID[i])
			pr := o.props[i]
			if pid < 0 {
				pid = o.pid
				if pr[0] < 0 {
					pr = [3]int32{int32(o.pindex), int32(o.pindex), int32(o.pindex)}
				}
			}
			group, ok := colours[pid]
			if !ok {
				continue
			}
			for k := range 3 {
				if p := int(pr[k]); p >= 0 && p < len(group) && !set[tri[k]] {
					vc[tri[k]], set[tri[k]] = group[p], true
					anyColour = true
				}
			}
		}
		for i := range vc {
			if !set[i] {
				vc[i] = [4]uint8{255, 255, 255, 255}
			}
		}
		outColours = append(outColours, vc...)
		for _, c := range o.components {
			if err := emit(c.object, c.transform.Then(tf), level+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		if err := emit(it.object, it.transform, 0); err != nil {
			return nil, err
		}
	}
	if anyColour {
		out.Colors = outColours
	}
	return out, nil
}

// tmfParseRef reads an item's or component's object id and optional transform.
func tmfParseRef(t *tmfToken) (tmfComponent, error) {
	c := tmfComponent{transform: mesh.Identity()}
	id, err := strconv.Atoi(t.attr("objectid"))
	if err != nil || id < 0 {
		return c, malformed(ThreeMF, "<%s> objectid=%q", t.local, t.attr("objectid"))
	}
	c.object = id
	if s := t.attr("transform"); s != "" {
		f := strings.Fields(s)
		if len(f) != 12 {
			return c, malformed(ThreeMF, "transform %q has %d numbers, not 12", s, len(f))
		}
		var v [12]float64
		for i, w := range f {
			x, err := strconv.ParseFloat(w, 64)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				return c, malformed(ThreeMF, "transform %q", s)
			}
			v[i] = x
		}
		// 3MF writes the matrix row-vector style: m00 m01 m02 m10 … m32, p' = p·M, so column j
		// of the 3×3 part holds output axis j.
		for j := range 3 {
			for i := range 3 {
				c.transform[j][i] = v[3*i+j]
			}
			c.transform[j][3] = v[9+j]
		}
	}
	return c, nil
}

// tmfParseColour reads #RRGGBB or #RRGGBBAA.
func tmfParseColour(s string) ([4]uint8, bool) {
	if len(s) != 7 && len(s) != 9 || s[0] != '#' {
		return [4]uint8{}, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return [4]uint8{}, false
	}
	if len(s) == 7 {
		v = v<<8 | 0xff
	}
	return [4]uint8{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}, true
}

// tmfToken is one tag of the model XML as tmfScanner reads it. Its attribute values point into
// the input, which is never modified, so they cost no copy.
type tmfToken struct {
	end, selfClose bool
	// local is the tag's local name (after any prefix) when it is one the reader uses, else "".
	local string
	name  []byte // the full name, to match end tags
	attrs []tmfAttrKV
}

type tmfAttrKV struct{ name, value []byte }

// attr returns the value of the attribute with the given local name, or "".
func (t *tmfToken) attr(name string) string {
	for _, a := range t.attrs {
		n := a.name
		if i := bytes.LastIndexByte(n, ':'); i >= 0 {
			n = n[i+1:]
		}
		if string(n) == name {
			if len(a.value) == 0 {
				return ""
			}
			return unsafe.String(&a.value[0], len(a.value))
		}
	}
	return ""
}

// tmfLocal interns the local names the reader acts on; switch on string(b) does not allocate.
func tmfLocal(name []byte) string {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	switch string(name) {
	case "model":
		return "model"
	case "object":
		return "object"
	case "colorgroup":
		return "colorgroup"
	case "basematerials":
		return "basematerials"
	case "color":
		return "color"
	case "base":
		return "base"
	case "mesh":
		return "mesh"
	case "vertex":
		return "vertex"
	case "triangle":
		return "triangle"
	case "component":
		return "component"
	case "item":
		return "item"
	}
	return ""
}

// tmfScanner reads the tags of an XML document (XML 1.0, the subset 3MF uses): elements and
// their attributes, with text, comments, processing instructions and CDATA skipped, end tags
// matched against their start tags, and the five predefined entities and character references
// decoded in attribute values. A DOCTYPE is refused, so no entity can be defined or expanded.
// encoding/xml does the same but allocates for every token and attribute, several times the
// model's size on a large mesh; this reads a million triangles in a fraction of the time.
type tmfScanner struct {
	data  []byte
	pos   int
	stack [][]byte
}

func tmfIsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// next reads the next tag into t. It returns false at the end of a well-formed document.
func (s *tmfScanner) next(t *tmfToken) (bool, error) {
	bad := func(format string, args ...any) (bool, error) {
		return false, malformed(ThreeMF, "model XML at byte %d: %s", s.pos, fmt.Sprintf(format, args...))
	}
	d := s.data
	for {
		i := bytes.IndexByte(d[s.pos:], '<')
		if i < 0 {
			if len(s.stack) > 0 {
				return bad("ends inside <%s>", s.stack[len(s.stack)-1])
			}
			return false, nil
		}
		s.pos += i
		rest := d[s.pos:]
		skip := func(open, close string) (bool, error) {
			j := bytes.Index(rest[len(open):], []byte(close))
			if j < 0 {
				return bad("unterminated %s", open)
			}
			s.pos += len(open) + j + len(close)
			return true, nil
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			if _, err := skip("<?", "?>"); err != nil {
				return false, err
			}
			continue
		case bytes.HasPrefix(rest, []byte("<!--")):
			if _, err := skip("<!--", "-->"); err != nil {
				return false, err
			}
			continue
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			if _, err := skip("<![CDATA[", "]]>"); err != nil {
				return false, err
			}
			continue
		case bytes.HasPrefix(rest, []byte("<!")):
			return bad("DOCTYPE and other declarations are not allowed")
		}
		break
	}
	s.pos++ // '<'
	t.end, t.selfClose, t.attrs = false, false, t.attrs[:0]
	if s.pos < len(d) && d[s.pos] == '/' {
		t.end = true
		s.pos++
	}
	n0 := s.pos
	for s.pos < len(d) && !tmfIsSpace(d[s.pos]) && d[s.pos] != '/' && d[s.pos] != '>' && d[s.pos] != '=' {
		s.pos++
	}
	if s.pos == n0 {
		return bad("a tag without a name")
	}
	t.name = d[n0:s.pos]
	t.local = tmfLocal(t.name)
	if t.end {
		for s.pos < len(d) && tmfIsSpace(d[s.pos]) {
			s.pos++
		}
		if s.pos >= len(d) || d[s.pos] != '>' {
			return bad("malformed end tag </%s", t.name)
		}
		s.pos++
		if len(s.stack) == 0 || !bytes.Equal(s.stack[len(s.stack)-1], t.name) {
			return bad("</%s> does not close the open element", t.name)
		}
		s.stack = s.stack[:len(s.stack)-1]
		return true, nil
	}
	for {
		for s.pos < len(d) && tmfIsSpace(d[s.pos]) {
			s.pos++
		}
		if s.pos >= len(d) {
			return bad("unterminated <%s>", t.name)
		}
		switch d[s.pos] {
		case '>':
			s.pos++
			s.stack = append(s.stack, t.name)
			return true, nil
		case '/':
			if s.pos+1 >= len(d) || d[s.pos+1] != '>' {
				return bad("malformed <%s/>", t.name)
			}
			s.pos += 2
			t.selfClose = true
			return true, nil
		}
		a0 := s.pos
		for s.pos < len(d) && !tmfIsSpace(d[s.pos]) && d[s.pos] != '=' && d[s.pos] != '>' && d[s.pos] != '/' {
			s.pos++
		}
		name := d[a0:s.pos]
		for s.pos < len(d) && tmfIsSpace(d[s.pos]) {
			s.pos++
		}
		if len(name) == 0 || s.pos >= len(d) || d[s.pos] != '=' {
			return bad("malformed attribute in <%s>", t.name)
		}
		s.pos++
		for s.pos < len(d) && tmfIsSpace(d[s.pos]) {
			s.pos++
		}
		if s.pos >= len(d) || d[s.pos] != '"' && d[s.pos] != '\'' {
			return bad("unquoted attribute %s in <%s>", name, t.name)
		}
		q := d[s.pos]
		s.pos++
		j := bytes.IndexByte(d[s.pos:], q)
		if j < 0 {
			return bad("unterminated attribute %s", name)
		}
		v := d[s.pos : s.pos+j]
		s.pos += j + 1
		if bytes.IndexByte(v, '<') >= 0 {
			return bad("'<' in attribute %s", name)
		}
		if bytes.IndexByte(v, '&') >= 0 {
			var ok bool
			if v, ok = tmfUnescape(v); !ok {
				return bad("bad entity in attribute %s", name)
			}
		}
		if len(t.attrs) >= 64 {
			return false, tooLarge(ThreeMF, "more than 64 attributes in <%s>", t.name)
		}
		t.attrs = append(t.attrs, tmfAttrKV{name, v})
	}
}

// tmfUnescape decodes the predefined entities and character references of an attribute value
// into a new slice.
func tmfUnescape(v []byte) ([]byte, bool) {
	out := make([]byte, 0, len(v))
	for len(v) > 0 {
		i := bytes.IndexByte(v, '&')
		if i < 0 {
			return append(out, v...), true
		}
		out = append(out, v[:i]...)
		v = v[i:]
		j := bytes.IndexByte(v, ';')
		if j < 0 || j > 12 {
			return nil, false
		}
		ent := string(v[1:j])
		v = v[j+1:]
		switch ent {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				return nil, false
			}
			base, digits := 10, ent[1:]
			if digits[0] == 'x' {
				base, digits = 16, digits[1:]
			}
			r, err := strconv.ParseUint(digits, base, 32)
			if err != nil || r == 0 || r > 0x10FFFF {
				return nil, false
			}
			out = utf8.AppendRune(out, rune(r))
		}
	}
	return out, true
}
