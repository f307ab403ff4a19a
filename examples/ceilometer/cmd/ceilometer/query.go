package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/stevedore-go/stevedore/examples/ceilometer/agent"
	"github.com/stevedore-go/stevedore/examples/ceilometer/notification"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
	"github.com/stevedore-go/stevedore/examples/ceilometer/storage"
)

// withStorage runs f with the configured storage driver.
func withStorage(ctx context.Context, e *env, f func(storage.Storage) error) error {
	d, err := agent.OpenStorage(ctx, e.cfg, e.opts)
	if err != nil {
		return err
	}
	return errors.Join(f(d.Driver()), d.Close())
}

func notifyCommand(*flag.FlagSet) func(*env, context.Context, []string) error {
	return func(e *env, ctx context.Context, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%w: want one FILE, or - for stdin", errUsage)
		}
		in := e.stdin
		if args[0] != "-" {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			in = f
		}
		data, err := readAll(ctx, in)
		if err != nil {
			return err
		}
		ns, labels, bad := decodeInput(data)
		a, err := agent.New(ctx, e.cfg, e.opts)
		if err != nil {
			return err
		}
		defer a.Close()
		if err := lasting(a, "notify", e.cfg.Storage); err != nil {
			return err
		}
		rep, err := a.Ingest(ctx, ns, labels)
		if err != nil {
			return err
		}
		rep.Errors = append(bad, rep.Errors...)
		if e.json {
			if err := writeJSON(e.stdout, rep); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(e.stdout, "notifications: %d\nsamples stored: %d\n", rep.Notifications, rep.Samples)
			for _, t := range sortedKeys(rep.Unmetered) {
				fmt.Fprintf(e.stdout, "not metered: %s (%d)\n", visible(t), rep.Unmetered[t])
			}
		}
		if len(rep.Errors) > 0 {
			lines := make([]string, len(rep.Errors))
			for i, msg := range rep.Errors {
				lines[i] = visible(msg) // errors may quote what the notification holds
			}
			return fmt.Errorf("%d notifications rejected (the others are stored):\n  %s", len(rep.Errors), strings.Join(lines, "\n  "))
		}
		return nil
	}
}

// readAll reads in, giving up when ctx is done (a signal while waiting on
// a terminal).
func readAll(ctx context.Context, in io.Reader) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := io.ReadAll(io.LimitReader(in, 256<<20))
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// decodeInput reads notifications as one JSON value (an object or an
// array, however it is laid out) or, failing that, as JSON lines, each an
// object or an array. It labels them by where they are, for messages.
func decodeInput(data []byte) (ns []notification.Notification, labels, bad []string) {
	if json.Valid(data) {
		got, positions, errs := notification.Decode(data)
		for _, pos := range positions {
			labels = append(labels, fmt.Sprintf("notification %d", pos))
		}
		for _, err := range errs {
			bad = append(bad, err.Error())
		}
		return got, labels, bad
	}
	for i, line := range strings.Split(string(data), "\n") {
		text := strings.TrimSpace(line)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		got, positions, errs := notification.Decode([]byte(text))
		for _, pos := range positions {
			label := fmt.Sprintf("line %d", i+1)
			if strings.HasPrefix(text, "[") {
				label += fmt.Sprintf(": notification %d", pos)
			}
			labels = append(labels, label)
		}
		ns = append(ns, got...)
		for _, err := range errs {
			bad = append(bad, fmt.Sprintf("line %d: %v", i+1, err))
		}
	}
	return ns, labels, bad
}

func metersCommand(*flag.FlagSet) func(*env, context.Context, []string) error {
	return func(e *env, ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return withStorage(ctx, e, func(st storage.Storage) error {
			meters, err := st.Meters(ctx)
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, nonNil(meters))
			}
			return table(e.stdout, []string{"NAME", "TYPE", "UNIT", "SAMPLES", "RESOURCES", "LATEST"}, len(meters), func(i int) []string {
				m := meters[i]
				return []string{m.Name, string(m.Type), m.Unit, strconv.Itoa(m.Samples), strconv.Itoa(m.Resources), m.Latest.Format(time.RFC3339)}
			})
		})
	}
}

// queryFlags are the flags that select samples.
func queryFlags(fs *flag.FlagSet) func() (storage.Query, error) {
	meter := fs.String("meter", "", "the `meter`, such as hardware.cpu.util (required)")
	resource := fs.String("resource", "", "only this resource `id`")
	since := fs.String("since", "", "only samples from this `time` on: RFC 3339 (2026-11-21T09:00:00Z) or a duration ago (1h)")
	return func() (storage.Query, error) {
		q := storage.Query{Meter: *meter, ResourceID: *resource}
		if q.Meter == "" {
			return q, fmt.Errorf("%w: -meter is required", errUsage)
		}
		if *since != "" {
			t, err := parseSince(*since, time.Now())
			if err != nil {
				return q, fmt.Errorf("%w: -since: %v", errUsage, err)
			}
			q.Since = t
		}
		return q, nil
	}
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration ago is positive (1h: the last hour)", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a time (RFC 3339) nor a duration", s)
	}
	return t, nil
}

func samplesCommand(fs *flag.FlagSet) func(*env, context.Context, []string) error {
	query := queryFlags(fs)
	limit := fs.Int("limit", 100, "at most `n` samples; 0 for all")
	return func(e *env, ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		q, err := query()
		if err != nil {
			return err
		}
		if *limit < 0 {
			return fmt.Errorf("%w: -limit %d is negative", errUsage, *limit)
		}
		q.Limit = *limit
		return withStorage(ctx, e, func(st storage.Storage) error {
			got, err := st.Samples(ctx, q)
			if err != nil {
				return err
			}
			return printSamples(e, got)
		})
	}
}

func printSamples(e *env, samples []sample.Sample) error {
	if e.json {
		return writeJSON(e.stdout, nonNil(samples))
	}
	return table(e.stdout, []string{"TIMESTAMP", "METER", "TYPE", "VOLUME", "UNIT", "RESOURCE", "PROJECT"}, len(samples), func(i int) []string {
		s := samples[i]
		return []string{s.Timestamp.Format(time.RFC3339), s.Meter, string(s.Type), number(s.Volume), s.Unit, s.ResourceID, s.ProjectID}
	})
}

func statisticsCommand(fs *flag.FlagSet) func(*env, context.Context, []string) error {
	query := queryFlags(fs)
	period := fs.Duration("period", time.Minute, "the length of each `period`")
	return func(e *env, ctx context.Context, args []string) error {
		if err := noArgs(args); err != nil {
			return err
		}
		q, err := query()
		if err != nil {
			return err
		}
		if *period < time.Second {
			return fmt.Errorf("%w: -period %v is shorter than a second", errUsage, *period)
		}
		return withStorage(ctx, e, func(st storage.Storage) error {
			stats, err := st.Statistics(ctx, q, *period)
			if err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, nonNil(stats))
			}
			return table(e.stdout, []string{"PERIOD START", "PERIOD END", "COUNT", "MIN", "MAX", "AVG", "SUM"}, len(stats), func(i int) []string {
				s := stats[i]
				return []string{s.PeriodStart.Format(time.RFC3339), s.PeriodEnd.Format(time.RFC3339), strconv.Itoa(s.Count),
					number(s.Min), number(s.Max), number(s.Avg), number(s.Sum)}
			})
		})
	}
}

// table prints rows under a header, aligned. What notifications put in a
// cell (names, ids, units) reaches the terminal escaped: see visible.
func table(w io.Writer, header []string, n int, row func(int) []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range n {
		cells := row(i)
		for j, c := range cells {
			cells[j] = visible(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// visible escapes what would act on a terminal rather than show: control
// characters (escape sequences, newlines, tabs that would break the
// columns) and the marks that reorder text (U+202E), as \xNN or \uNNNN.
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

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// nonNil prints an empty list as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// number prints a volume for people: whole numbers whole, others to three
// decimals.
func number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }

// lasting refuses a storage whose samples would be gone when the one-off
// command that stores them exits.
func lasting(a *agent.Agent, command, driver string) error {
	if t, ok := a.Storage().(storage.Transient); ok && t.Transient() {
		return fmt.Errorf("%s would store samples in this process's memory, gone when it exits: [agent] storage = %q is for the agent; use sqlite or jsonl", command, driver)
	}
	return nil
}
