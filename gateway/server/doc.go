// Package server is the gateway's HTTP API for bank back offices.
//
// Routes are declared once, in the table returned by routes (server.go);
// that table registers the handlers on a Go 1.22 pattern mux and is checked
// against the OpenAPI document (openapi.json) by a test. Each route group has
// its own handler file and httptest test.
//
// Requests are authenticated (auth.go) by bearer token or mTLS client
// certificate and mapped to one configured Fabric identity; the chaincode
// authorises by that identity's certificate attributes. Request bodies are
// size-limited and decoded strictly (unknown fields refused); amounts are
// validated as decimal strings. All of this happens before any Fabric call.
//
// Every error is JSON {code, message, details} with a stable code; errors.go
// maps codes (the chaincode's and the ledger package's) to HTTP statuses.
// Writes answer 201 only after the commit status is valid, or 202 with an
// operation URL when called with ?async=true.
//
// The chaincode's function names, argument shapes and result parsing live in
// one file, chaincode.go; results are otherwise passed through as JSON.
package server
