package main

import (
	"fmt"
	"io"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

var versionCommand = command{
	name:    "version",
	summary: "print the suite version and sidecar schema version",
	run: func(args []string, stdout, stderr io.Writer) int {
		fmt.Fprintf(stdout, "vllm-acceptance %s (metrics.json schema_version %d)\n", sidecar.Version, sidecar.SchemaVersion)
		return 0
	},
}
