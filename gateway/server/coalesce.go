package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/coalesce"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/rest"
)

// Payment coalescing. A single payment (POST /v1/payments) does everything
// an uncoalesced one does (checkRepeat, selection with its locks, the
// INPUT_SPENT re-selection of spend, the duplicate check after a
// DUPLICATE_PAYMENT) and differs only in the submit: its token:Transfer
// request, inputs chosen, joins the payments of the same client identity
// that arrive within the window, and runTransfers settles them in one
// token:TransferBatch. The chaincode runs each item exactly as it runs a
// Transfer (the same tokencc.transfer, over the state the items before it
// left), so each item's record or refusal code is the one its own
// Transfer would have answered. Selected inputs of concurrent payments are
// disjoint (selection's locks), and the inputs are the coalescer's keys,
// so two payments naming one output (given inputs) never share a batch.

// transferResult is one coalesced payment's answer: its record and the
// commit of the transaction that settled it.
type transferResult struct {
	payment   api.Payment
	committed *ledger.Committed
}

type transferCoalescer = coalesce.Coalescer[api.TransferRequest, transferResult]

// coalescePayments names the payment coalescer in metrics and logs.
const coalescePayments = "payment"

// newTransferCoalescer builds the payment coalescer (nil when co is
// disabled).
func (s *Server) newTransferCoalescer(co config.Coalesce, retry config.Retry) (*transferCoalescer, error) {
	if co.Disabled {
		return nil, nil
	}
	c, err := coalesce.New(s.runTransfers, coalesce.Options{
		Name:        coalescePayments,
		Window:      co.Window.D(),
		MaxItems:    co.MaxItems,
		MaxPending:  co.MaxPending,
		MaxInFlight: co.MaxInFlight,
		Runs:        co.Runs,
		BackoffBase: retry.BackoffBase.D(),
		BackoffMax:  retry.BackoffMax.D(),
		Rerun:       rerunTransfers,
		Split:       splitTransfers,
		Metrics:     s.metrics,
		Logger:      s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("server: coalesce: %w", err)
	}
	return c, nil
}

// transfer settles one payment: through the coalescer when coalescing is
// on, else as a token:Transfer of its own. Either way the answer is the
// payment's own: its record and the commit that holds it, or its error.
func (s *Server) transfer(ctx context.Context, id string, req api.TransferRequest) (api.Payment, *ledger.Committed, error) {
	if s.transfers == nil {
		return ledger.Invoke(ctx, s.ledger, id, api.Transfer, req, nil, noOpts)
	}
	r, err := s.transfers.Do(ctx, id, req.Inputs, req)
	if err != nil {
		return api.Payment{}, nil, coalesceError(err)
	}
	return r.payment, r.committed, nil
}

// CloseCoalescer refuses new coalesced payments and interbank sends (503 SHUTTING_DOWN),
// settles those waiting at once and waits for the batches in flight; when
// ctx ends first, the batches' Fabric calls are canceled. Call it after
// the HTTP server's Shutdown and the pool's Close, which wait for the
// payments' own requests.
func (s *Server) CloseCoalescer(ctx context.Context) error {
	var errs []error
	if s.transfers != nil {
		errs = append(errs, s.transfers.Close(ctx))
	}
	if s.sends != nil {
		errs = append(errs, s.sends.Close(ctx))
	}
	return errors.Join(errs...)
}

// runTransfers settles one batch of payments signed by identity. A lone
// payment is a token:Transfer, exactly as without coalescing; several are
// one token:TransferBatch, whose per-item results become each payment's
// record or its own chaincode error. A failure of the whole transaction is
// returned as is, for rerunTransfers and splitTransfers to classify.
func (s *Server) runTransfers(ctx context.Context, identity string, reqs []api.TransferRequest) ([]coalesce.Result[transferResult], error) {
	if len(reqs) == 1 {
		p, c, err := ledger.Invoke(ctx, s.ledger, identity, api.Transfer, reqs[0], nil, noOpts)
		if err != nil {
			return nil, err
		}
		return []coalesce.Result[transferResult]{{Value: transferResult{payment: p, committed: c}}}, nil
	}
	res, c, err := ledger.Invoke(ctx, s.ledger, identity, api.TransferBatch, api.BatchRequest{Items: reqs}, nil, noOpts)
	if err != nil {
		return nil, err
	}
	if len(res.Results) != len(reqs) {
		return nil, unreadableBatch(c, fmt.Sprintf("%d results for %d payments", len(res.Results), len(reqs)))
	}
	out := make([]coalesce.Result[transferResult], len(reqs))
	for i, it := range res.Results {
		switch {
		case it.PaymentID != reqs[i].PaymentID:
			return nil, unreadableBatch(c, fmt.Sprintf("result %d is payment %q, want %q", i, it.PaymentID, reqs[i].PaymentID))
		case it.OK && it.Payment != nil:
			own := *c
			own.Result, _ = json.Marshal(it.Payment) // the item's own answer, as Transfer's would be
			out[i].Value = transferResult{payment: *it.Payment, committed: &own}
		case it.OK:
			return nil, unreadableBatch(c, fmt.Sprintf("result %d settled without a payment record", i))
		default:
			// Refused while the batch was simulated: the code and message
			// its own Transfer's endorsement would have failed with.
			out[i].Err = &ledger.Error{Code: ledger.Code(it.Code), Stage: ledger.StageEndorse, Message: it.Message, FromChaincode: true}
		}
	}
	return out, nil
}

// unreadableBatch reports a committed batch whose answer cannot be matched
// to its payments: committed, but each payment's outcome is unknown (500
// with the transaction ID; the payment IDs find the records).
func unreadableBatch(c *ledger.Committed, msg string) error {
	return &ledger.Error{Code: ledger.CodeInternal, Stage: ledger.StageCommit, TxID: c.TxID,
		Message: "committed batch answer unreadable: " + msg}
}

// rerunTransfers: a batch invalidated by a read conflict wrote nothing (the
// ledger has already re-proposed it retry.conflictAttempts times).
func rerunTransfers(err error) bool { return ledger.CodeOf(err) == ledger.CodeConflict }

// splitTransfers: failures of a whole batch that one payment may cause. A
// read conflict that persists is a hot key one payment reads (a daily
// counter, a capped payee's outputs); a chaincode failure without a
// business code aborts TransferBatch as a whole. Run in halves, the other
// payments settle and the cause fails alone, as its own Transfer would. A
// transaction the orderers refuse for its size settles in halves too.
func splitTransfers(err error) bool {
	var le *ledger.Error
	if !errors.As(err, &le) {
		return false
	}
	switch le.Code {
	case ledger.CodeConflict, ledger.CodeChaincodeError:
		return true
	case ledger.CodeBatchTooLarge:
		// The orderers refused the transaction for its size (BFT in the
		// pinned Fabric: 500 KiB): halves are smaller.
		return le.Stage == ledger.StageSubmit
	case ledger.CodeInternal:
		return le.FromChaincode
	}
	return false
}

// coalesceError maps the coalescer's own failures to the API's, and gives
// each payment its own copy of a batch's error.
func coalesceError(err error) error {
	var le *ledger.Error
	switch {
	case errors.Is(err, coalesce.ErrFull):
		return &rest.Error{Status: http.StatusTooManyRequests, Code: rest.CodeTooManyRequests,
			Message: "too many payments are waiting to be settled; retry later"}
	case errors.Is(err, coalesce.ErrClosed):
		return newError(rest.CodeShuttingDown, "the gateway is not accepting payments")
	case errors.Is(err, coalesce.ErrWithdrawn):
		return &ledger.Error{Code: ctxCode(err), Stage: ledger.StageEndorse, Err: err,
			Message: "request ended before its payment was sent; nothing was submitted"}
	case errors.Is(err, coalesce.ErrOutcomeUnknown):
		return &ledger.Error{Code: ctxCode(err), Stage: ledger.StageCommit, Err: err,
			Message: "request ended before the commit status was known; the payment may still commit, look it up by its ID"}
	case errors.As(err, &le):
		own := *le
		return &own
	}
	return err
}

func ctxCode(err error) ledger.Code {
	if errors.Is(err, context.DeadlineExceeded) {
		return ledger.CodeTimeout
	}
	return ledger.CodeCanceled
}
