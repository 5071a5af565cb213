//go:build !race

package mesh

const isoRaceEnabled = false
