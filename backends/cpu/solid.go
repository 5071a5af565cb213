package cpu

import (
	"slices"

	"github.com/orfeas3d/orfeas/mesh"
)

// closingFaces is the number of faces heightfieldSolid adds to a top surface with b border
// vertices: two per wall quad and one bottom triangle per border segment.
func closingFaces(b int) int { return 3 * b }

// closingGrowth is the most faces one insertion adds to the closed solid: a border insertion adds
// one top triangle, two wall triangles and one bottom triangle.
const closingGrowth = 4

// heightfieldSolid turns the triangulation t of a grid spanning wmm × hmm millimetres into a
// closed solid: the triangulated top surface at the grid's heights, vertical walls from every
// border segment down to Z = 0, and a flat bottom.
//
// Sample (i, j) of a w×h grid sits at x = i·wmm/(w−1), y = hmm − j·hmm/(h−1): the first and last
// samples of each row and column lie on the model's edges, so the model is exactly wmm × hmm.
//
// The bottom is a fan from its centre to every border segment: the border has collinear runs, and
// a fan from the centre is the simplest triangulation with no zero-area triangle.
func heightfieldSolid(t *tin, wmm, hmm float64) *mesh.Mesh {
	g := t.g
	n := len(t.px)
	sx := wmm / float64(g.w-1)
	sy := hmm / float64(g.h-1)
	xOf := func(i int32) float32 {
		if int(i) == g.w-1 {
			return float32(wmm)
		}
		return float32(float64(i) * sx)
	}
	yOf := func(j int32) float32 {
		if j == 0 {
			return float32(hmm)
		}
		return float32(float64(int32(g.h-1)-j) * sy)
	}
	tris := t.triangles()
	m := &mesh.Mesh{
		Positions: make([][3]float32, 0, n+t.border+1),
		Faces:     make([][3]uint32, 0, len(tris)/3+closingFaces(t.border)),
	}
	for v := range n {
		x, y := t.px[v], t.py[v]
		m.Positions = append(m.Positions, [3]float32{xOf(x), yOf(y), g.z[int(y)*g.w+int(x)]})
	}
	// Grid triangles are positively oriented with rows growing downwards; Y points up in the
	// mesh, so (a, c, b) is counter-clockwise seen from above.
	for i := 0; i < len(tris); i += 3 {
		m.Faces = append(m.Faces, [3]uint32{uint32(tris[i]), uint32(tris[i+2]), uint32(tris[i+1])})
	}

	// The border loop, counter-clockwise seen from above, starting at the bottom-left corner.
	w1, h1 := int64(g.w-1), int64(g.h-1)
	type stop struct {
		s int64
		v int32
	}
	loop := make([]stop, 0, t.border)
	for v := range n {
		x, y := int64(t.px[v]), int64(t.py[v])
		var s int64
		switch {
		case y == h1:
			s = x
		case x == w1:
			s = w1 + (h1 - y)
		case y == 0:
			s = w1 + h1 + (w1 - x)
		case x == 0:
			s = 2*w1 + h1 + y
		default:
			continue
		}
		loop = append(loop, stop{s, int32(v)})
	}
	slices.SortFunc(loop, func(a, b stop) int { return int(a.s - b.s) })

	bottom := uint32(len(m.Positions))
	for _, st := range loop {
		p := m.Positions[st.v]
		m.Positions = append(m.Positions, [3]float32{p[0], p[1], 0})
	}
	centre := uint32(len(m.Positions))
	m.Positions = append(m.Positions, [3]float32{float32(wmm / 2), float32(hmm / 2), 0})
	for i := range loop {
		k := (i + 1) % len(loop)
		at, bt := uint32(loop[i].v), uint32(loop[k].v)
		ab, bb := bottom+uint32(i), bottom+uint32(k)
		// Seen from outside the wall, a→b runs left to right: (a↓, b↓, b↑) and (a↓, b↑, a↑).
		m.Faces = append(m.Faces, [3]uint32{ab, bb, bt}, [3]uint32{ab, bt, at}, [3]uint32{centre, bb, ab})
	}
	return m
}
