// k6 with iotcore's `k6/x/mqtt` module (./mqtt), built from the Go module proxy and pinned by
// go.sum. `npm run loadtest:k6` builds it into .tools/bin/k6 on first use.
package main

import (
	k6cmd "go.k6.io/k6/cmd"

	_ "iotcore.invalid/k6-mqtt/mqtt"
)

func main() { k6cmd.Execute() }
