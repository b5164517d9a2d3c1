package sidecar

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchemaDescribesEveryField holds the hand-written schema.json to the
// structs that are the file format, field by field: every JSON field of
// every struct reachable from Metrics is a property of the schema with a
// compatible type, and every property of the schema is a field. The schema
// stays written by hand (its descriptions, enums and bounds are for
// people and for validating files from other versions); this test is what
// keeps it from drifting.
func TestSchemaDescribesEveryField(t *testing.T) {
	var root map[string]any
	require.NoError(t, json.Unmarshal(SchemaJSON, &root))
	w := schemaWalk{defs: root["$defs"].(map[string]any)}
	w.compare("metrics", reflect.TypeFor[Metrics](), root)
	sort.Strings(w.problems)
	assert.Empty(t, w.problems, "internal/sidecar/schema.json and the Go structs disagree: add the field to both (never rename one)")
}

type schemaWalk struct {
	defs     map[string]any
	problems []string
}

func (w *schemaWalk) fail(format string, args ...any) {
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
}

// resolve follows a $ref into $defs.
func (w *schemaWalk) resolve(node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		def, ok := w.defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if !ok {
			return node
		}
		node = def
	}
}

// branches are the alternatives a node allows (oneOf/anyOf), or the node.
func (w *schemaWalk) branches(node map[string]any) []map[string]any {
	node = w.resolve(node)
	for _, k := range []string{"oneOf", "anyOf"} {
		if alts, ok := node[k].([]any); ok {
			var out []map[string]any
			for _, a := range alts {
				out = append(out, w.branches(a.(map[string]any))...)
			}
			return out
		}
	}
	return []map[string]any{node}
}

// types are the JSON types a node allows; an enum without a type allows
// the types of its values.
func types(node map[string]any) []string {
	switch t := node["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, e.(string))
		}
		return out
	}
	if enum, ok := node["enum"].([]any); ok {
		var out []string
		for _, e := range enum {
			switch e.(type) {
			case string:
				out = append(out, "string")
			case nil:
				out = append(out, "null")
			case float64:
				out = append(out, "number")
			case bool:
				out = append(out, "boolean")
			}
		}
		return out
	}
	return nil // any type
}

// jsonType is the JSON type a Go type encodes to.
func jsonType(t reflect.Type) string {
	if t == reflect.TypeFor[time.Time]() {
		return "string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "?"
}

// compare checks Go type t against schema node at path.
func (w *schemaWalk) compare(path string, t reflect.Type, node map[string]any) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	want := jsonType(t)
	var match []map[string]any
	for _, b := range w.branches(node) {
		ts := types(b)
		if ts == nil || slices.Contains(ts, want) || (want == "integer" && slices.Contains(ts, "number")) {
			match = append(match, b)
		}
	}
	if len(match) == 0 {
		w.fail("%s: Go %s encodes as %s; the schema allows %v", path, t, want, types(w.resolve(node)))
		return
	}
	for _, b := range match {
		switch t.Kind() {
		case reflect.Struct:
			if t != reflect.TypeFor[time.Time]() {
				w.compareStruct(path, t, b)
			}
		case reflect.Slice, reflect.Array:
			if items, ok := b["items"].(map[string]any); ok && t.Elem().Kind() != reflect.Uint8 {
				w.compare(path+"[]", t.Elem(), items)
			}
		case reflect.Map:
			if addl, ok := b["additionalProperties"].(map[string]any); ok {
				w.compare(path+"{}", t.Elem(), addl)
			}
		}
	}
}

// compareStruct checks a struct's JSON fields against an object node's
// properties, both ways. An object node without properties (a free-form
// object) is only checked for its type.
func (w *schemaWalk) compareStruct(path string, t reflect.Type, node map[string]any) {
	props, ok := node["properties"].(map[string]any)
	if !ok {
		w.fail("%s: Go %s has fields; the schema does not list them (properties)", path, t)
		return
	}
	fields := map[string]reflect.Type{}
	jsonFields(t, fields)
	for name, ft := range fields {
		p, ok := props[name].(map[string]any)
		if !ok {
			w.fail("%s.%s: a field of Go %s missing from the schema", path, name, t)
			continue
		}
		w.compare(path+"."+name, ft, p)
	}
	for name := range props {
		if _, ok := fields[name]; !ok {
			w.fail("%s.%s: in the schema, but Go %s has no such field", path, name, t)
		}
	}
}

// jsonFields are the JSON names and types of t's encoded fields, embedded
// structs' fields included.
func jsonFields(t reflect.Type, out map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				jsonFields(ft, out)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
}
