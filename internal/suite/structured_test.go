package suite

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBefore(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"0.9.2", true}, {"0.10.1.dev3+gabc", true}, {"0.10.2", false}, {"0.11.0", false}, {"v0.8.5", true},
		{"1.0.0rc1", false}, {"", false}, {"unknown", false}, {"0.0.0-vllm-acceptance-sim", false},
	} {
		assert.Equal(t, tc.want, before(tc.v, 0, 10, 2), tc.v)
	}
}
