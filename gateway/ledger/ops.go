package ledger

import (
	"context"

	"github.com/yangtze-delta/settlement/api"
)

// Query evaluates a read-only api operation as identity and decodes its
// answer: the one typed door from the gateway to the chaincode's reads.
func Query[Req, Resp any](ctx context.Context, l Ledger, identity string, op api.Operation[Req, Resp], req Req) (Resp, error) {
	var zero Resp
	arg, err := op.Encode(req)
	if err != nil {
		return zero, &Error{Code: CodeInternal, Stage: StageEvaluate, Message: err.Error(), Err: err}
	}
	b, err := l.Evaluate(ctx, identity, op.Function(), arg)
	if err != nil {
		return zero, err
	}
	resp, err := op.DecodeResponse(b)
	if err != nil {
		return zero, &Error{Code: CodeInternal, Stage: StageEvaluate, Message: err.Error(), Err: err}
	}
	return resp, nil
}

// Invoke submits an api operation as identity, waits for a valid commit
// and decodes its answer.
func Invoke[Req, Resp any](ctx context.Context, l Ledger, identity string, op api.Operation[Req, Resp], req Req,
	transient map[string][]byte, opts SubmitOptions) (Resp, *Committed, error) {
	var zero Resp
	arg, err := op.Encode(req)
	if err != nil {
		return zero, nil, &Error{Code: CodeInternal, Stage: StageEndorse, Message: err.Error(), Err: err}
	}
	c, err := l.Submit(ctx, identity, op.Function(), []string{arg}, transient, opts)
	if err != nil {
		return zero, c, err
	}
	resp, err := op.DecodeResponse(c.Result)
	if err != nil {
		// Committed, but the answer is unreadable: report the commit.
		return zero, c, &Error{Code: CodeInternal, Stage: StageCommit, TxID: c.TxID, Message: err.Error(), Err: err}
	}
	return resp, c, nil
}
