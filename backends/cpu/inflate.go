package cpu

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/raster"
	"github.com/orfeas3d/orfeas/mesh"
)

// inflate grows a rounded solid from the foreground's silhouette. The silhouette's signed distance
// d (exact Euclidean transform, sub-pixel outline) gives a height profile h(d), and the solid is
// the set of points with |z| ≤ H(x, y) inside the outline, where H = max(h·Thickness, MinRim/2)
// (or 0 ≤ z ≤ H with a flat back). That implicit volume is meshed by marching cubes, which makes
// it closed by construction.
//
//   - Round: h = sqrt(d·(2R − d)) with R the largest distance in the silhouette, so a disk of
//     radius R becomes a sphere.
//   - Dome: the same formula with R the local thickness at the point (the radius of the largest
//     disk inside the silhouette that covers it; Hildebrand & Rüegsegger 1997), so wide parts are
//     fat and narrow parts thin, as in Teddy (Igarashi et al. 1999).
//
// The voxel grid is the image reduced by an integer factor k chosen from the face budget, so that
// the mesh fits the budget without a costly simplification: k starts from an estimate of the
// surface's size, and when marching cubes still yields more faces than the budget (fat shapes
// have more side than front) k grows by the square root of the excess and the surface is built
// again, at most a few times. Marching cubes is cheap next to simplification.
func inflate(ctx context.Context, in *backends.Input, progress backends.Progress) (*mesh.Mesh, error) {
	k := inflateStride(in.Mask, in.Width, in.Height, in.FaceBudget)
	for attempt := 0; ; attempt++ {
		m, err := inflateAt(ctx, in, k, progress)
		if err != nil || in.FaceBudget <= 0 || len(m.Faces) <= in.FaceBudget || attempt == 3 {
			return m, err
		}
		k = max(k+1, int(math.Ceil(float64(k)*math.Sqrt(1.1*float64(len(m.Faces))/float64(in.FaceBudget)))))
	}
}

// inflateAt builds the inflated solid on the image reduced k times.
func inflateAt(ctx context.Context, in *backends.Input, k int, progress backends.Progress) (*mesh.Mesh, error) {
	p := in.Inflate.Defaults()
	w, h := (in.Width+k-1)/k, (in.Height+k-1)/k
	px := in.PixelSize * float64(k)
	mask := boxReduce(in.Mask, in.Width, in.Height, k)
	progress.Report("distance", 0)
	sd := raster.SignedDistance(mask, w, h)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var R float32
	for _, d := range sd {
		R = max(R, d)
	}
	if R <= 0 {
		return nil, fmt.Errorf("%w: the mask has no foreground to inflate", backends.ErrInvalidInput)
	}
	var local []float32
	if p.Profile == backends.Dome {
		local = localThickness(sd, w, h)
	}
	// Height in mm per coarse pixel.
	rim := p.MinRim / 2
	if p.FlatBack {
		rim = p.MinRim
	}
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
		dd := float64(min(d, r))
		v := max(math.Sqrt(dd*(2*float64(r)-dd))*px*p.Thickness, rim)
		H[i] = float32(v)
		hmax = max(hmax, v)
	}
	progress.Report("distance", 1)

	// The grid has a margin of one outside sample on every side. Sample (i, j, l) lies at the
	// centre of coarse pixel (i−1, h−j) (y up) and at z = z0 + l·px, offset by half a voxel so
	// that no sample sits exactly on the flat back or the middle plane.
	nx, ny := w+2, h+2
	z0 := -hmax - px*1.5
	if p.FlatBack {
		z0 = -2 * px // samples at ±px/2 around the flat back
	}
	nz := int(math.Ceil((hmax+px*1.5-z0)/px)) + 1
	g := &mesh.Grid{NX: nx, NY: ny, NZ: nz, Voxel: px, Origin: [3]float64{-0.5 * px, -0.5 * px, z0 + 0.5*px}}
	if nx*ny*nz > 1<<28 {
		return nil, fmt.Errorf("%w: inflation grid of %d×%d×%d samples is too large", backends.ErrInvalidInput, nx, ny, nz)
	}
	g.Values = make([]float32, nx*ny*nz)
	outside := float32(px)
	for l := range nz {
		if l%16 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		z := float32(g.Origin[2] + float64(l)*px)
		plane := g.Values[l*nx*ny : (l+1)*nx*ny]
		for j := range ny {
			for i := range nx {
				v := outside
				if i > 0 && j > 0 && i <= w && j <= h {
					c := (h-j)*w + (i - 1)
					f := -sd[c] * float32(px)
					if p.FlatBack {
						v = max(z-H[c], -z, f)
					} else {
						v = max(abs32(z)-H[c], f)
					}
				}
				plane[j*nx+i] = v
			}
		}
	}
	progress.Report("surface", 0)
	m, err := mesh.Isosurface(ctx, g, 0)
	if err != nil {
		return nil, err
	}
	progress.Report("surface", 1)
	// Rest the lowest point on the bed.
	b := m.Bounds()
	m.Transform(mesh.Translate(0, 0, -float64(b.Min[2])))
	if in.Color != nil {
		colourByProjection(m, in)
	}
	return m, nil
}

// inflateFacesPerPixel estimates the marching-cubes faces an inflated shape makes per foreground
// pixel of the grid: two per pixel on each side, times the slope of rounded sides.
const inflateFacesPerPixel = 8

// inflateStride returns the first integer factor by which the image is reduced for the inflation
// grid: the smallest that the estimate says fits the budget.
func inflateStride(mask []float32, w, h, budget int) int {
	if budget <= 0 {
		return 1
	}
	area := float64(w * h)
	if mask != nil {
		area = 0
		for _, m := range mask {
			area += float64(m)
		}
	}
	return max(1, int(math.Ceil(math.Sqrt(inflateFacesPerPixel*area/float64(budget)))))
}

// boxReduce averages k×k blocks of a w×h plane (nil means all ones); partial blocks at the right
// and bottom average the pixels they have.
func boxReduce(p []float32, w, h, k int) []float32 {
	W, H := (w+k-1)/k, (h+k-1)/k
	out := make([]float32, W*H)
	if p == nil {
		for i := range out {
			out[i] = 1
		}
		return out
	}
	if k == 1 {
		copy(out, p)
		return out
	}
	for J := range H {
		for I := range W {
			var s float32
			n := 0
			for y := J * k; y < min((J+1)*k, h); y++ {
				for x := I * k; x < min((I+1)*k, w); x++ {
					s += p[y*w+x]
					n++
				}
			}
			out[J*W+I] = s / float32(n)
		}
	}
	return out
}

// localThickness returns, for each pixel inside (sd > 0), the radius of the largest disk inside
// the silhouette that covers it: the disks centred on the centres of maximal disks (pixels whose
// disk no neighbour's disk contains), painted in increasing order of radius.
func localThickness(sd []float32, w, h int) []float32 {
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
	for _, c := range cs {
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
	return out
}

// colourByProjection gives every vertex the image colour straight below or above it (front by
// projection, back mirrored) and a planar UV, for meshes in the backends' placement.
func colourByProjection(m *mesh.Mesh, in *backends.Input) {
	w, h := in.Width, in.Height
	m.Colors = make([][4]uint8, len(m.Positions))
	m.UVs = make([][2]float32, len(m.Positions))
	for i, p := range m.Positions {
		x := float64(p[0]) / in.PixelSize
		y := float64(h) - float64(p[1])/in.PixelSize
		col := min(max(int(x), 0), w-1)
		row := min(max(int(y), 0), h-1)
		c := [4]uint8{0, 0, 0, 255}
		for k := range 3 {
			c[k] = uint8(math.Round(float64(min(max(in.Color[3*(row*w+col)+k], 0), 1)) * 255))
		}
		m.Colors[i] = c
		m.UVs[i] = [2]float32{float32(min(max(x/float64(w), 0), 1)), float32(min(max(y/float64(h), 0), 1))}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
