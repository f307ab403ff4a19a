package leaktest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps its cleanups and errors.
type recorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestCheck(t *testing.T) {
	grace = 100 * time.Millisecond
	t.Cleanup(func() { grace = 5 * time.Second })

	ended := &recorder{TB: t}
	Check(ended)
	done := make(chan struct{})
	go func() { <-done }()
	ended.Cleanup(func() { close(done) }) // what the test started ends with it
	ended.end()
	if len(ended.errors) != 0 {
		t.Errorf("a goroutine that ended was reported: %v", ended.errors)
	}

	leaked := &recorder{TB: t}
	Check(leaked)
	never := make(chan struct{})
	defer close(never)
	go func() { <-never }()
	leaked.end()
	if len(leaked.errors) != 1 || !strings.Contains(leaked.errors[0], "1 goroutines left running") {
		t.Errorf("a goroutine left running was not reported: %v", leaked.errors)
	}
}
