// k6 v2 with iotcore's `k6/x/mqtt` module (./mqtt), built from the Go module proxy and pinned by
// go.sum: what xk6 would generate, without the tool. `npm run loadtest:k6` builds it into
// .tools/bin/k6 when the binary is missing or these files changed.
package main

import (
	k6cmd "go.k6.io/k6/v2/cmd"

	_ "iotcore.invalid/k6-mqtt/mqtt"
)

func main() { k6cmd.Execute() }
