//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package entrypoints

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"syscall"
)

// openFlags open a manifest for reading without waiting: a named pipe
// opens at once, with no writer, and fstat then refuses it; a terminal
// does not become the controlling one.
const openFlags = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC

// readOS reads the manifest at name, a path of the operating system; path
// names it in errors. It checks what it reads as readFS does, from fstat
// on the open file, through system calls alone: no *os.File, no poller.
//
// The bytes returned are the reader's buffer, valid until its next read.
func (r *reader) readOS(ctx context.Context, name, path string) ([]byte, error) {
	for range maxReadTries {
		fd, err := openFile(name)
		if err != nil {
			return nil, readError(path, err)
		}
		data, settled, err := r.readFD(ctx, fd, path)
		syscall.Close(fd)
		if err != nil || settled {
			return data, err
		}
	}
	return nil, unsettledError(path)
}

// readFD reads the open file fd, and reports whether it stayed the same
// (size and modification time) from before the read to after it.
func (r *reader) readFD(ctx context.Context, fd int, path string) (data []byte, settled bool, err error) {
	var before, after syscall.Stat_t
	if err := fstat(fd, &before); err != nil {
		return nil, false, readError(path, err)
	}
	if uint32(before.Mode)&syscall.S_IFMT != syscall.S_IFREG {
		return nil, false, notRegularError(path, fileType(uint32(before.Mode)))
	}
	if before.Size > r.limit {
		return nil, false, tooLargeError(path, before.Size, r.limit)
	}
	if r.beforeRead != nil {
		r.beforeRead(path)
	}
	data, err = fill(ctx, r, fdReader(fd), before.Size)
	if err != nil {
		return nil, false, readError(path, err)
	}
	if err := fstat(fd, &after); err != nil {
		return nil, false, readError(path, err)
	}
	settled = int64(len(data)) == before.Size && after.Size == before.Size && mtime(&after) == mtime(&before)
	return data, settled, nil
}

// isMissing reports whether err says that a file is not there, its
// directory included.
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

func openFile(name string) (int, error) {
	for {
		fd, err := syscall.Open(name, openFlags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func fstat(fd int, st *syscall.Stat_t) error {
	for {
		err := syscall.Fstat(fd, st)
		if err != syscall.EINTR {
			return err
		}
	}
}

// fdReader reads a file descriptor, with the io.Reader contract.
type fdReader int

func (fd fdReader) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// fileType returns the type bits of an fs.FileMode for a stat mode.
func fileType(mode uint32) fs.FileMode {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}
