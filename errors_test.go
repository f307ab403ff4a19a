package stevedore

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The sentinels match themselves and the kind they are of, never one
// another: a caller tells no match from several, and both from a wrong
// type.
func TestSentinelsAreDistinct(t *testing.T) {
	t.Parallel()
	sentinels := map[string]error{
		"ErrNoUniqueMatch":   ErrNoUniqueMatch,
		"ErrNoMatches":       ErrNoMatches,
		"ErrMultipleMatches": ErrMultipleMatches,
		"ErrWrongType":       ErrWrongType,
		"ErrClosed":          ErrClosed,
		"ErrInvalidSettings": ErrInvalidSettings,
	}
	kindOf := map[error]error{ErrNoMatches: ErrNoUniqueMatch, ErrMultipleMatches: ErrNoUniqueMatch}
	for name, err := range sentinels {
		for targetName, target := range sentinels {
			want := err == target || kindOf[err] == target
			assert.Equal(t, want, errors.Is(err, target), "errors.Is(%s, %s)", name, targetName)
		}
	}
}

// An error of a kind carries its own message and cause, and matches its
// kind, the kind's kind and the cause, and nothing else.
func TestKindError(t *testing.T) {
	t.Parallel()
	err := &kindError{kind: ErrMultipleMatches, msg: "stevedore: 2 entry points named x", cause: errBoom}
	assert.EqualError(t, err, "stevedore: 2 entry points named x")
	assert.ErrorIs(t, err, ErrMultipleMatches)
	assert.ErrorIs(t, err, ErrNoUniqueMatch)
	assert.ErrorIs(t, err, errBoom)
	assert.NotErrorIs(t, err, ErrNoMatches)
	assert.NotErrorIs(t, err, ErrWrongType)

	wrong := wrongType("%v is not a %v", "int", "Greeter")
	assert.EqualError(t, wrong, "int is not a Greeter")
	assert.ErrorIs(t, wrong, ErrWrongType)
	assert.NotErrorIs(t, wrong, ErrNoUniqueMatch)
	assert.NotErrorIs(t, wrong, ErrNoMatches)
}
