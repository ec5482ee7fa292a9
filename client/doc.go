// Package client is the typed Go client of the yrd gateway's bank-facing
// HTTP API v1 ([rest]): one method per route, the request and answer types
// of package rest, and one error type. It is what yrdctl, yrd-bench and the
// end-to-end suite use, and the one package an integrator imports.
//
//	c, err := client.New("https://gw.shanghai.example", client.WithTokenFile("/etc/yrd/operator.token"))
//	if err != nil { … }
//	res, err := c.Pay(ctx, rest.PaymentRequest{PaymentID: "p-1", From: "sh-reserve", To: "js-alice",
//		Amount: money.MustParseYuan("12.34")})
//	switch client.CodeOf(err) {
//	case "":                           // committed: res.TxID, res.BlockNumber, res.Result
//	case rest.CodeInsufficientFunds:   // …
//	}
//
// # Routes
//
// Every method calls one route of [rest.Routes], taking its method, path,
// and body and result types from the route table: nothing is retyped here,
// and a test fails when a route has no method. Path IDs are escaped; an
// empty ID is refused before anything is sent. Bodies are sent as JSON with
// Content-Type application/json. The bearer token is sent to every route
// except the public ones (health, readiness, the API document).
//
// # Writes
//
// A write ([Client.Pay], [Client.Mint], [Client.OpenAccount], …) returns
// once the gateway saw its transaction committed as valid: a
// [rest.Committed] with the transaction ID, the block and the result. Its
// …Async twin returns at once with a [rest.Accepted]; [Client.WaitOperation]
// polls the operation until it finished, and [OperationResult] turns it into
// the rest.Committed or the error the synchronous call would have returned.
// Business IDs (payment, mint, redeem, merge IDs) are idempotency keys: a
// write whose outcome is unknown (COMMIT_UNKNOWN, a timeout) is safely sent
// again with the same ID.
//
// # Lists and events
//
// Paged lists return one page ([Client.ListOutputs], [Client.Statement])
// with an opaque bookmark to pass back unchanged; [Client.AllOutputs] and
// [Client.AllStatementEntries] iterate over every page. [Client.Events]
// streams committed business events (Server-Sent Events) and returns the
// last event ID, to resume from.
//
// # Errors
//
// Every call's error is an [*Error]: the gateway's answer (HTTP status, a
// code of [rest.Codes], message, details), or a failure on this side with a
// CLIENT_ code ([CodeTransport], [CodeTimeout], [CodeCanceled],
// [CodeBadResponse], [CodeResponseTooLarge], [CodeInvalidArgument]), so that
// callers branch on a code in every case: [CodeOf]. [Error.Retryable] says
// whether the same call may succeed later. An error answer that is not in
// the gateway's shape (a proxy's page) has the code "HTTP_<status>".
//
// # Limits
//
// Each call is bounded by [WithTimeout] (default [DefaultTimeout]) and its
// context; an event stream by its context only. An answer, and one event,
// may hold [WithMaxResponseBytes] (default [DefaultMaxResponseBytes]).
//
// # Concurrency
//
// A Client is safe for concurrent use and holds no per-call state; share
// one per gateway and credential.
package client
