package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
)

// WriteTable writes the entries as a table for people, one a line, then
// the problems. A detail column holds the reason of an entry that is not
// loaded or available, else its description.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tSTATE\tDISTRIBUTION\tDETAIL")
	for _, e := range r.Entries {
		detail := e.Reason
		if detail == "" {
			detail = e.Description
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Namespace, e.Name, e.State, dash(oneLine(e.Distribution, 100)), dash(oneLine(detail, 100)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Problems) > 0 || len(r.Notes) > 0 {
		fmt.Fprintln(w)
		return r.WriteProblems(w)
	}
	return nil
}

// WriteProblems writes each problem on a line of its own, as
// "file:line:col: message", then each note, as "file:line: note:
// message".
func (r *Report) WriteProblems(w io.Writer) error {
	for _, p := range r.Problems {
		if _, err := fmt.Fprintln(w, visible(p.String())); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		n.Message = "note: " + n.Message
		if _, err := fmt.Fprintln(w, visible(n.String())); err != nil {
			return err
		}
	}
	return nil
}

// WriteEntry writes every field of e, one a line.
func WriteEntry(w io.Writer, e Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, visible(v))
		}
	}
	field("namespace", e.Namespace)
	field("name", e.Name)
	field("state", string(e.State))
	field("reason", e.Reason)
	field("target", e.Target)
	field("distribution", strings.TrimSpace(e.Distribution+" "+e.Version))
	field("declared", e.Location())
	if e.Priority != 0 {
		field("priority", strconv.Itoa(e.Priority))
	}
	field("tags", strings.Join(e.Tags, ", "))
	field("platforms", strings.Join(e.Platforms, ", "))
	field("sha256", e.SHA256)
	field("description", e.Description)
	for k, v := range sortedMap(e.Extra) {
		field(k, fmt.Sprint(v))
	}
	return tw.Flush()
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table cell on one line, at most n bytes, and visible.
func oneLine(s string, n int) string {
	s = visible(strings.Join(strings.Fields(s), " "))
	if len(s) > n {
		cut := n - 3
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// sortedMap yields m's entries in the order of their keys.
func sortedMap(m map[string]any) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

// visible escapes what would act on a terminal rather than show, in what
// manifests say: control characters and the marks that reorder text
// (U+202E), as \xNN or \uNNNN. JSON output keeps values as they are.
func visible(s string) string {
	if !strings.ContainsFunc(s, hidden) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !hidden(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func hidden(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }
