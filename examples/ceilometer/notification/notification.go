// Package notification turns the notifications that OpenStack services
// emit into samples: the dispatcher pattern, where each notification goes
// to the handlers, of the namespace "ceilometer.notification", whose event
// types match its own.
//
// The handler this package declares, meters, makes samples as Ceilometer's
// notification agent does, from meter definitions in the format of its
// meters.yaml (package meters reads them): those this package ships, in
// meters.d, and those an operator adds or replaces.
package notification

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// Namespace is where notification handlers declare themselves.
const Namespace = "ceilometer.notification"

// Handler turns notifications of some event types into samples.
// Implementations must be safe for concurrent use.
type Handler interface {
	// EventTypes are the patterns of the event types the handler takes,
	// read as Ceilometer reads those of its notification endpoints and
	// meter definitions: Python regular expressions matched at the start
	// of the event type (see meters.EventType), such as
	// "compute.instance.*" or, to leave some out,
	// "compute.instance.(?!create.start|update).*". They are read once,
	// when the router is built. (They were globs once, with "!" to
	// exclude: a pattern starting with "!" is refused, with the handler.)
	EventTypes() []string
	// Process makes samples of a notification whose type matched.
	Process(ctx context.Context, n Notification) ([]sample.Sample, error)
}

// Notification is an OpenStack notification, as oslo.messaging emits it.
type Notification struct {
	MessageID   string         `json:"message_id,omitempty"`
	EventType   string         `json:"event_type"`
	PublisherID string         `json:"publisher_id"`
	Priority    string         `json:"priority,omitempty"`
	Timestamp   Time           `json:"timestamp"`
	Payload     map[string]any `json:"payload"` // numbers are json.Number: integers stay exact
	// Context is the request context, which oslo.messaging sends as the
	// message's members whose names start with "_context_" (without
	// that prefix here).
	Context map[string]any `json:"-"`
}

// Time is a notification's timestamp. OpenStack writes it without a zone,
// in UTC ("2012-05-08 20:23:48.028195"); RFC 3339 is accepted too.
type Time struct{ time.Time }

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	time.RFC3339Nano,
}

// UnmarshalJSON reads the layouts OpenStack services use.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: want a string, got %s", b)
	}
	for _, layout := range timeLayouts {
		if tm, err := time.Parse(layout, s); err == nil {
			t.Time = tm.UTC()
			return nil
		}
	}
	return fmt.Errorf("timestamp: %q is not a date and time", s)
}

// MarshalJSON writes RFC 3339.
func (t Time) MarshalJSON() ([]byte, error) { return json.Marshal(t.Time.Format(time.RFC3339Nano)) }

// Validate reports the fields a notification lacks, on one line.
func (n *Notification) Validate() error {
	var missing []string
	if n.EventType == "" {
		missing = append(missing, "event_type")
	}
	if n.PublisherID == "" {
		missing = append(missing, "publisher_id")
	}
	if n.Timestamp.IsZero() {
		missing = append(missing, "timestamp")
	} else if y := n.Timestamp.Year(); y < 1970 || y >= 2200 {
		// Samples carry the notification's time, and storage keeps no
		// other: a notification of the year 0 is a broken one.
		return fmt.Errorf("timestamp %s is outside 1970 to 2199", n.Timestamp.Format(time.RFC3339))
	}
	if n.Payload == nil {
		missing = append(missing, "payload")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("missing %s", strings.Join(missing, ", "))
}

// Error is the problem with one notification of a batch.
type Error struct {
	Index int // its position in the batch, from 0; -1 for the body as a whole
	Err   error
}

// Error says which notification, or the body, and what is wrong.
func (e *Error) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("body: %v", e.Err)
	}
	return fmt.Sprintf("notification %d: %v", e.Index, e.Err)
}

// Unwrap returns the problem.
func (e *Error) Unwrap() error { return e.Err }

// Decode reads one notification, or a JSON array of them, and validates
// each on its own: it returns the valid ones, their positions in the batch,
// and an *Error for each of the others, so that one bad notification does
// not lose the rest.
//
// A notification may come as oslo.messaging puts it on the wire, in its
// version 2 envelope, {"oslo.version": "2.0", "oslo.message": "<the
// notification, as a JSON string>"}, or bare, as version 1 did. The body
// must be UTF-8, and no string may hold a NUL (\u0000): what is stored is
// what was sent, or nothing.
func Decode(body []byte) (ns []Notification, positions []int, errs []error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil, []error{&Error{Index: -1, Err: errors.New("empty")}}
	}
	if !utf8.Valid(body) {
		return nil, nil, []error{&Error{Index: -1, Err: errors.New("not UTF-8")}}
	}
	if body[0] != '[' {
		var v json.RawMessage
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, nil, []error{&Error{Index: -1, Err: fmt.Errorf("not JSON: %w", err)}}
		}
	}
	raws := []json.RawMessage{body}
	if body[0] == '[' {
		raws = nil
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, nil, []error{&Error{Index: -1, Err: fmt.Errorf("not a JSON array of notifications: %w", err)}}
		}
	}
	for i, raw := range raws {
		n, err := decodeOne(raw)
		if err != nil {
			errs = append(errs, &Error{Index: i, Err: err})
			continue
		}
		ns, positions = append(ns, n), append(positions, i)
	}
	return ns, positions, errs
}

// envelope is oslo.messaging's message envelope, version 2.
type envelope struct {
	Version *string `json:"oslo.version"`
	Message *string `json:"oslo.message"`
}

func decodeOne(raw json.RawMessage) (Notification, error) {
	var n Notification
	if bytes.Contains(raw, []byte(`"oslo.message"`)) {
		var env envelope
		if err := json.Unmarshal(raw, &env); err == nil && env.Message != nil {
			if env.Version == nil || *env.Version != "2.0" {
				return n, errors.New(`an oslo.messaging envelope of another version than "2.0"`)
			}
			raw = json.RawMessage(*env.Message)
			if !json.Valid(raw) {
				return n, errors.New("oslo.message: not a JSON notification")
			}
		}
	}
	if bytes.Contains(raw, []byte(`\u0000`)) {
		return n, errors.New(`a string holds a NUL (\u0000)`)
	}
	// raw is one valid JSON value: the decoder reads all of it.
	if err := decodeNumbers(raw, &n); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			switch kind := jsonKind(typeErr.Type); {
			case typeErr.Field == "":
				return n, fmt.Errorf("want a JSON object, got a JSON %s", typeErr.Value)
			case kind == "a JSON number" && strings.HasPrefix(typeErr.Value, "number"):
				return n, fmt.Errorf("%s: %s is out of range", typeErr.Field, typeErr.Value)
			default:
				return n, fmt.Errorf("%s: want %s, got a JSON %s", typeErr.Field, kind, typeErr.Value)
			}
		}
		return n, err
	}
	if bytes.Contains(raw, []byte(`"_context_`)) {
		var members map[string]any
		if err := decodeNumbers(raw, &members); err == nil {
			for k, v := range members {
				if name, ok := strings.CutPrefix(k, "_context_"); ok {
					if n.Context == nil {
						n.Context = map[string]any{}
					}
					n.Context[name] = v
				}
			}
		}
	}
	return n, n.Validate()
}

// decodeNumbers decodes raw into v with numbers as json.Number.
func decodeNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// jsonKind names what JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	case reflect.String:
		return "a JSON string"
	case reflect.Bool:
		return "a JSON boolean"
	default:
		return "a JSON number"
	}
}
