package jsonpath

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decode reads a JSON document as Find expects it, with UseNumber.
func decode(t testing.TB, doc string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

// find parses expr, finds in doc and returns the values as JSON.
func find(t testing.TB, expr string, doc any) string {
	t.Helper()
	e, err := Parse(expr)
	require.NoError(t, err, expr)
	vs, err := e.Find(doc)
	require.NoError(t, err, expr)
	b, err := json.Marshal(vs)
	require.NoError(t, err)
	return string(b)
}

// Notifications in the shapes the services emit them, as Ceilometer's
// notification agent hands them to its meter definitions: event_type,
// payload, publisher_id, ctxt, and metadata with message_id and timestamp.
const (
	novaCreateEnd = `{
	"event_type": "compute.instance.create.end",
	"publisher_id": "compute.node-1",
	"ctxt": {"user_id": "u-ctxt", "project_id": "p-ctxt"},
	"metadata": {"message_id": "m-1", "timestamp": "2026-03-02 10:00:05.000001"},
	"payload": {
		"tenant_id": "p-1", "user_id": "u-1",
		"instance_id": "9f9d01b9-4a58-4271-9e27-398b21ab20d1",
		"display_name": "vm1", "host": "node-1",
		"instance_type": "m1.small", "instance_flavor_id": "2",
		"memory_mb": 2048, "vcpus": 1, "root_gb": 20, "ephemeral_gb": 0, "disk_gb": 20,
		"created_at": "2026-03-02 10:00:00+00:00",
		"launched_at": "2026-03-02T10:00:04.500000+00:00",
		"deleted_at": "",
		"image_meta": {"base_image_ref": "img-1", "min_disk": "20"},
		"metadata": {"metering.stack": "s-1", "role": "web"}
	}}`

	cinderVolume = `{
	"event_type": "volume.create.end",
	"publisher_id": "volume.node-2",
	"payload": {
		"tenant_id": "p-1", "user_id": "u-1",
		"volume_id": "v-1", "display_name": "data", "size": 10,
		"volume_type": "vt-1", "status": "available",
		"volume_attachment": [{"id": "a-1", "instance_uuid": "i-1", "attach_status": "attached"}],
		"glance_metadata": [{"key": "image_name", "value": "cirros"}, {"key": "image_id", "value": "img-1"}]
	}}`

	cinderPool = `{
	"event_type": "capacity.pool",
	"publisher_id": "capacity.node-2",
	"payload": {
		"name_to_id": "node-2@lvm#pool-a", "total": 100.0, "free": 42.5,
		"allocated": 57.5, "provisioned": 60.0, "virtual_free": 40.0,
		"reported_at": "2026-03-02T10:00:00"
	}}`

	glanceSend = `{
	"event_type": "image.send",
	"publisher_id": "image.node-3",
	"payload": {"image_id": "img-1", "bytes_sent": 13287936, "owner_id": "p-owner",
		"receiver_user_id": "u-2", "receiver_tenant_id": "p-2", "destination_ip": "10.0.0.7"}}`

	swiftRequest = `{
	"event_type": "objectstore.http.request",
	"publisher_id": "ceilometermiddleware",
	"payload": {
		"target": {"id": "AUTH_p-1", "action": "get", "metadata": {"container": "c", "object": "o"}},
		"initiator": {"id": "u-1", "project_id": "p-1"},
		"measurements": [
			{"metric": {"metricId": "openstack:uuid", "name": "storage.objects.outgoing.bytes", "unit": "B"}, "result": 28},
			{"metric": {"metricId": "openstack:uuid2", "name": "storage.objects.incoming.bytes", "unit": "B"}, "result": 1}
		],
		"outcome": "success"
	}}`

	keystoneAuth = `{
	"event_type": "identity.authenticate",
	"publisher_id": "identity.node-4",
	"payload": {"typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event",
		"action": "authenticate", "outcome": "failure",
		"initiator": {"id": "u-1", "typeURI": "service/security/account/user"}}}`

	novaMetrics = `{
	"event_type": "compute.metrics.update",
	"publisher_id": "compute.tianst.sh.intel.com",
	"payload": {
		"nodename": "tianst.sh.intel.com", "host": "tianst", "host_id": "10.0.1.1",
		"metrics": [
			{"timestamp": "2013-07-29T06:51:34.472416", "name": "cpu.frequency", "value": 1600, "source": "libvirt.LibvirtDriver"},
			{"timestamp": "2013-07-29T06:51:34.472416", "name": "cpu.user.time", "value": 17421440000000, "source": "libvirt.LibvirtDriver"},
			{"timestamp": "2013-07-29T06:51:34.472416", "name": "cpu.percent", "value": 0.027501485834103515, "source": "libvirt.LibvirtDriver"}
		]}}`

	neutronMeter = `{
	"event_type": "l3.meter",
	"publisher_id": "metering.node-5",
	"payload": {"label_id": "l-1", "tenant_id": "p-1", "bytes": 4096, "pkts": 3, "time": 30, "host": "node-5"}}`

	manilaShare = `{
	"event_type": "share.create.end",
	"publisher_id": "share.node-6",
	"payload": {"share_id": "s-1", "user_id": "u-1", "project_id": "p-1", "size": 5,
		"name": "share1", "host": "node-6@generic#pool", "status": "available",
		"availability_zone": "nova", "proto": "NFS"}}`
)

// TestShippedExpressions evaluates the expressions of the meter definitions
// Ceilometer ships (meters.yaml of the 2026.1 release) on notifications of
// the shapes they meter.
func TestShippedExpressions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc, expr, want string
	}{
		// nova: memory, vcpus, disk.root.size, disk.ephemeral.size, compute.instance.booting.time
		{novaCreateEnd, `$.payload.memory_mb`, `[2048]`},
		{novaCreateEnd, `$.payload.vcpus`, `[1]`},
		{novaCreateEnd, `$.payload.root_gb`, `[20]`},
		{novaCreateEnd, `$.payload.ephemeral_gb`, `[0]`},
		{novaCreateEnd, `$.payload.instance_id`, `["9f9d01b9-4a58-4271-9e27-398b21ab20d1"]`},
		{novaCreateEnd, `$.payload.tenant_id`, `["p-1"]`},
		{novaCreateEnd, `$.payload.image_meta.base_image_ref`, `["img-1"]`},
		{novaCreateEnd, `$.payload.image_meta`, `[{"base_image_ref":"img-1","min_disk":"20"}]`},
		{novaCreateEnd, `$.payload.metadata`, `[{"metering.stack":"s-1","role":"web"}]`},
		{novaCreateEnd, `$.payload.deleted_at`, `[""]`},
		// A timedelta's fields, which Ceilometer joins as (a)|(b).
		{novaCreateEnd, `($.payload.created_at)|($.payload.launched_at)`,
			`["2026-03-02 10:00:00+00:00","2026-03-02T10:00:04.500000+00:00"]`},
		// Ceilometer's fallback for user_id and project_id finds nothing:
		// | binds tighter than ., so this is ctxt.(user_id|ctxt).user.
		{novaCreateEnd, `ctxt.user_id|ctxt.user`, `[]`},
		{novaCreateEnd, `ctxt.project_id|ctxt.tenant_id`, `[]`},
		// A constant such as a unit or a meter name is parsed as a path too,
		// and finds nothing, so the constant stands.
		{novaCreateEnd, `MiB`, `[]`},
		{novaCreateEnd, `compute.instance.booting.time`, `[]`},

		// cinder: volume.size, with its metadata
		{cinderVolume, `$.payload.size`, `[10]`},
		{cinderVolume, `$.payload.volume_id`, `["v-1"]`},
		{cinderVolume, `$.payload.glance_metadata[?key=image_id].value`, `["img-1"]`},
		// cinder's attachments carry instance_uuid, not server_id.
		{cinderVolume, `$.payload.volume_attachment[0].server_id`, `[]`},
		{cinderVolume, `$.payload.volume_attachment[0].instance_uuid`, `["i-1"]`},

		// cinder: volume.provider.pool.capacity.*
		{cinderPool, `$.payload.virtual_free`, `[40.0]`},
		{cinderPool, `$.payload.name_to_id`, `["node-2@lvm#pool-a"]`},
		{cinderPool, "$.payload.name_to_id.`split(#, 0, 1)`", `["node-2@lvm"]`},

		// glance: image.download, image.serve
		{glanceSend, `$.payload.bytes_sent`, `[13287936]`},
		{glanceSend, `$.payload.receiver_tenant_id`, `["p-2"]`},
		{glanceSend, `$.payload.owner_id`, `["p-owner"]`},

		// swift: storage.objects.{incoming,outgoing}.bytes, as lookups
		{swiftRequest, `$.payload.measurements.[*].metric.[*].name`,
			`["storage.objects.outgoing.bytes","storage.objects.incoming.bytes"]`},
		{swiftRequest, `$.payload.measurements.[*].metric.[*].unit`, `["B","B"]`},
		{swiftRequest, `$.payload.measurements.[*].result`, `[28,1]`},
		{swiftRequest, `$.payload.target.id`, `["AUTH_p-1"]`},
		{swiftRequest, `$.payload.initiator.project_id`, `["p-1"]`},

		// keystone: identity.authenticate.{success,failure,pending}
		{keystoneAuth, "$.payload.outcome.`sub(/.*/, )` + 'identity.authenticate.' + $.payload.outcome",
			`["identity.authenticate.failure"]`},
		{keystoneAuth, `$.payload.initiator.id`, `["u-1"]`},

		// nova: compute.node.cpu.*, checked against Ceilometer's own test
		{novaMetrics, `$.payload.metrics[?(@.name='cpu.frequency')].value`, `[1600]`},
		{novaMetrics, `$.payload.metrics[?(@.name='cpu.user.time')].value`, `[17421440000000]`},
		{novaMetrics, `$.payload.metrics[?(@.name='cpu.percent')].value * 100`, `[2.7501485834103514]`},
		{novaMetrics, `$.payload.metrics[?(@.name='cpu.frequency')].timestamp`, `["2013-07-29T06:51:34.472416"]`},
		{novaMetrics, `$.payload.metrics[?(@.name='cpu.frequency')].source`, `["libvirt.LibvirtDriver"]`},
		{novaMetrics, `$.payload.metrics[?(@.name='cpu.idle.time')].value`, `[]`},
		{novaMetrics, `$.payload.host + "_" + $.payload.nodename`, `["tianst_tianst.sh.intel.com"]`},
		{novaMetrics, `'prefix-' + $.payload.nodename`, `["prefix-tianst.sh.intel.com"]`},
		{novaMetrics, `$.event_type`, `["compute.metrics.update"]`},
		{novaMetrics, `$.publisher_id`, `["compute.tianst.sh.intel.com"]`},

		// neutron: bandwidth
		{neutronMeter, `$.payload.bytes`, `[4096]`},
		{neutronMeter, `$.payload.label_id`, `["l-1"]`},

		// manila: manila.share.size
		{manilaShare, `$.payload.size`, `[5]`},
		{manilaShare, `$.payload.proto`, `["NFS"]`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			assert.JSONEq(t, tt.want, find(t, tt.expr, decode(t, tt.doc)))
		})
	}
}

// A document exercising every construct.
const sampleDoc = `{
	"payload": {
		"a": 2, "b": 3, "c": 5, "f": 0.5, "big": 123456789012345678901234567890,
		"s": "a#b#c", "x": "abc", "t": true, "nul": null, "empty": [],
		"l": [3, 1, 2], "words": ["b", "a", "c"],
		"d": {"b": 1, "a": 2},
		"objs": [{"k": "x", "v": 2}, {"k": "y", "v": 1}, {"v": 0}, {"k": "z", "v": "7"}],
		"recs": [{"k": "x", "v": 2}, {"k": "y", "v": 1}, {"k": "w", "v": 3}],
		"nested": {"v": [1, {"v": 2}], "w": {"v": 3}},
		"where": "kw", "true-ish": "t", "a b": "space"
	},
	"ctxt": {"user_id": "u1", "user": "u2"}
}`

func TestFind(t *testing.T) {
	t.Parallel()
	doc := decode(t, sampleDoc)
	tests := []struct {
		name, expr, want string
	}{
		{"root", `$.ctxt`, `[{"user":"u2","user_id":"u1"}]`},
		{"this", `@.ctxt.user`, `["u2"]`},
		{"this named", "`this`.ctxt.user", `["u2"]`},
		{"bare name", `ctxt.user_id`, `["u1"]`},
		{"quoted name", `$.payload.'a b'`, `["space"]`},
		{"double quoted name", `$.payload."where"`, `["kw"]`},
		{"bracket names", `$['payload']['a']`, `[2]`},
		{"name list", `$.payload.a,b,nope`, `[2,3]`},
		{"wildcard", `$.payload.d.*`, `[2,1]`},
		{"wildcard in a list", `$.payload.d.b,'*'`, `[2,1]`},
		{"member of a list", `$.payload.l.a`, `[]`},
		{"null", `$.payload.nul`, `[null]`},
		{"descendants", `$.payload.nested..v`, `[[1,{"v":2}],2,3]`},
		{"union", `($.payload.a)|($.payload.b)`, `[2,3]`},
		{"union binds tighter than dot", `$.payload.a|$.payload.b`, `[3]`},
		{"where", `$.payload.objs[*] where k`, `[{"k":"x","v":2},{"k":"y","v":1},{"k":"z","v":"7"}]`},
		{"index", `$.payload.l[0]`, `[3]`},
		{"negative index", `$.payload.l[-1]`, `[2]`},
		{"index past the end", `$.payload.l[3]`, `[]`},
		{"index into a string", `$.payload.x[1]`, `["b"]`},
		{"slice all", `$.payload.l[*]`, `[3,1,2]`},
		{"slice", `$.payload.l[1:]`, `[1,2]`},
		{"slice to", `$.payload.l[:-1]`, `[3,1]`},
		{"slice of an object", `$.payload.d.[*]`, `[{"a":2,"b":1}]`},
		{"slice of a string", `$.payload.s[0:1]`, `["a#b#c"]`},
		{"filter on equality", `$.payload.objs[?k=y].v`, `[1]`},
		{"filter with ==", `$.payload.objs[?(@.k=='x')].v`, `[2]`},
		{"filter on presence", `$.payload.objs[?k].v`, `[2,1,"7"]`},
		{"filter with and", `$.payload.objs[?v>1 & k].k`, `["x","z"]`},
		{"filter skips what is no numeral", `$.payload.objs[?k>1]`, `[]`},
		{"filter not equal", `$.payload.objs[?k!='x'].v`, `[1,"7"]`},
		{"filter on a float", `$.payload.recs[?v>=1.5].k`, `["x","w"]`},
		{"filter reads numerals", `$.payload.objs[?v>5].k`, `["z"]`},
		{"filter regex", `$.payload.objs[?k~'[xz]'].v`, `[2,"7"]`},
		{"filter on a boolean", `$.payload.objs[?v=true].k`, `["y"]`},
		{"filter root is the member", `$.payload.objs[?$.v=0]`, `[{"v":0}]`},
		{"filter of an object", `$.payload.d[?a]`, `[]`},
		{"sort ascending", `$.payload.recs[/v]`, `[[{"k":"y","v":1},{"k":"x","v":2},{"k":"w","v":3}]]`},
		{"sort descending", `$.payload.recs[\k][0].v`, `[1]`},
		{"sort by two keys", `$.payload.recs[/nope,\v][0].k`, `["w"]`},
		{"sorted", "$.payload.l.`sorted`", `[[1,2,3]]`},
		{"sorted names", "$.payload.d.`sorted`", `[["a","b"]]`},
		{"len of a list", "$.payload.l.`len`", `[3]`},
		{"len of a string", "$.payload.x.`len`", `[3]`},
		{"len of a number", "$.payload.a.`len`", `[]`},
		{"sub", "$.payload.s.`sub(/#/, -)`", `["a-b-c"]`},
		{"sub with a group", "$.payload.s.`sub(/(a)#(b)/, \\\\2\\\\1)`", `["ba#c"]`},
		{"sub that changes nothing", "$.payload.s.`sub(/z/, -)`", `[]`},
		{"split", "$.payload.s.`split(#, 1, -1)`", `["b"]`},
		{"split at most once", "$.payload.s.`split(#, 1, 1)`", `["b#c"]`},
		{"split past the end", "$.payload.s.`split(#, 5, -1)`", `[]`},
		{"split of a number", "$.payload.a.`split(#, 0, -1)`", `[]`},
		{"parent", "$.payload.d.a.`parent`.b", `[1]`},
		{"sum", `$.payload.a + $.payload.b`, `[5]`},
		{"right to left", `$.payload.a * $.payload.b + $.payload.c`, `[16]`},
		{"difference", `$.payload.a - $.payload.b - $.payload.c`, `[4]`},
		{"integer stays exact", `$.payload.big * 10`, `[1234567890123456789012345678900]`},
		{"float", `$.payload.f * 3`, `[1.5]`},
		{"float written as Python", `$.payload.f * 4`, `[2.0]`},
		{"constants", `2 * 3 + 1`, `[8]`},
		{"concatenation", `$.payload.x + '-' + $.payload.s`, `["abc-a#b#c"]`},
		{"repetition", `$.payload.x * 2`, `["abcabc"]`},
		{"boolean as integer", `$.payload.t + 1`, `[2]`},
		{"pairwise", `$.payload.l[*] * $.payload.l[*]`, `[9,1,4]`},
		{"list concatenation", `$.payload.l + $.payload.words`, `[[3,1,2,"b","a","c"]]`},
		{"values that do not combine", `$.payload.x - 1`, `[]`},
		{"null does not combine", `$.payload.nul + 1`, `[]`},
		{"uneven sides", `$.payload.l[*] + $.payload.a`, `[]`},
		{"single name is a string", `$.payload.x + y`, `["abcy"]`},
		{"name starting with true", `$.payload.'true-ish'`, `["t"]`},
		{"keyword as a name", `$.payload.'where'`, `["kw"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.JSONEq(t, tt.want, find(t, tt.expr, doc))
		})
	}
}

func TestFindFloat64Documents(t *testing.T) {
	t.Parallel()
	var doc any
	require.NoError(t, json.Unmarshal([]byte(`{"memory_mb": 512}`), &doc))
	// Without UseNumber, 512 is a float, as in Python 512.0.
	assert.Equal(t, `[1024.0]`, find(t, `$.memory_mb * 2`, doc))
	assert.Equal(t, `[1024]`, find(t, `$.memory_mb * 2`, decode(t, `{"memory_mb": 512}`)))
}

func TestFindErrors(t *testing.T) {
	t.Parallel()
	doc := decode(t, sampleDoc)
	tests := []struct {
		expr, want string
		kind       error
	}{
		{"$.payload.a.`sub(/1/, 2)`", "jsonpath: `sub` of an integer: it needs a string", ErrEval},
		{`$.payload.d[0]`, "jsonpath: index [0] of an object", ErrEval},
		{`$.payload.a[0]`, "jsonpath: index [0] of an integer", ErrEval},
		{`$.payload.l[-4]`, "jsonpath: index [-4] of a list of 3", ErrEval},
		{`$.payload.f[*]`, "jsonpath: slice of a float", ErrEval},
		{`$.payload.nul[*]`, "jsonpath: slice of null", ErrEval},
		{`$.payload.objs[/v]`, "jsonpath: sorting by values of a string and an integer", ErrEval},
		{"$.payload.objs.`sorted`", "jsonpath: sorting a list holding an object and an object", ErrEval},
		{"`sorted`", "jsonpath: `sorted` of the value evaluation starts from, which jsonpath-rw-ext cannot sort", ErrEval},
		{"$.payload.a.`sorted`", "jsonpath: iterating over what `sorted` gave back for an integer it does not sort", ErrEval},
		{`$.payload.nested.v[?@>1]`, "jsonpath: int() of an object, to compare with 1", ErrEval},
		{`$.payload.objs[?k<1.5]`, "jsonpath: < between a string and a float", ErrEval},
		{`$.payload.objs[?v~'x']`, "jsonpath: ~ between an integer and a string: it needs strings", ErrEval},
		{"$.`parent`", "jsonpath: a value of `parent` at the top, which is None", ErrEval},
		{`$.payload.x * 99999999999`, "jsonpath: evaluation builds or scans more than 16777216 bytes of strings", ErrLimit},
		{`$.payload.x * 99999999999999999999`, "jsonpath: repeating a string more times than an index can count", ErrEval},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			e, err := Parse(tt.expr)
			require.NoError(t, err)
			vs, err := e.Find(doc)
			require.ErrorIs(t, err, tt.kind)
			assert.EqualError(t, err, tt.want)
			assert.Nil(t, vs)
		})
	}
}

func TestFindLimits(t *testing.T) {
	t.Parallel()
	chain := any("end")
	for range 200 {
		chain = map[string]any{"a": chain}
	}
	e, err := Parse(`$..*..*..*..*`)
	require.NoError(t, err)
	_, err = e.Find(chain)
	require.ErrorIs(t, err, ErrLimit)

	// Each union doubles what is found, with no new value to visit.
	e, err = Parse("$" + strings.Repeat(".(@|@)", 40))
	require.NoError(t, err)
	_, err = e.Find(chain)
	require.ErrorIs(t, err, ErrLimit)

	deep := any(json.Number("1"))
	for range maxDepth + 5 {
		deep = []any{deep}
	}
	e, err = Parse(`$..x`)
	require.NoError(t, err)
	_, err = e.Find(deep)
	require.ErrorIs(t, err, ErrLimit)
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, want string
		kind       error
	}{
		{``, `jsonpath: column 1: empty expression`, nil},
		{`$.a[`, `jsonpath: column 5: unexpected end of expression`, nil},
		{`$.a / 2`, `jsonpath: column 5: unexpected "/"`, nil},
		{`$.a -1`, `jsonpath: column 5: unexpected number -1`, nil},
		{`2.5 * 2`, `jsonpath: column 7: unexpected number 2`, nil},
		{`2`, `jsonpath: column 1: unexpected number 2`, nil},
		{`$.trueish`, `jsonpath: column 3: unexpected "true"`, nil},
		{`$.where`, `jsonpath: column 3: unexpected "where"`, nil},
		{`[?a=1]`, `jsonpath: column 2: unexpected "?"`, nil},
		{`$.a[?b=]`, `jsonpath: column 8: expected a value after =, found "]"`, nil},
		{`$.a,*`, `jsonpath: column 5: expected a name, found "*"`, nil},
		{`$.'abc`, `jsonpath: column 3: unterminated string`, nil},
		{"$.`len", `jsonpath: column 3: unterminated operator`, nil},
		{`$.a # b`, `jsonpath: column 5: unexpected character '#'`, nil},
		{"$.a\r", `jsonpath: column 4: unexpected character '\r'`, nil},
		{"$.`nope`", "jsonpath: column 3: unknown operator `nope`", nil},
		{"$.`split(ab, 0, 1)`", "jsonpath: column 3: malformed `split(ab, 0, 1)`: want `split(c, segment, max)`", nil},
		{"$.`sub(/a/,b)`", "jsonpath: column 3: malformed `sub(/a/,b)`: want `sub(/regex/, replacement)`", nil},
		{"$.`sub(/a/, \\\\q)`", "jsonpath: column 3: `sub` replacement \"\\\\q\": bad escape \\q", nil},
		{"$.`sub(/a/, \\\\1)`", "jsonpath: column 3: `sub` replacement \"\\\\1\": invalid group reference 1", nil},
		{`$.a & $.b`, `jsonpath: column 5: the intersection operator & is not supported (jsonpath-rw never implemented it)`, ErrUnsupported},
		{"$.`sub(/(?!x)y/, z)`", "jsonpath: column 3: regular expression \"(?!x)y\": invalid or unsupported Perl syntax: `(?!`", ErrUnsupported},
		{`$.a[?b~'(?<=x)']`, "jsonpath: column 8: regular expression \"(?<=x)\": invalid named capture: `(?<=x)`", ErrUnsupported},
		{strings.Repeat("a.", maxExprLen), `jsonpath: column 1: expression longer than 8192 bytes`, ErrLimit},
		{strings.Repeat("(", 300) + "a" + strings.Repeat(")", 300), `jsonpath: column 257: expression nested more than 256 deep`, ErrLimit},
	}
	for _, tt := range tests {
		name := tt.expr
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, err := Parse(tt.expr)
			assert.Nil(t, e)
			require.ErrorIs(t, err, ErrSyntax)
			var se *SyntaxError
			require.True(t, errors.As(err, &se))
			if tt.kind != nil {
				require.ErrorIs(t, err, tt.kind)
			}
			assert.EqualError(t, err, tt.want)
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, want string }{
		{`$.payload.size`, `$.payload.size`},
		{`$.payload.glance_metadata[?key=image_id].value`, `$.payload.glance_metadata[?key = 'image_id'].value`},
		{`$.payload.metrics[?(@.name='cpu.percent')].value * 100`, `$.payload.metrics[?@.name = 'cpu.percent'].value * 100`},
		{`$.payload.host + "_" + $.payload.nodename`, `$.payload.host + '_' + $.payload.nodename`},
		{`$.payload.measurements.[*].metric.[*].name`, `$.payload.measurements[*].metric[*].name`},
		{"$.payload.name_to_id.`split(#, 0, 1)`", "$.payload.name_to_id.`split(#, 0, 1)`"},
		{"$.payload.outcome.`sub(/.*/, )` + 'identity.authenticate.' + $.payload.outcome",
			"$.payload.outcome.`sub(/.*/, )` + 'identity.authenticate.' + $.payload.outcome"},
		{`ctxt.user_id|ctxt.user`, `ctxt.(user_id | ctxt).user`},
		{`(ctxt.user_id)|(ctxt.user)`, `(ctxt.user_id) | (ctxt.user)`},
		{`$.a * $.b + $.c`, `$.a * $.b + $.c`},
		{`($.a * $.b) + $.c`, `($.a * $.b) + $.c`},
		{`$..a[0]`, `$..a[0]`},
		{`($..a).b`, `($..a).b`},
		{`$['a b', 'where', "true"]`, `$.'a b','where','true'`},
		{`$.a[\b, /c]`, `$.a[\b,/c]`},
		{`$.a[?(b=1 & c) & d]`, `$.a[?(b = 1 & c) & d]`},
		{"$.a.`sub(/\\\\./, _)`", "$.a.`sub(/\\\\./, _)`"},
		{"`this`.a", "@.a"},
		{`$.a[1:]`, `$.a[1:]`},
		{`$.a[:]`, `$.a[*]`},
		{`2 - -1`, `2 - -1`},
		{"$.'\xff'", "$.'\xff'"}, // a name's bytes are kept, valid UTF-8 or not
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			e, err := Parse(tt.expr)
			require.NoError(t, err)
			assert.Equal(t, tt.want, e.String())
			again, err := Parse(e.String())
			require.NoError(t, err)
			assert.Equal(t, e.String(), again.String())
		})
	}
}

func TestZeroExpr(t *testing.T) {
	t.Parallel()
	var e Expr
	assert.Equal(t, "$", e.String())
	vs, err := e.Find("doc")
	require.NoError(t, err)
	assert.Equal(t, []any{"doc"}, vs)
}

func TestPyFloatRepr(t *testing.T) {
	t.Parallel()
	tenth := 0.1 // a variable, so that tenth + 0.2 is computed in floating point
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {2, "2.0"}, {-0.5, "-0.5"}, {tenth + 0.2, "0.30000000000000004"},
		{1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {1.5e16, "1.5e+16"},
		{0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.234e-7, "1.234e-07"}, {1e300, "1e+300"},
		{2.7501485834103514, "2.7501485834103514"}, {123456.789, "123456.789"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pyFloatRepr(tt.f), "%v", tt.f)
	}
}

func TestFindConcurrently(t *testing.T) {
	t.Parallel()
	e, err := Parse(`$.payload.metrics[?(@.name='cpu.percent')].value * 100`)
	require.NoError(t, err)
	doc := decode(t, novaMetrics)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				vs, err := e.Find(doc)
				assert.NoError(t, err)
				assert.Equal(t, []any{json.Number("2.7501485834103514")}, vs)
			}
		})
	}
	wg.Wait()
}

func BenchmarkFind(b *testing.B) {
	doc := decode(b, novaMetrics)
	for _, expr := range []string{
		`$.payload.host`,
		`$.payload.metrics[?(@.name='cpu.percent')].value * 100`,
		`$.payload.host + "_" + $.payload.nodename`,
	} {
		e, err := Parse(expr)
		require.NoError(b, err)
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Find(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`$.payload.metrics[?(@.name='cpu.percent')].value * 100`); err != nil {
			b.Fatal(err)
		}
	}
}

// Expressions that only select members by name are followed without the
// evaluator, and find what it finds.
func TestMemberPaths(t *testing.T) {
	doc := decode(t, `{"payload": {"size": 10, "none": null, "list": [1], "text": "abc", "o": {"k": {"k": 2}}}, "ctxt": {"user": "u"}}`)
	for expr, want := range map[string][]any{
		"$.payload.size":   {json.Number("10")},
		"payload.size":     {json.Number("10")},
		"$.payload.none":   {nil},
		"$.payload.list.x": {},
		"$.payload.text.x": {},
		"$.payload.gone":   {},
		"$.payload.o.k.k":  {json.Number("2")},
		"ctxt.user":        {"u"},
		"'ctxt'.\"user\"":  {"u"},
		"$.payload":        {doc.(map[string]any)["payload"]},
	} {
		e, err := Parse(expr)
		require.NoError(t, err, expr)
		require.NotNil(t, e.path, expr)
		got, err := e.Find(doc)
		require.NoError(t, err, expr)
		assert.Equal(t, want, got, expr)
		slow, err := (&Expr{root: e.root}).Find(doc)
		require.NoError(t, err, expr)
		assert.Equal(t, slow, got, expr)
	}
	for _, expr := range []string{"$", "$.*", "$.a,b", "$.a[0]", "$..a", "@.a", "$.a|$.b", "`this`.a"} {
		e, err := Parse(expr)
		require.NoError(t, err, expr)
		assert.Nil(t, e.path, expr)
	}
	found, err := (*Expr)(nil).Find(doc)
	require.NoError(t, err)
	assert.Equal(t, []any{doc}, found)
}
