//go:build cgo

package emu_test

import "unsafe"

func ptrOf[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }
