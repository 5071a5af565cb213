//go:build !cgo

// Package emu runs the CUDA backend's kernels on the host for tests. It needs cgo; without it the
// package is empty and the tests that use it are not built.
package emu
