package rest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// OpenAPI generates the OpenAPI 3.0 document of the API from the route
// table, the types and the code table, so that the document cannot drift
// from the code. The output is deterministic.
func OpenAPI(version string) ([]byte, error) {
	g := &gen{schemas: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, r := range Routes() {
		op := map[string]any{"operationId": r.Name, "summary": r.Summary}
		if r.Public {
			op["security"] = []any{}
		}
		var params []any
		for _, p := range r.Params {
			params = append(params, g.param(p))
		}
		if r.Write {
			params = append(params, g.param(asyncParam))
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Body != nil {
			content := map[string]any{"application/json": map[string]any{"schema": g.ref(r.Body)}}
			if r.CSV {
				content["text/csv"] = map[string]any{"schema": map[string]any{"type": "string",
					"description": "rows recipient,amount (yuan), an optional header row recipient,amount; a line's number is its row number"}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		responses := map[string]any{}
		switch {
		case r.Stream:
			responses["200"] = map[string]any{"description": "a stream of events (text/event-stream); each event's data is this schema",
				"content": map[string]any{"text/event-stream": map[string]any{"schema": g.ref(r.Result)}}}
		case r.Accepted:
			responses["202"] = map[string]any{"description": "accepted: the new job", "content": jsonContent(g.ref(r.Result))}
			responses["200"] = map[string]any{"description": "the existing job (the same request again)", "content": jsonContent(g.ref(r.Result))}
		case r.Write:
			responses["201"] = map[string]any{"description": "committed", "content": jsonContent(g.committed(r.Result))}
			responses["202"] = map[string]any{"description": "accepted (?async=true)", "content": jsonContent(g.ref(typ[Accepted]()))}
		case r.Result != nil:
			responses["200"] = map[string]any{"description": "OK", "content": jsonContent(g.ref(r.Result))}
		default:
			responses["200"] = map[string]any{"description": "OK"}
		}
		responses["default"] = map[string]any{"description": "an error; see the code table in the info section",
			"content": jsonContent(g.ref(typ[Error]()))}
		op["responses"] = responses
		if paths[r.Path] == nil {
			paths[r.Path] = map[string]any{}
		}
		paths[r.Path][strings.ToLower(r.Method)] = op
	}
	var codes strings.Builder
	codes.WriteString("Error codes (HTTP status, retryable):\n\n| code | status | retryable | when |\n|---|---|---|---|\n")
	for _, c := range Codes() {
		fmt.Fprintf(&codes, "| %s | %d | %v | %s |\n", c.Code, c.Status, c.Retryable, c.Doc)
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "YRD settlement gateway", "version": version,
			"description": "The bank-facing HTTP API of the YRD settlement gateway (package rest).\n\n" + codes.String()},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
		"security": []any{map[string]any{"bearer": []any{}}},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func jsonContent(schema any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

type gen struct{ schemas map[string]any }

func (g *gen) param(p Param) map[string]any {
	m := map[string]any{"name": p.Name, "in": p.In, "required": p.Required}
	if p.Doc != "" {
		m["description"] = p.Doc
	}
	switch p.Schema {
	case "integer":
		m["schema"] = map[string]any{"type": "integer"}
	case "date-time":
		m["schema"] = map[string]any{"type": "string", "format": "date-time"}
	default:
		m["schema"] = map[string]any{"type": "string"}
	}
	return m
}

func (g *gen) committed(t reflect.Type) any {
	name := "Committed" + t.Name()
	if _, ok := g.schemas[name]; !ok {
		g.schemas[name] = map[string]any{"type": "object", "required": []string{"txId", "blockNumber", "result"},
			"properties": map[string]any{
				"txId":        map[string]any{"type": "string"},
				"blockNumber": map[string]any{"type": "integer"},
				"result":      g.ref(t),
			}}
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

var (
	amountType = reflect.TypeFor[money.Amount]()
	timeType   = reflect.TypeFor[time.Time]()
	rawType    = reflect.TypeFor[json.RawMessage]()
)

// ref returns a schema for t, registering named structs as components.
func (g *gen) ref(t reflect.Type) any {
	switch t {
	case amountType:
		return map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]{1,2})?$`, "example": "12.34"}
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.ref(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint64, reflect.Uint32, reflect.Uint:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.schemas[name]; !ok {
			g.schemas[name] = nil // placeholder against recursion
			g.schemas[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *gen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = g.ref(f.Type)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	m := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		m["required"] = required
	}
	return m
}
