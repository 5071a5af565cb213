package modes

import (
	"image"

	"github.com/orfeas3d/orfeas/internal/par"
	"github.com/orfeas3d/orfeas/internal/raster"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
)

// colourBlock is the vertices one worker colours at a time.
const colourBlock = 4096

// ColourByProjection gives every vertex of m the image colour straight below or above it (front
// by projection, back mirrored) and a planar UV (u right, v down over the whole image), for meshes
// in the backends' placement (X = [0, W·PixelSize], Y = [0, H·PixelSize]), and sets m.Texture to
// the colour plane the UVs map.
//
// For the silhouette modes (extrude, inflate) the colour comes from the subject only: the plane is
// first filled outward from the subject (raster.FillOutward), so that the rim, the walls and the bottom,
// whose vertices project onto the outline or just beyond it, carry the subject's edge colour
// rather than the background's (or black, where the background is transparent). A relief keeps
// the whole image, background included, since it is all printed.
//
// It uses up to workers goroutines; each vertex's values depend on it alone, so the result does
// not depend on workers. It is ColourFrom(m, in, ProjectionColour(in), workers).
func ColourByProjection(m *mesh.Mesh, in *backends.Input, workers int) {
	ColourFrom(m, in, ProjectionColour(in), workers)
}

// ProjectionColour returns the colour plane ColourByProjection projects for in: for the silhouette
// modes, in.Color filled outward from the subject (a new plane); else in.Color itself. It reads
// only in's planes, not the mesh, so a backend may compute it while it builds the mesh.
func ProjectionColour(in *backends.Input) []float32 {
	if (in.Mode == backends.Extrude || in.Mode == backends.Inflate) && in.Mask != nil {
		return raster.FillOutward(in.Color, in.Mask, in.Width, in.Height)
	}
	return in.Color
}

// ColourFrom is ColourByProjection with its colour plane given: colour must be
// ProjectionColour(in).
func ColourFrom(m *mesh.Mesh, in *backends.Input, colour []float32, workers int) {
	m.Colors = make([][4]uint8, len(m.Positions))
	m.UVs = make([][2]float32, len(m.Positions))
	par.For((len(m.Positions)+colourBlock-1)/colourBlock, workers, func(b int) {
		for i := b * colourBlock; i < min((b+1)*colourBlock, len(m.Positions)); i++ {
			colourVertex(m, in, colour, i)
		}
	})
	m.Texture = colourImage(colour, in.Width, in.Height, workers)
}

// colourVertex colours vertex i of m from the plane colour (see ColourByProjection).
func colourVertex(m *mesh.Mesh, in *backends.Input, colour []float32, i int) {
	w, h := in.Width, in.Height
	p := m.Positions[i]
	x := float64(p[0]) / in.PixelSize
	y := float64(h) - float64(p[1])/in.PixelSize
	col := min(max(int(x), 0), w-1)
	row := min(max(int(y), 0), h-1)
	c := [4]uint8{0, 0, 0, 255}
	for k := range 3 {
		c[k] = colourByte(colour[3*(row*w+col)+k])
	}
	m.Colors[i] = c
	m.UVs[i] = [2]float32{float32(min(max(x/float64(w), 0), 1)), float32(min(max(y/float64(h), 0), 1))}
}

// colourByte rounds a channel value (0–1, clamped) to 0–255, half away from zero as math.Round
// does. It adds ½ and truncates instead of calling math.Round, which gives the same byte: a
// float32 times 255 needs at most 32 significant bits, so the product and the sum with ½ are
// exact in float64, and truncating a non-negative x + ½ is rounding x half up
// (TestColourByteIsRound checks the values at and around every rounding boundary).
func colourByte(v float32) uint8 { return uint8(float64(min(max(v, 0), 1))*255 + 0.5) }

// ColourImage turns a colour plane (sRGB 0–1, three values per pixel, w × h) into an opaque image.
func ColourImage(c []float32, w, h int) *image.NRGBA { return colourImage(c, w, h, 1) }

// colourImage is ColourImage on up to workers goroutines, in bands of rows; each byte depends on
// its own value alone.
func colourImage(c []float32, w, h, workers int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rows := max(1, colourBlock/max(w, 1))
	par.For((h+rows-1)/rows, workers, func(b int) {
		for i := b * rows * w; i < min((b+1)*rows, h)*w; i++ {
			for k := range 3 {
				img.Pix[4*i+k] = colourByte(c[3*i+k])
			}
			img.Pix[4*i+3] = 255
		}
	})
	return img
}
