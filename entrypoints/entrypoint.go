package entrypoints

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stevedore-go/stevedore/internal/tomlx"
)

// EntryPoint is one named entry of a namespace, as a manifest declares it.
//
// An EntryPoint is a value; the slices and the map it holds are shared with
// the [Manifest] or [Catalog] it came from and must not be modified.
type EntryPoint struct {
	Namespace   string   // dot-separated, e.g. "ceilometer.poll.compute"
	Name        string   // unique within the namespace of one distribution
	Target      Target   // where the value comes from
	Description string   // free text for people
	Tags        []string // free labels, in declaration order
	Priority    int      // higher sorts first in a Catalog; default 0
	Platforms   []string // "GOOS" or "GOOS/GOARCH"; empty means everywhere
	Enabled     bool     // false when the manifest says enabled = false

	// Meta is the entry's free-form meta table, handed to the application
	// as decoded: string, int64, float64, bool, [time.Time], []any,
	// []map[string]any (an array of tables) and map[string]any values.
	// Nil when the entry has none.
	Meta map[string]any

	// SHA256 pins the program an exec: or so: target names: the hex
	// SHA-256 of its bytes, in lowercase, which the loader checks before
	// it runs them. Empty when the manifest gives none.
	SHA256 string

	Distribution Distribution // who ships the entry point
	Manifest     string       // the manifest that declares it
	Line         int          // its line in the manifest (a table entry's header line)

	// Disabled is why the entry point will not be loaded, such as
	// "enabled = false" or "platform linux/amd64 not in [darwin]", or ""
	// when it is active. [Discover] sets it; [Parse] leaves it empty.
	Disabled string
}

// String returns "namespace/name", the way errors and logs name an entry
// point.
func (ep EntryPoint) String() string { return ep.Namespace + "/" + ep.Name }

// Location returns where the entry point is declared, as messages and
// editors want it: "manifest:line", the manifest alone when the line is
// not known, or the target when there is no manifest (an entry point made
// in code).
func (ep EntryPoint) Location() string {
	switch {
	case ep.Manifest != "" && ep.Line > 0:
		return ep.Manifest + ":" + strconv.Itoa(ep.Line)
	case ep.Manifest != "":
		return ep.Manifest
	default:
		return ep.Target.String()
	}
}

// Distribution names who ships a manifest's entry points: a Go module or
// package, or a directory of external plugins.
type Distribution struct {
	// Name is the [distribution] name. [Parse] leaves it empty when the
	// manifest has no [distribution] table; [Discover] then names the
	// distribution after the manifest's path.
	Name    string
	Version string
}

// disabledReason returns why ep cannot load on goos/goarch, or "".
func disabledReason(ep *EntryPoint, goos, goarch string) string {
	if !ep.Enabled {
		return "enabled = false"
	}
	if len(ep.Platforms) == 0 {
		return ""
	}
	here := goos + "/" + goarch
	if slices.ContainsFunc(ep.Platforms, func(p string) bool { return p == goos || p == here }) {
		return ""
	}
	return fmt.Sprintf("platform %s not in %v", here, ep.Platforms)
}

// validName reports whether s is an entry point name: [A-Za-z0-9_.-]+.
func validName(s string) bool {
	return s != "" && strings.IndexFunc(s, func(c rune) bool { return !nameChar(c) && c != '.' }) < 0
}

// validNamespace reports whether s is dot-separated segments of
// [A-Za-z0-9_-]+.
func validNamespace(s string) bool {
	for seg := range strings.SplitSeq(s, ".") {
		if seg == "" || strings.IndexFunc(seg, func(c rune) bool { return !nameChar(c) }) >= 0 {
			return false
		}
	}
	return true
}

func nameChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// Operating systems and architectures that platforms may name: those of
// `go tool dist list`. The running program's own are always accepted too.
var (
	knownOS = []string{
		"aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js",
		"linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows",
	}
	knownArch = []string{
		"386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le",
		"mipsle", "ppc64", "ppc64le", "riscv64", "s390x", "wasm",
	}
)

// checkPlatform returns why p is not "GOOS" or "GOOS/GOARCH", or "".
func checkPlatform(p, goos, goarch string) string {
	sys, arch, hasArch := strings.Cut(p, "/")
	if sys != goos && !slices.Contains(knownOS, sys) {
		return fmt.Sprintf("unknown operating system %q in platform %q%s", sys, p, tomlx.DidYouMean(sys, knownOS))
	}
	if hasArch && arch != goarch && !slices.Contains(knownArch, arch) {
		return fmt.Sprintf("unknown architecture %q in platform %q%s", arch, p, tomlx.DidYouMean(arch, knownArch))
	}
	return ""
}
