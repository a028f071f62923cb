//go:build !unix

package e2e

import (
	"os"
	"syscall"
)

func appProcAttr() *syscall.SysProcAttr { return nil }

func stopGroup(p *os.Process, exited <-chan struct{}) {
	_ = p.Kill()
	<-exited
}

func killGroup(p *os.Process, exited <-chan struct{}) { stopGroup(p, exited) }
