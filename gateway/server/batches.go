package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/rest"
)

// createBatch submits many payments in one transaction (token:TransferBatch)
// and answers with the chaincode's per-item results: 201 when at least one
// item settled, 422 BATCH_REJECTED (with the results in details) when none
// did.
func (s *Server) createBatch(w http.ResponseWriter, r *http.Request) {
	var req rest.BatchRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Items) == 0 {
		s.fail(w, r, badRequest("items is empty"))
		return
	}
	if len(req.Items) > rest.MaxBatchItems {
		s.fail(w, r, newError(rest.CodeBatchTooLarge, "%d items, at most %d", len(req.Items), rest.MaxBatchItems))
		return
	}
	seen := map[string]bool{}
	for i, it := range req.Items {
		creq := fromPaymentRequest(it, it.Inputs, it.ChangeSplit)
		if err := creq.ValidateSelectable(); err != nil {
			e := toAPIError(err)
			e.Message = fmt.Sprintf("items[%d]: %s", i, e.Message)
			s.fail(w, r, e)
			return
		}
		if seen[it.PaymentID] {
			s.fail(w, r, badRequest("items[%d].paymentId repeats an earlier item", i))
			return
		}
		seen[it.PaymentID] = true
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		items := make([]api.TransferRequest, len(req.Items))
		var wants []selection.Want
		var idx []int
		for i, it := range req.Items {
			items[i] = fromPaymentRequest(it, it.Inputs, it.ChangeSplit)
			if len(it.Inputs) == 0 {
				wants = append(wants, selection.Want{Account: it.From, Amount: it.Amount})
				idx = append(idx, i)
			}
		}
		// Items may fail one by one inside a committed batch, so the outputs
		// are not assumed spent: the accounts are re-read.
		if len(wants) > 0 {
			lease, err := s.selector.SelectBatch(ctx, id, wants)
			if err != nil {
				return nil, batchSelectionError(err, idx)
			}
			defer lease.Release(false)
			for j, l := range lease.Items() {
				items[idx[j]].Inputs = l.IDs()
			}
		}
		res, c, err := ledger.Invoke(ctx, s.ledger, id, api.TransferBatch, api.BatchRequest{Items: items}, nil, noOpts)
		for i := range req.Items {
			s.selector.Invalidate(req.Items[i].To)
			s.selector.Invalidate(req.Items[i].From)
		}
		if err != nil {
			return nil, err
		}
		out := toBatchResult(res)
		if out.Settled == 0 {
			return nil, &rest.Error{Status: http.StatusUnprocessableEntity, Code: rest.CodeBatchRejected,
				Message: fmt.Sprintf("all %d items were rejected; nothing changed", out.Rejected),
				Details: map[string]any{rest.DetailResults: out.Results, rest.DetailTxID: c.TxID}}
		}
		return committed(c, out), nil
	})
}

// batchSelectionError reports which request items could not get inputs:
// the selector numbers the items it was given, idx maps them back to the
// request's positions. An account needs one output per item it pays from
// (items of one batch cannot spend each other's change).
func batchSelectionError(err error, idx []int) error {
	var be *selection.BatchError
	if !errors.As(err, &be) || len(be.Items) == 0 {
		return err
	}
	items := make([]map[string]any, 0, len(be.Items))
	for _, it := range be.Items {
		e := toAPIError(it.Err)
		items = append(items, map[string]any{"index": idx[it.Index], "account": it.Account, "code": e.Code, "message": e.Message})
	}
	first := toAPIError(be.Items[0].Err)
	return &rest.Error{Status: first.Status, Code: first.Code,
		Message: fmt.Sprintf("inputs for %d item(s) could not be selected; items[%d]: %s (each item needs its own unspent outputs: split or merge the account first)",
			len(be.Items), idx[be.Items[0].Index], first.Message),
		Details: map[string]any{rest.DetailItems: items}}
}
