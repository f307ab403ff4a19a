package filesource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
	"github.com/stevedore-go/stevedore/stevedoretest"
)

// recorder is a Sink that keeps bodies, reports those with "bad" in them
// as bad, and fails those with "down" in them while down is set.
type recorder struct {
	mu     sync.Mutex
	stored []string
	down   bool
}

func (r *recorder) sink(_ context.Context, bodies ...[]byte) ([]source.Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(bodies) != 1 {
		panic("the file source sinks one file at a time")
	}
	s := string(bodies[0])
	switch {
	case strings.Contains(s, "down") && r.down:
		return []source.Report{{}}, errors.New("database is down")
	case strings.Contains(s, "bad"):
		r.stored = append(r.stored, s)
		return []source.Report{{Notifications: 2, Samples: 1, Errors: []string{"notification 1: missing payload"}}}, nil
	}
	r.stored = append(r.stored, s)
	return []source.Report{{Notifications: 1, Samples: 1}}, nil
}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
}

func left(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	}))
	return names
}

// A scan stores the .json files in name order and removes them; a bad
// one goes to rejected/ with its reasons; one that could not be stored
// stays, with those after it, until the next scan; other names are not
// touched.
func TestScan(t *testing.T) {
	dir := t.TempDir()
	src, err := New(nil, Settings{Dir: dir, Interval: time.Second})
	require.NoError(t, err)
	sp := src.(*Spool)
	r := &recorder{down: true}
	write(t, dir, "2-bad.json", "bad")
	write(t, dir, "1-good.json", "good")
	write(t, dir, "3-down.json", "down")
	write(t, dir, "4-after.json", "after")
	write(t, dir, "5-writing.json.tmp", "not yet")

	err = sp.Scan(context.Background(), r.sink)
	assert.EqualError(t, err, "3-down.json: not stored; tried again at the next scan: database is down")
	assert.Equal(t, []string{"good", "bad"}, r.stored)
	assert.Equal(t, []string{"3-down.json", "4-after.json", "5-writing.json.tmp", "rejected/2-bad.json", "rejected/2-bad.json.errors"}, left(t, dir))
	reasons, err := os.ReadFile(filepath.Join(dir, "rejected", "2-bad.json.errors"))
	require.NoError(t, err)
	assert.Equal(t, "notification 1: missing payload\n", string(reasons))

	r.down = false
	require.NoError(t, sp.Scan(context.Background(), r.sink))
	assert.Equal(t, []string{"good", "bad", "down", "after"}, r.stored)
	assert.Equal(t, []string{"5-writing.json.tmp", "rejected/2-bad.json", "rejected/2-bad.json.errors"}, left(t, dir))
}

// A file over the size limit is rejected without being read into the
// sink.
func TestTooLarge(t *testing.T) {
	dir := t.TempDir()
	src, err := New(nil, Settings{Dir: dir, Interval: time.Second})
	require.NoError(t, err)
	write(t, dir, "big.json", strings.Repeat(" ", maxFile+1))
	r := &recorder{}
	require.NoError(t, src.(*Spool).Scan(context.Background(), r.sink))
	assert.Empty(t, r.stored)
	reasons, err := os.ReadFile(filepath.Join(dir, "rejected", "big.json.errors"))
	require.NoError(t, err)
	assert.Contains(t, string(reasons), "more than the 16777216 bytes a file may have")
}

// Run scans every interval until its context ends.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	src, err := New(nil, Settings{Dir: dir, Interval: 10 * time.Millisecond})
	require.NoError(t, err)
	r := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, r.sink) }()
	write(t, dir, "a.json", "later")
	require.Eventually(t, func() bool { return len(left(t, dir)) == 0 }, time.Minute, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	r.mu.Lock()
	defer r.mu.Unlock()
	assert.Equal(t, []string{"later"}, r.stored)
}

func TestSettings(t *testing.T) {
	_, err := New(nil, Settings{}.Defaults())
	assert.EqualError(t, err, "file: dir is empty: name the spool directory")
	_, err = New(nil, Settings{Dir: "x", Interval: time.Millisecond})
	assert.EqualError(t, err, "file: interval 1ms is shorter than 10ms")
}

func TestManifest(t *testing.T) {
	stevedoretest.Manifest(t, stevedoreGenManifest, "entry_points.toml")
}
