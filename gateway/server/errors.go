package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/internal/strictjson"
	"github.com/yangtze-delta/settlement/rest"
)

// newError builds a rest.Error with its status from the code table.
func newError(code, format string, args ...any) *rest.Error {
	return &rest.Error{Status: rest.StatusOf(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *rest.Error {
	return newError(rest.CodeInvalidRequest, format, args...)
}

// toAPIError converts any error from the ledger, selection, decoding or
// handlers into the answer's error. Anything unrecognised is a 500 whose
// message reveals nothing internal.
func toAPIError(err error) *rest.Error {
	var re *rest.Error
	if errors.As(err, &re) {
		if re.Status == 0 {
			re.Status = rest.StatusOf(re.Code)
		}
		return re
	}
	var ae *api.Error
	if errors.As(err, &ae) && ae.Code != api.CodeInternal {
		// The chaincode's own validation, run by the gateway first.
		return newError(string(ae.Code), "%s", ae.Msg)
	}
	var se *strictjson.Error
	if errors.As(err, &se) {
		return badRequest("invalid JSON body: %v", se)
	}
	var le *ledger.Error
	if errors.As(err, &le) {
		e := &rest.Error{Code: string(le.Code), Message: le.Message, Details: map[string]any{rest.DetailStage: string(le.Stage)}}
		if le.TxID != "" {
			e.Details[rest.DetailTxID] = le.TxID
		}
		if le.ValidationCode != "" {
			e.Details[rest.DetailValidationCode] = le.ValidationCode
		}
		e.Status = rest.StatusOf(e.Code)
		if le.FromChaincode && !rest.Known(e.Code) {
			// A code of a newer chaincode: a business rule said no.
			e.Status = http.StatusUnprocessableEntity
		}
		return e
	}
	switch {
	case errors.Is(err, selection.ErrInsufficientFunds):
		return newError(rest.CodeInsufficientFunds, "%v", err)
	case errors.Is(err, selection.ErrFundsLocked):
		return newError(rest.CodeFundsLocked, "%v", err)
	case errors.Is(err, selection.ErrTooFragmented):
		return newError(rest.CodeTooFragmented, "%v", err)
	case errors.Is(err, selection.ErrTooManyAccounts):
		return newError(rest.CodeTooManyRequests, "the gateway tracks too many accounts in flight; retry later")
	case errors.Is(err, selection.ErrBatchTooLarge):
		return newError(rest.CodeBatchTooLarge, "%v", err)
	case errors.Is(err, selection.ErrInvalidAmount):
		return newError(rest.CodeInvalidAmount, "%v", err)
	}
	return newError(rest.CodeInternal, "internal error")
}
