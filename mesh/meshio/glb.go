package meshio

import "math"

// GLB export follows the glTF 2.0 specification (Khronos, 2021): metres, +Y up, right-handed,
// counter-clockwise front faces, vertex colours in linear space. The mesh is in millimetres with
// Z up, so a point (x, y, z) becomes (x, z, −y)/1000: a rotation of −90° about X (determinant +1,
// so windings keep their sense) and a scale. Decoding inverts it. This file holds what both
// directions share; the encoder is in glb_encode.go, the decoder in glb_decode.go and the JSON
// types it reads in glb_json.go.

// glbToGLTF converts a mesh point in mm, Z up, to glTF metres, Y up.
func glbToGLTF(p [3]float32) [3]float32 {
	return [3]float32{float32(float64(p[0]) / 1000), float32(float64(p[2]) / 1000), float32(-float64(p[1]) / 1000)}
}

// glbFromGLTF inverts glbToGLTF.
func glbFromGLTF(q [3]float32) [3]float32 {
	return [3]float32{float32(float64(q[0]) * 1000), float32(-float64(q[2]) * 1000), float32(float64(q[1]) * 1000)}
}

// glbSRGBToLinear16 maps an 8-bit sRGB value to linear light as a 16-bit unorm (IEC 61966-2-1).
var glbSRGBToLinear16 = func() (t [256]uint16) {
	for i := range t {
		c := float64(i) / 255
		var lin float64
		if c <= 0.04045 {
			lin = c / 12.92
		} else {
			lin = math.Pow((c+0.055)/1.055, 2.4)
		}
		t[i] = uint16(math.Round(lin * 65535))
	}
	return t
}()

// glbLinearToSRGB8 maps linear light in 0..1 to an 8-bit sRGB value.
func glbLinearToSRGB8(lin float64) uint8 {
	lin = min(max(lin, 0), 1)
	var c float64
	if lin <= 0.0031308 {
		c = lin * 12.92
	} else {
		c = 1.055*math.Pow(lin, 1/2.4) - 0.055
	}
	return uint8(math.Round(min(max(c, 0), 1) * 255))
}

const (
	glbMagic     = 0x46546c67 // "glTF"
	glbChunkJSON = 0x4e4f534a // "JSON"
	glbChunkBIN  = 0x004e4942 // "BIN\0"
)
