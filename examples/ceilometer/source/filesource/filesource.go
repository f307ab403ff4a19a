// Package filesource is the notification source "file": a spool
// directory. Every file named *.json in it holds one message body (one
// notification or a JSON array of them, bare or in oslo.messaging's
// envelope); the source takes the files in name order, stores each, and
// removes it once stored, so that a file is never lost and, once gone,
// stored:
//
//   - a file with bad notifications (malformed, or rejected by a
//     handler) is moved to rejected/ beside them, with the reasons in
//     NAME.errors; its good notifications are stored all the same;
//   - a file that could not be stored (the database is down) stays, and
//     is tried again at the next scan;
//   - the directory is scanned every interval.
//
// Write a file under another name (NAME.json.tmp, or in a directory of
// the same file system) and rename it into place: a file is taken as
// soon as its name ends in .json. A file stored just before the agent
// dies, and not yet removed, is stored again when it restarts: delivery
// is at least once, as from RabbitMQ.
//
// Its settings are the table [ceilometer.notification.source.file]:
//
//	[ceilometer.notification.source.file]
//	dir = "/var/spool/ceilometer"   # required
//	interval = "1s"                 # between scans
package filesource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// Settings configure the source.
type Settings struct {
	Dir      string        `toml:"dir"`
	Interval time.Duration `toml:"interval"`
}

// Defaults are the settings without a table; dir has none.
func (Settings) Defaults() Settings { return Settings{Interval: time.Second} }

// maxFile bounds the size of a file, as the http source bounds a body.
const maxFile = 16 << 20

// Spool is the file source.
type Spool struct {
	s      Settings
	logger *slog.Logger
}

// New returns the source.
//
//stevedore:entrypoint ceilometer.notification.source file description="A spool directory of notification files, each removed once stored"
func New(logger *slog.Logger, s Settings) (source.Source, error) {
	switch {
	case s.Dir == "":
		return nil, errors.New("file: dir is empty: name the spool directory")
	case s.Interval < 10*time.Millisecond:
		return nil, fmt.Errorf("file: interval %v is shorter than 10ms", s.Interval)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Spool{s: s, logger: logger}, nil
}

// Run implements source.Source.
func (sp *Spool) Run(ctx context.Context, sink source.Sink) error {
	t := time.NewTicker(sp.s.Interval)
	defer t.Stop()
	for {
		if err := sp.Scan(ctx, sink); err != nil && ctx.Err() == nil {
			sp.logger.Error("file: scan", "dir", sp.s.Dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Scan takes the files there are now, in name order, and returns once it
// has been through them, or when ctx is done. Its error is the first
// that stopped it: an unreadable directory, or a file that could not be
// stored (the files after it wait for the next scan, keeping their
// order).
func (sp *Spool) Scan(ctx context.Context, sink source.Sink) error {
	entries, err := os.ReadDir(sp.s.Dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if ctx.Err() != nil {
			return nil
		}
		if err := sp.take(ctx, name, sink); err != nil {
			return err
		}
	}
	return nil
}

// take stores one file and removes it, or moves it to rejected/.
func (sp *Spool) take(ctx context.Context, name string, sink source.Sink) error {
	path := filepath.Join(sp.s.Dir, name)
	body, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // another agent sharing the directory took it
	}
	var rep source.Report
	if err == nil {
		reps, err := sink(ctx, body)
		if err != nil {
			return fmt.Errorf("%s: not stored; tried again at the next scan: %w", name, err)
		}
		rep = reps[0]
	} else {
		rep.Errors = []string{err.Error()}
	}
	if len(rep.Errors) == 0 {
		sp.logger.Debug("file: stored", "file", name, "notifications", rep.Notifications, "samples", rep.Samples)
		return os.Remove(path)
	}
	sp.logger.Error("file: rejected", "file", name, "errors", rep.Errors)
	rejected := filepath.Join(sp.s.Dir, "rejected")
	if err := os.MkdirAll(rejected, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(rejected, name+".errors"), []byte(strings.Join(rep.Errors, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(path, filepath.Join(rejected, name))
}

// readFile reads a file of at most maxFile bytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err == nil && len(body) > maxFile {
		err = fmt.Errorf("body: more than the %d bytes a file may have", maxFile)
	}
	return body, err
}
