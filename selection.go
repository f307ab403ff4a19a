package stevedore

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Selection chooses entry points by name, pattern and tag, the way an
// operator writes it in configuration or the environment rather than in
// code ([NewEnabled]'s check). The zero Selection selects every entry point.
// It decodes from a settings table:
//
//	[agent.pollsters]
//	include = ["cpu", "disk*"]
//	exclude = ["disk.legacy"]
//	tags    = ["host"]
//
// or parses from one line ([ParseSelection]):
// "cpu,disk*,!disk.legacy,tag:host".
type Selection struct {
	Include []string `toml:"include" json:"include,omitempty"` // names or patterns (path.Match: *, ?, [...]); empty: every name
	Exclude []string `toml:"exclude" json:"exclude,omitempty"` // names or patterns taken out of what Include selects
	Tags    []string `toml:"tags" json:"tags,omitempty"`       // when not empty, only entry points with one of these tags
}

// ParseSelection reads a selection from one line, as an environment
// variable holds it: comma-separated names or patterns to include, each
// prefixed by "!" to exclude it instead, or "tag:" to require a tag.
// Spaces around items are ignored; an empty line selects everything.
func ParseSelection(line string) (Selection, error) {
	var s Selection
	for item := range strings.SplitSeq(line, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
		case strings.HasPrefix(item, "!"):
			s.Exclude = append(s.Exclude, strings.TrimSpace(item[1:]))
		case strings.HasPrefix(item, "tag:"):
			s.Tags = append(s.Tags, strings.TrimSpace(item[len("tag:"):]))
		default:
			s.Include = append(s.Include, item)
		}
	}
	return s, s.Check()
}

// Check reports the patterns that are malformed, and empty items.
func (s Selection) Check() error {
	var errs []error
	for _, list := range [][]string{s.Include, s.Exclude} {
		for _, p := range list {
			if _, err := path.Match(p, ""); err != nil || p == "" {
				errs = append(errs, fmt.Errorf("stevedore: selection: bad pattern %q", p))
			}
		}
	}
	if slices.Contains(s.Tags, "") {
		errs = append(errs, errors.New("stevedore: selection: empty tag"))
	}
	return errors.Join(errs...)
}

// Match reports whether the selection selects ep.
func (s Selection) Match(ep entrypoints.EntryPoint) bool {
	return s.why(&ep) == ""
}

// why returns why the selection leaves ep out, or "". A nil selection
// leaves nothing out.
func (s *Selection) why(ep *entrypoints.EntryPoint) string {
	if s == nil {
		return ""
	}
	if len(s.Include) > 0 && !matchAny(s.Include, ep.Name) {
		return "not in the selection's include list"
	}
	if matchAny(s.Exclude, ep.Name) {
		return "excluded by the selection"
	}
	if len(s.Tags) > 0 && !slices.ContainsFunc(s.Tags, func(t string) bool { return slices.Contains(ep.Tags, t) }) {
		return fmt.Sprintf("has none of the selection's tags %v", s.Tags)
	}
	return ""
}

func matchAny(patterns []string, name string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool {
		ok, _ := path.Match(p, name)
		return ok
	})
}

// WithSelection keeps only the entry points that s selects, in every
// constructor: the others are disabled, with the reason in
// [entrypoints.EntryPoint.Disabled] (and a [Disabled] event), as
// enabled = false would. A malformed pattern makes the constructor fail.
func WithSelection(s Selection) Option {
	return func(cfg *config) {
		if err := s.Check(); err != nil {
			cfg.optionProblems = append(cfg.optionProblems, err)
			return
		}
		cfg.selection = &s
	}
}
