//go:build !race

package grabcut_test

// raceBuild: the tests run under the race detector, which slows the max-flow tenfold.
const raceBuild = false
