package toolverdict

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestModelKindIsOneWord: the sidecar's rate line counts the diagnoses of
// the kind diagnosis names model; the two words must stay one.
func TestModelKindIsOneWord(t *testing.T) {
	assert.Equal(t, string(diagnosis.KindModel), sidecar.KindModel)
}
