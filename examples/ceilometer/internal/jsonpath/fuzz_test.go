package jsonpath

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are expressions of the shipped definitions and of every
// construct, to start the fuzzers from.
var fuzzSeeds = []string{
	`$.payload.size`,
	`$.payload.glance_metadata[?key=image_id].value`,
	`$.payload.volume_attachment[0].server_id`,
	`$.payload.measurements.[*].metric.[*].name`,
	"$.payload.name_to_id.`split(#, 0, 1)`",
	`$.payload.metrics[?(@.name='cpu.percent')].value * 100`,
	`$.payload.host + "_" + $.payload.nodename`,
	"$.payload.outcome.`sub(/.*/, )` + 'identity.authenticate.' + $.payload.outcome",
	`($.payload.created_at)|($.payload.launched_at)`,
	`ctxt.user_id|ctxt.user`,
	`$..v`, `$.a[1:]`, `$.a[-1]`, `$.a[\k,/v]`, "$.a.`sorted`", "$.a.`len`", "$.a.`parent`",
	`$.a[?(b=1 & c) & d~'x']`, `$.a where b`, `2 * 3 + $.a`, `$.'quoted name',b`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Parse(expr)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q): error %v is not a *SyntaxError", expr, err)
			}
			if se.Col < 1 || se.Col > utf8.RuneCountInString(expr)+1 {
				t.Fatalf("Parse(%q): column %d outside the expression", expr, se.Col)
			}
			return
		}
		s := e.String()
		again, err := Parse(s)
		if errors.Is(err, ErrLimit) {
			return // the canonical form is longer, or nests deeper
		}
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", expr, s, err)
		}
		if again.String() != s {
			t.Fatalf("Parse(%q).String() = %q, read back as %q", expr, s, again.String())
		}
	})
}

func FuzzFind(f *testing.F) {
	docs := []string{novaMetrics, swiftRequest, cinderVolume, sampleDoc, `[1, "a", null, [2.5, true], {"k": {"k": []}}]`}
	for i, s := range fuzzSeeds {
		f.Add(s, []byte(docs[i%len(docs)]))
	}
	f.Fuzz(func(t *testing.T, expr string, doc []byte) {
		e, err := Parse(expr)
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var d any
		if dec.Decode(&d) != nil {
			return
		}
		vs, findErr := e.Find(d)
		if findErr != nil {
			if !errors.Is(findErr, ErrEval) && !errors.Is(findErr, ErrLimit) {
				t.Fatalf("Find(%q): error %v matches neither ErrEval nor ErrLimit", expr, findErr)
			}
			if vs != nil {
				t.Fatalf("Find(%q): values %v with error %v", expr, vs, findErr)
			}
		}
		if _, err := json.Marshal(vs); err != nil {
			t.Fatalf("Find(%q) = %v, which JSON cannot hold: %v", expr, vs, err)
		}
		// A member path finds what the evaluator finds.
		if e.path != nil {
			slow, slowErr := (&Expr{root: e.root}).Find(d)
			if slowErr != nil || !reflect.DeepEqual(vs, slow) {
				t.Fatalf("Find(%q) = %v by its member path, %v, %v by evaluation", expr, vs, slow, slowErr)
			}
		}
		// The canonical form finds the same.
		canonical, err := Parse(e.String())
		if errors.Is(err, ErrLimit) {
			return
		}
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", expr, e.String(), err)
		}
		again, againErr := canonical.Find(d)
		if (findErr == nil) != (againErr == nil) || !reflect.DeepEqual(vs, again) {
			t.Fatalf("Find(%q) = %v, %v but its canonical form %q finds %v, %v", expr, vs, findErr, e.String(), again, againErr)
		}
	})
}
