package hunyuan

// The stable rest: a model turned onto the largest face of its convex hull under which its
// centre of mass falls (a tipping test: a solid resting on a hull facet stays put when the
// vertical through its centre of mass meets the facet).
//
// The hull is an incremental one (Clarkson and Shor's, without conflict lists): points are added
// one at a time; the faces a point sees are removed and the horizon they leave is joined to the
// point. Each point tests every live face, so the work is points × faces; it is bounded by
// reducing the points first to one per cell of a hullGrid³ grid (the cell's point farthest from
// the centre, so the hull's extremes survive to within a cell), and the context is checked as the
// points go in. Points within hullEps of a face's plane count as on it, so coplanar points (a
// box's faces) add nothing, and the facets are then gathered from hull triangles sharing a plane.

import (
	"context"
	"math"
	"slices"

	"github.com/orfeas3d/orfeas/mesh"
)

const (
	// hullGrid is the reduction grid's cells along the longest side: at most 6·hullGrid² points
	// lie on a surface, so the hull sees a few thousand.
	hullGrid = 32
	// hullEps is the plane tolerance, a fraction of the points' extent.
	hullEps = 1e-7
)

type vec3 [3]float64

func sub(a, b vec3) vec3           { return vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func dot(a, b vec3) float64        { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func norm(a vec3) float64          { return math.Sqrt(dot(a, a)) }
func scale(a vec3, s float64) vec3 { return vec3{a[0] * s, a[1] * s, a[2] * s} }
func cross(a, b vec3) vec3 {
	return vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// hullFace is a hull triangle, counter-clockwise seen from outside, with its unit outward normal
// and plane offset (dot(n, p) = d on the plane).
type hullFace struct {
	v    [3]int
	n    vec3
	d    float64
	dead bool
}

// convexHull returns the hull triangles of pts (indices into pts), or nil when the points span
// no volume (flat or collinear) or ctx ends.
func convexHull(ctx context.Context, pts []vec3) []hullFace {
	if len(pts) < 4 {
		return nil
	}
	lo, hi := pts[0], pts[0]
	for _, p := range pts {
		for k := range 3 {
			lo[k], hi[k] = min(lo[k], p[k]), max(hi[k], p[k])
		}
	}
	eps := hullEps * norm(sub(hi, lo))
	if eps == 0 || math.IsNaN(eps) || math.IsInf(eps, 0) {
		return nil
	}
	// The first tetrahedron: the two extremes along X, the farthest from their line, the farthest
	// from their plane.
	a, b := 0, 0
	for i, p := range pts {
		if p[0] < pts[a][0] {
			a = i
		}
		if p[0] > pts[b][0] {
			b = i
		}
	}
	if norm(sub(pts[b], pts[a])) <= eps {
		return nil
	}
	c, best := -1, eps
	for i, p := range pts {
		if d := norm(cross(sub(pts[b], pts[a]), sub(p, pts[a]))) / norm(sub(pts[b], pts[a])); d > best {
			c, best = i, d
		}
	}
	if c < 0 {
		return nil
	}
	n := cross(sub(pts[b], pts[a]), sub(pts[c], pts[a]))
	n = scale(n, 1/norm(n))
	d4, best := -1, eps
	for i, p := range pts {
		if d := math.Abs(dot(n, sub(p, pts[a]))); d > best {
			d4, best = i, d
		}
	}
	if d4 < 0 {
		return nil
	}
	var faces []hullFace
	centre := scale(vec3{
		pts[a][0] + pts[b][0] + pts[c][0] + pts[d4][0],
		pts[a][1] + pts[b][1] + pts[c][1] + pts[d4][1],
		pts[a][2] + pts[b][2] + pts[c][2] + pts[d4][2]}, 0.25)
	add := func(i, j, k int) {
		n := cross(sub(pts[j], pts[i]), sub(pts[k], pts[i]))
		l := norm(n)
		if l == 0 {
			return
		}
		n = scale(n, 1/l)
		if dot(n, sub(pts[i], centre)) < 0 { // keep the normal pointing away from the interior
			j, k, n = k, j, scale(n, -1)
		}
		faces = append(faces, hullFace{v: [3]int{i, j, k}, n: n, d: dot(n, pts[i])})
	}
	add(a, b, c)
	add(a, b, d4)
	add(a, c, d4)
	add(b, c, d4)
	type edge struct{ a, b int }
	visible := map[edge]bool{}
	for i, p := range pts {
		if i%256 == 0 && ctx.Err() != nil {
			return nil
		}
		clear(visible)
		for f := range faces {
			if fc := &faces[f]; !fc.dead && dot(fc.n, p)-fc.d > eps {
				fc.dead = true
				for e := range 3 {
					visible[edge{fc.v[e], fc.v[(e+1)%3]}] = true
				}
			}
		}
		if len(visible) == 0 {
			continue
		}
		for e := range visible {
			if !visible[edge{e.b, e.a}] { // a horizon edge: its other face stays
				n := cross(sub(pts[e.b], pts[e.a]), sub(p, pts[e.a]))
				if l := norm(n); l > 0 {
					n = scale(n, 1/l)
					faces = append(faces, hullFace{v: [3]int{e.a, e.b, i}, n: n, d: dot(n, p)})
				}
			}
		}
		if len(faces) > 64 && len(faces) > 2*len(visible) {
			faces = slices.DeleteFunc(faces, func(f hullFace) bool { return f.dead })
		}
	}
	return slices.DeleteFunc(faces, func(f hullFace) bool { return f.dead })
}

// hullPoints reduces m's vertices to at most one per cell of a hullGrid³ grid over its bounds:
// the cell's vertex farthest from the bounds' centre.
func hullPoints(m *mesh.Mesh) []vec3 {
	b := m.Bounds()
	size := b.Size()
	side := float64(max(size[0], size[1], size[2]))
	if !(side > 0) {
		return nil
	}
	cell := side / hullGrid
	mid := vec3{float64(b.Min[0]+b.Max[0]) / 2, float64(b.Min[1]+b.Max[1]) / 2, float64(b.Min[2]+b.Max[2]) / 2}
	type key [3]int32
	best := map[key]int{}
	var pts []vec3
	for _, q := range m.Positions {
		p := vec3{float64(q[0]), float64(q[1]), float64(q[2])}
		k := key{int32((p[0] - float64(b.Min[0])) / cell), int32((p[1] - float64(b.Min[1])) / cell), int32((p[2] - float64(b.Min[2])) / cell)}
		if j, ok := best[k]; !ok {
			best[k] = len(pts)
			pts = append(pts, p)
		} else if norm(sub(p, mid)) > norm(sub(pts[j], mid)) {
			pts[j] = p
		}
	}
	return pts
}

// centreOfMass is the centroid of the solid m bounds (a closed, outward mesh), from the signed
// tetrahedra its faces make with the bounds' centre; the vertices' mean for a mesh of no volume.
func centreOfMass(m *mesh.Mesh) vec3 {
	b := m.Bounds()
	o := vec3{float64(b.Min[0]+b.Max[0]) / 2, float64(b.Min[1]+b.Max[1]) / 2, float64(b.Min[2]+b.Max[2]) / 2}
	var c vec3
	var vol float64
	for _, f := range m.Faces {
		p := [3]vec3{}
		for k := range 3 {
			q := m.Positions[f[k]]
			p[k] = sub(vec3{float64(q[0]), float64(q[1]), float64(q[2])}, o)
		}
		v := dot(p[0], cross(p[1], p[2])) / 6
		vol += v
		for k := range 3 {
			c[k] += v * (p[0][k] + p[1][k] + p[2][k]) / 4
		}
	}
	if !(math.Abs(vol) > 0) {
		var s vec3
		for _, q := range m.Positions {
			s = vec3{s[0] + float64(q[0]), s[1] + float64(q[1]), s[2] + float64(q[2])}
		}
		return scale(s, 1/float64(max(1, len(m.Positions))))
	}
	return vec3{o[0] + c[0]/vol, o[1] + c[1]/vol, o[2] + c[2]/vol}
}

// stableRotation returns the rotation that turns m onto the largest facet of its convex hull
// under which its centre of mass falls, that facet facing down (-Z); ok is false when there is
// none (a flat mesh, ctx ended), and m keeps its pose.
func stableRotation(ctx context.Context, m *mesh.Mesh) (mesh.Affine, bool) {
	pts := hullPoints(m)
	faces := convexHull(ctx, pts)
	if len(faces) == 0 {
		return mesh.Identity(), false
	}
	com := centreOfMass(m)
	lo, hi := pts[0], pts[0]
	for _, p := range pts {
		for k := range 3 {
			lo[k], hi[k] = min(lo[k], p[k]), max(hi[k], p[k])
		}
	}
	eps := 1e-5 * norm(sub(hi, lo)) // facets: hull triangles on one plane, to float noise
	// Gather the facets: triangles with the same plane.
	type facet struct {
		n      vec3
		d      float64
		area   float64
		tris   []int
		stable bool
	}
	var facets []*facet
	for i, f := range faces {
		area := norm(cross(sub(pts[f.v[1]], pts[f.v[0]]), sub(pts[f.v[2]], pts[f.v[0]]))) / 2
		var into *facet
		for _, g := range facets {
			if dot(g.n, f.n) > 1-1e-9 && math.Abs(g.d-f.d) < eps {
				into = g
				break
			}
		}
		if into == nil {
			into = &facet{n: f.n, d: f.d}
			facets = append(facets, into)
		}
		into.area += area
		into.tris = append(into.tris, i)
	}
	// Stable: the centre of mass, projected along the facet's normal onto its plane, falls in
	// one of its triangles (the facet is convex: their union).
	var pick *facet
	for _, g := range facets {
		p := sub(com, scale(g.n, dot(g.n, com)-g.d))
		for _, t := range g.tris {
			v := faces[t].v
			in := true
			for e := range 3 {
				if dot(g.n, cross(sub(pts[v[(e+1)%3]], pts[v[e]]), sub(p, pts[v[e]]))) < -eps*eps {
					in = false
					break
				}
			}
			if in {
				g.stable = true
				break
			}
		}
		if g.stable && (pick == nil || g.area > pick.area) {
			pick = g
		}
	}
	if pick == nil {
		return mesh.Identity(), false
	}
	// Turn pick.n onto -Z: about n × -Z by the angle between them.
	down := vec3{0, 0, -1}
	axis := cross(pick.n, down)
	angle := math.Acos(max(-1, min(1, dot(pick.n, down))))
	if norm(axis) < 1e-12 {
		if dot(pick.n, down) > 0 {
			return mesh.Identity(), true
		}
		axis = vec3{1, 0, 0} // facing straight up: turn it over about X
	}
	return mesh.Rotate(axis, angle), true
}
