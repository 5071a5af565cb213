package meshtest

import (
	"image"
	"image/color"
	"math"

	"github.com/orfeas3d/orfeas/internal/meshtest/shapes"
	"github.com/orfeas3d/orfeas/mesh"
)

// Defective returns the kind of mesh a learned-field reconstruction (Hunyuan3D-2 and its kin)
// hands back, with every defect at once: an ellipsoid (radius r across, 1.5 r tall, centred on
// the origin) of about 2·rings·segments faces, with vertex colours running from red at the
// bottom to blue at the top; its cap above 0.85 of its height cut away (a hole of segments
// edges), a fin on one edge (a non-manifold edge), its first ten faces repeated (duplicates),
// four degenerate faces (a repeated index, collinear corners), and a small tetrahedron floating
// beside it (a floater).
func Defective(r float64, rings, segments int) *mesh.Mesh {
	pos, faces := shapes.UVSphere(r, rings, segments)
	m := &mesh.Mesh{}
	for _, p := range pos {
		m.Positions = append(m.Positions, [3]float32{p[0], p[1], p[2] * 1.5})
	}
	top := float32(0.85 * 1.5 * r)
	for _, f := range faces {
		if m.Positions[f[0]][2] > top && m.Positions[f[1]][2] > top && m.Positions[f[2]][2] > top {
			continue
		}
		m.Faces = append(m.Faces, f)
	}
	for _, p := range m.Positions {
		t := (float64(p[2])/(1.5*r) + 1) / 2
		m.Colors = append(m.Colors, [4]uint8{uint8(255 * (1 - t)), 0, uint8(255 * t), 255})
	}
	add := func(p [3]float32) uint32 {
		m.Positions = append(m.Positions, p)
		m.Colors = append(m.Colors, [4]uint8{0, 255, 0, 255})
		return uint32(len(m.Positions) - 1)
	}
	// A fin on the edge of the first band face: a third face on that edge.
	f0 := m.Faces[len(m.Faces)/2]
	a, b := m.Positions[f0[0]], m.Positions[f0[1]]
	tip := add([3]float32{a[0] * 1.05, a[1] * 1.05, (a[2] + b[2]) / 2})
	m.Faces = append(m.Faces, [3]uint32{f0[0], f0[1], tip})
	m.Faces = append(m.Faces, m.Faces[:10]...)
	c0 := m.Faces[0]
	mid := add([3]float32{
		(m.Positions[c0[0]][0] + m.Positions[c0[1]][0]) / 2,
		(m.Positions[c0[0]][1] + m.Positions[c0[1]][1]) / 2,
		(m.Positions[c0[0]][2] + m.Positions[c0[1]][2]) / 2,
	})
	m.Faces = append(m.Faces,
		[3]uint32{c0[0], c0[0], c0[1]}, [3]uint32{c0[1], c0[2], c0[2]},
		[3]uint32{c0[0], mid, c0[1]}, [3]uint32{mid, c0[1], c0[0]})
	s := float32(r / 20)
	o := [3]float32{float32(2 * r), 0, 0}
	t0 := add(o)
	t1 := add([3]float32{o[0] + s, o[1], o[2]})
	t2 := add([3]float32{o[0], o[1] + s, o[2]})
	t3 := add([3]float32{o[0], o[1], o[2] + s})
	m.Faces = append(m.Faces, [3]uint32{t0, t2, t1}, [3]uint32{t0, t1, t3}, [3]uint32{t0, t3, t2}, [3]uint32{t1, t2, t3})
	return m
}

// DefectiveTextured is Defective with UVs (u around, v down from the top) and a texture in place
// of vertex colours: the half of the ellipsoid with x < 0 red, the half with x > 0 green.
func DefectiveTextured(r float64, rings, segments int) *mesh.Mesh {
	m := Defective(r, rings, segments)
	m.Colors = nil
	tex := image.NewNRGBA(image.Rect(0, 0, 64, 32))
	for y := range 32 {
		for x := range 64 {
			c := color.NRGBA{0, 200, 0, 255}
			if x < 16 || x >= 48 {
				c = color.NRGBA{220, 0, 0, 255}
			}
			tex.SetNRGBA(x, y, c)
		}
	}
	m.Texture = tex
	for _, p := range m.Positions {
		u := math.Atan2(float64(p[1]), float64(p[0]))/(2*math.Pi) + 0.5
		v := 0.5 - float64(p[2])/(3*r)
		m.UVs = append(m.UVs, [2]float32{float32(u), float32(min(1, max(0, v)))})
	}
	return m
}
