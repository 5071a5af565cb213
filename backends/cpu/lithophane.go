package cpu

import (
	"context"
	"fmt"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// lithophane builds a flat plate (adaptive triangulation of the thickness, like a relief with no
// base) or a cylinder.
func (b *Backend) lithophane(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	p := in.Lithophane.Defaults()
	progress.Report("height", 0)
	g := modes.LithophaneThickness(in, p)
	progress.Report("height", 1)
	if err := ctx.Err(); err != nil {
		return nil, backends.Report{}, fmt.Errorf("cpu: lithophane: %w", err)
	}
	if p.Shape == backends.Cylinder {
		return cylinder(ctx, in, g, p.Arc, progress)
	}
	return b.adaptiveSolid(ctx, solidOf(in), g, progress)
}

// cylinderFaces counts the faces of a cylinder mesh with nx columns and ny rows of outer samples.
func cylinderFaces(nx, ny int, ring bool) int {
	if ring {
		// Outer quads, inner strips, top and bottom rims.
		return 2*nx*(ny-1) + 2*nx + 4*nx
	}
	s := nx - 1
	f := 2*s*(ny-1) + 4*s + 4*(ny-1) // outer, rims, end caps
	switch {
	case s == 1:
		f += 2 * (ny - 1) // one inner strip between two full columns
	default:
		f += 2*ny + 2*(s-2) // two fans beside the end columns, plain strips between
	}
	return f
}

// cylinder bends the thickness field g around the Z axis: the image on the outside, a smooth
// inside of radius R = width/arc (so the inside is exactly as long as the image is wide), the
// image's height along Z from 0. A full 360° ring closes on itself at the seam (genus 1); a shorter
// arc is capped with flat ends. The arc is centred on −Y, so the image faces a viewer looking along
// +Y.
//
// The outside is a regular grid of the samples, every k-th in each direction, with k the smallest
// step that keeps the mesh within the face budget (each kept sample is the mean of the k×k block
// around it). A regular grid keeps the bent surface's facets short; an adaptive triangulation's long
// edges would cut the chord of the curve. The inside needs vertices only at the top and bottom,
// except on the end columns of an arc, which the caps share.
func cylinder(ctx context.Context, in *backends.Input, g grid, arcDeg float64, progress backends.Progress) (*mesh.Mesh, backends.Report, error) {
	w, h := g.W, g.H
	ring := arcDeg >= 360
	arc := arcDeg * math.Pi / 180
	wmm, hmm := float64(w)*in.PixelSize, float64(h)*in.PixelSize
	radius := wmm / arc

	dims := func(k int) (int, int) {
		ny := (h-1+k-1)/k + 1
		if ring {
			return max((w+k-1)/k, 3), ny
		}
		return (w-1+k-1)/k + 1, ny
	}
	k := 1
	for in.FaceBudget > 0 && k < max(w, h) {
		nx, ny := dims(k)
		if cylinderFaces(nx, ny, ring) <= in.FaceBudget {
			break
		}
		k++
	}
	nx, ny := dims(k)
	progress.Report("triangulate", 0)

	// Sample positions in pixels along each axis.
	cols := make([]int, nx)
	for c := range cols {
		if ring {
			cols[c] = c * w / nx
		} else {
			cols[c] = int(math.Round(float64(c) * float64(w-1) / float64(nx-1)))
		}
	}
	rows := make([]int, ny)
	for r := range rows {
		rows[r] = int(math.Round(float64(r) * float64(h-1) / float64(ny-1)))
	}
	theta := make([]float64, nx)
	for c, u := range cols {
		if ring {
			theta[c] = -math.Pi/2 - arc/2 + arc*float64(c)/float64(nx)
		} else {
			theta[c] = -math.Pi/2 - arc/2 + arc*float64(u)/float64(w-1)
		}
	}
	zOf := func(r int) float32 {
		if r == 0 {
			return float32(hmm)
		}
		return float32(hmm * (1 - float64(rows[r])/float64(h-1)))
	}
	// blockMean is the thickness averaged over the k×k block of pixels centred on (u, v).
	blockMean := func(u, v int) float64 {
		if k == 1 {
			return float64(g.Z[v*w+u])
		}
		var s float64
		n := 0
		for y := max(v-k/2, 0); y <= min(v+(k-1)/2, h-1); y++ {
			for x := u - k/2; x <= u+(k-1)/2; x++ {
				xx := x
				if ring {
					xx = (x%w + w) % w
				} else if x < 0 || x >= w {
					continue
				}
				s += float64(g.Z[y*w+xx])
				n++
			}
		}
		return s / float64(n)
	}

	m := &mesh.Mesh{}
	// Outer vertices: index r·nx + c.
	for r := range ny {
		if r%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, backends.Report{}, fmt.Errorf("cpu: lithophane: %w", err)
			}
			progress.Report("triangulate", float64(r)/float64(ny))
		}
		z := zOf(r)
		for c := range nx {
			rad := radius + blockMean(cols[c], rows[r])
			m.Positions = append(m.Positions, [3]float32{float32(rad * math.Cos(theta[c])), float32(rad * math.Sin(theta[c])), z})
		}
	}
	outer := func(c, r int) uint32 { return uint32(r*nx + c) }
	// Inner vertices: every column has its top and bottom; an arc's end columns have every row.
	full := func(c int) bool { return !ring && (c == 0 || c == nx-1) }
	innerStart := make([]uint32, nx)
	for c := range nx {
		innerStart[c] = uint32(len(m.Positions))
		x, y := float32(radius*math.Cos(theta[c])), float32(radius*math.Sin(theta[c]))
		for r := range ny {
			if full(c) || r == 0 || r == ny-1 {
				m.Positions = append(m.Positions, [3]float32{x, y, zOf(r)})
			}
		}
	}
	inner := func(c, r int) uint32 {
		if full(c) || r == 0 {
			return innerStart[c] + uint32(r)
		}
		return innerStart[c] + 1 // the bottom of a two-vertex column
	}
	top, bot := 0, ny-1

	strips := nx - 1
	if ring {
		strips = nx
	}
	face := func(a, b, c uint32) { m.Faces = append(m.Faces, [3]uint32{a, b, c}) }
	progress.Report("triangulate", 1)
	progress.Report("walls", 0)
	for c := range strips {
		if c%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, backends.Report{}, fmt.Errorf("cpu: lithophane: %w", err)
			}
		}
		d := (c + 1) % nx
		// Outside: seen from outside, θ grows to the right and rows grow downwards.
		for r := range ny - 1 {
			face(outer(c, r+1), outer(d, r+1), outer(d, r))
			face(outer(c, r+1), outer(d, r), outer(c, r))
		}
		// Rims: counter-clockwise seen from above on top, from below at the bottom.
		face(outer(c, top), outer(d, top), inner(d, top))
		face(outer(c, top), inner(d, top), inner(c, top))
		face(outer(c, bot), inner(d, bot), outer(d, bot))
		face(outer(c, bot), inner(c, bot), inner(d, bot))
		// Inside: seen from the axis, θ grows to the left.
		switch {
		case full(c) && full(d):
			for r := range ny - 1 {
				face(inner(d, r+1), inner(c, r+1), inner(c, r))
				face(inner(d, r+1), inner(c, r), inner(d, r))
			}
		case full(c):
			for r := ny - 2; r >= 0; r-- {
				face(inner(d, bot), inner(c, r+1), inner(c, r))
			}
			face(inner(d, bot), inner(c, top), inner(d, top))
		case full(d):
			face(inner(c, bot), inner(c, top), inner(d, top))
			for r := range ny - 1 {
				face(inner(c, bot), inner(d, r), inner(d, r+1))
			}
		default:
			face(inner(d, bot), inner(c, bot), inner(c, top))
			face(inner(d, bot), inner(c, top), inner(d, top))
		}
	}
	if !ring {
		// End caps: the start faces −θ, the end +θ.
		e := nx - 1
		for r := range ny - 1 {
			face(inner(0, r+1), outer(0, r+1), outer(0, r))
			face(inner(0, r+1), outer(0, r), inner(0, r))
			face(inner(e, r+1), outer(e, r), outer(e, r+1))
			face(inner(e, r+1), inner(e, r), outer(e, r))
		}
	}
	progress.Report("walls", 1)
	rep := backends.Report{Grid: [2]int{nx, ny}, Step: k, Faces: len(m.Faces), Vertices: len(m.Positions)}
	rep.BudgetReached = in.FaceBudget > 0 && rep.Faces > in.FaceBudget
	return m, rep, nil
}
