package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	envbind "github.com/caarlos0/env/v11"
)

// unknownField is yaml's error for a key KnownFields rejects.
var unknownField = regexp.MustCompile(`field (\S+) not found in type`)

// bind sets the knobs named in vals (environment variable → text) with
// caarlos0/env and the suite's parsers; each value it rejects becomes one
// error, worded by explain.
func (c *Config) bind(vals map[string]string, explain func(k knob, v string, err error) error) error {
	err := envbind.ParseWithOptions(c, envbind.Options{Environment: vals, FuncMap: parsers})
	c.StartAt = c.StartAt.UTC()
	if err == nil {
		return nil
	}
	var agg envbind.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	byField := map[string]knob{}
	for _, k := range knobs() {
		byField[k.field] = k
	}
	var errs []error
	for _, e := range agg.Errors {
		var pe envbind.ParseError
		if !errors.As(e, &pe) {
			errs = append(errs, e)
			continue
		}
		k := byField[pe.Name]
		msg := pe.Err
		if pe.Type == reflect.TypeFor[time.Time]() {
			msg = errors.New("not an RFC 3339 time (2026-11-30T12:00:00Z)")
		}
		errs = append(errs, explain(k, vals[k.env], msg))
	}
	return errors.Join(errs...)
}

// knob is one Config field's names: its Go field, environment variable,
// settings key and example.
type knob struct{ field, env, yaml, example string }

// knobs are Config's knobs in declaration order (Capacity's included),
// read from the struct tags.
func knobs() []knob {
	var out []knob
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			sf := t.Field(i)
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type) // Capacity's knobs
				continue
			}
			if e := sf.Tag.Get("env"); e != "" && e != "-" {
				out = append(out, knob{sf.Name, e, sf.Tag.Get("yaml"), sf.Tag.Get("example")})
			}
		}
	}
	walk(reflect.TypeFor[Config]())
	return out
}

// yamlKeys are the settings keys, in declaration order.
func yamlKeys() []string {
	var out []string
	for _, k := range knobs() {
		if k.yaml != "" && k.yaml != "-" {
			out = append(out, k.yaml)
		}
	}
	return out
}

// parsers read each knob type from text, with the messages a user reads.
var parsers = map[reflect.Type]envbind.ParserFunc{
	reflect.TypeFor[bool](): func(s string) (any, error) {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, errors.New("not a boolean (true or false)")
		}
		return b, nil
	},
	reflect.TypeFor[int](): func(s string) (any, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("not a whole number")
		}
		if n < 0 {
			return nil, errors.New("must not be negative")
		}
		return int(n), nil
	},
	reflect.TypeFor[int64](): func(s string) (any, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("not a whole number")
		}
		if n < 0 {
			return nil, errors.New("must not be negative")
		}
		return n, nil
	},
	reflect.TypeFor[float64](): func(s string) (any, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, errors.New("not a number")
		}
		if f < 0 {
			return nil, errors.New("must not be negative")
		}
		return f, nil
	},
	reflect.TypeFor[time.Duration](): func(s string) (any, error) {
		d, err := time.ParseDuration(s)
		if err != nil {
			if _, numErr := strconv.ParseFloat(s, 64); numErr == nil {
				return nil, errors.New("a duration needs a unit (ms, s, m)")
			}
			return nil, errors.New("not a duration")
		}
		if d < 0 {
			return nil, errors.New("must not be negative")
		}
		return d, nil
	},
	reflect.TypeFor[[]string](): func(s string) (any, error) {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	},
}

// knobErrors gathers the knobs validate refuses, one line each.
type knobErrors []error

// add refuses the knob env for msg, with the example its struct tag
// declares: the same example a value the parsers reject is shown with, so
// each knob's example is written once.
func (e *knobErrors) add(env, msg string) {
	example := ""
	for _, k := range knobs() {
		if k.env == env {
			example = k.example
		}
	}
	*e = append(*e, fmt.Errorf("%s: %s; example: %s=%s", env, msg, env, example))
}
