package mesh

// isoSigns is isoSignsGeneric in SSE2 assembly (isosurface_amd64.s): the same bits in out and the
// same NaN report. SSE2 is part of amd64's baseline (GOAMD64=v1), so it needs no feature check.
//
//go:noescape
func isoSigns(v []float32, level float32, out []uint64) bool

// isoPrefetch hints that v's samples will be read soon (isosurface_amd64.s).
//
//go:noescape
func isoPrefetch(v []float32)
