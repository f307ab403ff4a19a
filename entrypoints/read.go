package entrypoints

import (
	"context"
	"fmt"
	"io"
	"io/fs"
)

// DefaultMaxManifestSize is the size, in bytes, above which [Discover]
// refuses a manifest file, unless [WithMaxManifestSize] sets another limit:
// 4 MiB, hundreds of times what a real manifest needs.
const DefaultMaxManifestSize = 4 << 20

// maxReadTries is how many times Discover reads a manifest that changes
// while it is read before it gives up on the file.
const maxReadTries = 3

// reader reads manifest files for one goroutine of Discover, into a buffer
// it reuses from one file to the next: Parse keeps nothing of the bytes it
// is given.
type reader struct {
	limit      int64                // the largest file accepted, in bytes
	beforeRead func(path string)    // a test hook, called after the first Stat of each try
	keep       func(ns string) bool // the namespaces to build entry points for; nil: all
	buf        []byte
}

// readFS reads the manifest name from fsys; path names it in errors. The
// file must be a regular file no larger than the limit, and must not
// change while it is read: one that changes is read again, up to
// maxReadTries times.
//
// Unless the caller knows from the directory listing that name is a
// regular file (listedRegular), readFS asks fs.Stat first: opening a named
// pipe through os.DirFS would block until a writer comes.
//
// The bytes returned are the reader's buffer, valid until its next read.
func (r *reader) readFS(ctx context.Context, fsys fs.FS, name, path string, listedRegular bool) ([]byte, error) {
	if !listedRegular {
		info, err := fs.Stat(fsys, name)
		if err != nil {
			return nil, readError(path, err)
		}
		if err := r.check(path, info); err != nil {
			return nil, err
		}
	}
	for range maxReadTries {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, readError(path, err)
		}
		data, settled, err := r.readFile(ctx, f, path)
		f.Close()
		if err != nil || settled {
			return data, err
		}
	}
	return nil, unsettledError(path)
}

// readFile reads the open file f, and reports whether it stayed the same
// (size and modification time) from before the read to after it.
func (r *reader) readFile(ctx context.Context, f fs.File, path string) (data []byte, settled bool, err error) {
	before, err := f.Stat()
	if err != nil {
		return nil, false, readError(path, err)
	}
	if err := r.check(path, before); err != nil {
		return nil, false, err
	}
	// Keep the values, not the FileInfo: some file systems (fstest.MapFS)
	// hand out one that changes with the file.
	size, modTime := before.Size(), before.ModTime()
	if r.beforeRead != nil {
		r.beforeRead(path)
	}
	data, err = fill(ctx, r, f, size)
	if err != nil {
		return nil, false, readError(path, err)
	}
	after, err := f.Stat()
	if err != nil {
		return nil, false, readError(path, err)
	}
	settled = int64(len(data)) == size && after.Size() == size && after.ModTime().Equal(modTime)
	return data, settled, nil
}

// check returns why Discover refuses the file that info describes, or nil.
func (r *reader) check(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return notRegularError(path, info.Mode())
	}
	if info.Size() > r.limit {
		return tooLargeError(path, info.Size(), r.limit)
	}
	return nil
}

// fill reads from src into r's buffer: at least size bytes, the size the
// file had when opened, unless it ends first, and room for one more, so
// that a file that grew shows. It reads no more than that, so a file that
// claims to be small cannot make it read more. It stops when ctx is done.
func fill[R io.Reader](ctx context.Context, r *reader, src R, size int64) ([]byte, error) {
	size = max(size, 0)
	want := int(size) + 1 // size <= r.limit < math.MaxInt
	if cap(r.buf) < want {
		// Grow geometrically but never past what the limit allows, so
		// that a worker reading many small files allocates a few times.
		grown := max(want, 2*cap(r.buf), 4<<10)
		if int64(grown-1) > r.limit {
			grown = want
		}
		r.buf = make([]byte, grown)
	}
	buf := r.buf[:want]
	done := ctx.Done()
	n, empty := 0, 0
	for {
		if isDone(done) {
			return nil, ctx.Err()
		}
		m, err := src.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			if empty++; empty == 100 {
				return nil, io.ErrNoProgress
			}
			continue
		}
		// A short read of a regular file means its end: stop there
		// rather than pay for one more call that returns nothing.
		if n >= int(size) {
			break
		}
	}
	return buf[:n], nil
}

// readError is an error reading the manifest at path, named as Discover
// names it rather than as its file system does.
func readError(path string, err error) error {
	return &fs.PathError{Op: "read", Path: path, Err: underlying(err)}
}

func notRegularError(path string, mode fs.FileMode) error {
	return &fs.PathError{Op: "read", Path: path, Err: &kindError{
		kind: ErrNotRegular,
		msg:  "not a regular file (" + describeType(mode) + ")",
	}}
}

func tooLargeError(path string, size, limit int64) error {
	return &fs.PathError{Op: "read", Path: path, Err: &kindError{
		kind: ErrTooLarge,
		msg:  fmt.Sprintf("file size %d bytes is over the limit of %d bytes (see WithMaxManifestSize)", size, limit),
	}}
}

func unsettledError(path string) error {
	return &fs.PathError{Op: "read", Path: path, Err: &kindError{
		kind: ErrChanged,
		msg:  fmt.Sprintf("file changed while it was read, %d times in a row", maxReadTries),
	}}
}

// describeType names the kind of file that mode describes, for errors.
func describeType(mode fs.FileMode) string {
	switch typ := mode.Type(); {
	case typ&fs.ModeDir != 0:
		return "directory"
	case typ&fs.ModeSymlink != 0:
		return "symbolic link"
	case typ&fs.ModeNamedPipe != 0:
		return "named pipe"
	case typ&fs.ModeSocket != 0:
		return "socket"
	case typ&fs.ModeCharDevice != 0:
		return "character device"
	case typ&fs.ModeDevice != 0:
		return "block device"
	case typ&fs.ModeIrregular != 0:
		return "irregular file"
	default:
		return "mode " + typ.String()
	}
}
