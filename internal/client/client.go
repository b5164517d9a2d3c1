// Package client is the suite's thin layer over openai-go v3. It sends one
// chat completion (plain or streamed) and records everything about it in a
// record.Record: timings, status, content, reasoning, tool calls, usage and
// the error, if any. It never retries: a retry would hide the very failures
// the suite exists to see.
package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/redact"
)

// Config is how to reach the server. Zero values take the defaults noted.
type Config struct {
	// BaseURL is the OpenAI-compatible base, e.g. http://gpu-box:5002/v1.
	BaseURL string
	// APIKey goes only into the Authorization header; it is never printed.
	APIKey string
	// Timeout bounds one whole request, body included. Default 120s.
	Timeout time.Duration
	// IdleTimeout bounds the silence between two reads of a response body
	// (a stalled stream). Default 60s; never more than Timeout.
	IdleTimeout time.Duration
	// MaxResponseBytes caps one response body; past it the request fails as
	// too_large and the rest is not read. Default 16 MiB.
	MaxResponseBytes int64
	// CAFile is a PEM bundle to trust in addition to the system roots.
	CAFile string
	// InsecureSkipVerify disables TLS certificate checks (self-signed labs).
	InsecureSkipVerify bool
}

func (c *Config) defaults() {
	if c.Timeout <= 0 {
		c.Timeout = 120 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	c.IdleTimeout = min(c.IdleTimeout, c.Timeout)
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 16 << 20
	}
}

// Client sends requests to one server.
type Client struct {
	cfg    Config
	http   *http.Client
	oa     openai.Client
	redact *redact.Redactor
}

// New builds a Client. It fails only on local set-up problems (an unreadable
// CA file); an unreachable server shows up later, as data in a Record.
func New(cfg Config) (*Client, error) {
	cfg.defaults()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 512
	tr.MaxIdleConns = 512
	tr.ResponseHeaderTimeout = 0 // the request context bounds it
	if cfg.CAFile != "" || cfg.InsecureSkipVerify {
		tc := &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // opt-in knob, documented
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("VLLM_CA_FILE: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("VLLM_CA_FILE %s: no PEM certificate found", cfg.CAFile)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	hc := &http.Client{Transport: tr}
	base, query := splitBase(cfg.BaseURL)
	opts := []option.RequestOption{
		option.WithBaseURL(base),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0),
	}
	if len(query) > 0 {
		// A gateway token in the base URL's query (?api_key=...) goes on
		// every request; openai-go would drop it when it joins the path.
		opts = append(opts, option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			r.URL.RawQuery = withQuery(r.URL.Query(), query).Encode()
			return next(r)
		}))
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	} else {
		// openai-go reads OPENAI_API_KEY from the environment by default;
		// the suite must send only what VLLM_API_KEY says.
		opts = append(opts, option.WithAPIKey(""), option.WithHeaderDel("Authorization"))
	}
	return &Client{cfg: cfg, http: hc, oa: openai.NewClient(opts...), redact: redact.New(append([]string{cfg.APIKey}, URLSecrets(cfg.BaseURL)...)...)}, nil
}

// splitBase returns the base URL with its path ending in "/" and without
// its query, and the query. Appending "/" to the raw string would put it
// inside a query (".../v1?api_key=x/").
func splitBase(raw string) (string, url.Values) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return strings.TrimRight(raw, "/") + "/", nil
	}
	q := u.Query()
	u.RawQuery, u.ForceQuery = "", false
	u.Path = strings.TrimRight(u.Path, "/") + "/"
	u.RawPath = ""
	return u.String(), q
}

func withQuery(q, extra url.Values) url.Values {
	for k, vs := range extra {
		if !q.Has(k) {
			q[k] = vs
		}
	}
	return q
}

// URLSecrets are the parts of a base URL that must never be printed: the
// userinfo password and the values of secret-looking query parameters
// (key, token, ...). A Redactor masks them wherever they turn up, e.g. in
// a server's error message that echoes the request URL.
func URLSecrets(raw string) []string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p, url.QueryEscape(p))
		}
	}
	for k, vs := range u.Query() {
		if !strings.Contains(redact.URL("http://h/?"+url.QueryEscape(k)+"=x"), redact.Mask) {
			continue // not a secret-looking name (redact.URL keeps it too)
		}
		for _, v := range vs {
			if v != "" {
				out = append(out, v, url.QueryEscape(v))
			}
		}
	}
	return out
}

// Config returns the configuration in use (defaults filled in).
func (c *Client) Config() Config { return c.cfg }

// HTTPClient is the client's transport, for side requests such as /metrics.
func (c *Client) HTTPClient() *http.Client { return c.http }

// Redact masks the key and URL credentials in s.
func (c *Client) Redact(s string) string { return c.redact.String(s) }

// CloseIdle drops idle keep-alive connections (used after load runs so file
// descriptors come back to baseline).
func (c *Client) CloseIdle() { c.http.CloseIdleConnections() }

// errIdle is the cancel cause when a body goes silent past IdleTimeout.
var errIdle = errors.New("idle timeout")

// classify turns an error into a record error kind and a one-line message.
func (c *Client) classify(ctx context.Context, err error, t *tap, timeout time.Duration) (kind record.ErrorKind, msg string) {
	switch {
	case t != nil && t.tooLarge:
		return record.ErrTooLarge, fmt.Sprintf("response body passed %d bytes (ACCEPTANCE_MAX_RESPONSE_BYTES)", c.cfg.MaxResponseBytes)
	case errors.Is(context.Cause(ctx), errIdle):
		return record.ErrTimeout, fmt.Sprintf("no bytes from the server for %s (idle timeout)", min(c.cfg.IdleTimeout, timeout))
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		if t != nil && t.n > 0 {
			return record.ErrTimeout, fmt.Sprintf("response not finished within %s (%d bytes received)", timeout, t.n)
		}
		return record.ErrTimeout, fmt.Sprintf("no answer within %s", timeout)
	case errors.Is(err, context.Canceled):
		return record.ErrInterrupted, "the suite stopped the request: run interrupted"
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &dnsErr):
		return record.ErrUnreachable, fmt.Sprintf("DNS lookup of %q failed: %v", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr):
		return record.ErrUnreachable, "TLS certificate not trusted: " + c.redact.String(rootMsg(err)) + " (set VLLM_CA_FILE, or VLLM_INSECURE_SKIP_VERIFY=true for a lab server)"
	case errors.As(err, &recErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return record.ErrUnreachable, "TLS handshake failed: the port does not speak TLS (use http:// in VLLM_BASE_URL?)"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return record.ErrUnreachable, "cannot connect: " + c.redact.String(rootMsg(err))
	}
	if t == nil || t.n == 0 {
		if errors.As(err, &opErr) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection reset") {
			return record.ErrUnreachable, "connection failed before any answer: " + c.redact.String(rootMsg(err))
		}
	}
	return "", c.redact.String(rootMsg(err))
}

// rootMsg drops the url.Error wrapper ("Post \"https://...\": ...") so the
// URL, which may carry a query token, does not reach the message.
func rootMsg(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
