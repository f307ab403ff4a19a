// Package meters reads meter definitions in the format of OpenStack
// Ceilometer's meters.yaml, and makes samples of notifications with them as
// Ceilometer's notification agent does.
//
// A definition file is YAML (read as PyYAML reads it: YAML 1.1, with
// anchors, aliases and merge keys) whose key metric lists definitions:
//
//	metric:
//	  - name: volume.size
//	    event_type: [volume.create.*, volume.resize.*]
//	    type: gauge
//	    unit: GiB
//	    volume: $.payload.size
//	    resource_id: $.payload.volume_id
//	    project_id: $.payload.tenant_id
//	    metadata:
//	      display_name: $.payload.display_name
//
// name, event_type, type, unit, volume and resource_id are required, and
// may not be empty, false or 0. event_type is a Python regular expression,
// or a list of them, matched at the start of a notification's event type
// (see EventType). Every other value is a JSONPath expression in the dialect
// of jsonpath-rw-ext, evaluated on
//
//	{"ctxt": ..., "publisher_id": ..., "event_type": ..., "payload": ...,
//	 "metadata": {"message_id": ..., "timestamp": ...}}
//
// or an integer, which is itself, or {fields: [...], plugin: ...}, where
// the plugin (timedelta, split or map, as Ceilometer's trait plugins)
// makes the value of what the fields find. name, type and unit are
// expressions too: one that finds nothing, such as gauge, stays as
// written. lookup names the attributes that find a list of values, of
// which a lookup definition makes a sample each; user_metadata finds the
// user's metadata, of which the keys starting with "metering." are kept.
// Without metadata, a sample has the payload's members, with the event
// type and host.
//
// Samples follow Ceilometer 2026.1 (26.0.0), quirks included. Where this
// package differs: the bitfield plugin, a constant in a lookup definition
// and a null lookup are refused; a directory that does not exist is an
// error; a sample without a resource id, or whose volume is infinite or
// NaN, is dropped; metadata values are strings (JSON but for strings); the
// map plugin folds case with strings.ToLower, not Python's casefold.
package meters
