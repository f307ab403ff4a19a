package meters_test

import (
	"fmt"

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
