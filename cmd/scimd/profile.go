package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startCPUProfile writes a pprof CPU profile to path until the returned
// stop function runs (serve's hidden --cpuprofile flag, used by the
// benchmarks in test/ to profile the real server process).
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
