// Package rest is the bank-facing HTTP API of the yrd gateway, version 1:
// every route (method, path, request and response types, success status,
// whether it may run asynchronously), every JSON type a bank's back office
// sends or receives, and every error code with its HTTP status.
//
// These types are the gateway's own. They are not the chaincode's (package
// api): the gateway converts between the two, so that a change inside the
// chaincode cannot silently change what banks receive; golden JSON tests pin
// the wire form of every type. The OpenAPI document is generated from this
// package (see OpenAPI), the gateway serves it, and package client is the
// typed Go client over the same routes.
//
// # Conventions
//
//   - Amounts are decimal yuan strings with at most two decimals ("1234.56").
//   - Bodies are JSON with Content-Type application/json; keys are matched
//     exactly and at most once; unknown keys are refused (400). A route with
//     CSV set (a disbursement job's lines) also takes text/csv.
//   - A route with Accepted set starts a job: 202 with the new job, 200 with
//     the existing one when the same request is sent again.
//   - A committed write answers 201 with [Committed]; with ?async=true it
//     answers 202 with [Accepted] and the outcome is read from
//     /v1/operations/{id}.
//   - Errors answer with [Error]: a stable code, a message for humans and
//     optional details. Branch on the code, never on the message.
//   - Paged lists answer with an opaque "bookmark" to pass back unchanged;
//     an empty bookmark means no more pages.
package rest
