//go:build !unix

package digest

import "time"

var processStart = time.Now()

// cpuTime falls back to wall time where rusage is missing.
func cpuTime() time.Duration { return time.Since(processStart) }
