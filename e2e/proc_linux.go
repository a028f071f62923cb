package e2e

import "syscall"

// setDeathSignal kills the example if the test binary dies without running
// its cleanups (a panic or a go test timeout).
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
