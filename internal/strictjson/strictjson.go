// Package strictjson decodes JSON the way a payment API must: keys match
// struct tags exactly (encoding/json matches them case-insensitively), a key
// appears at most once per object (encoding/json keeps the last), unknown
// keys are refused, and the input holds exactly one value.
//
// The chaincode decodes every request with it and the gateway every body,
// so {"amount":"0.01","AMOUNT":"0.03"} is refused on both sides instead of
// paying 0.03.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
)

// Error describes why input was refused. Path is a JSON-pointer-like
// location ("items[3].amount"); empty for the top level.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// MaxDepth bounds nesting, so a hostile body cannot exhaust the stack.
const MaxDepth = 32

// Unmarshal decodes data into v (a pointer) strictly. Errors are *Error,
// or wrap encoding/json's errors for type mismatches.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("strictjson: Unmarshal needs a non-nil pointer")
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := check(d, rv.Type().Elem(), "", 0); err != nil {
		return err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return &Error{Msg: "more than one JSON value"}
	}
	d = json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return describe(err)
	}
	return nil
}

func describe(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &Error{Path: te.Field, Msg: fmt.Sprintf("expected %s, got JSON %s", kindName(te.Type), te.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Msg: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)}
	}
	return &Error{Msg: err.Error()}
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	if strings.HasPrefix(t.Kind().String(), "int") || strings.HasPrefix(t.Kind().String(), "uint") {
		return "an integer"
	}
	return t.String()
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// check walks one JSON value against type t: objects decoded into structs
// must use exact field names, once each.
func check(d *json.Decoder, t reflect.Type, path string, depth int) error {
	if depth > MaxDepth {
		return &Error{Path: path, Msg: fmt.Sprintf("nested deeper than %d", MaxDepth)}
	}
	tok, err := d.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return &Error{Path: path, Msg: "empty input"}
		}
		return &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	custom := t != nil && (reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType))
	switch tok {
	case json.Delim('{'):
		var fields map[string]reflect.Type
		open := t == nil || custom || t.Kind() == reflect.Interface
		if !open {
			switch t.Kind() {
			case reflect.Struct:
				fields = fieldsOf(t)
			case reflect.Map:
			default:
				// Type mismatch: the decoder reports it; keep scanning generically.
				open = true
			}
		}
		seen := map[string]bool{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
			}
			k, _ := kt.(string)
			sub := join(path, k)
			if seen[k] {
				return &Error{Path: sub, Msg: "key appears twice"}
			}
			seen[k] = true
			var ft reflect.Type
			switch {
			case open:
			case fields != nil:
				var ok bool
				if ft, ok = fields[k]; !ok {
					return &Error{Path: sub, Msg: unknownKey(k, fields)}
				}
			default: // map
				ft = t.Elem()
			}
			if err := check(d, ft, sub, depth+1); err != nil {
				return err
			}
		}
		_, err := d.Token() // '}'
		if err != nil {
			return &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
		}
	case json.Delim('['):
		var et reflect.Type
		if t != nil && !custom && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; d.More(); i++ {
			if err := check(d, et, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
		if _, err := d.Token(); err != nil { // ']'
			return &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func unknownKey(k string, fields map[string]reflect.Type) string {
	for name := range fields {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf("unknown key (did you mean %q? keys are case-sensitive)", name)
		}
	}
	return "unknown key"
}

var cache sync.Map // reflect.Type -> map[string]reflect.Type

// fieldsOf returns the JSON names of t's fields (embedded structs flattened,
// "-" skipped) with their types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := cache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	collect(t, m, 0)
	cache.Store(t, m)
	return m
}

func collect(t reflect.Type, m map[string]reflect.Type, depth int) {
	if depth > MaxDepth {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collect(ft, m, depth+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := m[name]; !dup {
			m[name] = f.Type
		}
	}
}
