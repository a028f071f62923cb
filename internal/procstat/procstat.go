// Package procstat reads a process's resident set size from Linux's
// /proc, for the tests and benchmarks that bound memory: one parser of
// /proc/PID/status instead of one per test.
package procstat

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrNoRSS is returned where /proc/PID/status has no VmRSS line.
var ErrNoRSS = errors.New("procstat: no VmRSS in /proc status")

// RSS returns the resident set size of process pid in bytes; pid 0 is
// the calling process. It fails where there is no /proc (not Linux) or
// no such process.
func RSS(pid int) (int64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("procstat: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("procstat: VmRSS %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, ErrNoRSS
}
