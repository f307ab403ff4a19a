package meters

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventType(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		match   []string
		not     []string
	}{
		{"compute.instance.(?!create.start|update).*",
			[]string{"compute.instance.create.end", "compute.instance.delete.end", "compute.instance.exists", "compute.instance.resize.confirm.end"},
			[]string{"compute.instance.create.start", "compute.instance.update", "compute.instance.updated", "compute.metrics.update", "compute.instance"}},
		{"capacity.pool.*", []string{"capacity.pool", "capacity.pool.x", "capacityXpool"}, []string{"capacity.backend", "pool"}},
		{"volume.exists", []string{"volume.exists", "volume.exists.v2"}, []string{"a.volume.exists", "volume.exist"}},
		{"volume.(create|delete).*", []string{"volume.create.end", "volume.delete.start"}, []string{"volume.resize.end"}},
		{"a(?=b)b.*", []string{"ab", "abc"}, []string{"ac", "a"}},
		{"x.(?!y)(?!z).*", []string{"x.a", "x."}, []string{"x.y1", "x.z1"}},
		{"[(?!]a", []string{"(a", "?a", "!a"}, []string{"a", "ba"}},
		{`\(?!a`, []string{"(!a", "!a"}, []string{"(a"}},
	} {
		et, err := ParseEventType(tc.pattern)
		require.NoError(t, err, tc.pattern)
		assert.Equal(t, tc.pattern, et.String())
		for _, s := range tc.match {
			assert.True(t, et.Match(s), "%s should match %s", tc.pattern, s)
		}
		for _, s := range tc.not {
			assert.False(t, et.Match(s), "%s should not match %s", tc.pattern, s)
		}
	}
}

func TestEventTypeRefused(t *testing.T) {
	for pattern, want := range map[string]string{
		"(?<!a)b":   `event_type "(?<!a)b": lookbehind is not supported`,
		"(a)\\1":    `event_type "(a)\\1": backreferences are not supported`,
		"(x(?!a))":  `event_type "(x(?!a))": a lookahead is supported only outside groups`,
		"a(?!b":     `event_type "a(?!b": missing ) after the lookahead`,
		"a|b(?!c)":  `event_type "a|b(?!c)": a lookahead is supported only in a pattern without | outside groups`,
		"a(?!b)c|d": `event_type "a(?!b)c|d": a lookahead is supported only in a pattern without | outside groups`,
		"volume.(":  "event_type \"volume.(\": error parsing regexp: missing closing ): `^(?:volume.()`",
		"a(?!b)c(":  "event_type \"a(?!b)c(\": error parsing regexp: missing closing ): `^(?:c()`",
	} {
		_, err := ParseEventType(pattern)
		assert.EqualError(t, err, want, pattern)
	}
}

func FuzzEventType(f *testing.F) {
	f.Add("compute.instance.(?!create.start|update).*", "compute.instance.create.end")
	f.Add("[(?!]a(?=b)", "(ab")
	f.Fuzz(func(t *testing.T, pattern, eventType string) {
		et, err := ParseEventType(pattern)
		if err != nil {
			return
		}
		et.Match(eventType) // must not panic
		if et.re != nil {
			assert.Equal(t, et.re.MatchString(eventType), et.Match(eventType))
		}
	})
}
