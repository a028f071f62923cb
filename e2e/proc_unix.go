//go:build unix

package e2e

import (
	"os"
	"syscall"
	"time"
)

// appProcAttr puts an example in a process group of its own, so stopping it
// also stops whatever it started.
func appProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(a)
	return a
}

// stopGroup sends SIGTERM to the process group of p, then SIGKILL if it is
// still running after five seconds, and waits until p has exited.
func stopGroup(p *os.Process, exited <-chan struct{}) {
	_ = syscall.Kill(-p.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
		<-exited
	}
	// Children that outlived the leader.
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}

// killGroup sends SIGKILL to the process group of p and waits until p has
// exited: its connections drop without a close frame.
func killGroup(p *os.Process, exited <-chan struct{}) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	<-exited
}
