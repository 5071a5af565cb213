package modes

import (
	"github.com/orfeas3d/orfeas/internal/par"
	"math"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
)

// colourBlock is the vertices one worker colours at a time.
const colourBlock = 4096

// ColourByProjection gives every vertex of m the image colour straight below or above it (front
// by projection, back mirrored) and a planar UV (u right, v down over the whole image), for meshes
// in the backends' placement (X = [0, W·PixelSize], Y = [0, H·PixelSize]). It uses up to workers
// goroutines; each vertex's values depend on it alone, so the result does not depend on workers.
func ColourByProjection(m *mesh.Mesh, in *backends.Input, workers int) {
	m.Colors = make([][4]uint8, len(m.Positions))
	m.UVs = make([][2]float32, len(m.Positions))
	par.For((len(m.Positions)+colourBlock-1)/colourBlock, workers, func(b int) {
		for i := b * colourBlock; i < min((b+1)*colourBlock, len(m.Positions)); i++ {
			colourVertex(m, in, i)
		}
	})
}

// colourVertex colours vertex i of m (see ColourByProjection).
func colourVertex(m *mesh.Mesh, in *backends.Input, i int) {
	w, h := in.Width, in.Height
	p := m.Positions[i]
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
