//go:build !race

package cuda

// raceEnabled is set under the race detector, which makes the slower tests do less.
const raceEnabled = false
