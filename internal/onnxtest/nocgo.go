//go:build !cgo

package onnxtest

const haveCgo = false
