package sim

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

func TestStructuredSpec(t *testing.T) {
	for _, tc := range []struct {
		body   string
		format string
	}{
		{`{"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}}`, fixture.FormatJSONSchema},
		{`{"response_format":{"type":"json_object"}}`, fixture.FormatJSONObject},
		{`{"structured_outputs":{"choice":["a","b"]}}`, fixture.FormatChoice},
		{`{"structured_outputs":{"regex":"[0-9]+"}}`, fixture.FormatRegex},
		{`{"guided_choice":["a","b"]}`, fixture.FormatChoice},
		{`{"guided_regex":"[0-9]+"}`, fixture.FormatRegex},
		{`{"guided_json":{"type":"object"}}`, fixture.FormatJSONSchema},
		{`{"guided_json":"{\"type\":\"object\"}"}`, fixture.FormatJSONSchema},
		{`{"response_format":{"type":"text"}}`, ""},
		{`{}`, ""},
	} {
		var req chatRequest
		require.NoError(t, json.Unmarshal([]byte(tc.body), &req), tc.body)
		spec := req.structured()
		if tc.format == "" {
			assert.Nil(t, spec, tc.body)
			continue
		}
		require.NotNil(t, spec, tc.body)
		assert.Equal(t, tc.format, spec.format, tc.body)
	}
}
