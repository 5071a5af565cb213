//go:build !amd64

package mesh

// isoSigns is isoSignsGeneric where there is no assembly kernel.
func isoSigns(v []float32, level float32, out []uint64) bool {
	return isoSignsGeneric(v, level, out)
}

// isoPrefetch does nothing where there is no assembly kernel.
func isoPrefetch(v []float32) {}
