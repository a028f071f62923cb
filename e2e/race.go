//go:build race

package e2e

// raceEnabled: the tests run under -race, so the examples are built with it.
const raceEnabled = true
