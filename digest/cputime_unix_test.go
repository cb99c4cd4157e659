//go:build unix

package digest

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (user and system). On a
// shared machine it measures the work, where wall time also counts the
// waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
