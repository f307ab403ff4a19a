package execplugin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Check returns why [Loader.Load] would refuse ep without starting
// anything: a program that is missing, not a regular file, not executable,
// unsafe to trust (as Load judges it, unless [WithWritableFiles]) or whose
// SHA-256 is not the manifest's pin. It makes l an [entrypoints.Checker],
// for tools that check manifests.
func (l *Loader) Check(ep entrypoints.EntryPoint) error {
	prog, err := l.open(ep)
	if err != nil {
		return err
	}
	defer prog.file.Close()
	if !executable(prog.info) {
		return fmt.Errorf("execplugin: load %s (%s): %s is not executable (mode %v)", ep, ep.Target, prog.path, prog.info.Mode().Perm())
	}
	return nil
}

// program is an exec: target's program, opened and checked.
type program struct {
	path, dir, fragment string
	file                *os.File
	info                os.FileInfo
}

// open finds and opens the program of ep's exec: target, and checks it as
// Load must before running it: a regular file, safe to trust, and, with a
// pin, the bytes pinned. The file is read to its end when pinned.
func (l *Loader) open(ep entrypoints.EntryPoint) (_ *program, err error) {
	fail := func(err error) error { return fmt.Errorf("execplugin: load %s (%s): %w", ep, ep.Target, err) }
	if ep.Target.Scheme != "exec" {
		return nil, fail(fmt.Errorf("not an exec: target"))
	}
	rel, fragment, _ := strings.Cut(ep.Target.Ref, "#")
	path := filepath.FromSlash(rel)
	// The manifest says what runs: whoever may write it may choose the
	// program and its pin. One on disk is checked as the program is.
	dir := ""
	if info, err := os.Stat(ep.Manifest); err == nil && info.Mode().IsRegular() {
		if dir, err = filepath.Abs(filepath.Dir(ep.Manifest)); err != nil {
			return nil, fail(err)
		}
		if !l.allowWritable {
			if err := checkOwner(ep.Manifest, info); err != nil {
				return nil, fail(err)
			}
		}
	}
	if !filepath.IsAbs(path) {
		if dir == "" {
			return nil, fail(fmt.Errorf("the path is relative to its manifest, which is not a file on disk (%s)", ep.Manifest))
		}
		path = filepath.Join(dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail(err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	info, err := f.Stat()
	if err != nil {
		return nil, fail(err)
	}
	if !info.Mode().IsRegular() {
		return nil, fail(fmt.Errorf("%s is not a regular file", path))
	}
	if !l.allowWritable {
		if err := checkOwner(path, info); err != nil {
			return nil, fail(err)
		}
	}
	if ep.SHA256 != "" {
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return nil, fail(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != ep.SHA256 {
			return nil, fail(fmt.Errorf("%w: %s has sha256 %s, the manifest pins %s", ErrPinMismatch, path, got, ep.SHA256))
		}
	}
	return &program{path: path, dir: dir, fragment: fragment, file: f, info: info}, nil
}

// executable reports whether the file may be run: on Windows, any file
// (what runs it is decided by its name); elsewhere, one with an execute
// bit.
func executable(info os.FileInfo) bool {
	return runtime.GOOS == "windows" || info.Mode().Perm()&0o111 != 0
}
