package modes

import (
	"fmt"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/internal/raster"
	"github.com/orfeas3d/orfeas/mesh"
)

// The inflate mode grows a rounded solid from the foreground's silhouette. The silhouette's signed
// distance d (exact Euclidean transform, sub-pixel outline) gives a height profile h(d), and the
// solid is the set of points with |z| ≤ H(x, y) inside the outline, where
// H = max(h·Thickness, MinRim/2) (or 0 ≤ z ≤ H with a flat back, H ≥ MinRim). That implicit
// volume is meshed by marching cubes, which makes it closed by construction.
//
//   - Round: h = sqrt(d·(2R − d)) with R the largest distance in the silhouette, so a disk of
//     radius R becomes a sphere.
//   - Dome: the same formula with R the local thickness at the point (the radius of the largest
//     disk inside the silhouette that covers it; Hildebrand & Rüegsegger 1997), so wide parts are
//     fat and narrow parts thin, as in Teddy (Igarashi et al. 1999).
//
// The voxel grid is the image reduced by an integer factor k chosen from the face budget, so that
// the mesh fits the budget without a costly simplification (see InflateFit). With a flat back,
// the back's voxel faces are then replaced by a triangulation of its boundary (FlattenBack), the
// same surface in a fraction of the faces.

// ErrNoForeground is returned when an inflate mask has no foreground. It wraps
// backends.ErrNoForeground (and so backends.ErrInvalidInput).
var ErrNoForeground = fmt.Errorf("%w to inflate", backends.ErrNoForeground)

// InflateFacesPerPixel estimates the marching-cubes faces an inflated shape makes per foreground
// pixel of the grid: two per pixel on each side, times the slope of rounded sides.
const InflateFacesPerPixel = 8

// inflateRetries is how many times InflateFit builds the surface again at a larger reduction.
const inflateRetries = 3

// InflateStride returns the first integer factor by which the image is reduced for the inflation
// grid: the smallest that the estimate says fits the budget (1 without a budget).
func InflateStride(mask []float32, w, h, budget int) int {
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
	return max(1, int(math.Ceil(math.Sqrt(InflateFacesPerPixel*area/float64(budget)))))
}

// InflateFit builds in's inflated surface with build, which makes the mesh on the image reduced
// k times, and returns the mesh and the k it was built at. k starts from InflateStride; when the
// mesh still has more faces than the budget (fat shapes have more side than front), k grows by
// the square root of the excess and the surface is built again, at most three more times.
// Marching cubes is cheap next to simplification. An error from build is returned as it is.
func InflateFit(in *backends.Input, build func(k int) (*mesh.Mesh, error)) (*mesh.Mesh, int, error) {
	k := InflateStride(in.Mask, in.Width, in.Height, in.FaceBudget)
	for attempt := 0; ; attempt++ {
		m, err := build(k)
		if err != nil {
			return nil, k, err
		}
		if in.FaceBudget <= 0 || len(m.Faces) <= in.FaceBudget || attempt == inflateRetries {
			return m, k, nil
		}
		k = max(k+1, int(math.Ceil(float64(k)*math.Sqrt(1.1*float64(len(m.Faces))/float64(in.FaceBudget)))))
	}
}

// InflateSize returns the size in coarse pixels of in's image reduced k times, and the size of a
// coarse pixel (the voxel) in mm.
func InflateSize(in *backends.Input, k int) (w, h int, px float64) {
	return (in.Width + k - 1) / k, (in.Height + k - 1) / k, in.PixelSize * float64(k)
}

// BoxReduce averages k×k blocks of a w×h plane (nil means all ones); partial blocks at the right
// and bottom average the pixels they have. It uses up to workers goroutines; the result does not
// depend on workers.
func BoxReduce(p []float32, w, h, k, workers int) []float32 {
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
	par.For(H, workers, func(J int) {
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
	})
	return out
}

// InflateRim returns the least height, in mm, of the inflated solid inside the outline: half the
// minimum rim thickness, or all of it with a flat back (which has only one side).
func InflateRim(p backends.InflateParams) float64 {
	if p.FlatBack {
		return p.MinRim
	}
	return p.MinRim / 2
}

// InflateThickness returns the profile's scale for in's inflation, p its parameters with their
// defaults, at largest distance R coarse pixels of px mm: p.Thickness, scaled down so that the
// solid's full thickness (at most R·px·scale per side, the profile's peak: R bounds the local
// thickness too) stays within p.MaxThickness, or by default within
// backends.DefaultInflateThicknessRatio times the smaller side of the silhouette's bounding box.
// Scaling the whole profile, rather than clipping it, keeps the rounded shape: a square icon
// becomes a cushion, not a cube with a flat top. Both backends compute R and then call this on
// the host, so the device kernels take the scale as a parameter.
func InflateThickness(in *backends.Input, p backends.InflateParams, R float32, px float64) float64 {
	limit := p.MaxThickness
	if limit == 0 {
		x0, y0, x1, y1, ok := raster.Bounds(in.Mask, in.Width, in.Height)
		if in.Mask == nil || !ok {
			x0, y0, x1, y1 = 0, 0, in.Width, in.Height
		}
		limit = backends.DefaultInflateThicknessRatio * float64(min(x1-x0, y1-y0)) * in.PixelSize
	}
	if limit < 0 || R <= 0 {
		return p.Thickness
	}
	sides := 2.0
	if p.FlatBack {
		sides = 1
	}
	peak := sides * float64(R) * px * p.Thickness
	if peak <= limit {
		return p.Thickness
	}
	return p.Thickness * limit / peak
}

// InflateHeight returns the height H in mm of the inflated solid at a pixel inside the silhouette
// (d > 0) at signed distance d (coarse pixels) whose profile radius is r: R, the largest distance,
// for Round; for Dome max(local thickness, d). px is the coarse pixel in mm, thickness the
// profile's scale and rim InflateRim's height. kernels/inflate.cu's inflate_heights computes the
// same, operation for operation.
func InflateHeight(d, r float32, px, thickness, rim float64) float64 {
	dd := float64(min(d, r))
	return max(math.Sqrt(dd*(2*float64(r)-dd))*px*thickness, rim)
}

// InflateGrid returns the voxel grid (without its values) for a w×h coarse image of pixel px mm
// whose heights reach hmax mm: a margin of one outside sample on every side; sample (i, j, l) at
// the centre of coarse pixel (i−1, h−j) (y up) and at z = z0 + l·px, offset by half a voxel so
// that no sample sits exactly on the flat back or the middle plane. A grid of more than 2²⁸
// samples is an error wrapping backends.ErrInvalidInput.
func InflateGrid(w, h int, px, hmax float64, flatBack bool) (*mesh.Grid, error) {
	nx, ny := w+2, h+2
	z0 := -hmax - px*1.5
	if flatBack {
		z0 = -2 * px // samples at ±px/2 around the flat back
	}
	nz := int(math.Ceil((hmax+px*1.5-z0)/px)) + 1
	if uint64(nx)*uint64(ny)*uint64(nz) > 1<<28 {
		return nil, fmt.Errorf("%w: inflation grid of %d×%d×%d samples is too large", backends.ErrInvalidInput, nx, ny, nz)
	}
	return &mesh.Grid{NX: nx, NY: ny, NZ: nz, Voxel: px, Origin: [3]float64{-0.5 * px, -0.5 * px, z0 + 0.5*px}}, nil
}

// InflateOutside returns the field's value at the grid's outer layer, outside the solid.
func InflateOutside(px float64) float32 { return float32(px) }

// InflateValue returns the field's value (negative inside the solid) at height z mm above a
// coarse pixel inside the grid's margin, of signed distance sd (coarse pixels) and height H mm.
// kernels/inflate.cu's inflate_field computes the same, operation for operation.
func InflateValue(z, H, sd float32, px float64, flatBack bool) float32 {
	f := -sd * float32(px)
	if flatBack {
		return max(z-H, -z, f)
	}
	return max(abs32(z)-H, f)
}

// restBlock is the vertices one worker scans or moves at a time.
const restBlock = 1 << 16

// RestOnBed translates m so that its lowest vertex is on Z = 0, with up to workers goroutines (the
// result does not depend on workers). For a mesh whose every vertex belongs to a face (marching
// cubes makes no other), that is its lowest point; the translation is mesh.Affine.Apply per
// vertex, the arithmetic of m.Transform.
func RestOnBed(m *mesh.Mesh, workers int) {
	nb := (len(m.Positions) + restBlock - 1) / restBlock
	lows := make([]float32, nb)
	par.For(nb, workers, func(b int) {
		low := float32(math.MaxFloat32)
		for _, p := range m.Positions[b*restBlock : min((b+1)*restBlock, len(m.Positions))] {
			low = min(low, p[2])
		}
		lows[b] = low
	})
	low := float32(math.MaxFloat32)
	for _, l := range lows {
		low = min(low, l)
	}
	a := mesh.Translate(0, 0, -float64(low))
	par.For(nb, workers, func(b int) {
		ps := m.Positions[b*restBlock : min((b+1)*restBlock, len(m.Positions))]
		for i, p := range ps {
			ps[i] = a.Apply(p)
		}
	})
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// FillFalseHoles fills, in place, the holes of the W×H coarse mask (mask ≥ 0.5; 4-connected
// background regions that do not reach the border) that are no hole of the w×h fine mask it was
// reduced from k times: gaps that the reduction closed between parts that come near each other
// (a tail against a leg), which would otherwise become tunnels through the inflated solid that
// the silhouette does not have. Each fine hole keeps one coarse hole, the one covering most of it. Both backends call it on the host, after BoxReduce.
func FillFalseHoles(coarse []float32, W, H int, fine []float32, w, h, k int) {
	if fine == nil {
		return
	}
	fineHole := holes(fine, w, h)
	coarseHole := holes(coarse, W, H)
	// For each pair (coarse hole, fine hole) the fine pixels they share; each fine hole keeps the
	// coarse hole that covers most of it (the reduction may split one hole in two), the lowest
	// label on a tie, so that the result is deterministic.
	type pair struct{ c, f int32 }
	shared := map[pair]int{}
	for J := range H {
		for I := range W {
			l := coarseHole[J*W+I]
			if l == 0 {
				continue
			}
			for y := J * k; y < min((J+1)*k, h); y++ {
				for x := I * k; x < min((I+1)*k, w); x++ {
					if f := fineHole[y*w+x]; f != 0 {
						shared[pair{l, f}]++
					}
				}
			}
		}
	}
	best := map[int32]pair{} // fine hole → its coarse hole
	for p, n := range shared {
		b, ok := best[p.f]
		if !ok || n > shared[b] || (n == shared[b] && p.c < b.c) {
			best[p.f] = p
		}
	}
	keep := map[int32]bool{}
	for _, p := range best {
		keep[p.c] = true
	}
	for i, l := range coarseHole {
		if l != 0 && !keep[l] {
			coarse[i] = 1
		}
	}
}

// holes labels (1, 2, …) the 4-connected background regions (mask < 0.5) of a w×h mask that do
// not reach the border, in the raster order of their first pixels, 0 elsewhere (raster.Holes).
func holes(mask []float32, w, h int) []int32 { return raster.Holes(mask, w, h) }
