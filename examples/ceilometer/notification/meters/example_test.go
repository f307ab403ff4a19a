package meters_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing/fstest"
	"time"

	"github.com/stevedore-go/stevedore/examples/ceilometer/notification/meters"
)

func ExampleEventType() {
	et, err := meters.ParseEventType("compute.instance.(?!create.start|update).*")
	if err != nil {
		panic(err)
	}
	for _, eventType := range []string{"compute.instance.create.end", "compute.instance.create.start", "compute.instance.update"} {
		fmt.Println(eventType, et.Match(eventType))
	}
	// Output:
	// compute.instance.create.end true
	// compute.instance.create.start false
	// compute.instance.update false
}

func ExampleSet_Samples() {
	set, problems, err := meters.Parse("meters.yaml", []byte(`
metric:
  - name: volume.size
    event_type: [volume.create.*, volume.resize.*]
    type: gauge
    unit: GiB
    volume: $.payload.size
    resource_id: $.payload.volume_id
    project_id: $.payload.tenant_id
    metadata:
      display_name: $.payload.display_name
  - name: volume.size.wrong
    event_type: volume.*
    type: counter
    unit: GiB
    volume: $.payload.size
    resource_id: $.payload.volume_id
`))
	if err != nil {
		panic(err)
	}
	for _, p := range problems {
		fmt.Println("left out:", p)
	}

	dec := json.NewDecoder(strings.NewReader(`{"volume_id": "3b76", "tenant_id": "7c15", "size": 100, "display_name": "data"}`))
	dec.UseNumber()
	var payload map[string]any
	if err := dec.Decode(&payload); err != nil {
		panic(err)
	}
	samples, err := set.Samples(&meters.Message{EventType: "volume.create.end", PublisherID: "volume.storage-1",
		Timestamp: time.Date(2026, 11, 21, 9, 30, 12, 0, time.UTC), Payload: payload})
	if err != nil {
		panic(err)
	}
	for _, s := range samples {
		fmt.Println(s.Meter, s.Type, s.Volume, s.Unit, s.ResourceID, s.ProjectID, s.Metadata)
	}
	// Output:
	// left out: meters.yaml:14:11: meter "volume.size.wrong": type "counter" is not gauge, delta or cumulative
	// volume.size gauge 100 GiB 3b76 7c15 map[display_name:data]
}

func ExampleLoad() {
	// An operator's directory first: its definitions replace the shipped
	// ones of their names, and add others.
	shipped := fstest.MapFS{"meters.yaml": {Data: []byte(`metric:
  - {name: volume.size, event_type: volume.create.*, type: gauge, unit: GiB, volume: $.payload.size, resource_id: $.payload.volume_id}
  - {name: image.size, event_type: image.upload, type: gauge, unit: B, volume: $.payload.size, resource_id: $.payload.id}
`)}}
	site := fstest.MapFS{"site.yaml": {Data: []byte(`metric:
  - {name: volume.size, event_type: volume.create.*, type: gauge, unit: GB, volume: $.payload.size, resource_id: $.payload.volume_id}
  - {name: volume.count, event_type: volume.create.end, type: delta, unit: volume, volume: 1, resource_id: $.payload.volume_id}
`)}}
	set, problems, err := meters.Load(meters.Dir{Path: "/etc/ceilometer/meters.d", FS: site}, meters.Dir{Path: "shipped", FS: shipped})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(problems), "problems")
	for _, d := range set.Definitions() {
		fmt.Println(d.Name, d.Unit, d.File)
	}
	// Output:
	// 0 problems
	// volume.count volume /etc/ceilometer/meters.d/site.yaml
	// volume.size GB /etc/ceilometer/meters.d/site.yaml
	// image.size B shipped/meters.yaml
}
