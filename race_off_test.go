//go:build !race

package liveview

// raceEnabled reports a -race build, where the race detector makes
// streaming tests several times slower.
const raceEnabled = false
