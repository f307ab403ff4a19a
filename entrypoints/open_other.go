//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris)

package entrypoints

import (
	"context"
	"errors"
	"io/fs"
	"os"
)

// readOS reads the manifest at name, a path of the operating system; path
// names it in errors. Without a way to open a file without waiting, it
// asks os.Stat what name is before it opens it, then checks what it reads
// as readFS does.
//
// The bytes returned are the reader's buffer, valid until its next read.
func (r *reader) readOS(ctx context.Context, name, path string) ([]byte, error) {
	return r.readFS(ctx, osFS{}, name, path, false)
}

// isMissing reports whether err says that a file is not there.
func isMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// osFS is the operating system's file system, named by its own paths
// (unlike os.DirFS, whose names are slash-separated and relative).
type osFS struct{}

func (osFS) Open(name string) (fs.File, error)     { return os.Open(name) }
func (osFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }
