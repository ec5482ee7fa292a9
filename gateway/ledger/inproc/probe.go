package inproc

import (
	"context"
	"slices"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

var _ ledger.Prober = (*Ledger)(nil)

// EvaluateAt implements ledger.Prober: the in-process network has one
// state for every organisation, so it evaluates as Evaluate does, for an
// organisation of the channel (ledger.CodePeerUnavailable for another).
func (l *Ledger) EvaluateAt(ctx context.Context, org, identity, fn string, args ...string) ([]byte, error) {
	if err := l.knownOrg(org); err != nil {
		return nil, err
	}
	return l.Evaluate(ctx, identity, fn, args...)
}

// HeightAt implements ledger.Prober: every organisation's peer is at the
// in-process ledger's height.
func (l *Ledger) HeightAt(ctx context.Context, org, identity string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, &ledger.Error{Code: ledger.CodeCanceled, Stage: ledger.StageEvaluate, Message: err.Error(), Err: err}
	}
	if _, err := l.identity(identity, ledger.StageEvaluate); err != nil {
		return 0, err
	}
	if err := l.knownOrg(org); err != nil {
		return 0, err
	}
	return l.l.Height(), nil
}

func (l *Ledger) knownOrg(org string) error {
	if !slices.Contains(l.l.Orgs, org) {
		return &ledger.Error{Code: ledger.CodePeerUnavailable, Stage: ledger.StageEvaluate, Message: "no peer of " + org + " on the channel"}
	}
	return nil
}
