// Command pause is the sandbox ("pause") image of `make k8s-e2e` level 2
// (scripts/k8s-e2e.sh): with no registry to pull registry.k8s.io/pause
// from, the script builds this static binary and imports it as an image.
// It holds the pod's namespaces, as the real one does, until the kubelet
// stops the sandbox.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
