package checkname

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTableHasEachNameOnceWithItsMeaning(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range append(append([]Entry{}, Table...), AttemptTable...) {
		assert.False(t, seen[e.Name], "%s is listed twice", e.Name)
		seen[e.Name] = true
		assert.NotEmpty(t, e.Where, e.Name)
		assert.NotEmpty(t, e.Judges, e.Name)
		assert.NotEqual(t, All, e.Name, "all is the knob's word for every check, not a check")
	}
}

func TestUnknown(t *testing.T) {
	assert.Empty(t, Unknown(""))
	assert.Empty(t, Unknown("all"))
	assert.Empty(t, Unknown(" preemptions , vram_growth,"))
	assert.Equal(t, []string{"no_preemptions", "vramgrowth"}, Unknown("no_preemptions,preemptions,vramgrowth"))
	assert.False(t, Known("no_preemptions"), "the check is named preemptions (issue 26)")
	assert.Equal(t, []string{SchemaValid}, Unknown(SchemaValid), "an attempt check is never unknown: the knob cannot use it")
}
