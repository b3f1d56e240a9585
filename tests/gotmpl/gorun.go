// gorun.go: executes the cases of a template case file with Go's
// text/template (core only, no Sprig) and prints one result per case in
// the format of tests/tools/gotmpl-run. JSON numbers that are integral
// become Go ints, as sluice's engine treats them.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"text/template"
)

func ints(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			x[k] = ints(e)
		}
	case []interface{}:
		for i, e := range x {
			x[i] = ints(e)
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 9.2e18 {
			return int(x)
		}
	}
	return v
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	text := string(raw)
	blocks := strings.Split("\n"+text, "\n=== ")
	for _, b := range blocks[1:] {
		lines := strings.SplitN(b, "\n", 3)
		name, data := lines[0], lines[1]
		tmpl := strings.TrimPrefix(lines[2], "---\n")
		tmpl = strings.TrimSuffix(tmpl, "\n")
		var d interface{}
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			fmt.Fprintln(os.Stderr, name, err)
			os.Exit(2)
		}
		d = ints(d)
		fmt.Printf("=== %s\n", name)
		t, err := template.New(name).Parse(tmpl)
		var out bytes.Buffer
		if err == nil {
			err = t.Execute(&out, d)
		}
		if err != nil {
			fmt.Printf("ERR\n")
			if os.Getenv("GOTMPL_RUN_VERBOSE") != "" {
				fmt.Fprintln(os.Stderr, err)
			}
			continue
		}
		fmt.Printf("OK %d\n%s\n", out.Len(), out.String())
	}
}
