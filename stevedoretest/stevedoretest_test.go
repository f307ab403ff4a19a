package stevedoretest

import (
	"errors"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/stevedore-go/stevedore"
	"github.com/stevedore-go/stevedore/entrypoints"
)

type Greeter interface{ Greet() string }

type hello struct{}

func (hello) Greet() string { return "hello" }

func init() {
	entrypoints.Register("example.com/stevedoretest.Hello", func() Greeter { return hello{} })
	entrypoints.Register("example.com/stevedoretest.Prefixed", func(prefix string) Greeter { return hello{} })
	entrypoints.Register("example.com/stevedoretest.Fails", func() (Greeter, error) { return nil, errors.New("no database") })
	entrypoints.Register("example.com/stevedoretest.NotAGreeter", func() string { return "x" })
}

// recorder is a testing.TB that keeps what would fail the test.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
}

func manifest(body string) fstest.MapFS {
	return fstest.MapFS{"entry_points.toml": {Data: []byte("[distribution]\nname = \"example.com/stevedoretest\"\n\n[entry_points.greeters]\n" + body)}}
}

func TestManifestPasses(t *testing.T) {
	r := &recorder{TB: t}
	Manifest(r, manifest("hello = \"example.com/stevedoretest.Hello\"\nloud = { target = \"example.com/stevedoretest.Prefixed\", platforms = [\"plan9\"] }\n"+
		"plan9 = { target = \"example.com/stevedoretest.OnPlan9Only\", platforms = [\"plan9\"] }\n"), "entry_points.toml",
		Loads[Greeter]("greeters", stevedore.WithLoadTimeout(time.Minute)))
	assert.Empty(t, r.errors)
}

func TestManifestFindsEachProblem(t *testing.T) {
	r := &recorder{TB: t}
	Manifest(r, manifest(`hello = "example.com/stevedoretest.Hello"
typo = "example.com/stevedoretest.Helo"
fails = "example.com/stevedoretest.Fails"
wrong = "example.com/stevedoretest.NotAGreeter"
off = { target = "example.com/stevedoretest.Gone", enabled = false }
`), "entry_points.toml", Loads[Greeter]("greeters"), Loads[Greeter]("other"))
	assert.Equal(t, []string{
		"entry_points.toml:6: greeters/typo: entrypoints: go:example.com/stevedoretest.Helo is not registered (is package example.com/stevedoretest imported?)",
		"entry_points.toml:9: greeters/off: entrypoints: go:example.com/stevedoretest.Gone is not registered (is package example.com/stevedoretest imported?)",
		"stevedore: load greeters/typo (entry_points.toml:6): resolve: entrypoints: go:example.com/stevedoretest.Helo is not registered (is package example.com/stevedoretest imported?)",
		"stevedore: load greeters/fails (entry_points.toml:7): invoke: no database",
		"stevedore: load greeters/wrong (entry_points.toml:8): invoke: func() string returns string, want stevedoretest.Greeter",
		"stevedoretest: entry_points.toml declares no entry point in other",
	}, r.errors)
}

func TestManifestThatDoesNotParse(t *testing.T) {
	r := &recorder{TB: t}
	Manifest(r, manifest("hello = { target = \"example.com/stevedoretest.Hello\", prioity = 1 }\n"), "entry_points.toml")
	assert.Equal(t, []string{
		`entry_points.toml:5:55: entry_points.greeters.hello: unknown key "prioity" (did you mean "priority"?)`,
	}, r.errors)
}

func TestManifestMissing(t *testing.T) {
	r := &recorder{TB: t}
	Manifest(r, manifest(""), "nope.toml")
	assert.True(t, r.fatal)
	assert.Equal(t, []string{"stevedoretest: open nope.toml: file does not exist"}, r.errors)
}
