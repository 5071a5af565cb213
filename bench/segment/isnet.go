package main

import "github.com/orfeas3d/orfeas/estimators"

// openISNet loads an IS-Net-style ONNX model through ONNX Runtime ($ORFEAS_ONNXRUNTIME_LIB)
// as a Segmenter, and returns what closes it.
func openISNet(path string) (Segmenter, func(), error) {
	rt, err := estimators.OpenRuntime(estimators.RuntimeOptions{MaxRuns: 1})
	if err != nil {
		return nil, nil, err
	}
	m, err := rt.LoadModel(path)
	if err != nil {
		rt.Close()
		return nil, nil, err
	}
	s, err := estimators.NewSegmenter(m, estimators.SegmentOptions{})
	if err != nil {
		rt.Close()
		return nil, nil, err
	}
	return s, func() { rt.Close() }, nil
}
