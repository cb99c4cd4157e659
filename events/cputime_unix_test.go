//go:build unix

package events

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process used, user and system: on a shared
// machine it measures the work done, where wall time also counts waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
