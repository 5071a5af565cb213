package cpu

import (
	"context"
	"math"
	"slices"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/distance"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/mesh"
)

// inflate grows a rounded solid from the foreground's silhouette, as backends/internal/modes describes:
// the height profile of the silhouette's signed distance, an implicit volume meshed by marching
// cubes on the image reduced k times, k chosen from the face budget (modes.InflateFit), the field
// made a few planes at a time (isosurfaceChunked) and a flat back re-triangulated from its
// boundary (modes.FlattenBack). The stages
// and formulas the CUDA backend shares come from backends/internal/modes; the distance transform, the local
// thickness, the voxel field and marching cubes run here on the CPU.
func inflate(ctx context.Context, in *backends.Input, progress backends.Progress, workers int) (*mesh.Mesh, error) {
	m, _, err := modes.InflateFit(in, func(k int) (*mesh.Mesh, error) {
		return inflateAt(ctx, in, k, progress, workers)
	})
	if err != nil {
		return nil, err
	}
	modes.RestOnBed(m, workers)
	if in.Color != nil {
		modes.ColourByProjection(m, in, workers)
	}
	return m, nil
}

// inflateAt builds the inflated solid on the image reduced k times, as marching cubes makes it.
func inflateAt(ctx context.Context, in *backends.Input, k int, progress backends.Progress, workers int) (*mesh.Mesh, error) {
	p := in.Inflate.Defaults()
	w, h, px := modes.InflateSize(in, k)
	mask := modes.BoxReduce(in.Mask, in.Width, in.Height, k, workers)
	modes.FillFalseHoles(mask, w, h, in.Mask, in.Width, in.Height, k)
	progress.Report("distance", 0)
	sd := distance.SignedDistance(mask, w, h)
	progress.Report("distance", 0.5)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var R float32
	for _, d := range sd {
		R = max(R, d)
	}
	if R <= 0 {
		return nil, modes.ErrNoForeground
	}
	var local []float32
	if p.Profile == backends.Dome {
		var err error
		if local, err = localThickness(ctx, sd, w, h); err != nil {
			return nil, err
		}
	}
	// Height in mm per coarse pixel.
	rim := modes.InflateRim(p)
	thickness := modes.InflateThickness(in, p, R, px)
	H := make([]float32, w*h)
	var hmax float64
	for i, d := range sd {
		if d <= 0 {
			continue
		}
		r := R
		if local != nil {
			r = max(local[i], d)
		}
		v := modes.InflateHeight(d, r, px, thickness, rim)
		H[i] = float32(v)
		hmax = max(hmax, v)
	}
	progress.Report("distance", 1)

	g, err := modes.InflateGrid(w, h, px, hmax, p.FlatBack)
	if err != nil {
		return nil, err
	}
	nx, ny := g.NX, g.NY
	outside := modes.InflateOutside(px)
	progress.Report("surface", 0)
	// The field is a function of the coarse pixel and z, so it is made plane by plane as marching
	// cubes reaches it, never as a whole grid (at ultra that would be hundreds of MB to zero and
	// fill).
	m, err := isosurfaceChunked(ctx, g, workers, func(l int, plane []float32) {
		z := float32(g.Origin[2] + float64(l)*px)
		for i := range nx {
			plane[i] = outside
			plane[(ny-1)*nx+i] = outside
		}
		for j := 1; j < ny-1; j++ {
			row := plane[j*nx : (j+1)*nx]
			row[0], row[nx-1] = outside, outside
			c := (h - j) * w // coarse row of lattice row j
			hs, ss := H[c:c+w], sd[c:c+w]
			for i := range w {
				row[i+1] = modes.InflateValue(z, hs[i], ss[i], px, p.FlatBack)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if p.FlatBack {
		modes.FlattenBack(m, g.Origin[0], g.Origin[1], modes.FlatBackTile*px, workers)
	}
	progress.Report("surface", 1)
	return m, nil
}

// localThickness returns, for each pixel inside (sd > 0), the radius of the largest disk inside
// the silhouette that covers it: the disks centred on the centres of maximal disks (pixels whose
// disk no neighbour's disk contains), painted in increasing order of radius.
// Painting costs the sum of the disks' areas, so ctx is checked every few disks.
func localThickness(ctx context.Context, sd []float32, w, h int) ([]float32, error) {
	type centre struct {
		x, y int
		r    float32
	}
	var cs []centre
	for y := range h {
		for x := range w {
			r := sd[y*w+x]
			if r <= 0 {
				continue
			}
			maximal := true
			for dy := -1; dy <= 1 && maximal; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if (dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					step := float32(math.Hypot(float64(dx), float64(dy)))
					if sd[yy*w+xx] >= r+step-1e-3 {
						maximal = false
						break
					}
				}
			}
			if maximal {
				cs = append(cs, centre{x, y, r})
			}
		}
	}
	slices.SortStableFunc(cs, func(a, b centre) int {
		switch {
		case a.r < b.r:
			return -1
		case a.r > b.r:
			return 1
		}
		return 0
	})
	out := make([]float32, w*h)
	for i, c := range cs {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		ri := int(math.Ceil(float64(c.r)))
		r2 := c.r * c.r
		for y := max(c.y-ri, 0); y <= min(c.y+ri, h-1); y++ {
			for x := max(c.x-ri, 0); x <= min(c.x+ri, w-1); x++ {
				dx, dy := float32(x-c.x), float32(y-c.y)
				if dx*dx+dy*dy <= r2 {
					out[y*w+x] = c.r // ascending order: the last write is the largest
				}
			}
		}
	}
	return out, nil
}
