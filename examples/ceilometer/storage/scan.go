package storage

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// The helpers here serve drivers that answer queries by scanning samples in
// memory, and hold the rules every driver follows.

// Check reports what is wrong with q.
func Check(q Query) error {
	var errs []error
	if q.Meter == "" {
		errs = append(errs, errors.New("storage: a query needs a meter"))
	}
	if q.Limit < 0 {
		errs = append(errs, fmt.Errorf("storage: limit %d is negative", q.Limit))
	}
	return errors.Join(errs...)
}

// CheckStatistics reports what is wrong with a query for statistics.
func CheckStatistics(q Query, period time.Duration) error {
	err := Check(q)
	if period < time.Second {
		err = errors.Join(err, fmt.Errorf("storage: period %v is shorter than a second", period))
	}
	return err
}

// CheckBatch validates every sample of a batch, naming the first bad one.
func CheckBatch(samples []sample.Sample) error {
	for i, s := range samples {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("storage: sample %d of %d: %w", i, len(samples), err)
		}
	}
	return nil
}

// Matches reports whether q selects s.
func (q Query) Matches(s *sample.Sample) bool {
	return s.Meter == q.Meter &&
		(q.ResourceID == "" || s.ResourceID == q.ResourceID) &&
		(q.Since.IsZero() || !s.Timestamp.Before(q.Since))
}

// Expired returns the samples of all that are not older than before, and
// how many were.
func Expired(all []sample.Sample, before time.Time) (kept []sample.Sample, removed int) {
	for _, s := range all {
		if s.Timestamp.Before(before) {
			removed++
			continue
		}
		kept = append(kept, s)
	}
	return kept, removed
}

// Select returns the samples of all that q selects, newest first (the
// later recorded first among equal timestamps), at most q.Limit.
func Select(all []sample.Sample, q Query) []sample.Sample {
	var out []sample.Sample
	for i := len(all) - 1; i >= 0; i-- {
		if q.Matches(&all[i]) {
			out = append(out, all[i])
		}
	}
	slices.SortStableFunc(out, func(a, b sample.Sample) int { return b.Timestamp.Compare(a.Timestamp) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

// Summarize computes the statistics of samples per period, oldest first.
func Summarize(samples []sample.Sample, period time.Duration) []Statistics {
	byStart := map[int64]*Statistics{}
	for _, s := range samples {
		start := PeriodStart(s.Timestamp, period)
		st, ok := byStart[start.UnixNano()]
		if !ok {
			st = &Statistics{PeriodStart: start, PeriodEnd: start.Add(period), Min: math.Inf(1), Max: math.Inf(-1)}
			byStart[start.UnixNano()] = st
		}
		st.Count++
		st.Sum += s.Volume
		st.Min = min(st.Min, s.Volume)
		st.Max = max(st.Max, s.Volume)
	}
	out := make([]Statistics, 0, len(byStart))
	for _, st := range byStart {
		st.Avg = st.Sum / float64(st.Count)
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b Statistics) int { return a.PeriodStart.Compare(b.PeriodStart) })
	return out
}

// ListMeters describes the meters of samples, by name.
func ListMeters(samples []sample.Sample) []Meter {
	type key struct {
		name, unit string
		typ        sample.Type
	}
	meters := map[key]*Meter{}
	resources := map[key]map[string]bool{}
	for _, s := range samples {
		k := key{s.Meter, s.Unit, s.Type}
		m, ok := meters[k]
		if !ok {
			m = &Meter{Name: s.Meter, Type: s.Type, Unit: s.Unit}
			meters[k] = m
			resources[k] = map[string]bool{}
		}
		m.Samples++
		resources[k][s.ResourceID] = true
		if s.Timestamp.After(m.Latest) {
			m.Latest = s.Timestamp
		}
	}
	out := make([]Meter, 0, len(meters))
	for k, m := range meters {
		m.Resources = len(resources[k])
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Meter) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Unit, b.Unit))
	})
	return out
}
