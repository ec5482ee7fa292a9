// Package api is the single definition of the yrd chaincode's contract:
// every operation's qualified name ("token:Transfer"), whether it is
// submitted or evaluated, its request and response types with their JSON
// form, its transient keys, who may call it (role and scope), the limits on
// its input, the error codes it answers with and their HTTP status, and the
// events a transaction emits.
//
// The chaincode registers its functions from this package (a test fails
// when a contract method and the table disagree), the gateway calls the
// chaincode through it, and the OpenAPI document is checked against it.
// The package imports nothing from Fabric.
//
// # Wire form
//
// Every function takes exactly one argument, the JSON encoding of its
// request type, and returns the JSON encoding of its response type.
// Amounts are decimal yuan strings ("1234.56", see package money). Requests
// are decoded strictly (package internal/strictjson): keys are matched
// exactly, at most once, unknown keys refused.
//
// Errors render as "CODE: message" (see [Error]); the gateway finds the code
// in Fabric's error text and maps it with [Code.HTTPStatus].
package api
