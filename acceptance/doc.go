// Package acceptance is the suite: live test cases run against the server
// named by VLLM_BASE_URL. They carry the `live` build tag, so a plain
// `go test ./...` builds this package (thanks to this file) and runs none of
// them. Run the suite with:
//
//	VLLM_BASE_URL=http://gpu-box:5002/v1 go test -tags live ./acceptance
//
// The cases are thin: the work is done by internal/suite and the packages it
// calls, which have unit tests of their own.
package acceptance
