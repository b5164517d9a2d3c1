// Package redact removes secrets from anything the suite prints or writes:
// the API key itself, credentials in URLs, and secret-looking query values.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a removed secret.
const Mask = "REDACTED"

var secretQuery = regexp.MustCompile(`(?i)(key|token|secret|password|passwd|auth|sig|signature|credential)`)

// URL returns raw without user info and with secret-looking query values
// masked. Unparseable input is returned with everything after "://"'s host
// part dropped, so a broken URL never leaks a password either.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "@"); i >= 0 {
			if j := strings.Index(raw, "://"); j >= 0 && j < i {
				return raw[:j+3] + Mask + "@" + raw[i+1:]
			}
			return Mask + "@" + raw[i+1:]
		}
		return raw
	}
	if u.User != nil {
		u.User = nil
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if secretQuery.MatchString(k) {
				q[k] = []string{Mask}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Redactor removes a fixed set of secrets from strings.
type Redactor struct {
	secrets []string
}

// New returns a Redactor for the given secrets; empty ones are ignored and
// very short ones (under 4 bytes) too, since masking them would shred text.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		if len(s) >= 4 {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

// String masks every secret in s, and credentials in any URL-looking part.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, sec := range r.secrets {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return urlCreds.ReplaceAllString(s, "${1}"+Mask+"@")
}

var urlCreds = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@"']+@`)
