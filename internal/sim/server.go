package sim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/wait"
)

// Version is what GET /version answers; the suite's preflight recognises it
// and marks the run as kind "simulator".
const Version = "0.0.0-vllm-acceptance-sim"

// DefaultModel is the model id served unless WithModel says otherwise.
const DefaultModel = "Qwen/Qwen3-32B-AWQ"

// maxModelLen is what /v1/models reports.
const maxModelLen = 32768

// Server is the simulator. It implements http.Handler.
type Server struct {
	p       Persona
	model   string
	apiKey  string
	now     func() time.Time
	byUser  map[string][]*fixture.Scenario
	created int64

	rngMu sync.Mutex
	rng   *rand.Rand // latency noise and error draws
	idRNG *rand.Rand // ids, separate so ids never shift the latency draws
	// answerRNG draws the healthy variation of answers (Vary, ModelError),
	// separate so it never shifts the latency draws either.
	answerRNG *rand.Rand

	mu       sync.Mutex
	requests int // chat completions received
	chatSeq  int // chat completions that reached the latency model
	m        metrics
	cache    *prefixCache
	// dead: so_engine_dead answered its first structured request.
	dead atomic.Bool
}

// Option configures a Server.
type Option func(*Server)

// WithModel sets the served model id (default Qwen/Qwen3-32B-AWQ).
func WithModel(id string) Option { return func(s *Server) { s.model = id } }

// WithAPIKey makes every /v1 endpoint require "Authorization: Bearer key",
// answering 401 {"error":"Unauthorized"} otherwise, as vLLM's --api-key does.
func WithAPIKey(key string) Option { return func(s *Server) { s.apiKey = key } }

// WithClock sets the clock used for "created" timestamps.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithSeed overrides the persona's seed.
func WithSeed(seed uint64) Option { return func(s *Server) { s.p.Seed = seed } }

// New returns a simulator for p. scenarios are the fixtures it recognises
// (by their first user message) to answer correctly; nil means the
// catalogue embedded in the fixtures package.
func New(p Persona, scenarios []*fixture.Scenario, opts ...Option) *Server {
	p = p.withDefaults()
	if p.Description == "" {
		p.Description = Describe(p.Name)
	}
	s := &Server{p: p, model: DefaultModel, now: time.Now, byUser: map[string][]*fixture.Scenario{}, cache: newPrefixCache(cacheBlocks)}
	for _, o := range opts {
		o(s)
	}
	if scenarios == nil {
		// The embedded catalogue is checked by the fixture package's tests;
		// a broken file only loses the scenarios it holds.
		scenarios, _ = fixture.LoadFS(fixtures.FS, ".", "fixtures")
	}
	for _, sc := range scenarios {
		if u := firstUser(sc.Messages); u != "" {
			s.byUser[u] = append(s.byUser[u], sc)
		}
	}
	s.rng = rand.New(rand.NewPCG(s.p.Seed, 0x5eed))
	s.idRNG = rand.New(rand.NewPCG(s.p.Seed, 0x1d5))
	s.answerRNG = rand.New(rand.NewPCG(s.p.Seed, 0xa5))
	s.created = s.now().Unix()
	return s
}

// Persona returns the persona the server runs.
func (s *Server) Persona() Persona { return s.p }

// Requests returns how many chat completion requests have been received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func firstUser(msgs []fixture.Message) string {
	for _, m := range msgs {
		if m.Role == "user" {
			return m.Content
		}
	}
	return ""
}

// ServeHTTP routes like vLLM's FastAPI app.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	if strings.HasPrefix(path, "/v1/") || path == "/v1" {
		if s.p.Gateway > 0 && !wait.Sleep(r.Context(), s.p.Gateway) {
			return
		}
		if s.p.Fault == FaultUnauthorized || !s.authorized(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized"})
			return
		}
	}
	route := func(method string, h func(http.ResponseWriter, *http.Request)) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
			return
		}
		h(w, r)
	}
	switch path {
	case "/v1/models":
		route(http.MethodGet, s.models)
	case "/health":
		route(http.MethodGet, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	case "/version":
		route(http.MethodGet, func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"version": Version})
		})
	case "/metrics":
		route(http.MethodGet, s.metrics)
	case "/v1/chat/completions":
		route(http.MethodPost, s.chat)
	case "/tokenize":
		route(http.MethodPost, s.tokenizeEndpoint)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	}
}

func (s *Server) authorized(r *http.Request) bool {
	if s.apiKey == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.apiKey)) == 1
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list",
		"data": []any{map[string]any{
			"id": s.model, "object": "model", "created": s.created, "owned_by": "vllm",
			"root": s.model, "parent": nil, "max_model_len": maxModelLen,
			"permission": []any{map[string]any{
				"id": "modelperm-" + s.hexID(), "object": "model_permission", "created": s.created,
				"allow_create_engine": false, "allow_sampling": true, "allow_logprobs": true,
				"allow_search_indices": false, "allow_view": true, "allow_fine_tuning": false,
				"organization": "*", "group": nil, "is_blocking": false,
			}},
		}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"object":"error","message":"simulator: encode failed","type":"InternalServerError","param":null,"code":500}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// vllmError writes vLLM's ErrorResponse: {"object":"error","message":...,
// "type":...,"param":null,"code":...}.
func vllmError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{"object": "error", "message": msg, "type": typ, "param": nil, "code": status})
}

func (s *Server) hexID() string {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return fmt.Sprintf("%016x%016x", s.idRNG.Uint64(), s.idRNG.Uint64())
}

// latency is one request's multiplier and its derived delays.
type latency struct {
	ttft, itl time.Duration
	// inFlight is the requests in flight when this one arrived, itself
	// included (Persona.BreakAbove).
	inFlight int
	// batch, when set (Persona.BatchK), scales each token's delay by the
	// batch at the moment the token is due.
	batch func(time.Duration) time.Duration
}

// at is delay d of a token due now.
func (l latency) at(d time.Duration) time.Duration {
	if l.batch != nil {
		return l.batch(d)
	}
	return d
}

// batchScale is 1 + in-flight/BatchK, in-flight read now.
func (s *Server) batchScale(d time.Duration) time.Duration {
	s.mu.Lock()
	n := s.m.running
	s.mu.Unlock()
	return time.Duration(float64(d) * (1 + float64(n)/float64(s.p.BatchK)))
}

// draw takes the request's latency multiplier and decides whether it is
// answered 500. It is called once per chat request, in arrival order, so a
// seeded run repeats exactly.
func (s *Server) draw(inFlight int) (latency, bool) {
	s.mu.Lock()
	k := s.chatSeq
	s.chatSeq++
	s.mu.Unlock()

	s.rngMu.Lock()
	u := s.rng.Float64()
	e := s.rng.Float64()
	s.rngMu.Unlock()

	mult := 1 + s.p.Noise*(2*u-1)
	if s.p.Ramp > 0 {
		frac := 1.0
		if s.p.RampRequests > 1 {
			frac = min(1, float64(k)/float64(s.p.RampRequests-1))
		}
		mult *= 1 + s.p.Ramp*frac
	}
	if k < s.p.Cold {
		mult *= s.p.ColdFactor
	}
	if s.p.Load > 0 && inFlight > 1 {
		mult *= 1 + s.p.Load*float64(inFlight-1)
	}
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * mult) }
	lat := latency{ttft: scale(s.p.TTFT), itl: scale(s.p.ITL), inFlight: inFlight}
	if s.p.BatchK > 0 {
		lat.batch = s.batchScale
	}
	return lat, e < s.p.ErrorRate
}

// requestID is the id vLLM gives a request: the X-Request-Id header when
// the client sent one (OpenAIServing._base_request_id in
// vllm/entrypoints/openai/serving_engine.py, v0.10), else a random one.
// The chat response's id is "chatcmpl-" + it (serving_chat.py), and vLLM
// logs it, so a client's id joins its records with the server's log lines.
func (s *Server) requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" {
		return id
	}
	return s.hexID()
}
