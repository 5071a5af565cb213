//go:build !amd64

package mesh

// simpPrefetch is a no-op where no prefetch instruction is wired up (see the amd64 version).
func simpPrefetch(addr uintptr) {}
