package storage

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPeriodStart(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	assert.Equal(t, at("2026-11-21T12:34:00Z"), PeriodStart(at("2026-11-21T12:34:56.7Z"), time.Minute))
	assert.Equal(t, at("2026-11-21T12:00:00Z"), PeriodStart(at("2026-11-21T12:34:56Z"), time.Hour))
	assert.Equal(t, at("2026-11-21T12:34:00Z"), PeriodStart(at("2026-11-21T12:34:00Z"), time.Minute), "a start is its own period")
	assert.Equal(t, at("1969-12-31T23:59:00Z"), PeriodStart(at("1969-12-31T23:59:30Z"), time.Minute), "before the epoch too")
	assert.Equal(t, at("2026-11-21T12:34:00Z"), PeriodStart(at("2026-11-21T13:34:56+01:00"), time.Minute), "in UTC")
}

func TestCheck(t *testing.T) {
	assert.NoError(t, Check(Query{Meter: "m"}))
	assert.EqualError(t, Check(Query{Limit: -1}), "storage: a query needs a meter\nstorage: limit -1 is negative")
	assert.EqualError(t, CheckStatistics(Query{Meter: "m"}, time.Millisecond), "storage: period 1ms is shorter than a second")
}
