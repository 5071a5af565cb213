package generator

import (
	"image"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/internal/raster"
	"github.com/orfeas3d/orfeas/mesh"
)

// attachTexture gives a coloured mesh the image its UVs map, so that GLB, OBJ (with its MTL) and
// 3MF can carry it. The CPU and CUDA backends set it themselves, from the colour plane filled
// outward from the subject for the silhouette modes (see backends/internal/modes.ColourByProjection);
// a backend that sets UVs without a texture gets the working colour plane as it is.
func attachTexture(m *mesh.Mesh, in *backends.Input) {
	if m.Texture != nil || m.UVs == nil || in.Color == nil {
		return
	}
	m.Texture = colorImage(in.Color, in.Width, in.Height)
}

// colourFilledHoles recolours the pixels that mask cleaning turned from background into
// subject (holes under the size threshold, such as the notch between a horse's ears, and the
// margins that widening hairline strokes adds: thickenStrokes), which would
// otherwise carry the background's colour into the model: they take the colour pushed outward
// from the subject as it was before the cleaning (raster.FillOutward). Other pixels keep theirs.
func colourFilledHoles(p *prepared, cleaned []float32) {
	if p.color == nil || p.mask == nil {
		return
	}
	var filled []float32
	for i, a := range cleaned {
		// A pixel that becomes subject core keeps its own colour in the later fill
		// (modes.ColourByProjection), so it must carry the subject's colour now.
		if a >= raster.FillCore && p.mask[i] < raster.FillCore {
			if filled == nil {
				filled = raster.FillOutward(p.color, p.mask, p.w, p.h)
			}
			copy(p.color[3*i:3*i+3], filled[3*i:3*i+3])
		}
	}
}

// colorImage turns a working colour plane (sRGB, three values per pixel) into an opaque image.
func colorImage(c []float32, w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		for k := range 3 {
			// + ½ and truncation: math.Round's byte, exactly (see modes.colourByte).
			img.Pix[4*i+k] = uint8(float64(clamp01(c[3*i+k]))*255 + 0.5)
		}
		img.Pix[4*i+3] = 255
	}
	return img
}
