package mesh

// isoSignsKernels lists the sign kernels this machine can run, all checked against
// isoSignsGeneric by TestIsoSignsKernel and FuzzIsoSigns.
func isoSignsKernels() map[string]func([]float32, float32, []uint64) bool {
	k := map[string]func([]float32, float32, []uint64) bool{"sse2": isoSignsSSE2, "isoSigns": isoSigns}
	if isoHasAVX2 {
		k["avx2"] = isoSignsAVX2
	}
	return k
}
