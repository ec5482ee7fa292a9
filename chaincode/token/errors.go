package token

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code. Codes are part of the
// chaincode API: the gateway maps them to HTTP statuses.
type Code string

// Error codes.
const (
	CodeInvalidArgument    Code = "INVALID_ARGUMENT"
	CodeNotFound           Code = "NOT_FOUND"
	CodeAlreadyExists      Code = "ALREADY_EXISTS"
	CodeDuplicatePayment   Code = "DUPLICATE_PAYMENT"
	CodeForbidden          Code = "FORBIDDEN"
	CodeAccountFrozen      Code = "ACCOUNT_FROZEN"
	CodeAccountClosed      Code = "ACCOUNT_CLOSED"
	CodeInsufficientFunds  Code = "INSUFFICIENT_FUNDS"
	CodeInputNotOwned      Code = "INPUT_NOT_OWNED"
	CodeInputSpent         Code = "INPUT_SPENT"
	CodeLimitExceeded      Code = "LIMIT_EXCEEDED"
	CodeBalanceCapExceeded Code = "BALANCE_CAP_EXCEEDED"
	CodeBatchTooLarge      Code = "BATCH_TOO_LARGE"
	CodeBalanceNotZero     Code = "BALANCE_NOT_ZERO"
	// CodeInternal marks a failure that is not the caller's fault (ledger
	// access, encoding). The gateway treats it as a server error.
	CodeInternal Code = "INTERNAL"
)

// Error is a rule violation with a stable code.
type Error struct {
	Code Code
	Msg  string
}

// Error renders "CODE: message".
func (e *Error) Error() string { return string(e.Code) + ": " + e.Msg }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, CodeInternal
// for any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Internal wraps an infrastructure failure as a CodeInternal error, keeping
// the cause for errors.Is/As.
func Internal(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...) + ": " + err.Error()
	return &internalError{code: Error{Code: CodeInternal, Msg: msg}, cause: err}
}

type internalError struct {
	code  Error
	cause error
}

func (w *internalError) Error() string   { return w.code.Error() }
func (w *internalError) Unwrap() []error { return []error{&w.code, w.cause} }
