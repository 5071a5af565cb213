package cpu

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/contour"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/backends/internal/polytri"
	"github.com/orfeas3d/orfeas/mesh"
)

// extrudeSmoothSigma is the Gaussian sigma, in pixels, applied to the mask before its outline is
// traced at 0.5: enough to turn pixel stairs into straight sub-pixel edges, too little to round
// corners visibly.
const extrudeSmoothSigma = 0.7

// extrudeFlatRatio is how close to the line through its neighbours an outline point may lie
// before it is dropped (as a fraction of their distance): well above the ratio at which package
// mesh calls a face degenerate, far below anything visible.
const extrudeFlatRatio = 1e-6

// extrudeMinRingArea drops outlines smaller than this many square pixels (anti-aliasing specks).
const extrudeMinRingArea = 2.0

// extrude builds the extrusion of the foreground's outline: sub-pixel contours (marching
// squares), nested into outer boundaries and holes, simplified within the tolerance, capped by
// ear clipping with hole bridges, and walled. With a base plate, the plate and the shape are one
// closed solid: the plate's top is the plate rectangle less the shape's footprint.
func extrude(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, error) {
	p := in.Extrude.Defaults()
	w, h, px := in.Width, in.Height, in.PixelSize
	mask := in.Mask
	if mask == nil {
		mask = make([]float32, w*h)
		for i := range mask {
			mask[i] = 1
		}
	}
	progress.Report("outline", 0)
	smooth := slices.Clone(mask)
	if err := modes.GaussianBlur(ctx, smooth, w, h, extrudeSmoothSigma); err != nil {
		return nil, err
	}
	rings := contour.Trace(smooth, w, h, 0.5)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kept := rings[:0]
	for _, r := range rings {
		if math.Abs(r.Area()) >= extrudeMinRingArea {
			kept = append(kept, r)
		}
	}
	shapes := contour.Nest(kept)
	if len(shapes) == 0 {
		return nil, fmt.Errorf("%w to extrude", backends.ErrNoForeground)
	}
	shapes = contour.SimplifyShapes(shapes, extrudeTolerance(in)/px)
	// Points on the line through their neighbours would make flat cap triangles.
	for i := range shapes {
		shapes[i].Outer = contour.DropFlat(shapes[i].Outer, extrudeFlatRatio)
		for j := range shapes[i].Holes {
			shapes[i].Holes[j] = contour.DropFlat(shapes[i].Holes[j], extrudeFlatRatio)
		}
	}
	progress.Report("outline", 1)
	progress.Report("cap", 0)

	b := &extrudeBuilder{in: in, px: px}
	z0, z1 := 0.0, p.Height
	if p.BasePlate {
		z0, z1 = p.BaseThickness, p.BaseThickness+p.Height
	}
	for i, s := range shapes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := b.prism(s, z0, z1, !p.BasePlate); err != nil {
			return nil, err
		}
		progress.Report("cap", float64(i+1)/float64(len(shapes)))
	}
	if p.BasePlate {
		if err := b.plate(shapes, p.BaseThickness, p.BaseMargin/px); err != nil {
			return nil, err
		}
	}
	return &b.m, nil
}

// extrudeColoured builds the extrusion (extrude) and, when in carries colour, colours it by
// projection (modes.ColourByProjection). The colour plane's outward fill reads only in, so it
// runs in a second goroutine while the outline is traced and capped; the call waits for it
// whatever happens.
func extrudeColoured(ctx context.Context, in *backends.Input, progress backends.Progress, workers int) (*mesh.Mesh, error) {
	if in.Color == nil {
		return extrude(ctx, in, progress)
	}
	filled := make(chan []float32, 1)
	go func() { filled <- modes.ProjectionColour(in) }()
	m, err := extrude(ctx, in, progress)
	colour := <-filled
	if err != nil {
		return nil, err
	}
	modes.ColourFrom(m, in, colour, workers)
	return m, nil
}

// extrudeTolerance is the distance in mm within which the outline is simplified: the input's
// tolerance, held between 0.05 and 1 pixel (finer only keeps marching-squares noise; coarser
// loses the shape). Every traced outline point lies within it of the extruded outline, so it is
// the extrusion's bound on its surface error.
func extrudeTolerance(in *backends.Input) float64 {
	return min(max(in.Tolerance/in.PixelSize, 0.05), 1) * in.PixelSize
}

// extrudeBuilder accumulates the extrusion mesh; positions are in mm, pixel coordinates scaled by
// px (x right, y up, as contour returns them).
type extrudeBuilder struct {
	in *backends.Input
	px float64
	m  mesh.Mesh
}

// ring adds the points of the rings at height z and returns the index of the first.
func (b *extrudeBuilder) ring(pts []contour.Point, z float64) uint32 {
	first := uint32(len(b.m.Positions))
	for _, p := range pts {
		b.vertex(p, z)
	}
	return first
}

// vertex adds one vertex at pixel position p and height z (mm), with its colour and UV when the
// input carries colour.
func (b *extrudeBuilder) vertex(p contour.Point, z float64) {
	b.m.Positions = append(b.m.Positions, [3]float32{float32(p[0] * b.px), float32(p[1] * b.px), float32(z)})
	if b.in.Color != nil {
		w, h := b.in.Width, b.in.Height
		x, y := p[0], float64(h)-p[1] // image coordinates, y down
		col := min(max(int(x), 0), w-1)
		row := min(max(int(y), 0), h-1)
		var c [4]uint8
		for k := range 3 {
			v := b.in.Color[3*(row*w+col)+k]
			c[k] = uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
		}
		c[3] = 255
		b.m.Colors = append(b.m.Colors, c)
		b.m.UVs = append(b.m.UVs, [2]float32{float32(x / float64(w)), float32(y / float64(h))})
	}
}

// cap triangulates a polygon (outer ring and holes) whose points start at index base in ring
// order, facing up (+Z) or down.
func (b *extrudeBuilder) cap(outer []contour.Point, holes [][]contour.Point, base uint32, up bool) error {
	tris, err := polytri.Triangulate(outer, holes)
	if err != nil {
		return err
	}
	for _, t := range tris {
		f := [3]uint32{base + uint32(t[0]), base + uint32(t[1]), base + uint32(t[2])}
		if !up {
			f[1], f[2] = f[2], f[1]
		}
		b.m.Faces = append(b.m.Faces, f)
	}
	return nil
}

// wall joins a ring at two heights with quads facing to the ring's right (outward for a
// counter-clockwise outer ring, into the hole for a clockwise hole).
func (b *extrudeBuilder) wall(lo, hi uint32, n int) {
	for i := range n {
		j := (i + 1) % n
		a0, b0 := lo+uint32(i), lo+uint32(j)
		a1, b1 := hi+uint32(i), hi+uint32(j)
		b.m.Faces = append(b.m.Faces, [3]uint32{a0, b0, b1}, [3]uint32{a0, b1, a1})
	}
}

// prism adds a shape extruded from z0 to z1: its top cap, its walls, and its bottom cap when
// bottom is set (without it, the plate closes the solid).
func (b *extrudeBuilder) prism(s contour.Shape, z0, z1 float64, bottom bool) error {
	rings := append([]contour.Ring{s.Outer}, s.Holes...)
	holes := make([][]contour.Point, len(s.Holes))
	for i, r := range s.Holes {
		holes[i] = r
	}
	var lo, hi []uint32
	for _, r := range rings {
		lo = append(lo, b.ring(r, z0))
	}
	for _, r := range rings {
		hi = append(hi, b.ring(r, z1))
	}
	if err := b.cap(s.Outer, holes, hi[0], true); err != nil {
		return err
	}
	if bottom {
		if err := b.cap(s.Outer, holes, lo[0], false); err != nil {
			return err
		}
	}
	for i, r := range rings {
		b.wall(lo[i], hi[i], len(r))
	}
	return nil
}

// plate adds the base plate under the shapes: a rectangle around all of them, margin pixels
// wider, from z = 0 to t. Its top face is the rectangle less the shapes' outer rings, plus the
// inside of every hole (less the shapes nested in it), so that the shapes' walls, which start at
// z = t, close onto it and the whole is one solid.
func (b *extrudeBuilder) plate(shapes []contour.Shape, t, margin float64) error {
	lo := contour.Point{math.Inf(1), math.Inf(1)}
	hi := contour.Point{math.Inf(-1), math.Inf(-1)}
	for _, s := range shapes {
		for _, p := range s.Outer {
			lo = contour.Point{min(lo[0], p[0]), min(lo[1], p[1])}
			hi = contour.Point{max(hi[0], p[0]), max(hi[1], p[1])}
		}
	}
	lo = contour.Point{lo[0] - margin, lo[1] - margin}
	hi = contour.Point{hi[0] + margin, hi[1] + margin}
	rect := []contour.Point{lo, {hi[0], lo[1]}, hi, {lo[0], hi[1]}}
	bot := b.ring(rect, 0)
	top := b.ring(rect, t)
	if err := b.cap(rect, nil, bot, false); err != nil {
		return err
	}
	b.wall(bot, top, 4)

	// The plate's top polygons: the rectangle with the top-level shapes as holes, and each hole
	// of a shape with the shapes directly inside it as holes. The shapes' bottom rings (at z = t)
	// were added by prism in order: outer ring, then holes, so faces must reuse those vertices.
	// Rather than track them, add the top polygons with their own vertices at the same positions
	// and weld exactly afterwards.
	var outersTop [][]contour.Point
	for _, s := range shapes {
		if !insideAnyHole(s.Outer[0], shapes) {
			outersTop = append(outersTop, reverse(s.Outer))
		}
	}
	if err := b.polygonAt(rect, outersTop, t); err != nil {
		return err
	}
	for _, s := range shapes {
		for _, hole := range s.Holes {
			var inner [][]contour.Point
			for _, o := range shapes {
				if contour.Ring(hole).Contains(o.Outer[0]) && !deeperHoleContains(o.Outer[0], hole, shapes) {
					inner = append(inner, reverse(o.Outer))
				}
			}
			if err := b.polygonAt(reverse(hole), inner, t); err != nil {
				return err
			}
		}
	}
	b.m.Weld(0)
	return nil
}

// polygonAt adds an upward-facing polygon with holes at height z, with vertices of its own.
func (b *extrudeBuilder) polygonAt(outer []contour.Point, holes [][]contour.Point, z float64) error {
	base := b.ring(outer, z)
	for _, h := range holes {
		b.ring(h, z)
	}
	return b.cap(outer, holes, base, true)
}

// insideAnyHole reports whether p lies inside a hole of some shape.
func insideAnyHole(p contour.Point, shapes []contour.Shape) bool {
	for _, s := range shapes {
		for _, h := range s.Holes {
			if h.Contains(p) {
				return true
			}
		}
	}
	return false
}

// deeperHoleContains reports whether p is inside a hole that itself lies inside hole (so p's shape
// belongs to that deeper hole, not to this one).
func deeperHoleContains(p contour.Point, hole contour.Ring, shapes []contour.Shape) bool {
	for _, s := range shapes {
		if !hole.Contains(s.Outer[0]) {
			continue
		}
		for _, h := range s.Holes {
			if h.Contains(p) {
				return true
			}
		}
	}
	return false
}

func reverse(r []contour.Point) []contour.Point {
	o := make([]contour.Point, len(r))
	for i, p := range r {
		o[len(r)-1-i] = p
	}
	return o
}
