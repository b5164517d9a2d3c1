// Package k8scheck validates the Kubernetes manifests under
// deploy/kubernetes offline: it builds each kustomization with kustomize's
// Go API, decodes every object strictly into k8s.io/api types (an unknown
// or misspelt field fails), and checks the invariants a sharded run
// depends on. It is a module of its own so that the Kubernetes
// dependencies stay out of the suite's go.mod; `make test` runs it.
package k8scheck
