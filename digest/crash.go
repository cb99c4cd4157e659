package digest

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// The desk's crash points, for Desk.Crash: before a digest is rendered,
// after it is in the outbox, halfway through handing the message over,
// and after the receiver accepted it but before it was marked sent.
var CrashPoints = []string{"before-render", "after-render", "during-send", "after-accept"}

// CrashHook returns the fault injection the exactly-once tests use: with
// spec "point" (or "point#n", the n-th time it is reached) the process
// kills itself there with SIGKILL, as a power cut would. An empty spec
// gives nil: no fault.
func CrashHook(spec string, stderr io.Writer) func(point string) {
	if spec == "" {
		return nil
	}
	point, nth, _ := strings.Cut(spec, "#")
	n, err := strconv.Atoi(nth)
	if err != nil || n < 1 {
		n = 1
	}
	return func(at string) {
		if at != point {
			return
		}
		if n--; n > 0 {
			return
		}
		fmt.Fprintln(stderr, "herald: crash injected at", at)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Kill()
		}
		select {} // the signal is on its way
	}
}

// crashDuring passes msg to the transport, calling the crash hook at
// "during-send" once half of it has been read.
func (k *Desk) crashDuring(msg []byte) io.Reader {
	return &crashReader{msg: msg, half: len(msg) / 2, crash: k.crash}
}

type crashReader struct {
	msg   []byte
	off   int
	half  int
	crash func(string)
}

func (r *crashReader) Read(p []byte) (int, error) {
	if r.off >= len(r.msg) {
		return 0, io.EOF
	}
	if r.off >= r.half {
		r.crash("during-send")
		r.half = len(r.msg) + 1
	}
	end := min(len(r.msg), r.off+len(p))
	if r.off < r.half {
		end = min(end, r.half)
	}
	n := copy(p, r.msg[r.off:end])
	r.off += n
	return n, nil
}
