package server

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type openapiDocument struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		Parameters []struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
}

// TestOpenAPIMatchesRoutes fails when a route and the document disagree.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc openapiDocument
	require.NoError(t, json.Unmarshal(openapiDoc, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."))

	var documented []string
	for path, item := range doc.Paths {
		for method, op := range item {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			require.NotEmpty(t, op.Responses, "%s %s has no responses", method, path)
			for _, p := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
				found := slices.ContainsFunc(op.Parameters, func(q struct {
					Name string `json:"name"`
					In   string `json:"in"`
				}) bool {
					return q.Name == p[1] && q.In == "path"
				})
				require.True(t, found, "%s %s does not declare path parameter %s", method, path, p[1])
			}
		}
	}
	served := []string{"GET /metrics"}
	e := newEnv(t)
	for _, rt := range e.srv.routes() {
		served = append(served, rt.method+" "+rt.path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	require.Equal(t, served, documented, "routes in server.go and openapi.json differ")
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	r := e.doAs("", "GET", "/openapi.json", "")
	require.Equal(t, http.StatusOK, r.status)
	require.True(t, json.Valid(r.body))
	r = e.doAs("", "GET", "/docs", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, string(r.body), "/openapi.json")
}
