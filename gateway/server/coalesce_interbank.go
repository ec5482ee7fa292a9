package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/coalesce"
	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/gateway/ledger"
)

// Interbank send coalescing, the same way as payments (coalesce.go):
// single sends of one client identity that arrive within the window are
// one interbank:SendBatch, whose items run as their own Sends over the
// state the earlier items left (the queue rule included), so each send's
// answer is the one its own Send would have given. The selected inputs are
// the coalescer's keys. Remittance records are written before, by their
// own one-province transactions, and are not part of the batch.

type sendResult struct {
	transfer  api.InterbankTransfer
	committed *ledger.Committed
}

type sendCoalescer = coalesce.Coalescer[api.SendRequest, sendResult]

// coalesceSends names the interbank coalescer in metrics and logs.
const coalesceSends = "interbank"

func (s *Server) newSendCoalescer(co config.Coalesce, retry config.Retry) (*sendCoalescer, error) {
	if co.Disabled {
		return nil, nil
	}
	c, err := coalesce.New(s.runSends, coalesce.Options{
		Name: coalesceSends, Window: co.Window.D(), MaxItems: co.MaxItems, MaxPending: co.MaxPending,
		MaxInFlight: co.MaxInFlight, Runs: co.Runs, BackoffBase: retry.BackoffBase.D(), BackoffMax: retry.BackoffMax.D(),
		Rerun: rerunTransfers, Split: splitTransfers, Metrics: s.metrics, Logger: s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("server: coalesce interbank sends: %w", err)
	}
	return c, nil
}

// send submits one interbank send: through the coalescer when it is on.
func (s *Server) send(ctx context.Context, id string, req api.SendRequest) (api.InterbankTransfer, *ledger.Committed, error) {
	if s.sends == nil {
		return ledger.Invoke(ctx, s.ledger, id, api.SendTransfer, req, nil, noOpts)
	}
	r, err := s.sends.Do(ctx, id, req.Inputs, req)
	if err != nil {
		return api.InterbankTransfer{}, nil, coalesceError(err)
	}
	return r.transfer, r.committed, nil
}

// runSends settles one batch of sends signed by identity: a lone send is
// an interbank:Send, several one interbank:SendBatch.
func (s *Server) runSends(ctx context.Context, identity string, reqs []api.SendRequest) ([]coalesce.Result[sendResult], error) {
	if len(reqs) == 1 {
		t, c, err := ledger.Invoke(ctx, s.ledger, identity, api.SendTransfer, reqs[0], nil, noOpts)
		if err != nil {
			return nil, err
		}
		return []coalesce.Result[sendResult]{{Value: sendResult{transfer: t, committed: c}}}, nil
	}
	res, c, err := ledger.Invoke(ctx, s.ledger, identity, api.SendBatch, api.SendBatchRequest{Items: reqs}, nil, noOpts)
	if err != nil {
		return nil, err
	}
	if len(res.Results) != len(reqs) {
		return nil, unreadableBatch(c, fmt.Sprintf("%d results for %d sends", len(res.Results), len(reqs)))
	}
	out := make([]coalesce.Result[sendResult], len(reqs))
	for i, it := range res.Results {
		switch {
		case it.ID != reqs[i].ID:
			return nil, unreadableBatch(c, fmt.Sprintf("result %d is transfer %q, want %q", i, it.ID, reqs[i].ID))
		case it.OK && it.Transfer != nil:
			own := *c
			own.Result, _ = json.Marshal(it.Transfer)
			out[i].Value = sendResult{transfer: *it.Transfer, committed: &own}
		case it.OK:
			return nil, unreadableBatch(c, fmt.Sprintf("result %d sent without a transfer record", i))
		default:
			out[i].Err = &ledger.Error{Code: ledger.Code(it.Code), Stage: ledger.StageEndorse, Message: it.Message, FromChaincode: true}
		}
	}
	return out, nil
}
