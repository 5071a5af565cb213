//go:build !amd64

package mesh

// simpPrefetch is a no-op where no prefetch instruction is wired up (see the amd64 version).
func simpPrefetch(addr uintptr) {}

// simpPrefetch4 is a no-op too.
func simpPrefetch4(a, b, c, d uintptr) {}
