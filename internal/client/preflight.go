package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// Server is what the preflight learned about the target.
type Server struct {
	Models []string
	// OwnedBy is the first model's owned_by ("vllm" on vLLM).
	OwnedBy string
	// Version is /version's "version" field, "" when absent.
	Version string
	// Health is "ok", "absent" or the failing status.
	Health string
	// Kind is "vllm", "simulator" or "openai-compatible".
	Kind string
	// MaxModelLen is each model's max_model_len as /v1/models lists it
	// (a vLLM extension); absent for servers that do not say.
	MaxModelLen map[string]int
	// Roots is each model's root (where vLLM loaded it from) as
	// /v1/models lists it (a vLLM extension; ModelCard in
	// vllm/entrypoints/openai/protocol.py).
	Roots map[string]string
}

// PreflightError says why the target cannot be tested at all. Code is a
// diagnosis code (unreachable, auth_failed, model_not_found, ...).
type PreflightError struct {
	Code    string
	Message string
}

func (e *PreflightError) Error() string { return e.Code + ": " + e.Message }

// SimulatorVersion is the /version string of the embedded simulator; the
// preflight uses it to mark a run as kind "simulator".
const SimulatorVersion = "0.0.0-vllm-acceptance-sim"

// Preflight checks that the server is reachable, that the key works, and
// which models it serves: GET /v1/models, then /health and /version where
// the server has them. It returns a PreflightError when no case can run.
func (c *Client) Preflight(ctx context.Context, model string) (Server, error) {
	var srv Server
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var resp *http.Response
	page, err := c.oa.Models.List(ctx, option.WithResponseInto(&resp))
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return srv, c.preflightError(ctx, "GET /v1/models", status, err)
	}
	for _, m := range page.Data {
		srv.Models = append(srv.Models, m.ID)
		if f, ok := m.JSON.ExtraFields["max_model_len"]; ok {
			var n int
			if json.Unmarshal([]byte(f.Raw()), &n) == nil && n > 0 {
				if srv.MaxModelLen == nil {
					srv.MaxModelLen = map[string]int{}
				}
				srv.MaxModelLen[m.ID] = n
			}
		}
		if f, ok := m.JSON.ExtraFields["root"]; ok {
			var root string
			if json.Unmarshal([]byte(f.Raw()), &root) == nil && root != "" {
				if srv.Roots == nil {
					srv.Roots = map[string]string{}
				}
				srv.Roots[m.ID] = root
			}
		}
		if srv.OwnedBy == "" {
			srv.OwnedBy = string(m.OwnedBy)
		}
	}
	if len(srv.Models) == 0 {
		return srv, &PreflightError{Code: "model_not_found", Message: "GET /v1/models lists no model; is the model still loading? Check the server log"}
	}
	if model != "" && !slices.Contains(srv.Models, model) {
		return srv, &PreflightError{Code: "model_not_found", Message: fmt.Sprintf("VLLM_MODEL=%q is not served; /v1/models lists %s. Set VLLM_MODEL to one of them", model, strings.Join(srv.Models, ", "))}
	}
	srv.Health = c.probe(ctx, "/health", nil)
	var v struct {
		Version string `json:"version"`
	}
	if c.probe(ctx, "/version", &v) == "ok" {
		srv.Version = v.Version
	}
	switch {
	case srv.Version == SimulatorVersion:
		srv.Kind = "simulator"
	case srv.Version != "" && srv.OwnedBy == "vllm":
		srv.Kind = "vllm"
	default:
		srv.Kind = "openai-compatible"
	}
	return srv, nil
}

func (c *Client) preflightError(ctx context.Context, what string, status int, err error) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) || status >= 300 {
		// vLLM's 401 body is {"error": "Unauthorized"}, which openai-go
		// cannot decode as its error type: the status decides, not the body.
		body := ""
		if apiErr != nil {
			status = apiErr.StatusCode
			body = c.redact.String(oneLine(errorMessage(apiErr.RawJSON()), 160))
		} else if !strings.Contains(err.Error(), "unmarshal") {
			// openai-go could not decode the error body (vLLM's 401 is
			// {"error": "Unauthorized"}); its decode error says nothing
			// about the server, so only other errors are quoted.
			body = c.redact.String(oneLine(rootMsg(err), 160))
		}
		if body != "" {
			body = " (" + body + ")"
		}
		apiErr = &openai.Error{StatusCode: status}
		switch apiErr.StatusCode {
		case 401, 403:
			return &PreflightError{Code: "auth_failed", Message: fmt.Sprintf("%s answered HTTP %d%s: check VLLM_API_KEY against the server's --api-key", what, apiErr.StatusCode, body)}
		case 404:
			return &PreflightError{Code: "model_not_found", Message: fmt.Sprintf("%s answered HTTP 404: check VLLM_BASE_URL ends with /v1 and points at the vLLM server", what)}
		}
		if apiErr.StatusCode >= 500 {
			return &PreflightError{Code: "server_error", Message: fmt.Sprintf("%s answered HTTP %d%s: read the server log", what, apiErr.StatusCode, body)}
		}
		return &PreflightError{Code: "bad_request", Message: fmt.Sprintf("%s answered HTTP %d%s", what, apiErr.StatusCode, body)}
	}
	kind, msg := c.classify(ctx, err, nil, c.cfg.Timeout)
	switch kind {
	case record.ErrTimeout:
		return &PreflightError{Code: "timeout", Message: fmt.Sprintf("%s: %s; check the server is up and not overloaded", what, msg)}
	case record.ErrUnreachable:
		return &PreflightError{Code: "unreachable", Message: fmt.Sprintf("%s: %s; check VLLM_BASE_URL and that the server is up", what, msg)}
	case record.ErrInterrupted, record.ErrCanceled:
		return &PreflightError{Code: "canceled", Message: "run interrupted during preflight"}
	}
	return &PreflightError{Code: "bad_response", Message: fmt.Sprintf("%s did not return a model list (%s): is VLLM_BASE_URL the vLLM server itself, ending in /v1, and not a proxy or login page?", what, msg)}
}

// Root is the server root: the base URL without its trailing /v1.
func Root(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v1")
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/v1")
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// probe GETs a root path; returns "ok", "absent" (404) or a short status.
func (c *Client) probe(ctx context.Context, path string, into any) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, Root(c.cfg.BaseURL)+path, nil)
	if err != nil {
		return "error"
	}
	if _, q := splitBase(c.cfg.BaseURL); len(q) > 0 {
		req.URL.RawQuery = q.Encode() // the gateway token, as on /v1 requests
	}
	c.Authorize(req.Header)
	resp, err := c.http.Do(req)
	if err != nil {
		return "error"
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == 404:
		return "absent"
	case resp.StatusCode != 200:
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	if into != nil && json.Unmarshal(body, into) != nil {
		return "not json"
	}
	return "ok"
}

// Authorize sets the Bearer header on a side request (/health, /metrics).
func (c *Client) Authorize(h http.Header) {
	if c.cfg.APIKey != "" {
		h.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
}
