package ledger

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/yangtze-delta/settlement/api"
)

// Code is a stable error code; the HTTP layer maps it to a status and
// returns it to clients unchanged.
type Code string

// Codes raised by the chaincode (rendered "CODE: message") are package
// api's; these aliases keep call sites short.
const (
	CodeInvalidArgument    = Code(api.CodeInvalidArgument)
	CodeNotFound           = Code(api.CodeNotFound)
	CodeAlreadyExists      = Code(api.CodeAlreadyExists)
	CodeDuplicatePayment   = Code(api.CodeDuplicatePayment)
	CodeForbidden          = Code(api.CodeForbidden)
	CodeInsufficientFunds  = Code(api.CodeInsufficientFunds)
	CodeInputSpent         = Code(api.CodeInputSpent)
	CodeBatchTooLarge      = Code(api.CodeBatchTooLarge)
	CodeAccountFrozen      = Code(api.CodeAccountFrozen)
	CodeAccountClosed      = Code(api.CodeAccountClosed)
	CodeInputNotOwned      = Code(api.CodeInputNotOwned)
	CodeLimitExceeded      = Code(api.CodeLimitExceeded)
	CodeBalanceCapExceeded = Code(api.CodeBalanceCapExceeded)
)

// Codes raised by the gateway about Fabric itself.
const (
	// CodeChaincodeError is a chaincode failure without a recognised code.
	CodeChaincodeError Code = "CHAINCODE_ERROR"
	// CodeEndorseFailed: endorsement failed for a reason other than the chaincode's answer.
	CodeEndorseFailed Code = "ENDORSE_FAILED"
	// CodeEndorserMismatch: endorsers kept returning different results after
	// every retry: a configuration error, not a lagging peer.
	CodeEndorserMismatch Code = "ENDORSER_MISMATCH"
	// CodeSubmitFailed: the orderer never accepted the transaction.
	CodeSubmitFailed Code = "SUBMIT_FAILED"
	// CodeCommitUnknown: the transaction may still commit; look it up by ID.
	CodeCommitUnknown Code = "COMMIT_UNKNOWN"
	// CodeTxInvalid: the transaction was committed to a block as invalid.
	CodeTxInvalid Code = "TX_INVALID"
	// CodeConflict: read conflicts persisted after every retry.
	CodeConflict Code = "CONFLICT"
	// CodePeerUnavailable: the peer (or the endorsers/orderers behind it) could not be reached.
	CodePeerUnavailable Code = "PEER_UNAVAILABLE"
	// CodeTimeout: a Fabric stage ran out of time.
	CodeTimeout Code = "FABRIC_TIMEOUT"
	// CodeCanceled: the caller went away.
	CodeCanceled Code = "CANCELED"
	// CodeUnknownIdentity: no identity of that name is configured.
	CodeUnknownIdentity Code = "UNKNOWN_IDENTITY"
	// CodeInternal: anything else.
	CodeInternal Code = "INTERNAL"
)

// Stage names where an error happened; also the metric label.
type Stage string

// Stages of a Fabric call.
const (
	StageEvaluate     Stage = "evaluate"
	StageEndorse      Stage = "endorse"
	StageSubmit       Stage = "submit"
	StageCommitStatus Stage = "commit_status"
	StageCommit       Stage = "commit"
	StageEvents       Stage = "events"
)

// Error is the one error type the package returns.
type Error struct {
	Code  Code
	Stage Stage
	// Message is safe to show to clients: the chaincode's message, or a
	// description of the Fabric failure.
	Message string
	// TxID is set once a transaction ID exists.
	TxID string
	// ValidationCode is the commit's validation code name for TX_INVALID/CONFLICT.
	ValidationCode string
	// FromChaincode is true when Code came from the chaincode's answer.
	FromChaincode bool
	// FailedMSPs lists the MSPs of the endorsing peers that reported the
	// failure (from the gRPC status details), when known.
	FailedMSPs []string
	// Err is the underlying SDK or gRPC error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ledger %s: %s: %s", e.Stage, e.Code, e.Message)
	if e.TxID != "" {
		fmt.Fprintf(&b, " (tx %s)", e.TxID)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of err if it is (or wraps) an *Error, else CodeInternal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ccCodePattern finds "CODE: " tokens; group 1 is an optional
// "chaincode response NNN, " prefix that vouches for an unknown code.
var ccCodePattern = regexp.MustCompile(`(chaincode response \d+, )?\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*): `)

// ParseChaincodeError finds a chaincode error "CODE: message" inside text
// such as "chaincode response 500, INSUFFICIENT_FUNDS: account a1 has 3.00".
// A code is accepted when it is one the chaincode is known to raise, or when
// it directly follows the peer's "chaincode response NNN, " prefix.
func ParseChaincodeError(text string) (Code, string, bool) {
	for _, m := range ccCodePattern.FindAllStringSubmatchIndex(text, -1) {
		code := Code(text[m[4]:m[5]])
		if api.Code(code).Known() || m[2] >= 0 {
			return code, strings.TrimSpace(text[m[1]:]), true
		}
	}
	return "", "", false
}

// details returns the ErrorDetail messages attached to a gRPC status error.
func details(err error) []*gateway.ErrorDetail {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var out []*gateway.ErrorDetail
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			out = append(out, ed)
		}
	}
	return out
}

// fromChaincode looks for a chaincode code in the endorsement details first
// (one per endorsing peer), then in the status message.
func fromChaincode(err error) (Code, string, bool) {
	for _, d := range details(err) {
		if c, m, ok := ParseChaincodeError(d.GetMessage()); ok {
			return c, m, true
		}
	}
	if st, ok := status.FromError(err); ok {
		return ParseChaincodeError(st.Message())
	}
	return "", "", false
}

// classify turns an SDK or gRPC error from stage into an *Error.
func classify(stage Stage, txID string, err error) *Error {
	var done *Error
	if errors.As(err, &done) {
		return done
	}
	e := &Error{Stage: stage, TxID: txID, Err: err}
	var commitErr *client.CommitError
	if errors.As(err, &commitErr) {
		e.TxID = commitErr.TransactionID
		return invalidTx(e, commitErr.Code)
	}
	var txErr *client.TransactionError
	if errors.As(err, &txErr) && e.TxID == "" {
		e.TxID = txErr.TransactionID
	}
	for _, d := range details(err) {
		e.FailedMSPs = append(e.FailedMSPs, d.GetMspId())
	}
	if code, msg, ok := fromChaincode(err); ok {
		e.Code, e.Message, e.FromChaincode = code, msg, true
		return e
	}
	if msps, ok := chaincodeUnavailable(err); ok {
		e.Code, e.Message = CodeChaincodeUnavailable, chaincodeUnavailableMessage(msps)
		return e
	}
	switch {
	case errors.Is(err, context.Canceled):
		e.Code, e.Message = CodeCanceled, "request canceled"
		return e
	case errors.Is(err, context.DeadlineExceeded):
		e.Code, e.Message = CodeTimeout, string(stage)+" timed out"
		return e
	}
	st, _ := status.FromError(err)
	msg := st.Message()
	if stage == StageSubmit && tooLarge(err) {
		e.Code, e.Message = CodeBatchTooLarge, "the transaction is larger than the ordering service accepts (with BFT 500 KiB in this Fabric): send fewer items per transaction"
		return e
	}
	if stage == StageEndorse && unreachableEndorsers(err) {
		// Another province's peer was down when the Fabric Gateway asked it
		// to endorse (its membership not yet updated): retryable, the next
		// endorsement plan leaves it out or finds it back.
		e.Code = CodePeerUnavailable
		for _, d := range details(err) {
			msg += "; " + d.GetMspId() + ": " + d.GetMessage()
		}
		e.Message = msg
		return e
	}
	if noEndorsers(stage, st) {
		e.Code, e.Message = CodePeerUnavailable, "too few provinces' peers are known to this peer to meet the endorsement policy (peers down, or its gossip membership still forming after a restart); retry"
		return e
	}
	switch st.Code() {
	case codes.Unavailable:
		e.Code = CodePeerUnavailable
	case codes.DeadlineExceeded:
		e.Code = CodeTimeout
	case codes.Canceled:
		e.Code = CodeCanceled
	case codes.Unknown, codes.OK:
		e.Code = CodeInternal
	default:
		// Aborted, FailedPrecondition, ResourceExhausted… from the peer's
		// Gateway service: a stage failure, not a client error.
		e.Code = stageCode(stage)
	}
	if e.Code == CodeInternal {
		e.Code = stageCode(stage)
	}
	for _, d := range details(err) {
		msg += "; " + d.GetMspId() + ": " + d.GetMessage()
	}
	e.Message = msg
	return e
}

// unreachableEndorsers reports whether every endorser that failed could
// not be reached at all (gRPC Unavailable: connection refused or reset),
// as opposed to answering with an error.
func unreachableEndorsers(err error) bool {
	ds := details(err)
	if len(ds) == 0 {
		return false
	}
	for _, d := range ds {
		if !strings.Contains(d.GetMessage(), "code = Unavailable") {
			return false
		}
	}
	return true
}

// noEndorsersPlan starts the Fabric Gateway's answer when discovery finds
// no set of peers that meets the endorsement policy (internal/pkg/gateway
// registry.go endorsementPlan, status FailedPrecondition): other provinces'
// peers are down, or the local peer, just restarted, has not yet met them
// through gossip (5–15 s). Both pass; the request is then retryable.
const noEndorsersPlan = "no combination of peers can be derived which satisfy the endorsement policy"

func noEndorsers(stage Stage, st *status.Status) bool {
	return stage == StageEndorse && st.Code() == codes.FailedPrecondition && strings.HasPrefix(st.Message(), noEndorsersPlan)
}

// tooLargeRE matches the orderers' refusals of a transaction for its size:
// SmartBFT's "submitted request (N) is bigger than request max bytes (M)"
// and the broadcast filter's "message payload is N bytes and exceeds maximum
// allowed M bytes" (AbsoluteMaxBytes, Raft and BFT).
var tooLargeRE = regexp.MustCompile(`is bigger than request max bytes|exceeds maximum allowed \d+ bytes`)

// tooLarge reports whether an orderer refused the transaction for its
// size: sending it again cannot succeed.
func tooLarge(err error) bool {
	st, _ := status.FromError(err)
	if tooLargeRE.MatchString(st.Message()) {
		return true
	}
	for _, d := range details(err) {
		if tooLargeRE.MatchString(d.GetMessage()) {
			return true
		}
	}
	return false
}

func stageCode(stage Stage) Code {
	switch stage {
	case StageEndorse:
		return CodeEndorseFailed
	case StageSubmit:
		return CodeSubmitFailed
	case StageCommitStatus, StageCommit:
		return CodeCommitUnknown
	case StageEvaluate:
		return CodeChaincodeError
	}
	return CodeInternal
}

func invalidTx(e *Error, vc peer.TxValidationCode) *Error {
	e.Stage = StageCommit
	e.ValidationCode = vc.String()
	if isConflict(vc) {
		e.Code = CodeConflict
		e.Message = "transaction invalidated by a read conflict (" + vc.String() + ") after retries"
	} else {
		e.Code = CodeTxInvalid
		e.Message = "transaction committed as invalid: " + vc.String()
	}
	return e
}

func isConflict(vc peer.TxValidationCode) bool {
	return vc == peer.TxValidationCode_MVCC_READ_CONFLICT || vc == peer.TxValidationCode_PHANTOM_READ_CONFLICT
}

// retryableEndorse reports endorsement failures worth running again: peers at
// different heights under contention disagree on the response payload.
//
// Also a chaincode refusal reported only by other provinces' peers (never by
// localMSP's own peer, which the peer's Gateway service endorses on first):
// those peers have not yet committed a block the local peer has, e.g. the
// block holding the change output or the account this proposal reads, and
// answer INPUT_NOT_OWNED or NOT_FOUND for a moment. Running the proposal again
// is safe: every write carries an idempotency ID checked on-ledger.
func retryableEndorse(err *Error, localMSP string) bool {
	if err.FromChaincode {
		return laggingPeers(err, localMSP)
	}
	if err.Code == CodePeerUnavailable && err.Stage == StageEndorse && laggingPeers(err, localMSP) {
		return true // another province's peer unreachable: see unreachableEndorsers
	}
	if err.Code != CodeEndorseFailed {
		return false
	}
	return payloadMismatch(err)
}

// payloadMismatch: the endorsing peers returned different results. A peer
// a block behind under contention does this for a moment (retryable); one
// that keeps doing it runs different code or configuration.
func payloadMismatch(err *Error) bool {
	return err.Code == CodeEndorseFailed && strings.Contains(err.Message, "ProposalResponsePayloads do not match")
}

// laggingPeers reports whether a chaincode error came only from peers of
// other MSPs than localMSP.
func laggingPeers(err *Error, localMSP string) bool {
	if localMSP == "" || len(err.FailedMSPs) == 0 {
		return false
	}
	for _, m := range err.FailedMSPs {
		if m == localMSP || m == "" {
			return false
		}
	}
	return true
}
