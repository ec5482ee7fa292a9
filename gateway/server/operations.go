package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/opstore"
	"github.com/yangtze-delta/settlement/gateway/workpool"
	"github.com/yangtze-delta/settlement/rest"
)

var noOpts = ledger.SubmitOptions{}

// committed builds a write's answer from the commit and the converted
// result.
func committed[T any](c *ledger.Committed, result T) rest.Committed[T] {
	if c == nil {
		return rest.Committed[T]{Result: result}
	}
	return rest.Committed[T]{TxID: c.TxID, BlockNumber: c.BlockNumber, Result: result}
}

// answer writes a read's result, or its error.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// write runs a ledger write: synchronously (201 after a valid commit) or,
// with ?async=true, on the bounded worker pool (202 with an operation URL;
// 429 with Retry-After when the pool's queue or the store's pending limit
// is full). The write runs detached from the client's connection so that a
// client hanging up does not abandon a transaction half way; graceful
// shutdown waits for queued and running writes.
func (s *Server) write(w http.ResponseWriter, r *http.Request, run func(context.Context) (any, error)) {
	switch r.URL.Query().Get(rest.AsyncParam) {
	case "", "false":
		res, err := run(context.WithoutCancel(r.Context()))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, res)
	case "true":
		s.writeAsync(w, r, run)
	default:
		s.fail(w, r, badRequest("async must be true or false"))
	}
}

func (s *Server) writeAsync(w http.ResponseWriter, r *http.Request, run func(context.Context) (any, error)) {
	rec, err := s.ops.Create(opstore.Spec{Owner: clientName(r.Context()), Route: s.routeNames[r.Pattern]})
	if err != nil {
		if errors.Is(err, opstore.ErrTooManyPending) {
			s.fail(w, r, newError(rest.CodeTooManyRequests, "too many asynchronous writes pending; retry later"))
			return
		}
		s.fail(w, r, err)
		return
	}
	job := func(ctx context.Context) {
		res, err := run(ctx)
		out := opstore.Outcome{Status: opstore.StatusCommitted}
		if err != nil {
			e := toAPIError(err)
			s.log.Warn("async write failed", "operation", rec.ID, "code", e.Code, "txId", e.Details[rest.DetailTxID])
			out.Status = opstore.StatusFailed
			out.Error, _ = json.Marshal(e)
			if tx, ok := e.Details[rest.DetailTxID].(string); ok {
				out.TxID = tx
			}
		} else {
			out.Result, _ = json.Marshal(res)
		}
		if ferr := s.ops.Finish(rec.ID, out); ferr != nil {
			s.log.Error("recording an async write's outcome failed", "operation", rec.ID, "err", ferr)
		}
	}
	if err := s.pool.TrySubmit(job); err != nil {
		_ = s.ops.Discard(rec.ID)
		if errors.Is(err, workpool.ErrFull) {
			s.fail(w, r, newError(rest.CodeTooManyRequests, "the asynchronous write queue is full; retry later"))
			return
		}
		s.fail(w, r, newError(rest.CodeShuttingDown, "the gateway is not accepting writes"))
		return
	}
	url := rest.GetOperation.PathFor(rec.ID)
	w.Header().Set("Location", url)
	writeJSON(w, http.StatusAccepted, rest.Accepted{OperationID: rec.ID, Status: rest.OpPending, StatusURL: url})
}

// getOperation reports an asynchronous write; only its creator sees it.
func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	rec, err := s.ops.Get(r.PathValue("id"), clientName(r.Context()))
	if err != nil {
		if errors.Is(err, opstore.ErrNotFound) {
			s.fail(w, r, newError(rest.CodeOperationNotFound, "no such operation"))
			return
		}
		s.fail(w, r, err)
		return
	}
	op := rest.Operation{OperationID: rec.ID, Route: rec.Route, Status: string(rec.Status), Created: rec.Created, Updated: rec.Updated, Result: rec.Result}
	if len(rec.Error) > 0 {
		var e rest.Error
		if json.Unmarshal(rec.Error, &e) == nil {
			op.Error = &e
		}
	}
	writeJSON(w, http.StatusOK, op)
}
