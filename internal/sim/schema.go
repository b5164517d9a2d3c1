package sim

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// genValue makes a value that satisfies schema: required properties only,
// enums take their first member, $ref is resolved against root's $defs (or
// definitions). depth guards against recursive schemas.
func genValue(schema, root map[string]any, depth int) any {
	if schema == nil || depth > 8 {
		return nil
	}
	if ref, ok := schema["$ref"].(string); ok {
		return genValue(resolveRef(ref, root), root, depth+1)
	}
	if c, ok := schema["const"]; ok {
		return c
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	if d, ok := schema["default"]; ok {
		return d
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := schema[k].([]any); ok {
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok && m["type"] != "null" {
					return genValue(m, root, depth+1)
				}
			}
		}
	}
	switch schemaType(schema) {
	case "object":
		out := map[string]any{}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range required(schema) {
			ps, _ := props[r].(map[string]any)
			out[r] = genValue(ps, root, depth+1)
		}
		return out
	case "array":
		items, _ := schema["items"].(map[string]any)
		n := 1
		if m, ok := schema["minItems"].(float64); ok && int(m) > n {
			n = int(m)
		}
		out := make([]any, n)
		for i := range out {
			out[i] = genValue(items, root, depth+1)
		}
		return out
	case "integer":
		if m, ok := schema["minimum"].(float64); ok {
			return m
		}
		return float64(1)
	case "number":
		if m, ok := schema["minimum"].(float64); ok {
			return m
		}
		return 1.5
	case "boolean":
		return true
	case "null":
		return nil
	default:
		switch schema["format"] {
		case "date":
			return "2025-01-15"
		case "date-time":
			return "2025-01-15T12:00:00Z"
		case "email":
			return "user@example.com"
		}
		return "example"
	}
}

// schemaType returns the schema's type; "object" when it has properties
// and no type; the first non-null member of a type list.
func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if x != "null" {
				if str, ok := x.(string); ok {
					return str
				}
			}
		}
		return "null"
	}
	if _, ok := s["properties"]; ok {
		return "object"
	}
	return "string"
}

func required(s map[string]any) []string {
	var out []string
	if rs, ok := s["required"].([]any); ok {
		for _, r := range rs {
			if str, ok := r.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}

func resolveRef(ref string, root map[string]any) map[string]any {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var cur any = root
	for _, part := range strings.Split(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
	}
	m, _ := cur.(map[string]any)
	return m
}

// propSchema returns the (ref-resolved) schema of one top-level parameter.
func propSchema(params map[string]any, name string) map[string]any {
	props, _ := params["properties"].(map[string]any)
	ps, _ := props[name].(map[string]any)
	if ref, ok := ps["$ref"].(string); ok {
		return resolveRef(ref, params)
	}
	return ps
}

// typeValue is a value of JSON type t, from the parameter's schema when it
// has that type.
func typeValue(t string, ps, root map[string]any) any {
	if ps != nil && schemaType(ps) == t {
		return genValue(ps, root, 0)
	}
	switch t {
	case "string":
		return "example"
	case "number":
		return 1.5
	case "integer":
		return float64(1)
	case "boolean":
		return true
	case "object":
		return map[string]any{}
	case "array":
		return []any{}
	}
	return nil
}

// argsFor builds the arguments of a healthy call from the scenario's
// matchers, filling required parameters the matchers do not mention from
// the schema.
func argsFor(c fixture.ExpectedCall, params map[string]any) map[string]any {
	out := map[string]any{}
	for k, m := range c.Args {
		ps := propSchema(params, k)
		switch {
		case m.Absent:
			continue
		case m.Equals != nil:
			out[k] = m.Equals
		case m.Exact != nil:
			out[k] = m.Exact
		case m.IEquals != nil:
			out[k] = *m.IEquals
		case len(m.OneOf) > 0:
			out[k] = m.OneOf[0]
		case m.Number != nil:
			out[k] = *m.Number
		case m.Example != nil:
			out[k] = m.Example
		case m.Type != "":
			out[k] = typeValue(m.Type, ps, params)
		default: // Regex without an example: the best the schema can do
			out[k] = genValue(ps, params, 0)
		}
	}
	for _, r := range required(params) {
		if _, ok := out[r]; ok {
			continue
		}
		if m, listed := c.Args[r]; listed && m.Absent {
			continue
		}
		out[r] = genValue(propSchema(params, r), params, 0)
	}
	return out
}

// pyJSON encodes v the way Python's json.dumps(v, ensure_ascii=False) does
// (", " and ": " separators, no HTML escaping), which is what vLLM's hermes
// parser puts in "arguments". Keys are sorted.
func pyJSON(v any) string {
	var b strings.Builder
	writePy(&b, v)
	return b.String()
}

func writePy(b *strings.Builder, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, k)
			b.WriteString(": ")
			writePy(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writePy(b, e)
		}
		b.WriteByte(']')
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(x)
		b.WriteString(strings.TrimSuffix(buf.String(), "\n"))
	}
}
