package ledger

import (
	"context"
)

// Ledger is what the HTTP layer needs from Fabric. identity names a
// configured client identity (the client's name in the configuration); fn is
// a qualified chaincode function such as "token:Transfer".
type Ledger interface {
	// Evaluate runs a read-only function on the province's peer.
	Evaluate(ctx context.Context, identity, fn string, args ...string) ([]byte, error)
	// Submit endorses, orders and commits a transaction and returns only
	// once its commit status is valid.
	Submit(ctx context.Context, identity, fn string, args []string, transient map[string][]byte, opts SubmitOptions) (*Committed, error)
	// Events streams the chaincode's events from startBlock (nil: from the
	// next block to commit) until ctx ends; the channel is closed when the
	// stream stops, after which the caller may resume from the last block.
	Events(ctx context.Context, identity string, startBlock *uint64) (<-chan Event, error)
}

// SubmitOptions adjusts one submission.
type SubmitOptions struct {
	// EndorsingOrgs, when set, restricts endorsement to these MSP IDs (for
	// private data); by default the peer's Gateway picks endorsers from the
	// endorsement policy.
	EndorsingOrgs []string
}

// Committed describes a transaction whose commit status is valid.
type Committed struct {
	// Result is the chaincode function's return value.
	Result []byte
	// TxID is the committed transaction's ID.
	TxID string
	// BlockNumber is the block it committed in.
	BlockNumber uint64
	// Attempts counts proposals run (more than 1 after read conflicts).
	Attempts int
	// Resubmits counts re-sends of the same signed transaction.
	Resubmits int
}

// Event is one chaincode event.
type Event struct {
	BlockNumber uint64
	TxID        string
	Name        string
	Payload     []byte
}
