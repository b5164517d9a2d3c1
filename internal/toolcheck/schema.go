package toolcheck

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// schemaCache holds one compiled schema per scenario, tool and parameters
// text. The key includes a hash of the parameters, so two scenarios that
// share a name (tests, edited fixtures) never share a stale schema.
var schemaCache sync.Map // string -> *compiled

type compiled struct {
	once sync.Once
	sch  *jsonschema.Schema
	err  error
}

// toolSchema compiles tool's parameters once. A tool without parameters
// accepts any object. $defs and $ref inside parameters resolve against the
// parameters document itself.
func toolSchema(s *fixture.Scenario, tool fixture.Tool) (*jsonschema.Schema, error) {
	params := tool.Function.Parameters
	if params == nil {
		params = map[string]any{"type": "object"}
	}
	text, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("tool %s: parameters are not JSON: %w", tool.Function.Name, err)
	}
	sum := sha256.Sum256(text)
	key := s.Name + "\x00" + tool.Function.Name + "\x00" + hex.EncodeToString(sum[:8])
	v, _ := schemaCache.LoadOrStore(key, &compiled{})
	c := v.(*compiled)
	c.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(text)))
		if err != nil {
			c.err = err
			return
		}
		comp := jsonschema.NewCompiler()
		url := "mem:///" + tool.Function.Name + ".json"
		if err := comp.AddResource(url, doc); err != nil {
			c.err = err
			return
		}
		c.sch, c.err = comp.Compile(url)
		if c.err != nil {
			c.err = fmt.Errorf("tool %s: parameters schema does not compile: %w", tool.Function.Name, c.err)
		}
	})
	return c.sch, c.err
}

// schemaProblems validates args (decoded with UseNumber-free encoding/json)
// and returns one line per leaf error, in the same words as argument
// mismatches where the error is one of theirs: "missing parameter unit",
// "unexpected parameter foo", "location: want string, got number".
func schemaProblems(sch *jsonschema.Schema, args any) []string {
	err := sch.Validate(args)
	if err == nil {
		return nil
	}
	leaves, ok := SchemaLeaves(err)
	if !ok {
		return []string{err.Error()}
	}
	var out []string
	for _, e := range leaves {
		out = append(out, schemaLine(e))
	}
	sort.Strings(out)
	return dedupe(out)
}

// SchemaLeaves are the failures a jsonschema validation error is made of:
// its leaf causes, in the validator's order, without the "does not
// validate with" wrappers above them; ok is false when err is not a
// *jsonschema.ValidationError (a compile or I/O error).
func SchemaLeaves(err error) (leaves []*jsonschema.ValidationError, ok bool) {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, false
	}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return leaves, true
}

func schemaLine(e *jsonschema.ValidationError) string {
	loc := strings.Join(e.InstanceLocation, ".")
	prefix := ""
	if loc != "" {
		prefix = loc + ": "
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		return prefix + "missing parameter " + strings.Join(k.Missing, ", ")
	case *kind.AdditionalProperties:
		return prefix + "unexpected parameter " + strings.Join(k.Properties, ", ")
	case *kind.Type:
		return fmt.Sprintf("%swant %s, got %s", prefix, strings.Join(k.Want, " or "), k.Got)
	case *kind.Enum:
		opts := make([]string, len(k.Want))
		for i, w := range k.Want {
			opts[i] = show(w)
		}
		return fmt.Sprintf("%swant one of [%s], got %s", prefix, strings.Join(opts, " "), show(k.Got))
	}
	return prefix + e.ErrorKind.LocalizedString(printer)
}

var printer = message.NewPrinter(language.English)

func dedupe(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
