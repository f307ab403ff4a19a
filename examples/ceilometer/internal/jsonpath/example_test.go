package jsonpath_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stevedore-go/stevedore/examples/ceilometer/internal/jsonpath"
)

// A meter definition's volume and resource_id, evaluated on a nova
// compute.metrics.update notification.
func Example() {
	notification := `{
		"event_type": "compute.metrics.update",
		"payload": {
			"host": "compute-1", "nodename": "compute-1.example.org",
			"metrics": [
				{"name": "cpu.frequency", "value": 1600},
				{"name": "cpu.percent", "value": 0.0275}
			]
		}
	}`
	dec := json.NewDecoder(strings.NewReader(notification))
	dec.UseNumber() // integers stay integers, as in Python
	var doc any
	if err := dec.Decode(&doc); err != nil {
		panic(err)
	}

	for _, expr := range []string{
		`$.payload.metrics[?(@.name='cpu.percent')].value * 100`,
		`$.payload.host + "_" + $.payload.nodename`,
		`$.payload.metrics[?(@.name='cpu.idle.time')].value`,
	} {
		e, err := jsonpath.Parse(expr)
		if err != nil {
			panic(err)
		}
		values, err := e.Find(doc)
		if err != nil {
			panic(err)
		}
		fmt.Println(values)
	}
	// Output:
	// [2.75]
	// [compute-1_compute-1.example.org]
	// []
}

// The operators bind as jsonpath-rw binds them, which String shows with
// parentheses: | binds tighter than the dot.
func ExampleExpr_String() {
	for _, expr := range []string{
		`ctxt.user_id|ctxt.user`,
		`(ctxt.user_id)|(ctxt.user)`,
		`$.a * $.b + $.c`,
	} {
		e, err := jsonpath.Parse(expr)
		if err != nil {
			panic(err)
		}
		fmt.Println(e)
	}
	// Output:
	// ctxt.(user_id | ctxt).user
	// (ctxt.user_id) | (ctxt.user)
	// $.a * $.b + $.c
}

func ExampleParse_error() {
	_, err := jsonpath.Parse(`$.payload.size / 1024`)
	fmt.Println(err)
	// Output:
	// jsonpath: column 16: unexpected "/"
}
