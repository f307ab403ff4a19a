// Package leaktest checks, in tests, that what a test started has ended.
package leaktest

import (
	"runtime"
	"testing"
	"time"
)

// grace is how long goroutines have to end after the test.
var grace = 5 * time.Second

// Check fails t if more goroutines run a few seconds after t ends (its
// cleanups registered after Check, such as closing what it started, run
// first) than when Check was called. Tests that use it must not run in
// parallel with others.
func Check(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(grace)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines left running:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}
