package estimators

import "github.com/orfeas3d/orfeas/internal/onnxtest"

// The tiny models of the tests (see package onnxtest).
var (
	pixelModel = onnxtest.PixelModel
	slowModel  = onnxtest.SlowModel
)
