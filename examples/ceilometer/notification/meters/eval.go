package meters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/stevedore-go/stevedore/examples/ceilometer/internal/jsonpath"
	"github.com/stevedore-go/stevedore/examples/ceilometer/sample"
)

// Message is a notification as definitions see it. Expressions find their
// values in the document Ceilometer builds of it:
//
//	{"ctxt": Context, "publisher_id": ..., "event_type": ..., "payload": Payload,
//	 "metadata": {"message_id": ..., "timestamp": "2026-11-21 09:23:48.028195"}}
type Message struct {
	MessageID   string         // the notification's message_id
	EventType   string         // matched by the definitions' event_type
	PublisherID string         // the host, in metadata made of the payload
	Timestamp   time.Time      // the time of every sample whose definition gives none
	Context     map[string]any // the request context (oslo.messaging's _context_ keys)
	// Payload is the notification's payload, as encoding/json decodes it
	// with UseNumber: integers are exact, as Python reads them.
	// Expressions apply to those values only; numbers of other Go types
	// are read as numbers only as a volume.
	Payload any
}

// doc is the document expressions are evaluated on.
func (m *Message) doc() map[string]any {
	ctxt := m.Context
	if ctxt == nil {
		ctxt = map[string]any{}
	}
	ts := m.Timestamp.UTC().Format("2006-01-02 15:04:05.000000")
	if m.Timestamp.Nanosecond()/1000 == 0 {
		ts = m.Timestamp.UTC().Format(time.DateTime) // as Python's str(datetime)
	}
	return map[string]any{
		"ctxt":         ctxt,
		"publisher_id": m.PublisherID,
		"event_type":   m.EventType,
		"payload":      m.Payload,
		"metadata":     map[string]any{"message_id": m.MessageID, "timestamp": ts},
	}
}

// Samples returns the samples that the definitions matching m's event type
// make of it, in the order of the definitions, as Ceilometer makes them.
//
// A definition yields no sample where its volume is missing or not a
// number (as Ceilometer's pipeline drops it), where it has no name or
// resource id (which storage needs), or where a lookup's lists differ in
// length. None of that is an error: the notification is not one the
// definition meters. The error is where Ceilometer fails on the
// notification and makes no sample of it at all: an expression that
// cannot be evaluated on it (such as `sub` of a number), a timestamp that
// is not one, a volume that is a list or an object, a type found that is
// not one, or a null name. It is an *Error naming the definition.
//
// Unlike Ceilometer, a sample whose volume is infinite or NaN is dropped,
// and so is one without a resource id.
func (s *Set) Samples(m *Message) ([]sample.Sample, error) {
	defs := s.route(m.EventType)
	if len(defs) == 0 {
		return nil, nil
	}
	doc := m.doc()
	texts := textCache{}
	var out []sample.Sample
	for _, d := range defs {
		got, err := d.samples(doc, m, texts)
		if err != nil {
			return nil, &Error{File: d.File, Line: d.Line, Col: d.Col, Meter: d.Name, Err: err}
		}
		out = append(out, got...)
	}
	return out, nil
}

// Ceilometer's fallbacks for a sample's user and project. Because | binds
// tighter than ., they read ctxt.(user_id|ctxt).user and
// ctxt.(project_id|ctxt).tenant_id, and so usually find nothing; they are
// kept for what they do find.
var (
	fallbackUser    = mustParse("ctxt.user_id|ctxt.user")
	fallbackProject = mustParse("ctxt.project_id|ctxt.tenant_id")
)

func mustParse(s string) *field {
	e, err := jsonpath.Parse(s)
	if err != nil {
		panic(err)
	}
	return &field{expr: e}
}

// samples applies d to doc, as MeterDefinition.to_samples and
// Sample.from_notification do.
func (d *Definition) samples(doc map[string]any, m *Message, texts textCache) ([]sample.Sample, error) {
	var vals [numAttrs]any
	vals[attrName], vals[attrType], vals[attrUnit] = d.name, d.typ, d.unit
	var err error
	if vals[attrUserID], err = fallbackUser.find(doc, false); err != nil {
		return nil, err
	}
	if vals[attrProjectID], err = fallbackProject.find(doc, false); err != nil {
		return nil, err
	}
	meta := map[string]any{}
	for _, f := range d.metadata {
		v, err := f.find(doc, false)
		if err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
		if truthy(v) {
			meta[f.key] = v
		}
	}
	if d.userMeta != nil {
		v, err := d.userMeta.find(doc, false)
		if err != nil {
			return nil, err
		}
		if truthy(v) {
			if err := addUserMetadata(v, meta); err != nil {
				return nil, err
			}
		}
	}
	if d.lookup == nil {
		for i, f := range d.attrs {
			if f == nil {
				continue
			}
			v, err := f.find(doc, false)
			if err != nil {
				return nil, err
			}
			if v != nil {
				vals[i] = v
			}
		}
		s, ok, err := makeSample(vals, meta, m, texts)
		if !ok || err != nil {
			return nil, err
		}
		return []sample.Sample{s}, nil
	}

	// A lookup definition finds a list of values for each attribute, and
	// makes a sample of the first of each, then the second...
	var lists [numAttrs][]any
	for i := range vals {
		lists[i] = []any{vals[i]}
	}
	for i, f := range d.attrs {
		if f == nil {
			continue
		}
		v, err := f.find(doc, true)
		if err != nil {
			return nil, err
		}
		if l := v.([]any); i == attrName || slices.Contains(d.lookup, attrNames[i]) || len(l) > 0 {
			lists[i] = l
		}
	}
	n := len(lists[attrName])
	if n == 0 {
		return nil, nil
	}
	for i, l := range lists {
		if len(l) != n && (len(l) != 1 || slices.Contains(d.lookup, attrNames[i])) {
			return nil, nil // Ceilometer warns that only some meters have this attribute
		}
	}
	if n != 1 && (slices.Contains(d.lookup, "metadata") || slices.Contains(d.lookup, "message")) {
		return nil, nil
	}
	var out []sample.Sample
	for j := range n {
		var one [numAttrs]any
		for i, l := range lists {
			one[i] = l[min(j, len(l)-1)]
		}
		s, ok, err := makeSample(one, meta, m, texts)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// maxUserMetadata is how many characters of a string user metadata keeps
// (Ceilometer's reserved_metadata_length).
const maxUserMetadata = 256

// addUserMetadata adds the user's metadata whose keys start with
// "metering." to meta as its user_metadata, without the prefix and with
// "_" for ".", as Ceilometer's default reserved_metadata_namespace does;
// keys meta has already are left out.
func addUserMetadata(v any, meta map[string]any) error {
	src, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("user_metadata: want an object, got %s", text(v))
	}
	user := map[string]any{}
	for k, v := range src {
		rest, ok := strings.CutPrefix(k, "metering.")
		if !ok {
			continue
		}
		key := strings.ReplaceAll(rest, ".", "_")
		if _, taken := meta[key]; taken {
			continue
		}
		if s, ok := v.(string); ok && len(s) > maxUserMetadata {
			if r := []rune(s); len(r) > maxUserMetadata {
				v = string(r[:maxUserMetadata])
			}
		}
		user[key] = v
	}
	if len(user) > 0 {
		meta["user_metadata"] = user
	}
	return nil
}

// makeSample is Sample.from_notification, then the checks of Ceilometer's
// pipeline, and of this program's storage: ok is false for a sample
// dropped. A type that is not gauge, delta or cumulative (which only a
// lookup definition can find) is an error, as Ceilometer's Sample refuses
// it.
func makeSample(vals [numAttrs]any, meta map[string]any, m *Message, texts textCache) (s sample.Sample, ok bool, err error) {
	metadata := map[string]string{}
	if len(meta) == 0 {
		// No metadata: the payload's members, and the event type and
		// host, as Ceilometer does.
		p, _ := m.Payload.(map[string]any)
		meta = make(map[string]any, len(p)+2)
		maps.Copy(meta, p)
		meta["event_type"], meta["host"] = m.EventType, m.PublisherID
	}
	for k, v := range meta {
		if v != nil {
			metadata[k] = texts.text(v)
		}
	}
	// In Ceilometer's order: the timestamp and the type fail the
	// notification (from_notification, Sample), a null name too (the
	// pipeline matches names); then the pipeline drops what has no volume.
	ts := m.Timestamp
	if truthy(vals[attrTimestamp]) {
		if ts, err = parseISOTime(vals[attrTimestamp]); err != nil {
			return s, false, fmt.Errorf("timestamp: %w", err)
		}
	}
	if t := sample.Type(text(vals[attrType])); !t.Valid() {
		return s, false, fmt.Errorf("type %q is not gauge, delta or cumulative", t)
	}
	if vals[attrName] == nil {
		return s, false, errors.New("name: null")
	}
	volume, ok, err := toVolume(vals[attrVolume])
	if !ok || err != nil {
		return s, false, err
	}
	s = sample.Sample{
		Meter:      text(vals[attrName]),
		Type:       sample.Type(text(vals[attrType])),
		Unit:       text(vals[attrUnit]),
		Volume:     volume,
		ResourceID: text(vals[attrResourceID]),
		ProjectID:  text(vals[attrProjectID]),
		UserID:     text(vals[attrUserID]),
		Timestamp:  ts.UTC(),
		Metadata:   metadata,
	}
	if s.Meter == "" || s.ResourceID == "" {
		return s, false, nil // storage needs both
	}
	return s, true, nil
}

// toVolume is the volume as Ceilometer's pipeline takes it: a number, or
// what Python's float() reads. ok is false for a volume that is missing
// or not a number, which Ceilometer drops, and for infinities and NaN,
// which storage cannot keep. A list or an object is an error, as there.
func toVolume(v any) (f float64, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return 0, false, nil
	case bool:
		if v {
			return 1, true, nil
		}
		return 0, true, nil
	case *big.Int:
		f, _ = new(big.Float).SetInt(v).Float64()
	case float64:
		f = v
	case json.Number:
		f, err = strconv.ParseFloat(v.String(), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, false, nil
		}
	case string:
		var good bool
		if f, good = pyFloat(v); !good {
			return 0, false, nil
		}
	default:
		var good bool
		if f, good = goNumber(v); !good {
			return 0, false, fmt.Errorf("volume: want a number, got %s", text(v))
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false, nil
	}
	return f, true, nil
}

// goNumber reads a number of a Go type that encoding/json does not make,
// in a payload built in Go.
func goNumber(v any) (float64, bool) {
	rv := reflect.ValueOf(v)
	switch {
	case rv.CanInt():
		return float64(rv.Int()), true
	case rv.CanUint():
		return float64(rv.Uint()), true
	case rv.CanFloat():
		return rv.Float(), true
	}
	return 0, false
}

// pyFloat reads a string as Python's float() does.
func pyFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if !pyFloatSyntax.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	return f, err == nil || errors.Is(err, strconv.ErrRange)
}

var pyFloatSyntax = regexp.MustCompile(strings.ReplaceAll(`^[-+]?(?:(?:D(?:\.(?:D)?)?|\.D)(?:[eE][-+]?D)?|(?i:inf|infinity|nan))$`, "D", `\d(?:_?\d)*`))

// textCache remembers the text of the objects and lists of one
// notification's document, which the metadata of several definitions
// share (an instance's image_meta, in five meters). Its keys keep their
// objects alive, so that no other can take an address while it is used.
type textCache map[textKey]string

type textKey struct {
	p unsafe.Pointer
	n int
}

// text is text(v), once per object or list.
func (c textCache) text(v any) string {
	switch v.(type) {
	case map[string]any, []any:
		rv := reflect.ValueOf(v)
		k := textKey{rv.UnsafePointer(), rv.Len()}
		if s, ok := c[k]; ok {
			return s
		}
		s := text(v)
		c[k] = s
		return s
	}
	return text(v)
}

// text is a value as a sample holds it: a string as it is, anything else
// as JSON (numbers as written, true, objects with their keys sorted).
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case *big.Int:
		return v.String()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only values YAML made (a map plugin's) hold what JSON cannot
		// write: infinities and NaN.
		b.Reset()
		if err := enc.Encode(jsonable(v)); err != nil {
			return fmt.Sprint(v)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonable replaces what encoding/json cannot write: non-finite floats.
func jsonable(v any) any {
	switch v := v.(type) {
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return pyStr(v)
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonable(e)
		}
		return out
	}
	return v
}

// pyText is Python's str() of a value found in a notification, but that
// lists and objects are written as JSON.
func pyText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil, bool, *big.Int, float64:
		return pyStr(v)
	}
	return text(v)
}

// isoTime is what oslo.utils' parse_isotime reads (the iso8601
// library): a year, then optionally a month, then a day, then a time after
// a space or T, with a zone or in UTC.
var isoTime = regexp.MustCompile(`^(\d{4})(?:(?:-(\d{1,2})|(\d{2}))(?:(?:-(\d{1,2})|(\d{2}))` +
	`(?:[T ](\d{2})(?::?(\d{2}))?(?::?(\d{1,2})(?:[.,](\d+))?)?(Z|([-+])(\d{2}):?(\d{2})?)?)?)?)?$`)

// parseISOTime reads a timestamp as Ceilometer does: to the microsecond.
func parseISOTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("want a string, got %s", text(v))
	}
	p := isoTime.FindStringSubmatch(s)
	if p == nil || (p[3] != "" && p[4] == "" && p[5] == "") { // YYYYMM alone is refused
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 time", s)
	}
	num := func(def int, groups ...int) int {
		for _, g := range groups {
			if p[g] != "" {
				n, _ := strconv.Atoi(p[g])
				return n
			}
		}
		return def
	}
	micro := 0
	if p[9] != "" {
		micro, _ = strconv.Atoi((p[9] + "000000")[:6])
	}
	zone := time.UTC
	if p[10] != "" && p[10] != "Z" {
		offset := num(0, 12)*3600 + num(0, 13)*60
		if p[11] == "-" {
			offset = -offset
		}
		zone = time.FixedZone("", offset)
	}
	year, month, day := num(0, 1), num(1, 2, 3), num(1, 4, 5)
	hour, minute, second := num(0, 6), num(0, 7), num(0, 8)
	t := time.Date(year, time.Month(month), day, hour, minute, second, micro*1000, zone)
	if month < 1 || month > 12 || day < 1 || t.Day() != day || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, fmt.Errorf("%q is not a valid time", s)
	}
	return t.UTC(), nil
}
