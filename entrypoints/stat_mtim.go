//go:build linux || openbsd || dragonfly || solaris

package entrypoints

import "syscall"

// mtime returns the modification time that fstat gave.
func mtime(st *syscall.Stat_t) syscall.Timespec { return st.Mtim }
