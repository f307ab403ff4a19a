package agent

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stevedore-go/stevedore"
)

// DefaultConfigFile is the configuration the program reads when it is
// given none and the file exists in the working directory.
const DefaultConfigFile = "ceilometer.toml"

// Config is the [agent] table of the configuration file. Every field has
// a default, so the program runs with no configuration at all:
//
//	[agent]
//	interval    = "10s"             # how often to poll
//	pollsters   = ["cpu", "memory"] # which pollsters; empty or absent: all
//	polling_namespaces = ["central", "compute"] # ceilometer.poll.NAME namespaces polled
//	listen      = "127.0.0.1:8777"  # where to accept notifications
//	storage     = "sqlite"          # the storage driver
//	concurrency = 4                 # pollsters polled at once
//	host        = "node-1"          # resource id of the host's meters; default: the host name
//	retention   = "720h"            # drop samples older than this; default 0: keep them all
//	sources     = ["http", "amqp"]  # where notifications come from; default: http, on listen
//	request_timeout = "30s"         # how long a client may take to send a request
//	drain_timeout   = "10s"         # on stop, how long requests in flight may take to finish
//
// The rest of the file holds the plugins' settings, one table each, such as
// [ceilometer.storage.sqlite].
type Config struct {
	Interval  time.Duration `toml:"interval"`
	Pollsters []string      `toml:"pollsters"`
	// PollingNamespaces are the short names of the namespaces polled
	// (ceilometer.poll.central...); a name of Pollsters selects the
	// pollsters of that name in each.
	PollingNamespaces []string      `toml:"polling_namespaces"`
	Listen            string        `toml:"listen"`
	Storage           string        `toml:"storage"`
	Concurrency       int           `toml:"concurrency"`
	Host              string        `toml:"host"`
	Retention         time.Duration `toml:"retention"`
	Sources           []string      `toml:"sources"`

	RequestTimeout time.Duration `toml:"request_timeout"`
	DrainTimeout   time.Duration `toml:"drain_timeout"`
}

// Defaults returns the configuration without a file.
func (Config) Defaults() Config {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return Config{Interval: 10 * time.Second, Listen: "127.0.0.1:8777", Storage: "sqlite", Concurrency: 4, Host: host, Sources: []string{"http"},
		PollingNamespaces: []string{"central", "compute"},
		RequestTimeout:    30 * time.Second, DrainTimeout: 10 * time.Second}
}

// file is the whole configuration file: the agent's table, and a table per
// namespace of plugin settings.
type file struct {
	Agent      *Config `toml:"agent"`
	Ceilometer any     `toml:"ceilometer"`
}

// EnvPrefix starts the names of the environment variables that override
// the configuration file: CEILOMETER_ followed by a key path in upper
// case, "__" between its segments, as stevedore.Settings.WithEnv spells
// it. CEILOMETER_AGENT__INTERVAL=30s sets [agent] interval, and
// CEILOMETER_CEILOMETER__STORAGE__SQLITE__PATH=/srv/samples.db sets path
// in [ceilometer.storage.sqlite].
const EnvPrefix = "CEILOMETER_"

// LoadConfig reads the configuration file at path, with the variables of
// environ (as os.Environ gives them) that start with EnvPrefix on top. An
// empty path means DefaultConfigFile if it exists, else the defaults
// alone. It returns the agent's configuration and the whole file as
// plugin settings. Unknown keys and values of the wrong type are errors
// that name the file, line and key, or the variable.
func LoadConfig(path string, environ []string) (Config, *stevedore.Settings, error) {
	cfg := Config{}.Defaults()
	var settings *stevedore.Settings
	if path == "" {
		if _, err := os.Stat(DefaultConfigFile); err == nil {
			path = DefaultConfigFile
		}
	}
	if path != "" {
		var err error
		if settings, err = stevedore.LoadSettings(path); err != nil {
			return cfg, nil, err
		}
	}
	settings = settings.WithEnv(EnvPrefix, environ)
	if err := settings.Decode("", &file{Agent: &cfg}); err != nil {
		return cfg, nil, err
	}
	return cfg, settings, cfg.Check()
}

// Check reports values that cannot work.
func (c Config) Check() error {
	var errs []error
	if c.Interval < time.Second {
		errs = append(errs, fmt.Errorf("agent.interval %v is shorter than a second", c.Interval))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("agent.concurrency %d is below 1", c.Concurrency))
	}
	if c.RequestTimeout < time.Second {
		errs = append(errs, fmt.Errorf("agent.request_timeout %v is shorter than a second", c.RequestTimeout))
	}
	if c.DrainTimeout < 0 {
		errs = append(errs, fmt.Errorf("agent.drain_timeout %v is negative", c.DrainTimeout))
	}
	for _, ns := range c.PollingNamespaces {
		if !validNamespace(ns) {
			errs = append(errs, fmt.Errorf("agent.polling_namespaces: %q is not a short namespace name such as \"central\" (lower-case letters, digits and _)", ns))
		}
	}
	if c.Storage == "" {
		errs = append(errs, errors.New("agent.storage is empty"))
	}
	if c.Host == "" {
		errs = append(errs, errors.New("agent.host is empty"))
	}
	if c.Retention < 0 || c.Retention > 0 && c.Retention < time.Hour {
		errs = append(errs, fmt.Errorf("agent.retention %v is shorter than an hour (0 keeps samples forever)", c.Retention))
	}
	return errors.Join(errs...)
}

func validNamespace(ns string) bool {
	return ns != "" && strings.Trim(ns, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}
