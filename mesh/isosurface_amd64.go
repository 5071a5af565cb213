package mesh

// isoHasAVX2 selects isoSignsAVX2 over isoSignsSSE2.
var isoHasAVX2 = isoCPUHasAVX2()

// isoSigns is isoSignsGeneric in assembly (isosurface_amd64.s): the same bits in out and the same
// NaN report. It takes the AVX2 kernel where the CPU and OS support it, else the SSE2 one (SSE2
// is part of amd64's baseline, GOAMD64=v1).
func isoSigns(v []float32, level float32, out []uint64) bool {
	if isoHasAVX2 {
		return isoSignsAVX2(v, level, out)
	}
	return isoSignsSSE2(v, level, out)
}

// isoSignsSSE2 is isoSignsGeneric with SSE2, four samples at a time.
//
//go:noescape
func isoSignsSSE2(v []float32, level float32, out []uint64) bool

// isoSignsAVX2 is isoSignsGeneric with AVX2, eight samples at a time; only if isoCPUHasAVX2.
//
//go:noescape
func isoSignsAVX2(v []float32, level float32, out []uint64) bool

// isoCPUHasAVX2 reports whether the CPU has AVX2 and the OS saves the YMM registers.
func isoCPUHasAVX2() bool

// isoPrefetch hints that v's samples will be read soon (isosurface_amd64.s).
//
//go:noescape
func isoPrefetch(v []float32)
