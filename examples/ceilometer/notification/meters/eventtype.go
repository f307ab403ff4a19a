package meters

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// EventType is an event_type pattern of a meter definition, read as
// Ceilometer reads it: a Python regular expression matched at the start of
// the event type (re.match), not necessarily to its end, in which "." is
// any character. So "capacity.pool.*" matches "capacity.pool", and
// "volume.exists" matches "volume.exists.v2".
//
// Go's regular expressions have no lookaround. A negative or positive
// lookahead is read where it follows a prefix of the pattern and precedes
// the rest, the form Ceilometer's definitions use to exclude event types:
// "compute.instance.(?!create.start|update).*". Lookbehind and
// backreferences are refused.
type EventType struct {
	text string
	re   *regexp.Regexp // the whole pattern, when it has no lookahead

	// With a lookahead: prefix matched in full, then the lookahead
	// (negated or not) and the rest, both at the start of what follows.
	prefix    *regexp.Regexp
	lookahead *regexp.Regexp
	negated   bool
	rest      *EventType
}

// ParseEventType reads a pattern.
func ParseEventType(pattern string) (*EventType, error) {
	start, end, negated, err := findLookahead(pattern)
	if err != nil {
		return nil, fmt.Errorf("event_type %q: %w", pattern, err)
	}
	if start < 0 {
		re, err := regexp.Compile(`^(?:` + pattern + `)`)
		if err != nil {
			return nil, fmt.Errorf("event_type %q: %w", pattern, err)
		}
		return &EventType{text: pattern, re: re}, nil
	}
	et := &EventType{text: pattern, negated: negated}
	if et.prefix, err = regexp.Compile(`^(?:` + pattern[:start] + `)$`); err == nil {
		et.lookahead, err = regexp.Compile(`^(?:` + pattern[start+3:end] + `)`)
	}
	if err == nil {
		et.rest, err = ParseEventType(pattern[end+1:])
	}
	if err != nil {
		return nil, fmt.Errorf("event_type %q: %w", pattern, errors.Unwrap(err))
	}
	return et, nil
}

// findLookahead returns where the first lookahead of pattern begins (at
// its "(?!" or "(?=") and ends (at its ")"), or -1, and whether it is
// negated. It refuses lookbehind and backreferences.
func findLookahead(pattern string) (start, end int, negated bool, err error) {
	start, depth, inClass, alternation := -1, 0, false, false
	defer func() {
		if err == nil && start >= 0 && alternation {
			err = errors.New("a lookahead is supported only in a pattern without | outside groups")
		}
	}()
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '|' && !inClass && depth == 0:
			alternation = true
		case c == '\\':
			if i+1 < len(pattern) && pattern[i+1] >= '1' && pattern[i+1] <= '9' && !inClass {
				return 0, 0, false, errors.New("backreferences are not supported")
			}
			i++ // the escaped character
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
			if strings.HasPrefix(pattern[i+1:], "]") || strings.HasPrefix(pattern[i+1:], "^]") {
				i += strings.Index(pattern[i+1:], "]") + 1 // a ] first is part of the class
			}
		case c == '(':
			if strings.HasPrefix(pattern[i:], "(?<!") || strings.HasPrefix(pattern[i:], "(?<=") {
				return 0, 0, false, errors.New("lookbehind is not supported")
			}
			if start < 0 && (strings.HasPrefix(pattern[i:], "(?!") || strings.HasPrefix(pattern[i:], "(?=")) {
				if depth > 0 {
					return 0, 0, false, errors.New("a lookahead is supported only outside groups")
				}
				start, negated = i, pattern[i+2] == '!'
			}
			depth++
		case c == ')':
			depth--
			if start >= 0 && end == 0 && depth == 0 {
				end = i
			}
		}
	}
	switch {
	case start >= 0 && end == 0:
		return 0, 0, false, errors.New("missing ) after the lookahead")
	case start < 0:
		return -1, -1, false, nil
	}
	return start, end, negated, nil
}

// Match reports whether the pattern matches eventType, at its start.
func (et *EventType) Match(eventType string) bool {
	if et.re != nil {
		return et.re.MatchString(eventType)
	}
	// Every length of prefix, as a backtracking matcher would try them;
	// event types are short.
	for i := 0; i <= len(eventType); i++ {
		if !et.prefix.MatchString(eventType[:i]) {
			continue
		}
		if et.lookahead.MatchString(eventType[i:]) != et.negated && et.rest.Match(eventType[i:]) {
			return true
		}
	}
	return false
}

// String returns the pattern as written.
func (et *EventType) String() string { return et.text }
