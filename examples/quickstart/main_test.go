package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The quick start in the README is this program; running it as an example
// keeps both honest.
func Example() {
	main()
	// Output:
	// shout: HELLO, GOPHER!
	// hello: Hello, gopher!
}

// TestREADMEShowsThisProgram keeps the README's quick start and this
// directory the same, so that what a newcomer pastes is what is tested.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for file, lang := range map[string]string{"main.go": "go", "entry_points.toml": "toml"} {
		want, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Contains(t, string(readme), "```"+lang+"\n"+string(want)+"```\n", "README.md must show %s as it is", file)
	}
}

func TestMain(m *testing.M) {
	// The example's output must not depend on the machine's plugins.
	os.Unsetenv("STEVEDORE_PATH")
	os.Exit(m.Run())
}
