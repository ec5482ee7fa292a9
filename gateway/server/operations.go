package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

// writeResult is the body of a committed write.
type writeResult struct {
	TxID        string          `json:"txId"`
	BlockNumber uint64          `json:"blockNumber"`
	Result      json.RawMessage `json:"result"`
}

var noOpts = ledger.SubmitOptions{}

func committed(c *ledger.Committed) *writeResult {
	if c == nil {
		return nil
	}
	return &writeResult{TxID: c.TxID, BlockNumber: c.BlockNumber, Result: passThrough(c.Result)}
}

// write runs a ledger write: synchronously (201 after a valid commit) or,
// with ?async=true, in the background (202 with an operation URL). The write
// runs detached from the client's connection so that a client hanging up
// does not abandon a transaction half way; graceful shutdown waits for it.
func (s *Server) write(w http.ResponseWriter, r *http.Request, run func(context.Context) (*writeResult, error)) {
	switch r.URL.Query().Get("async") {
	case "", "false":
		res, err := run(context.WithoutCancel(r.Context()))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, res)
	case "true":
		op := s.ops.create(clientName(r.Context()), r.Pattern)
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			res, err := run(s.bgCtx)
			if err != nil {
				e := toAPIError(err)
				s.log.Warn("async write failed", "operation", op.ID, "code", e.Code, "txId", e.Details["txId"])
				s.ops.finish(op.ID, nil, e)
				return
			}
			s.ops.finish(op.ID, res, nil)
		}()
		w.Header().Set("Location", "/v1/operations/"+op.ID)
		writeJSON(w, http.StatusAccepted, map[string]string{"operationId": op.ID, "status": opPending, "statusUrl": "/v1/operations/" + op.ID})
	default:
		s.fail(w, r, badRequest(CodeInvalidRequest, "async must be true or false"))
	}
}

// evaluate answers 200 with a read-only function's result.
func (s *Server) evaluate(w http.ResponseWriter, r *http.Request, fn string, args ...string) {
	s.evaluateThen(w, r, nil, fn, args...)
}

// evaluatePage is evaluate for paged queries: the answer's bookmark becomes
// an opaque page token.
func (s *Server) evaluatePage(w http.ResponseWriter, r *http.Request, fn string, args ...string) {
	s.evaluateThen(w, r, pageToken, fn, args...)
}

// evaluateThen evaluates fn and answers 200 with its result, rewritten by
// rewrite when it is not nil.
func (s *Server) evaluateThen(w http.ResponseWriter, r *http.Request, rewrite func([]byte) ([]byte, error), fn string, args ...string) {
	res, err := s.ledger.Evaluate(r.Context(), clientName(r.Context()), fn, args...)
	if err == nil && rewrite != nil {
		res, err = rewrite(res)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, passThrough(res))
}

const (
	opPending   = "pending"
	opCommitted = "committed"
	opFailed    = "failed"
)

// operation is an asynchronous write's status.
type operation struct {
	ID      string       `json:"operationId"`
	Route   string       `json:"route"`
	Status  string       `json:"status"`
	Created time.Time    `json:"created"`
	Result  *writeResult `json:"result,omitempty"`
	Error   *apiError    `json:"error,omitempty"`
	owner   string
}

// operations is an in-memory, bounded store of operations (oldest evicted).
// It does not survive a restart: the ledger remains the record, and the
// client's idempotency ID finds the outcome.
type operations struct {
	mu    sync.Mutex
	m     map[string]*operation
	order []string
	max   int
}

func newOperations(max int) *operations {
	return &operations{m: map[string]*operation{}, max: max}
}

func (o *operations) create(owner, route string) operation {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	op := &operation{ID: hex.EncodeToString(b), Route: route, Status: opPending, Created: time.Now().UTC(), owner: owner}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m[op.ID] = op
	o.order = append(o.order, op.ID)
	for len(o.order) > o.max {
		delete(o.m, o.order[0])
		o.order = o.order[1:]
	}
	return *op
}

func (o *operations) finish(id string, res *writeResult, e *apiError) {
	o.mu.Lock()
	defer o.mu.Unlock()
	op, ok := o.m[id]
	if !ok {
		return
	}
	if e != nil {
		op.Status, op.Error = opFailed, e
		return
	}
	op.Status, op.Result = opCommitted, res
}

func (o *operations) get(id, owner string) (operation, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	op, ok := o.m[id]
	if !ok || op.owner != owner {
		return operation{}, false
	}
	return *op, true
}

// getOperation reports an asynchronous write; only its creator sees it.
func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	op, ok := s.ops.get(r.PathValue("id"), clientName(r.Context()))
	if !ok {
		s.fail(w, r, &apiError{Status: http.StatusNotFound, Code: string(ledger.CodeNotFound), Message: "no such operation"})
		return
	}
	writeJSON(w, http.StatusOK, op)
}
