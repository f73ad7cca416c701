package main

import "runtime/debug"

// defaultGCPercent is the garbage collector's target of `scimd serve`
// when the GOGC environment variable is not set. Imports allocate a lot
// of short-lived garbage (parsed rows, attribute maps, JSON): at Go's
// default of 100 the collector took about a tenth of the server's CPU.
// At 200 a 100,000-row import ran ~5–10 % faster on both databases, for
// a peak RSS still far below the 300 MB budget (README, Benchmarks).
const defaultGCPercent = 200

// tuneGC applies defaultGCPercent unless GOGC is set (then the runtime
// has already applied it).
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
