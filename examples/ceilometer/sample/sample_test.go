package sample

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	good := Sample{Meter: "hardware.cpu.util", Type: Gauge, Unit: "%", Volume: 12.5, ResourceID: "host1", Timestamp: time.Now()}
	assert.NoError(t, good.Validate())

	tests := []struct {
		name   string
		change func(*Sample)
		want   string
	}{
		{"no meter", func(s *Sample) { s.Meter = "" }, "sample : meter is empty"},
		{"bad type", func(s *Sample) { s.Type = "rate" }, `sample hardware.cpu.util: type "rate" is not gauge, delta or cumulative`},
		{"NaN", func(s *Sample) { s.Volume = math.NaN() }, "sample hardware.cpu.util: volume NaN is not a finite number"},
		{"no resource", func(s *Sample) { s.ResourceID = "" }, "sample hardware.cpu.util: resource_id is empty"},
		{"no time", func(s *Sample) { s.Timestamp = time.Time{} }, "sample hardware.cpu.util: timestamp is missing"},
		{"far future", func(s *Sample) { s.Timestamp = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) },
			"sample hardware.cpu.util: timestamp 3000-01-01T00:00:00Z is outside 1970 to 2199"},
		{"distant past", func(s *Sample) { s.Timestamp = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) },
			"sample hardware.cpu.util: timestamp 1600-01-01T00:00:00Z is outside 1970 to 2199"},
	}
	for _, tt := range tests {
		s := good
		tt.change(&s)
		assert.EqualError(t, s.Validate(), tt.want, tt.name)
	}
	assert.True(t, Cumulative.Valid())
	assert.False(t, Type("").Valid())
}
