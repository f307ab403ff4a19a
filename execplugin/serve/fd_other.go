//go:build !unix

package serve

import "os"

// openChannelFD opens one end of the channel the host passed as fd.
func openChannelFD(fd int, name string) *os.File { return os.NewFile(uintptr(fd), name) }
