package redact

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestURL(t *testing.T) {
	cases := []struct{ name, in, want, reason string }{
		{"plain", "http://gpu-box:5002/v1", "http://gpu-box:5002/v1", "nothing to hide"},
		{"userinfo", "https://user:pass@host/v1", "https://host/v1", "credentials in the authority are removed"},
		{"query token", "https://host/v1?api_key=s3cr3t&x=1", "https://host/v1?api_key=REDACTED&x=1", "secret-looking query values are masked, others kept"},
		{"unparseable", "http://us er:pa ss@ho st/v1\x7f", "http://REDACTED@ho st/v1\x7f", "a URL that does not parse still loses its credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, URL(tc.in), tc.reason)
		})
	}
}

func TestRedactorString(t *testing.T) {
	r := New("sk-canary-123456", "", "ab")
	got := r.String(`Post "https://bob:hunter2@h/v1": bearer sk-canary-123456 ab`)
	assert.NotContains(t, got, "sk-canary-123456")
	assert.NotContains(t, got, "hunter2")
	assert.Contains(t, got, " ab", "secrets under 4 bytes are not masked")
	var nilR *Redactor
	assert.Equal(t, "https://REDACTED@h", nilR.String("https://u:p@h"), "a nil Redactor still strips URL credentials")
}
