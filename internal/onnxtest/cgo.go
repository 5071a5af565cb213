//go:build cgo

package onnxtest

const haveCgo = true
