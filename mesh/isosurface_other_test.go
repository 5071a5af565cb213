//go:build !amd64

package mesh

// isoSignsKernels lists the sign kernels this machine can run: here only isoSigns, which is
// isoSignsGeneric.
func isoSignsKernels() map[string]func([]float32, float32, []uint64) bool {
	return map[string]func([]float32, float32, []uint64) bool{"isoSigns": isoSigns}
}
