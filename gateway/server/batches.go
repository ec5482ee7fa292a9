package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
)

// maxBatchItems is the gateway's own bound; the chaincode enforces its own
// (BATCH_TOO_LARGE) as well.
const maxBatchItems = 500

type batchRequest struct {
	Items []paymentRequest `json:"items"`
}

// createBatch submits many payments in one transaction (token:TransferBatch)
// and answers with the chaincode's per-item results.
func (s *Server) createBatch(w http.ResponseWriter, r *http.Request) {
	var req batchRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Items) == 0 {
		s.fail(w, r, badRequest(CodeInvalidRequest, "items is empty"))
		return
	}
	if len(req.Items) > maxBatchItems {
		s.fail(w, r, &apiError{Status: http.StatusBadRequest, Code: string(ledger.CodeBatchTooLarge),
			Message: fmt.Sprintf("%d items, at most %d", len(req.Items), maxBatchItems)})
		return
	}
	seen := map[string]bool{}
	for i := range req.Items {
		if _, err := req.Items[i].validate(fmt.Sprintf("items[%d].", i)); err != nil {
			s.fail(w, r, err)
			return
		}
		if seen[req.Items[i].PaymentID] {
			s.fail(w, r, badRequest(CodeInvalidRequest, "items[%d].paymentId repeats an earlier item", i))
			return
		}
		seen[req.Items[i].PaymentID] = true
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (*writeResult, error) {
		var leases []*selection.Lease
		defer func() {
			// Items may fail one by one inside a committed batch, so the
			// outputs are not assumed spent: the accounts are re-read.
			for _, l := range leases {
				l.Release(false)
			}
		}()
		items := make([]transferArgs, len(req.Items))
		for i := range req.Items {
			it := &req.Items[i]
			amount, _ := it.validate("")
			inputs := it.Inputs
			if len(inputs) == 0 {
				l, err := s.selector.Select(ctx, id, it.From, amount)
				if err != nil {
					return nil, fmt.Errorf("items[%d]: %w", i, err)
				}
				leases = append(leases, l)
				inputs = l.IDs()
			}
			items[i] = it.args(amount, inputs)
		}
		c, err := s.ledger.Submit(ctx, id, fnTransferBatch, jsonArg(transferBatchArgs{Items: items}), nil, noOpts)
		for i := range req.Items {
			s.selector.Invalidate(req.Items[i].To)
		}
		return committed(c), err
	})
}
