// Package sample defines the measurement that every part of the metering
// program exchanges: pollsters and notification handlers make samples,
// storage drivers keep them.
package sample

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Type says how a meter's volumes relate over time, as in Ceilometer.
type Type string

// The types of meters.
const (
	Gauge      Type = "gauge"      // a value at an instant: CPU utilisation, memory used
	Delta      Type = "delta"      // a change since the previous sample
	Cumulative Type = "cumulative" // a counter that only grows: bytes read since boot
)

// Valid reports whether t is one of the three types.
func (t Type) Valid() bool { return t == Gauge || t == Delta || t == Cumulative }

// Sample is one measurement of one meter for one resource.
type Sample struct {
	Meter      string            `json:"meter"`                // such as "hardware.cpu.util"
	Type       Type              `json:"type"`                 // gauge, delta or cumulative
	Unit       string            `json:"unit"`                 // such as "%", "B", "instance"
	Volume     float64           `json:"volume"`               // the measured value
	ResourceID string            `json:"resource_id"`          // what was measured: a host, a disk, an instance
	ProjectID  string            `json:"project_id,omitempty"` // the owning project, when there is one
	UserID     string            `json:"user_id,omitempty"`    // the owning user, when there is one
	Timestamp  time.Time         `json:"timestamp"`            // when it was measured
	Source     string            `json:"source,omitempty"`     // what made it, such as "pollster/cpu"
	Metadata   map[string]string `json:"metadata,omitempty"`   // anything else about the resource
}

// The range of timestamps a sample may have: wide for any real
// measurement, and within what storage can represent in nanoseconds.
var (
	earliest = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	latest   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Validate reports what makes s unfit to store, naming the field.
func (s Sample) Validate() error {
	var errs []error
	if s.Meter == "" {
		errs = append(errs, errors.New("meter is empty"))
	}
	if !s.Type.Valid() {
		errs = append(errs, fmt.Errorf("type %q is not gauge, delta or cumulative", s.Type))
	}
	if math.IsNaN(s.Volume) || math.IsInf(s.Volume, 0) {
		errs = append(errs, fmt.Errorf("volume %v is not a finite number", s.Volume))
	}
	if s.ResourceID == "" {
		errs = append(errs, errors.New("resource_id is empty"))
	}
	switch {
	case s.Timestamp.IsZero():
		errs = append(errs, errors.New("timestamp is missing"))
	case s.Timestamp.Before(earliest) || !s.Timestamp.Before(latest):
		errs = append(errs, fmt.Errorf("timestamp %s is outside %d to %d", s.Timestamp.Format(time.RFC3339), earliest.Year(), latest.Year()-1))
	}
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return fmt.Errorf("sample %s: %s", s.Meter, strings.Join(msgs, "; "))
}
