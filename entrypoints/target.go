package entrypoints

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stevedore-go/stevedore/internal/tomlx"
)

// Target says where an entry point's value comes from: a scheme, naming the
// [Loader] that resolves it, and a reference that the loader understands.
//
// The schemes known today are:
//
//	scheme  reference          refers to
//	go      importpath.Symbol  a value linked into the program, registered with Register
//	exec    path[#name]        an external program (package execplugin's Loader)
//	so      path#Symbol        a Go plugin built with -buildmode=plugin (no loader yet)
//
// Any other scheme of the form [a-z][a-z0-9+.-]* parses too, so that
// applications can add loaders of their own with [Registry.SetLoader].
type Target struct {
	Scheme string // "go", "exec", "so", ...
	Ref    string // everything after "scheme:", including any #fragment
}

// ParseTarget parses "scheme:ref". A target without a scheme is a go: target,
// so "example.com/pkg.New" and "go:example.com/pkg.New" are the same.
// The reference of a go: target is an import path, a dot and a symbol,
// spelled as the Go runtime spells the symbol ("example.com/pkg.New",
// "example.com/pkg.(*T).Method"); so: targets need a "#Symbol" fragment.
// Errors match [ErrMalformed].
func ParseTarget(s string) (Target, error) {
	t, why := parseTarget(s)
	if why != "" {
		return Target{}, &kindError{kind: ErrMalformed, msg: fmt.Sprintf("entrypoints: invalid target %s: %s", tomlx.Quote(s, 80), why)}
	}
	return t, nil
}

// String returns "scheme:ref", which [ParseTarget] reads back to the same
// Target. The zero Target returns "".
func (t Target) String() string {
	if t == (Target{}) {
		return ""
	}
	return t.Scheme + ":" + t.Ref
}

// parseTarget returns the target, or why s is not one.
func parseTarget(s string) (Target, string) {
	if s == "" {
		return Target{}, "empty target"
	}
	if strings.TrimSpace(s) != s {
		return Target{}, "leading or trailing space"
	}
	if !utf8.ValidString(s) {
		return Target{}, "invalid UTF-8"
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return Target{}, fmt.Sprintf("control character %U", r)
	}
	scheme, ref, found := strings.Cut(s, ":")
	if !found {
		scheme, ref = "go", s
	} else if !validScheme(scheme) {
		return Target{}, fmt.Sprintf("invalid scheme %s (want a lowercase letter, then letters, digits, '+', '-' or '.')", tomlx.Quote(scheme, 40))
	}
	if ref == "" {
		return Target{}, "empty reference after " + scheme + ":"
	}
	switch scheme {
	case "go":
		if why := checkGoRef(ref); why != "" {
			return Target{}, why
		}
	case "so":
		path, sym, _ := strings.Cut(ref, "#")
		if path == "" || !isIdentifier(sym) {
			return Target{}, "want so:path#Symbol"
		}
	case "exec":
		if path, _, _ := strings.Cut(ref, "#"); path == "" {
			return Target{}, "want exec:path[#name]"
		}
	}
	return Target{Scheme: scheme, Ref: ref}, ""
}

func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// splitGoRef splits "importpath.Symbol" at the first dot after the last
// slash, as the Go runtime spells symbols (a dot in the last path element is
// written %2e).
func splitGoRef(ref string) (pkg, sym string, ok bool) {
	slash := strings.LastIndexByte(ref, '/')
	dot := strings.IndexByte(ref[slash+1:], '.')
	if dot < 0 {
		return "", "", false
	}
	dot += slash + 1
	return ref[:dot], ref[dot+1:], true
}

func checkGoRef(ref string) string {
	pkg, sym, ok := splitGoRef(ref)
	if !ok || pkg == "" || sym == "" {
		return "want importpath.Symbol"
	}
	for elem := range strings.SplitSeq(pkg, "/") {
		if elem == "" {
			return fmt.Sprintf("invalid import path %s", tomlx.Quote(pkg, 80))
		}
		for _, c := range elem {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~+%", c)) {
				return fmt.Sprintf("invalid import path %s", tomlx.Quote(pkg, 80))
			}
		}
	}
	if !isGoSymbol(sym) {
		return fmt.Sprintf("invalid symbol %s (want Name, Type.Method or (*Type).Method)", tomlx.Quote(sym, 80))
	}
	return ""
}

// isGoSymbol reports whether s is Name, Type.Method or (*Type).Method.
func isGoSymbol(s string) bool {
	if rest, ok := strings.CutPrefix(s, "(*"); ok {
		typ, method, ok := strings.Cut(rest, ").")
		return ok && isIdentifier(typ) && isIdentifier(method)
	}
	if typ, method, ok := strings.Cut(s, "."); ok {
		return isIdentifier(typ) && isIdentifier(method)
	}
	return isIdentifier(s)
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || unicode.IsLetter(c) || i > 0 && unicode.IsDigit(c)) {
			return false
		}
	}
	return true
}

// goPackage returns the import path of a go: reference, unescaped, for
// messages that tell which import is missing.
func goPackage(ref string) string {
	pkg, _, _ := splitGoRef(ref)
	return strings.ReplaceAll(pkg, "%2e", ".")
}
