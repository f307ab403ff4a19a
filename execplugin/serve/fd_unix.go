//go:build unix

package serve

import (
	"os"
	"syscall"
)

// openChannelFD opens one end of the channel the host passed as fd. It is
// closed on exec, so that children the plugin starts do not hold the
// channel open (the host would not see the plugin end), and made
// non-blocking, so that reading it parks a goroutine in the runtime's
// poller rather than a thread in the kernel: with the descriptor left
// blocking as the host passed it, an answer waits for the scheduler to
// notice the blocked thread, which can take hundreds of microseconds.
func openChannelFD(fd int, name string) *os.File {
	syscall.CloseOnExec(fd)
	_ = syscall.SetNonblock(fd, true) // a descriptor that refuses stays blocking, and works
	return os.NewFile(uintptr(fd), name)
}
