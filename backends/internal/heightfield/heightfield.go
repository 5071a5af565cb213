// Package heightfield holds what both backends share for the heightfield modes (reliefs and flat
// lithophanes): the sample grid (heightfield.go), a triangulated surface over it, and the closing
// of such a surface into a solid with its face bound (solid.go).
//
// The triangulations themselves live with the backend that runs them: the CPU backend's greedy
// insertion (backends/cpu/tin.go, Garland–Heckbert 1995), which needs one insertion after
// another, and the CUDA backend's right-triangulated irregular network (backends/cuda/internal/rtin),
// every stage of which is data-parallel. Both meet the same contract: every sample of the grid
// lies within the tolerance of the surface above or below it, and the surface is one conforming
// triangulation of the grid's rectangle, which Solid closes.
package heightfield

// Grid is a row-major field of W×H samples, row 0 first, heights in mm.
type Grid struct {
	W, H int
	Z    []float32
}

// Surface is a triangulated top surface over a Grid: vertices in grid coordinates and positively
// oriented triangles (orient > 0 with rows growing downwards), three vertex indices each. Its
// triangles cover the grid's rectangle [0, W−1]×[0, H−1] exactly, with no T-junction.
type Surface struct {
	Grid   Grid
	PX, PY []int32
	// Tris holds the triangles. When its capacity leaves FacesRoom(Grid) more int32 values past
	// its length, Solid builds the mesh's faces in its memory rather than in a new array: the
	// triangles are then no longer valid once Solid has run.
	Tris []int32
	// MaxErr bounds the vertical distance between any sample and the surface.
	MaxErr float64
}

// MinTolerance is the smallest tolerance, in mm, the triangulators work to: far below what any
// printer resolves, and above the rounding of a plane's height.
const MinTolerance = 1e-6

// FacesRoom is how many int32 values past its length a Surface's Tris needs room for so that
// Solid can turn it into the mesh's faces in place: three for each closing face Solid may add
// (the walls' and the bottom's, at most 6·(W+H)).
func FacesRoom(g Grid) int { return 3 * 6 * (g.W + g.H) }
