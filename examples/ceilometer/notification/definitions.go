package notification

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stevedore-go/stevedore/examples/ceilometer/notification/meters"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

//go:generate go run github.com/stevedore-go/stevedore/cmd/stevedore gen

// shipped holds the definitions this program ships, those of Ceilometer
// 2026.1.
//
//go:embed meters.d/*.yaml
var shipped embed.FS

// shippedDir names the shipped definitions in messages: the directory of
// this package that holds them.
const shippedDir = "notification/meters.d"

// MetersSettings configure the meters handler, from the table
// [ceilometer.notification.meters].
type MetersSettings struct {
	// Dirs are directories of definition files (*.yaml), read in order
	// before the shipped ones: a definition there replaces the shipped one
	// of its name, and one of a new name adds a meter.
	Dirs []string `toml:"dirs"`
	// Shipped says whether the shipped definitions are read, after Dirs
	// (true by default): false leaves only those of Dirs.
	Shipped bool `toml:"shipped"`
}

// Defaults are the settings without a table: the shipped definitions.
func (MetersSettings) Defaults() MetersSettings { return MetersSettings{Shipped: true} }

// Meters is the handler that makes samples as Ceilometer's notification
// agent does, from meter definitions in the format of its meters.yaml. It
// reads them again when the agent reloads (see Reloader).
//
// Make one with NewMeters; it is safe for concurrent use.
type Meters struct {
	settings MetersSettings
	loaded   atomic.Pointer[loadedMeters]
	mu       sync.Mutex // serialises Reloads: the last to read stores last
}

// loadedMeters is what one reading of the definitions gave.
type loadedMeters struct {
	set      *meters.Set
	warnings []error
}

// Reloader is a Handler that reads files of its own, which it reads again
// when the agent reloads its plugins (on SIGHUP), if the reload keeps it.
// A Reload that fails leaves the handler as it was.
type Reloader interface {
	Reload() error
}

// Warner is a Handler with problems that did not stop it from loading,
// such as meter definitions it left out. The agent logs them when it
// starts, and again at each reload.
type Warner interface {
	Warnings() []error
}

// NewMeters loads the definitions the settings name. A directory that
// cannot be read, or a file that is not a definition file, is an error,
// and so is loading no definition at all; a definition that Ceilometer
// would refuse is left out, and a warning.
//
//stevedore:entrypoint ceilometer.notification meters description="Samples as Ceilometer makes them, from its meter definitions (meters.yaml)"
func NewMeters(s MetersSettings) (Handler, error) {
	m := &Meters{settings: s}
	if err := m.Reload(); err != nil {
		return nil, err
	}
	return m, nil
}

// Reload implements Reloader: it reads the definitions again, and uses
// them from then on, unless reading them fails as NewMeters would.
func (m *Meters) Reload() error {
	m.mu.Lock() // held while reading, so that reads do not overtake
	defer m.mu.Unlock()
	s := m.settings
	var dirs []meters.Dir
	for _, dir := range s.Dirs {
		dirs = append(dirs, meters.Dir{Path: dir})
	}
	if s.Shipped {
		sub, err := fs.Sub(shipped, "meters.d")
		if err != nil {
			return err
		}
		dirs = append(dirs, meters.Dir{Path: shippedDir, FS: sub})
	}
	if len(dirs) == 0 {
		return errors.New("no meter definitions: dirs is empty and shipped is false")
	}
	set, warnings, err := meters.Load(dirs...)
	if err != nil {
		return err
	}
	switch {
	case len(set.Definitions()) > 0:
	case len(warnings) > 0:
		return fmt.Errorf("no meter definition loaded: %w", errors.Join(warnings...))
	default:
		return fmt.Errorf("no meter definition in %s", strings.Join(s.Dirs, ", "))
	}
	m.loaded.Store(&loadedMeters{set: set, warnings: warnings})
	return nil
}

// EventTypes implements Handler: those of every definition.
func (m *Meters) EventTypes() []string { return m.loaded.Load().set.EventTypes() }

// Process implements Handler: the samples of the definitions whose event
// types match. A notification they find nothing to meter in yields no
// sample and no error; the error is one where Ceilometer fails on the
// notification (see meters.Set.Samples), and no sample is made of it.
func (m *Meters) Process(_ context.Context, n Notification) ([]sample.Sample, error) {
	samples, err := m.loaded.Load().set.Samples(&meters.Message{MessageID: n.MessageID, EventType: n.EventType, PublisherID: n.PublisherID,
		Timestamp: n.Timestamp.Time, Context: n.Context, Payload: n.Payload})
	for i := range samples {
		samples[i].Source = "notification/meters"
	}
	return samples, err
}

// Warnings implements Warner: the definitions left out, and the keys of
// definitions that were ignored.
func (m *Meters) Warnings() []error { return slices.Clone(m.loaded.Load().warnings) }

// Definitions returns the definitions loaded, in the order they make
// samples.
func (m *Meters) Definitions() []*meters.Definition { return m.loaded.Load().set.Definitions() }
