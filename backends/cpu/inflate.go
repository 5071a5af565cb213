package cpu

import (
	"context"
	"math"
	"slices"
	"sort"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/internal/distance"
	"github.com/orfeas3d/orfeas/backends/internal/modes"
	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/mesh"
)

// inflate grows a rounded solid from the foreground's silhouette, as backends/internal/modes describes:
// the height profile of the silhouette's signed distance, an implicit volume meshed by marching
// cubes on the image reduced k times, k chosen from the face budget (modes.InflateFit), the field
// never filled: its signs and values come from the columns (inflateField,
// isosurfaceFieldChunks) and a flat back re-triangulated from its
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
	progress.Report("surface", 0)
	// The field is a function of the coarse pixel and z whose sign is known per column (inside
	// over one interval of planes), so marching cubes reads the columns' intervals for the signs
	// and evaluates the field only at the ends of crossed edges (inflateField): the grid is never
	// filled (at ultra that would be hundreds of MB to fill and read).
	m, err := isosurfaceFieldChunks(ctx, g, isoChunkSamples, newInflateField(g, w, h, H, sd, p.FlatBack, workers))
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

// inflateField is the inflated solid's field (modes.InflateValue of a coarse pixel's height and
// signed distance, outside on the grid's outer layer) as a mesh.Field. modes.InflateValue is
// max(z − H, −z, −sd·px) with a flat back, max(|z| − H, −sd·px) without, negative (inside)
// exactly when every term is, and z grows with the plane, so a column's inside samples are the
// planes lo ≤ l < hi of one interval, found once per column by binary search on the planes'
// z. A row's signs are then two integer comparisons a sample, and no sample is stored.
type inflateField struct {
	nx, ny, w, h int
	px           float64
	flatBack     bool
	outside      float32
	z            []float32     // z of each plane, as the dense fill computed it
	H, sd        []float32     // per coarse pixel
	lo, hi       []int32       // per lattice column: inside on planes lo ≤ l < hi
	rowLo, rowHi []int32       // per lattice row: the least lo and the greatest hi of its columns
	words        []inflateWord // per lattice row, per 64 columns
	z0           int           // the field's plane k is the solid's plane z0 + k (fromPlane)
}

// fromPlane implements planeOffsetter: the same field from plane z0 on, sharing the columns.
func (f *inflateField) fromPlane(z0 int) mesh.Field {
	g := *f
	g.z0 += z0
	return &g
}

// newInflateField builds the field on g's lattice for the w×h coarse heights H and signed
// distances sd, finding the columns' intervals on up to workers goroutines.
func newInflateField(g *mesh.Grid, w, h int, H, sd []float32, flatBack bool, workers int) *inflateField {
	nx, ny, nz := g.NX, g.NY, g.NZ
	nw := (nx + 63) / 64
	f := &inflateField{nx: nx, ny: ny, w: w, h: h, px: g.Voxel, flatBack: flatBack, outside: modes.InflateOutside(g.Voxel),
		z: make([]float32, nz), H: H, sd: sd,
		lo: make([]int32, nx*ny), hi: make([]int32, nx*ny), rowLo: make([]int32, ny), rowHi: make([]int32, ny),
		words: make([]inflateWord, nw*ny)}
	for l := range nz {
		f.z[l] = float32(g.Origin[2] + float64(l)*g.Voxel)
	}
	// first returns the first plane whose z satisfies ok, which holds from some plane on (z is
	// non-decreasing in l), or nz.
	first := func(ok func(z float32) bool) int32 {
		return int32(sort.Search(nz, func(l int) bool { return ok(f.z[l]) }))
	}
	above0 := first(func(z float32) bool { return -z < 0 }) // −z < 0 exactly when z > 0
	par.For(ny, workers, func(j int) {
		rlo, rhi := int32(nz), int32(0)
		if j > 0 && j < ny-1 {
			c := (h - j) * w // coarse row of lattice row j
			for i := 1; i < nx-1; i++ {
				Hc, s := H[c+i-1], sd[c+i-1]
				var lo, hi int32
				// The field's last term, as modes.InflateValue computes it; z − H < 0 exactly
				// when z < H (a difference of distinct floats is never zero), so the planes
				// from hi on are outside, and below lo too.
				if -s*float32(g.Voxel) < 0 {
					hi = first(func(z float32) bool { return !(z < Hc) })
					if flatBack {
						lo = above0
					} else {
						lo = first(func(z float32) bool { return z > -Hc }) // |z| < H from here to hi
					}
				}
				if lo >= hi {
					lo, hi = 0, 0
				} else {
					rlo, rhi = min(rlo, lo), max(rhi, hi)
				}
				f.lo[j*nx+i], f.hi[j*nx+i] = lo, hi
			}
		}
		f.rowLo[j], f.rowHi[j] = rlo, rhi
		for wi := range nw {
			i0, i1 := 64*wi, min(64*wi+64, nx)
			wd := inflateWord{minLo: math.MaxInt32, maxLo: math.MinInt32, minHi: math.MaxInt32, maxHi: math.MinInt32}
			for i := i0; i < i1; i++ {
				lo, hi := f.lo[j*nx+i], f.hi[j*nx+i]
				wd.minLo, wd.maxLo = min(wd.minLo, lo), max(wd.maxLo, lo)
				wd.minHi, wd.maxHi = min(wd.minHi, hi), max(wd.maxHi, hi)
			}
			wd.all = ^uint64(0) >> (64 - (i1 - i0))
			f.words[j*nw+wi] = wd
		}
	})
	return f
}

// InsideRow implements mesh.Field. A word of 64 columns whose intervals all miss plane k is
// clear, one whose intervals all hold it is full, without looking at its columns (inflateWord):
// most words of a plane are one or the other, only those the surface crosses take the columns'
// comparisons.
func (f *inflateField) InsideRow(j, k int, mask []uint64) {
	k32 := int32(f.z0 + k)
	if k32 < f.rowLo[j] || k32 >= f.rowHi[j] {
		clear(mask)
		return
	}
	words := f.words[j*len(mask) : (j+1)*len(mask)]
	lo, hi := f.lo[j*f.nx:(j+1)*f.nx], f.hi[j*f.nx:(j+1)*f.nx]
	for wi := range mask {
		wd := &words[wi]
		switch {
		case k32 < wd.minLo || k32 >= wd.maxHi:
			mask[wi] = 0
		case k32 >= wd.maxLo && k32 < wd.minHi:
			mask[wi] = wd.all
		default:
			i0 := wi * 64
			l, u := lo[i0:min(i0+64, len(lo))], hi[i0:min(i0+64, len(hi))]
			var q uint64
			for b := range l {
				// lo ≤ k < hi: both differences negative, so the sign bit of their AND is set;
				// bits enter at the top and move down, no variable shift.
				q = q>>1 | uint64(uint32((l[b]-k32-1)&(k32-u[b]))>>31)<<63
			}
			mask[wi] = q >> (64 - len(l))
		}
	}
}

// inflateWord summarises the intervals of one row's columns 64i … 64i+63 for InsideRow: the
// least and greatest lo and hi over them, and the word of the columns that exist.
type inflateWord struct {
	minLo, maxLo, minHi, maxHi int32
	all                        uint64
}

// Value implements mesh.Field: the sample the dense fill would have stored.
func (f *inflateField) Value(i, j, k int) float32 {
	if i == 0 || j == 0 || i == f.nx-1 || j == f.ny-1 {
		return f.outside
	}
	c := (f.h-j)*f.w + i - 1
	return modes.InflateValue(f.z[f.z0+k], f.H[c], f.sd[c], f.px, f.flatBack)
}
