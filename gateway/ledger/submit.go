package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/gateway/metrics"
)

// endorsed is an endorsed, signed transaction: what the submit loop needs.
// The Fabric implementation wraps *client.Transaction; tests fake it.
type endorsed interface {
	TransactionID() string
	Result() []byte
	// Submit sends the same signed transaction to the orderer (again).
	Submit(ctx context.Context) error
	// Status waits for the commit status of the transaction, looked up by
	// its ID: it also answers for a transaction whose submit failed (the
	// orderers may have it anyway) and waits for ctx when the peer has not
	// seen it commit.
	Status(ctx context.Context) (peer.TxValidationCode, uint64, error)
}

// proposeFunc builds, signs and endorses a new proposal.
type proposeFunc func(ctx context.Context) (endorsed, error)

// policy holds the submit loop's timing.
type policy struct {
	endorse, submit, commitStatus, commit time.Duration
	// lookup bounds the commit-status look-up after a failed submit
	// (submitLookup, at most commitStatus).
	lookup                  time.Duration
	attempts                int
	backoffBase, backoffMax time.Duration
	// lagWait: a proposal refused by other provinces' peers only, or whose
	// endorsements differ (lagging peers), is run again until this long
	// after the first such answer, beyond attempts.
	lagWait time.Duration
}

// submitLookup is how long the submit loop waits for the commit status of
// a transaction whose submit failed before it sends it again. A committed
// transaction answers at once; one the orderers never had costs this wait
// per re-send (during a Raft election: re-sends every ~0.5 s instead of
// every backoffBase).
const submitLookup = 500 * time.Millisecond

// submitter runs the submit loop.
type submitter struct {
	policy policy
	// localMSP is the MSP of the peer the gateway talks to; chaincode
	// refusals only from other MSPs' peers are retried (see retryableEndorse).
	localMSP string
	metrics  *metrics.Metrics
	log      *slog.Logger
	// sleep waits d or until ctx ends; replaced in tests.
	sleep func(ctx context.Context, d time.Duration) error
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *submitter) backoff(attempt int) time.Duration {
	d := s.policy.backoffBase << (attempt - 1)
	if d > s.policy.backoffMax || d <= 0 {
		d = s.policy.backoffMax
	}
	return d/2 + rand.N(d/2+1)
}

// run endorses and commits, re-running the proposal on read conflicts.
func (s *submitter) run(ctx context.Context, fn string, propose proposeFunc) (*Committed, error) {
	var lagSince time.Time // the first refusal by lagging peers only
	for attempt := 1; ; attempt++ {
		tx, err := s.endorse(ctx, propose)
		if err != nil {
			// Other provinces' peers behind the local one: a chaincode
			// refusal from them only, or endorsements that differ (their
			// reads saw older versions). Both pass once they catch up, which
			// after an ordering outage or a leader change takes seconds.
			lagging := (err.FromChaincode || err.Code == CodePeerUnavailable) && laggingPeers(err, s.localMSP) || payloadMismatch(err)
			if lagging && lagSince.IsZero() {
				lagSince = time.Now()
			}
			more := attempt < s.policy.attempts || (lagging && time.Since(lagSince) < s.policy.lagWait)
			if retryableEndorse(err, s.localMSP) && more {
				s.metrics.Retry("endorse")
				s.log.WarnContext(ctx, "endorsement retry", "fn", fn, "attempt", attempt, "err", err.Message)
				if serr := s.sleep(ctx, s.backoff(attempt)); serr != nil {
					return nil, classify(StageEndorse, "", serr)
				}
				continue
			}
			if payloadMismatch(err) {
				// Still disagreeing after every retry: not a peer that lags
				// a block but endorsers computing different results (a
				// different chaincode build or configuration). Say so.
				err.Code = CodeEndorserMismatch
				err.Message = fmt.Sprintf("endorsers returned different results in %d attempts: a peer runs a different chaincode build or configuration (%s)", attempt, err.Message)
				s.log.ErrorContext(ctx, "endorsers disagree", "fn", fn, "err", err.Message)
			}
			return nil, err
		}
		txID := tx.TransactionID()
		log := s.log.With("txId", txID, "fn", fn)
		vc, block, resubmits, cerr := s.commit(ctx, log, tx)
		if cerr != nil {
			return nil, cerr
		}
		if vc == peer.TxValidationCode_VALID {
			log.InfoContext(ctx, "transaction committed", "block", block, "attempt", attempt, "resubmits", resubmits)
			return &Committed{Result: tx.Result(), TxID: txID, BlockNumber: block, Attempts: attempt, Resubmits: resubmits}, nil
		}
		if isConflict(vc) {
			s.metrics.Conflict(vc.String())
			if attempt < s.policy.attempts {
				s.metrics.Retry("conflict")
				log.WarnContext(ctx, "read conflict, running the proposal again", "code", vc.String(), "attempt", attempt)
				if serr := s.sleep(ctx, s.backoff(attempt)); serr != nil {
					return nil, classify(StageEndorse, txID, serr)
				}
				continue
			}
		}
		log.WarnContext(ctx, "transaction invalid", "code", vc.String(), "block", block)
		return nil, invalidTx(&Error{TxID: txID}, vc)
	}
}

func (s *submitter) endorse(ctx context.Context, propose proposeFunc) (endorsed, *Error) {
	ctx, cancel := context.WithTimeout(ctx, s.policy.endorse)
	defer cancel()
	start := time.Now()
	tx, err := propose(ctx)
	if err != nil {
		e := classify(StageEndorse, "", err)
		s.metrics.Stage(string(StageEndorse), string(e.Code), time.Since(start))
		return nil, e
	}
	s.metrics.Stage(string(StageEndorse), "ok", time.Since(start))
	return tx, nil
}

// commit submits tx and waits for its commit status. When a status wait
// times out it re-sends the same signed transaction and waits again, until
// a status arrives or the commit budget runs out.
//
// A failed submit does not prove that the orderers lack the transaction:
// with BFT the Fabric Gateway sends it to every orderer and reports
// Unavailable when fewer than a quorum acknowledged it, although the others
// may order it, and an orderer that already ordered it answers "request
// already processed" to every re-send (fabric #4415, in the pinned build).
// So after a failed submit the transaction is looked up by its ID (its
// commit status, for at most policy.lookup) before it is sent again, and a
// transaction found committed is reported as such.
func (s *submitter) commit(ctx context.Context, log *slog.Logger, tx endorsed) (peer.TxValidationCode, uint64, int, *Error) {
	txID := tx.TransactionID()
	ctx, cancel := context.WithTimeout(ctx, s.policy.commit)
	defer cancel()

	// maybeSent turns true once a submit may have reached the orderer.
	maybeSent := false
	// failed is true when the last submit returned an error.
	failed := false
	var lastErr *Error
	resubmits := 0
	submit := func() {
		sctx, scancel := context.WithTimeout(ctx, s.policy.submit)
		defer scancel()
		start := time.Now()
		err := tx.Submit(sctx)
		if err == nil {
			maybeSent, failed = true, false
			s.metrics.Stage(string(StageSubmit), "ok", time.Since(start))
			return
		}
		failed = true
		e := classify(StageSubmit, txID, err)
		if e.Code == CodeTimeout || e.Code == CodeCanceled {
			maybeSent = true
		}
		s.metrics.Stage(string(StageSubmit), string(e.Code), time.Since(start))
		log.WarnContext(ctx, "submit failed", "code", e.Code, "err", e.Message)
		lastErr = e
	}
	// status waits up to d for the commit status; ok when it arrived.
	status := func(d time.Duration) (vc peer.TxValidationCode, block uint64, ok bool) {
		sctx, scancel := context.WithTimeout(ctx, d)
		start := time.Now()
		vc, block, err := tx.Status(sctx)
		scancel()
		if err == nil {
			s.metrics.Stage(string(StageCommitStatus), "ok", time.Since(start))
			return vc, block, true
		}
		e := classify(StageCommitStatus, txID, err)
		s.metrics.Stage(string(StageCommitStatus), string(e.Code), time.Since(start))
		if e.Code != CodeTimeout {
			// The peer answered at once (unreachable, say): do not spin.
			log.WarnContext(ctx, "commit status failed", "code", e.Code, "err", e.Message)
			_ = s.sleep(ctx, s.policy.backoffBase)
		}
		if maybeSent || lastErr == nil {
			lastErr = e
		}
		return 0, 0, false
	}

	submit()
	for {
		if failed && lastErr != nil && lastErr.Code == CodeBatchTooLarge && !maybeSent {
			// Refused by the orderers for its size: never ordered, and
			// sending it again cannot change that.
			lastErr.Stage = StageSubmit
			return 0, 0, resubmits, lastErr
		}
		if failed {
			// Look the transaction up before sending it again.
			if vc, block, ok := status(max(s.policy.lookup, s.policy.backoffBase)); ok {
				log.WarnContext(ctx, "submit failed, but the transaction is on the ledger", "resubmits", resubmits, "code", vc.String())
				return vc, block, resubmits, nil
			}
		} else if vc, block, ok := status(s.policy.commitStatus); ok {
			return vc, block, resubmits, nil
		}
		if ctx.Err() != nil {
			return 0, 0, resubmits, s.commitGaveUp(ctx, txID, maybeSent, lastErr)
		}
		resubmits++
		s.metrics.Retry("resubmit")
		log.WarnContext(ctx, "no commit status yet, re-sending the same signed transaction", "resubmit", resubmits)
		submit()
	}
}

func (s *submitter) commitGaveUp(ctx context.Context, txID string, maybeSent bool, last *Error) *Error {
	e := &Error{Stage: StageCommit, TxID: txID, Err: ctx.Err()}
	if last != nil {
		e.Err = errors.Join(ctx.Err(), last)
	}
	switch {
	case !maybeSent && last != nil:
		e.Stage, e.Code, e.Message = StageSubmit, last.Code, "the orderer did not accept the transaction: "+last.Message
		if e.Code == CodeInternal || e.Code == CodeTimeout {
			e.Code = CodeSubmitFailed
		}
	case errors.Is(ctx.Err(), context.Canceled):
		e.Code, e.Message = CodeCanceled, "request canceled before the commit status was known; the transaction may still commit"
	default:
		e.Code, e.Message = CodeCommitUnknown, "no commit status within the commit timeout; the transaction may still commit, look it up by its ID"
	}
	return e
}
