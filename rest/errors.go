package rest

import (
	"net/http"
	"sort"

	"github.com/yangtze-delta/settlement/api"
)

// Error is the JSON body of every error answer.
type Error struct {
	// Status is the HTTP status (not part of the body).
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Gateway error codes. The chaincode's codes (package api) pass through
// unchanged; Codes lists both with their statuses.
const (
	CodeInvalidRequest     = "INVALID_REQUEST"
	CodeInvalidAmount      = "INVALID_AMOUNT"
	CodeBodyTooLarge       = "BODY_TOO_LARGE"
	CodeUnsupportedMedia   = "UNSUPPORTED_MEDIA_TYPE"
	CodeUnauthenticated    = "UNAUTHENTICATED"
	CodeRouteNotFound      = "ROUTE_NOT_FOUND"
	CodeMethodNotAllowed   = "METHOD_NOT_ALLOWED"
	CodePaymentIDReused    = "PAYMENT_ID_REUSED"
	CodeFundsLocked        = "FUNDS_LOCKED"
	CodeTooFragmented      = "TOO_FRAGMENTED"
	CodeTooManyRequests    = "TOO_MANY_REQUESTS"
	CodeNotReady           = "NOT_READY"
	CodeShuttingDown       = "SHUTTING_DOWN"
	CodeChaincodeError     = "CHAINCODE_ERROR"
	CodeEndorseFailed      = "ENDORSE_FAILED"
	CodeEndorserMismatch   = "ENDORSER_MISMATCH"
	CodeSubmitFailed       = "SUBMIT_FAILED"
	CodeCommitUnknown      = "COMMIT_UNKNOWN"
	CodeTxInvalid          = "TX_INVALID"
	CodeConflict           = "CONFLICT"
	CodePeerUnavailable    = "PEER_UNAVAILABLE"
	CodeFabricTimeout      = "FABRIC_TIMEOUT"
	CodeCanceled           = "CANCELED"
	CodeUnknownIdentity    = "UNKNOWN_IDENTITY"
	CodeOperationNotFound  = "OPERATION_NOT_FOUND"
	CodeEventsUnavailable  = "EVENTS_UNAVAILABLE"
	CodeBatchRejected      = "BATCH_REJECTED"
	CodeEventsTooOld       = "EVENTS_TOO_OLD"
	CodeInternal           = string(api.CodeInternal)
	CodeNotFound           = string(api.CodeNotFound)
	CodeDuplicatePayment   = string(api.CodeDuplicatePayment)
	CodeInsufficientFunds  = string(api.CodeInsufficientFunds)
	CodeBatchTooLarge      = string(api.CodeBatchTooLarge)
	CodeForbidden          = string(api.CodeForbidden)
	CodeInvalidArgument    = string(api.CodeInvalidArgument)
	CodeAlreadyExists      = string(api.CodeAlreadyExists)
	CodeInputSpent         = string(api.CodeInputSpent)
	CodeAccountFrozen      = string(api.CodeAccountFrozen)
	CodeLimitExceeded      = string(api.CodeLimitExceeded)
	CodeBalanceCapExceeded = string(api.CodeBalanceCapExceeded)
	CodeBalanceNotZero     = string(api.CodeBalanceNotZero)
)

// Gateway error codes about faults and input limits.
const (
	// CodeChaincodeUnavailable: a peer could not reach its chaincode
	// server (down or restarting); nothing was endorsed.
	CodeChaincodeUnavailable = "CHAINCODE_UNAVAILABLE"
	// CodeURITooLong: the request target (path and query) exceeds the
	// gateway's limit.
	CodeURITooLong = "URI_TOO_LONG"
)

// Reasons of a NOT_READY answer (Details[DetailReason]): stable, and all a
// caller of the public /readyz learns; the gateway logs the cause.
const (
	// ReasonPeerUnavailable: the province's own peer does not answer.
	ReasonPeerUnavailable = "peer_unavailable"
	// ReasonChaincodeUnavailable: the province's own chaincode server does
	// not answer its peer.
	ReasonChaincodeUnavailable = "chaincode_unavailable"
	// ReasonChaincodeError: the chaincode answered the probe with an error.
	ReasonChaincodeError = "chaincode_error"
	// ReasonProbeTimeout: the province's peer, or the chaincode behind it,
	// did not answer within the probe's timeout (a hung node).
	ReasonProbeTimeout = "probe_timeout"
	// ReasonPeerBehind: the province's peer has been more blocks behind
	// the other provinces' peers than allowed for longer than the grace
	// period.
	ReasonPeerBehind = "peer_behind"
)

// Keys of Error.Details.
const (
	// DetailTxID is the Fabric transaction ID (string), once one exists.
	DetailTxID = "txId"
	// DetailStage is the Fabric stage that failed (string).
	DetailStage = "stage"
	// DetailValidationCode is the commit's validation code (string).
	DetailValidationCode = "validationCode"
	// DetailPayment is the stored payment (Payment) on DUPLICATE_PAYMENT
	// and PAYMENT_ID_REUSED.
	DetailPayment = "payment"
	// DetailResults are a rejected batch's item results ([]ItemResult).
	DetailResults = "results"
	// DetailItems lists the batch items whose inputs could not be selected
	// ([]{index, account, code, message}).
	DetailItems = "items"
	// DetailReason says why /readyz answers NOT_READY (string, one of the
	// Reason constants).
	DetailReason = "reason"
)

// CodeInfo describes one code.
type CodeInfo struct {
	Code   string
	Status int
	// Retryable: the same request may succeed later unchanged (after
	// Retry-After when the answer carries one).
	Retryable bool
	Doc       string
}

var gatewayCodes = []CodeInfo{
	{CodeInvalidRequest, http.StatusBadRequest, false, "the request is malformed (JSON, fields, query parameters)"},
	{CodeInvalidAmount, http.StatusBadRequest, false, "an amount is not a positive decimal with at most two decimals"},
	{CodeBodyTooLarge, http.StatusRequestEntityTooLarge, false, "the body exceeds the gateway's limit"},
	{CodeUnsupportedMedia, http.StatusUnsupportedMediaType, false, "the body is not sent as application/json"},
	{CodeUnauthenticated, http.StatusUnauthorized, false, "no valid bearer token or client certificate"},
	{CodeRouteNotFound, http.StatusNotFound, false, "no such route"},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, false, "the route does not take this method"},
	{CodePaymentIDReused, http.StatusUnprocessableEntity, false, "the payment ID was used for a different payment"},
	{CodeTooFragmented, http.StatusUnprocessableEntity, false, "the amount needs more outputs than one payment may spend; merge first"},
	{CodeBatchRejected, http.StatusUnprocessableEntity, false, "every item of a batch was rejected; details.results says why, nothing changed"},
	{CodeEventsTooOld, http.StatusGone, false, "the resume position is older than this gateway can replay; resume from a later block"},
	{CodeOperationNotFound, http.StatusNotFound, false, "no such operation of this client"},
	{CodeFundsLocked, http.StatusServiceUnavailable, true, "the funds exist but are locked by payments in flight"},
	{CodeTooManyRequests, http.StatusTooManyRequests, true, "the gateway is at a limit (async queue, event streams); retry after Retry-After"},
	{CodeURITooLong, http.StatusRequestURITooLong, false, "the path or the query string exceeds the gateway's limit"},
	{CodeNotReady, http.StatusServiceUnavailable, true, "the province's peer or chaincode server does not answer, or its peer is behind the others (details.reason)"},
	{CodeChaincodeUnavailable, http.StatusServiceUnavailable, true, "a peer could not reach its chaincode server (down or restarting); nothing was endorsed"},
	{CodeShuttingDown, http.StatusServiceUnavailable, true, "the gateway is shutting down"},
	{CodeConflict, http.StatusServiceUnavailable, true, "read conflicts persisted after the gateway's retries"},
	{CodePeerUnavailable, http.StatusServiceUnavailable, true, "the peer, endorsers or orderers could not be reached"},
	{CodeCanceled, http.StatusServiceUnavailable, true, "the request was canceled"},
	{CodeEventsUnavailable, http.StatusServiceUnavailable, true, "the event stream could not be opened"},
	{CodeChaincodeError, http.StatusBadGateway, false, "the chaincode failed without a recognised code"},
	{CodeEndorseFailed, http.StatusBadGateway, false, "endorsement failed for a reason other than the chaincode's answer"},
	{CodeEndorserMismatch, http.StatusBadGateway, false, "endorsers answered differently for a reason that is not a lagging peer: a configuration error"},
	{CodeSubmitFailed, http.StatusBadGateway, true, "the orderer did not accept the transaction"},
	{CodeTxInvalid, http.StatusBadGateway, false, "the transaction was committed as invalid"},
	{CodeFabricTimeout, http.StatusGatewayTimeout, true, "a Fabric stage ran out of time"},
	{CodeCommitUnknown, http.StatusGatewayTimeout, true, "the outcome is unknown; retry with the same idempotency ID or look it up"},
	{CodeUnknownIdentity, http.StatusInternalServerError, false, "the client has no ledger identity configured"},
}

var codeIndex = func() map[string]CodeInfo {
	m := map[string]CodeInfo{}
	for _, c := range api.Codes() {
		m[string(c.Code)] = CodeInfo{Code: string(c.Code), Status: c.Status, Retryable: c.Status == http.StatusServiceUnavailable, Doc: c.Doc}
	}
	for _, c := range append(append(append([]CodeInfo(nil), gatewayCodes...), programmeCodes...), interbankCodes...) {
		if _, dup := m[c.Code]; dup {
			panic("rest: code defined twice: " + c.Code)
		}
		m[c.Code] = c
	}
	return m
}()

// Codes lists every code an answer can carry, sorted.
func Codes() []CodeInfo {
	out := make([]CodeInfo, 0, len(codeIndex))
	for _, c := range codeIndex {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// StatusOf returns the HTTP status of a code; 500 for an unknown code.
func StatusOf(code string) int {
	if c, ok := codeIndex[code]; ok {
		return c.Status
	}
	return http.StatusInternalServerError
}

// Known reports whether code is listed.
func Known(code string) bool { _, ok := codeIndex[code]; return ok }
