package entrypoints

import (
	"errors"
	"strconv"
	"strings"
)

var (
	// ErrMalformed is matched by every error about text that does not follow
	// the manifest format: the errors of [Parse] and [ParseFS] (each a
	// [*ManifestError]), of [ParseTarget], and the parse problems of a
	// [Catalog].
	ErrMalformed = errors.New("entrypoints: malformed")

	// ErrNotRegistered is matched by the error [Registry.Load] returns for a
	// go: target that no package has registered.
	ErrNotRegistered = errors.New("entrypoints: not registered")

	// ErrUnknownScheme is matched by the error [Registry.Load] returns for a
	// target whose scheme has no [Loader].
	ErrUnknownScheme = errors.New("entrypoints: unknown scheme")

	// ErrDuplicate is matched by the error [Parse] returns when one manifest
	// defines a key twice (such as one name twice in a namespace), and by
	// the value [Register] panics with when a target is registered twice.
	ErrDuplicate = errors.New("entrypoints: duplicate")

	// ErrNotRegular is matched by the [Catalog] problem about a file named
	// like a manifest that is not a regular file (after following
	// symbolic links), such as a named pipe or a device.
	ErrNotRegular = errors.New("entrypoints: not a regular file")

	// ErrTooLarge is matched by the [Catalog] problem about a manifest file
	// larger than the limit of [WithMaxManifestSize].
	ErrTooLarge = errors.New("entrypoints: manifest too large")

	// ErrChanged is matched by the [Catalog] problem about a manifest file
	// that kept changing while [Discover] read it.
	ErrChanged = errors.New("entrypoints: manifest changed while read")
)

// ManifestError describes a problem in a manifest, at a position when one is
// known. Its message reads like a compiler's:
//
//	gpu.toml:3:43: entry_points."ceilometer.poll.central".gpu: unknown key "prioity" (did you mean "priority"?)
//
// Every *ManifestError matches [ErrMalformed] under [errors.Is].
type ManifestError struct {
	Path string // the manifest, as given to Parse or as discovered
	Line int    // 1-based line; 0 when unknown
	Col  int    // 1-based column in bytes; 0 when unknown
	Key  string // the TOML key at fault, spelled as in TOML; empty for the whole file
	Err  error  // what is wrong
}

// Error returns "path:line:col: key: message", leaving out the parts that
// are not known.
func (e *ManifestError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ManifestError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrMalformed].
func (e *ManifestError) Is(target error) bool { return target == ErrMalformed }

// kindError carries its own message yet matches a sentinel under errors.Is,
// so that messages read naturally without repeating the sentinel's text.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }
