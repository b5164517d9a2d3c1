package sidecar

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaJSON is schema.json, the JSON Schema of metrics.json.
//
//go:embed schema.json
var SchemaJSON []byte

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// Validate checks a metrics.json document against schema.json.
func Validate(doc []byte) error {
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		s, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
		if err != nil {
			schemaErr = err
			return
		}
		if err := c.AddResource("schema.json", s); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile("schema.json")
	})
	if schemaErr != nil {
		return fmt.Errorf("compile schema.json: %w", schemaErr)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("metrics.json is not JSON: %w", err)
	}
	return schema.Validate(inst)
}

// ValidateCurrent is Validate, and more: doc decodes into this build's
// types with no field left over. The lenient reader (Decode) accepts
// unknown fields, so a file in an older shape (a field since removed)
// passes Validate and Decode alike; tests hold their sidecar inputs to
// this, so they stay what the writer writes today.
func ValidateCurrent(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var m Metrics
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("metrics.json in another shape than this build writes: %w", err)
	}
	return Validate(doc)
}

// ValidateMetrics encodes m and validates it.
func ValidateMetrics(m *Metrics) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return Validate(b)
}
