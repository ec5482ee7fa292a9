package api

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
)

// Code is a stable, machine-readable error code. Codes are part of the API:
// clients branch on them, never on message text.
type Code string

// Error codes the chaincode answers with.
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
	CodeNotConfigured      Code = "NOT_CONFIGURED"
	CodeClockSkew          Code = "CLOCK_SKEW"
	CodeNotApproved        Code = "NOT_APPROVED"
	CodeProposalClosed     Code = "PROPOSAL_CLOSED"
	CodeCeilingExceeded    Code = "CEILING_EXCEEDED"
	CodePurposeNotAllowed  Code = "PURPOSE_NOT_ALLOWED"
	CodeOverCap            Code = "OVER_RECIPIENT_CAP"
	CodeNotExpired         Code = "NOT_EXPIRED"
	CodeNotQueued          Code = "NOT_QUEUED"
	CodeDayOpen            Code = "DAY_OPEN"
	CodeOutsideWindow      Code = "OUTSIDE_WINDOW"
	CodeLineConflict       Code = "LINE_CONFLICT"
	// CodeInternal marks a failure that is not the caller's fault (ledger
	// access, encoding, a corrupt record).
	CodeInternal Code = "INTERNAL"
)

// CodeInfo describes one code.
type CodeInfo struct {
	Code Code
	// Status is the HTTP status the gateway answers with.
	Status int
	// Doc says when the code is raised.
	Doc string
}

var codeTable = []CodeInfo{
	{CodeInvalidArgument, http.StatusBadRequest, "the request is malformed or breaks a syntactic limit"},
	{CodeBatchTooLarge, http.StatusBadRequest, "a batch holds more items than allowed"},
	{CodeForbidden, http.StatusForbidden, "the caller's role or scope does not allow the operation"},
	{CodeNotFound, http.StatusNotFound, "no such record the caller may see"},
	{CodeAlreadyExists, http.StatusConflict, "the ID was used before"},
	{CodeDuplicatePayment, http.StatusConflict, "the payment ID was used before"},
	{CodeInputSpent, http.StatusConflict, "an input was spent by another transaction"},
	{CodeAccountFrozen, http.StatusUnprocessableEntity, "the account is frozen"},
	{CodeAccountClosed, http.StatusUnprocessableEntity, "the account is closed"},
	{CodeInsufficientFunds, http.StatusUnprocessableEntity, "the inputs or the account do not cover the amount"},
	{CodeInputNotOwned, http.StatusUnprocessableEntity, "an input is not an unspent output of the paying account"},
	{CodeLimitExceeded, http.StatusUnprocessableEntity, "a per-payment or daily tier limit would be exceeded"},
	{CodeBalanceCapExceeded, http.StatusUnprocessableEntity, "the payee's tier balance cap would be exceeded"},
	{CodeBalanceNotZero, http.StatusUnprocessableEntity, "an account with a balance cannot be closed"},
	{CodeClockSkew, http.StatusBadRequest, "the transaction's timestamp is further from the endorser's clock than the configuration allows"},
	{CodeNotApproved, http.StatusConflict, "the proposal's approval rule does not hold yet"},
	{CodeProposalClosed, http.StatusConflict, "the proposal was executed, cancelled or has expired"},
	{CodeCeilingExceeded, http.StatusUnprocessableEntity, "the mint would take the province past its issuance ceiling (or it has none)"},
	{CodePurposeNotAllowed, http.StatusUnprocessableEntity, "earmarked funds may not go there: an ineligible recipient or payee"},
	{CodeOutsideWindow, http.StatusConflict, "the programme is outside its validity window (trusted time, business dates in Asia/Shanghai): it has not started or has expired"},
	{CodeLineConflict, http.StatusConflict, "the disbursement job's line was paid before to another recipient or amount (a job ID reused with other lines); nothing was paid"},
	{CodeOverCap, http.StatusUnprocessableEntity, "the disbursement would take a recipient past the programme's per-recipient cap"},
	{CodeNotExpired, http.StatusConflict, "the programme has not expired yet (trusted time)"},
	{CodeNotQueued, http.StatusConflict, "the interbank transfer is not waiting in the queue (settled, cancelled, rejected, held, or its value date is not open)"},
	{CodeDayOpen, http.StatusConflict, "the business day has not reached its end of day yet (trusted time)"},
	{CodeNotConfigured, http.StatusServiceUnavailable, "the channel's configuration has not been initialised (gov:Init)"},
	{CodeInternal, http.StatusInternalServerError, "a failure that is not the caller's fault"},
}

var codeIndex = func() map[Code]CodeInfo {
	m := make(map[Code]CodeInfo, len(codeTable))
	for _, c := range codeTable {
		m[c.Code] = c
	}
	return m
}()

// Codes lists every chaincode error code, sorted by code.
func Codes() []CodeInfo {
	out := append([]CodeInfo(nil), codeTable...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Known reports whether c is a code the chaincode raises.
func (c Code) Known() bool { _, ok := codeIndex[c]; return ok }

// HTTPStatus is the status the gateway answers c with; 0 for an unknown code.
func (c Code) HTTPStatus() int { return codeIndex[c].Status }

// Error is a rule violation with a stable code. It renders "CODE: message",
// the form the gateway parses out of Fabric's error text.
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

// MessageOf returns the message of the first *Error in err's chain without
// its code, or err.Error() for other errors.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
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
