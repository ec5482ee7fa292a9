package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
)

// Gateway-level error codes (in addition to the ledger package's codes).
const (
	CodeInvalidRequest  = "INVALID_REQUEST"
	CodeInvalidAmount   = "INVALID_AMOUNT"
	CodeBodyTooLarge    = "BODY_TOO_LARGE"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeRouteNotFound   = "ROUTE_NOT_FOUND"
	CodePaymentIDReused = "PAYMENT_ID_REUSED"
	CodeFundsLocked     = "FUNDS_LOCKED"
	CodeTooFragmented   = "TOO_FRAGMENTED"
	CodeNotReady        = "NOT_READY"
	CodeShuttingDown    = "SHUTTING_DOWN"
)

// apiError is the JSON error body.
type apiError struct {
	Status  int            `json:"-"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// statusOf maps stable codes to HTTP statuses. Codes not listed are 500.
var statusOf = map[string]int{
	CodeInvalidRequest:  http.StatusBadRequest,
	CodeInvalidAmount:   http.StatusBadRequest,
	CodeBodyTooLarge:    http.StatusBadRequest,
	CodeUnauthenticated: http.StatusUnauthorized,
	CodeRouteNotFound:   http.StatusNotFound,
	CodePaymentIDReused: http.StatusUnprocessableEntity,
	CodeFundsLocked:     http.StatusServiceUnavailable,
	CodeTooFragmented:   http.StatusUnprocessableEntity,
	CodeNotReady:        http.StatusServiceUnavailable,
	CodeShuttingDown:    http.StatusServiceUnavailable,

	string(ledger.CodeInvalidArgument):    http.StatusBadRequest,
	string(ledger.CodeBatchTooLarge):      http.StatusBadRequest,
	string(ledger.CodeForbidden):          http.StatusForbidden,
	string(ledger.CodeNotFound):           http.StatusNotFound,
	string(ledger.CodeAlreadyExists):      http.StatusConflict,
	string(ledger.CodeDuplicatePayment):   http.StatusConflict,
	string(ledger.CodeInputSpent):         http.StatusConflict,
	string(ledger.CodeAccountFrozen):      http.StatusUnprocessableEntity,
	string(ledger.CodeAccountClosed):      http.StatusUnprocessableEntity,
	string(ledger.CodeInsufficientFunds):  http.StatusUnprocessableEntity,
	string(ledger.CodeInputNotOwned):      http.StatusUnprocessableEntity,
	string(ledger.CodeLimitExceeded):      http.StatusUnprocessableEntity,
	string(ledger.CodeBalanceCapExceeded): http.StatusUnprocessableEntity,

	string(ledger.CodeChaincodeError):  http.StatusBadGateway,
	string(ledger.CodeEndorseFailed):   http.StatusBadGateway,
	string(ledger.CodeSubmitFailed):    http.StatusBadGateway,
	string(ledger.CodeTxInvalid):       http.StatusBadGateway,
	string(ledger.CodeConflict):        http.StatusServiceUnavailable,
	string(ledger.CodePeerUnavailable): http.StatusServiceUnavailable,
	string(ledger.CodeCanceled):        http.StatusServiceUnavailable,
	string(ledger.CodeTimeout):         http.StatusGatewayTimeout,
	string(ledger.CodeCommitUnknown):   http.StatusGatewayTimeout,
	string(ledger.CodeUnknownIdentity): http.StatusInternalServerError,
	string(ledger.CodeInternal):        http.StatusInternalServerError,
}

// httpStatus returns the status for code; unknown chaincode codes are 422
// (a business rule said no), anything else 500.
func httpStatus(code string, fromChaincode bool) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	if fromChaincode {
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// toAPIError converts any error from the ledger, selection or handlers.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var le *ledger.Error
	if errors.As(err, &le) {
		e := &apiError{Code: string(le.Code), Message: le.Message, Details: map[string]any{"stage": string(le.Stage)}}
		if le.TxID != "" {
			e.Details["txId"] = le.TxID
		}
		if le.ValidationCode != "" {
			e.Details["validationCode"] = le.ValidationCode
		}
		e.Status = httpStatus(e.Code, le.FromChaincode)
		return e
	}
	switch {
	case errors.Is(err, selection.ErrInsufficientFunds):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: string(ledger.CodeInsufficientFunds), Message: err.Error()}
	case errors.Is(err, selection.ErrFundsLocked):
		return &apiError{Status: http.StatusServiceUnavailable, Code: CodeFundsLocked, Message: err.Error()}
	case errors.Is(err, selection.ErrTooFragmented):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: CodeTooFragmented, Message: err.Error()}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: string(ledger.CodeInternal), Message: "internal error"}
}
