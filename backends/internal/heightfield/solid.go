package heightfield

import (
	"runtime"
	"slices"
	"unsafe"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/mesh"
)

// ClosingFaces bounds the number of faces Solid adds to a top surface with b border
// vertices: on each side, one wall triangle per border segment and at most two more (a wall
// triangle and a bottom triangle) per extra bottom vertex, of which there is at most one per border
// segment; plus the bottom's corners.
func ClosingFaces(b int) int { return 3*b + 8 }

// ClosingGrowth is the most faces one insertion adds to the bound above plus the top surface: a
// border insertion adds one top triangle and three to the bound.
const ClosingGrowth = 4

// wallDegenerate is how flat, relative to the square of its longest side, a wall triangle may be
// before the wall gets another bottom vertex; well above mesh.DegenerateRatio, so that float32
// rounding cannot make it degenerate.
const wallDegenerate = 1e-5

// Solid turns the triangulated surface t of a grid spanning wmm × hmm millimetres into a
// closed solid: the triangulated top surface at the grid's heights, vertical walls from every
// border segment down to Z = 0, and a flat bottom.
//
// Sample (i, j) of a w×h grid sits at x = i·wmm/(w−1), y = hmm − j·hmm/(h−1): the first and last
// samples of each row and column lie on the model's edges, so the model is exactly wmm × hmm.
//
// The bottom is a fan from its centre to every border segment: the border has collinear runs, and
// a fan from the centre is the simplest triangulation with no zero-area triangle.
//
// When t.Tris has FacesRoom(t.Grid) to spare, the mesh's faces are built in its memory (see
// Surface), and t's triangles are not valid afterwards.
func Solid(t *Surface, wmm, hmm float64) *mesh.Mesh {
	g := t.Grid
	n := len(t.PX)
	sx := wmm / float64(g.W-1)
	sy := hmm / float64(g.H-1)
	xOf := func(i int32) float32 {
		if int(i) == g.W-1 {
			return float32(wmm)
		}
		return float32(float64(i) * sx)
	}
	yOf := func(j int32) float32 {
		if j == 0 {
			return float32(hmm)
		}
		return float32(float64(int32(g.H-1)-j) * sy)
	}
	tris := t.Tris
	nf := len(tris) / 3
	m := &mesh.Mesh{Positions: make([][3]float32, n, n+2*(g.W+g.H)+1)}
	if len(tris)%3 == 0 && cap(tris)-len(tris) >= FacesRoom(g) && nf > 0 {
		// The faces in the triangles' own memory: [3]uint32 has the layout of three int32s, and
		// each face below reads only its own triangle's three values before writing them.
		m.Faces = unsafe.Slice((*[3]uint32)(unsafe.Pointer(unsafe.SliceData(tris))), cap(tris)/3)[:nf]
	} else {
		m.Faces = make([][3]uint32, nf, nf+6*(g.W+g.H))
	}
	// The top surface, in blocks on all cores (each block writes only its own entries). Grid
	// triangles are positively oriented with rows growing downwards; Y points up in the mesh, so
	// (a, c, b) is counter-clockwise seen from above.
	const block = 1 << 16
	par.For((n+nf+block-1)/block, runtime.GOMAXPROCS(0), func(b int) {
		for k := b * block; k < min((b+1)*block, n+nf); k++ {
			if k < n {
				x, y := t.PX[k], t.PY[k]
				m.Positions[k] = [3]float32{xOf(x), yOf(y), g.Z[int(y)*g.W+int(x)]}
			} else {
				i := 3 * (k - n)
				a, b, c := tris[i], tris[i+1], tris[i+2]
				m.Faces[k-n] = [3]uint32{uint32(a), uint32(c), uint32(b)}
			}
		}
	})

	// The border loop, counter-clockwise seen from above, starting at the bottom-left corner.
	w1, h1 := int64(g.W-1), int64(g.H-1)
	type stop struct {
		s int64
		v int32
	}
	loop := make([]stop, 0, 2*(g.W+g.H))
	for v := range n {
		x, y := int64(t.PX[v]), int64(t.PY[v])
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

	// Walls: each side is a vertical polygon, the top chain of its border vertices over a bottom
	// edge. It is fanned from a bottom vertex while the fan turns monotonically and stays clear of
	// degenerate triangles; where it would not, a bottom vertex is added below the chain vertex and
	// the fan restarts from it. Seen from outside, a side runs left to right; u is the distance along
	// it and v the height, so a counter-clockwise triangle has a positive (u, v) cross product.
	// The bottom is then a fan from its centre over the bottom vertices, a convex polygon with
	// collinear runs, which a centre fan triangulates without zero-area triangles.
	var bottom []uint32
	addBottom := func(p [3]float32) uint32 {
		m.Positions = append(m.Positions, [3]float32{p[0], p[1], 0})
		bottom = append(bottom, uint32(len(m.Positions)-1))
		return bottom[len(bottom)-1]
	}
	face := func(a, b, c uint32) { m.Faces = append(m.Faces, [3]uint32{a, b, c}) }
	// Side boundaries in loop order: the corners' perimeter parameters.
	corners := [5]int64{0, w1, w1 + h1, 2*w1 + h1, 2*w1 + 2*h1}
	first := addBottom(m.Positions[loop[0].v])
	li := 0
	for side := range 4 {
		// The side's chain: from its first corner (loop[li]) to the next corner.
		end := li
		for end+1 < len(loop) && loop[end+1].s <= corners[side+1] {
			end++
		}
		chain := loop[li:]
		if side == 3 {
			chain = append(chain[:end-li+1:end-li+1], loop[0]) // the last side ends at the first corner
		} else {
			chain = loop[li : end+1]
		}
		along := func(v int32) float64 { // distance along the side, in mm
			p := m.Positions[v]
			switch side {
			case 0:
				return float64(p[0])
			case 1:
				return float64(p[1])
			case 2:
				return wmm - float64(p[0])
			}
			return hmm - float64(p[1])
		}
		apex := bottom[len(bottom)-1]
		au := along(chain[0].v)
		for i := 0; i+1 < len(chain); i++ {
			si, sj := chain[i].v, chain[i+1].v
			ui, uj := along(si), along(sj)
			zi, zj := float64(m.Positions[si][2]), float64(m.Positions[sj][2])
			cross := (uj-au)*zi - zj*(ui-au)
			longest := max((uj-au)*(uj-au)+zj*zj, (ui-au)*(ui-au)+zi*zi, (uj-ui)*(uj-ui)+(zj-zi)*(zj-zi))
			if ui > au && !(cross > wallDegenerate*longest) {
				b := addBottom(m.Positions[si])
				face(apex, b, uint32(si))
				apex, au = b, ui
			}
			face(apex, uint32(sj), uint32(si))
		}
		last := chain[len(chain)-1].v
		var corner uint32
		if side == 3 {
			corner = first
		} else {
			corner = addBottom(m.Positions[last])
		}
		face(apex, corner, uint32(last))
		li = end
	}
	centre := uint32(len(m.Positions))
	m.Positions = append(m.Positions, [3]float32{float32(wmm / 2), float32(hmm / 2), 0})
	for i, a := range bottom {
		b := bottom[(i+1)%len(bottom)]
		face(centre, b, a) // counter-clockwise seen from below
	}
	return m
}

// Close closes the surface s, triangulated within tol mm, into the solid of a grid of pixelSize
// mm samples (Solid), reporting the "walls" stage, and returns it with its Report: the grid, the
// tolerance, the error s reached and the mesh's size, with BudgetReached when that error is above
// tol (the face budget stopped the triangulation first). Like Solid, it may build the faces in
// s.Tris's memory.
func Close(s *Surface, pixelSize, tol float64, progress backends.Progress) (*mesh.Mesh, backends.Report) {
	g := s.Grid
	progress.Report("walls", 0)
	m := Solid(s, float64(g.W)*pixelSize, float64(g.H)*pixelSize)
	progress.Report("walls", 1)
	rep := backends.Report{
		Grid:      [2]int{g.W, g.H},
		Tolerance: tol,
		MaxError:  s.MaxErr,
		Faces:     len(m.Faces),
		Vertices:  len(m.Positions),
	}
	rep.BudgetReached = rep.MaxError > tol
	return m, rep
}
