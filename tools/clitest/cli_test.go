// Package clitest runs the stevedore command as its users do, from
// transcripts in testdata (testscript's format: the commands, what they
// print and their exit status, and the files they work on).
package clitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
			return nil
		},
	})
}
