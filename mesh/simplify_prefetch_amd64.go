package mesh

// simpPrefetch asks the processor to bring the cache line holding addr closer (PREFETCHT0): a
// hint that never faults, changes no value and does not wait for the memory, unlike a load.
//
//go:noescape
func simpPrefetch(addr uintptr)

// simpPrefetch4 is simpPrefetch of four addresses, for one call's cost.
//
//go:noescape
func simpPrefetch4(a, b, c, d uintptr)
