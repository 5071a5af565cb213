//go:build race

package generator

// raceEnabled is true when the tests run under the race detector, which makes the CPU backend's
// triangulation 10 to 20 times slower; the heaviest end-to-end cases then run at draft only.
const raceEnabled = true
