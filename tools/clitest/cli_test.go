// Package clitest runs the stevedore command as its users do, from
// transcripts in testdata (testscript's format: the commands, what they
// print and their exit status, and the files they work on).
package clitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	// The library module, so that the command builds from this checkout.
	_ "github.com/stevedore-go/stevedore/inspect"
)

// bin is the directory of the stevedore command built for the tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stevedore-clitest")
	if err != nil {
		panic(err)
	}
	name := "stevedore"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "github.com/stevedore-go/stevedore/cmd/stevedore")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		panic("building the stevedore command: " + err.Error())
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("STEVEDORE_PATH", "")
			// For scripts that build what gen writes against this checkout,
			// offline: the go command's caches, and the library's source.
			src, err := filepath.Abs(filepath.Join("..", ".."))
			if err != nil {
				return err
			}
			env.Setenv("STEVEDORE_SRC", src)
			for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
				out, err := exec.Command("go", "env", v).Output()
				if err != nil {
					return err
				}
				env.Setenv(v, strings.TrimSpace(string(out)))
			}
			env.Setenv("GOFLAGS", "-mod=mod")
			env.Setenv("GOPROXY", "off")
			env.Setenv("GOSUMDB", "off")
			env.Setenv("GOWORK", "off")
			return nil
		},
	})
}
