package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/memstub/stubtest"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// probeChaincode serves the probe contract (yrdbench; yrd never does).
const probeChaincode = "yrdbench"

// TestStubBehaviour runs the stub behaviour suite on the network's peers:
// the very assertions that memstub passes in `go test ./...`
// (chaincode/memstub/stubtest). A failure here means memstub and the peer
// differ, and memstub is the one to change.
func TestStubBehaviour(t *testing.T) {
	c := connect(t, shanghai, "operator")
	// The event stream needs a channel reader (the province's admin): a
	// client certificate cannot listen to blocks.
	r := connect(t, shanghai, "admin")
	stubtest.Run(t, &peerBackend{network: r.GetNetwork(channel), contract: c.Contract(channel, probeChaincode)})
}

// peerBackend runs probe scripts through the Fabric Gateway SDK as
// Shanghai's operator and reads their events as Shanghai's admin.
type peerBackend struct {
	network  *client.Network
	contract *client.Contract
}

var _ stubtest.Backend = (*peerBackend)(nil)

// Orgs lists the provinces' MSP IDs; yrdbench's endorsement policy is 3 of
// the 4 (network/chaincode/yrdbench/endorsement-policy), i.e. MAJORITY.
func (p *peerBackend) Orgs() []string {
	var out []string
	for _, pr := range testnet.Provinces {
		out = append(out, pr.MSPID)
	}
	return out
}

// Run evaluates with testnet.Evaluate. A submitted batch is endorsed
// first, every transaction on the same state; then the transactions are
// submitted one at a time in the batch's order, each once every peer has
// the previous one's block, so that each commits in a later block than the
// one before (two submissions in flight together could be ordered either
// way by Raft) and the next endorsement sees it on every peer.
func (p *peerBackend) Run(t *testing.T, b stubtest.Batch) []stubtest.TxResult {
	t.Helper()
	out := make([]stubtest.TxResult, len(b.Txs))
	if b.Evaluate {
		for i, tx := range b.Txs {
			var opts []client.ProposalOption
			if tx.Endorsers != nil {
				opts = append(opts, client.WithEndorsingOrganizations(tx.Endorsers...))
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			out[i].Output, out[i].Err = testnet.Evaluate(ctx, p.contract, api.ProbeEval, api.ProbeScript{Steps: tx.Steps}, opts...)
			cancel()
		}
		return out
	}
	txns := make([]*client.Transaction, len(b.Txs))
	for i, tx := range b.Txs {
		arg, err := api.ProbeRun.Encode(api.ProbeScript{Steps: tx.Steps})
		require.NoError(t, err)
		opts := []client.ProposalOption{client.WithArguments(arg)}
		if tx.Endorsers != nil {
			opts = append(opts, client.WithEndorsingOrganizations(tx.Endorsers...))
		}
		prop, err := p.contract.NewProposal(api.ProbeRun.Function(), opts...)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		txns[i], err = prop.EndorseWithContext(ctx)
		cancel()
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i].Output, err = api.ProbeRun.DecodeResponse(txns[i].Result())
		require.NoError(t, err, "tx %d: probe output", i)
	}
	for _, i := range stubtest.CommitOrder(t, b) {
		if txns[i] == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		commit, err := txns[i].SubmitWithContext(ctx)
		require.NoError(t, err, "tx %d: submit", i)
		st, err := commit.StatusWithContext(ctx)
		cancel()
		require.NoError(t, err, "tx %d: commit status", i)
		out[i].Code = st.Code
		waitHeights(t, st.BlockNumber+1)
		if st.Code == peer.TxValidationCode_VALID {
			out[i].Event = p.event(t, st.BlockNumber, st.TransactionID)
		}
	}
	return out
}

// event returns the chaincode event of transaction txID in block, as the
// Gateway's event stream delivers it.
func (p *peerBackend) event(t *testing.T, block uint64, txID string) *stubtest.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events, err := p.network.ChaincodeEvents(ctx, probeChaincode, client.WithStartBlock(block))
	require.NoError(t, err)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream ended before tx %s", txID)
			}
			if ev.TransactionID == txID {
				return &stubtest.Event{Name: ev.EventName, Payload: ev.Payload}
			}
			if ev.BlockNumber > block {
				return nil // block passed without an event of txID
			}
		case <-ctx.Done():
			t.Fatalf("no chaincode event of tx %s in block %d: %v", txID, block, ctx.Err())
		}
	}
}
