package client

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
)

// HeaderRequestID is the header that carries a request's id to the server.
// vLLM takes it as the request's id (OpenAIServing._base_request_id in
// vllm/entrypoints/openai/serving_engine.py, v0.10), answers with id
// "chatcmpl-<it>" (serving_chat.py) and logs it (--enable-log-requests:
// "Received request chatcmpl-<it>"), so requests.jsonl's request_id joins
// a slow request with the server's log lines.
const HeaderRequestID = "X-Request-Id"

// processTag makes ids unique across processes (shards, reruns): 6 random
// bytes drawn once.
var processTag = func() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

var requestSeq atomic.Uint64

// newRequestID is "va-<process tag>-<sequence>": unique, short, and in
// sending order within a process.
func newRequestID() string {
	return "va-" + processTag + "-" + strconv.FormatUint(requestSeq.Add(1), 10)
}
