//go:build !race

package generator

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = false
