//go:build unix

package serve

import "syscall"

func closeOnExec(fd int) { syscall.CloseOnExec(fd) }
