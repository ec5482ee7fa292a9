package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/yangtze-delta/settlement/network/testnet"
)

// TestClientsCannotPullBlocks: a bank's client certificate is a channel
// writer, not a reader. It cannot open a block or chaincode event stream
// on any province's peer, nor read a transaction through qscc, while it
// still submits and checks its own transactions' commit status (every
// other test does that) and reads the chain height. The province's admin
// (what the gateway's event stream listens with) can.
func TestClientsCannotPullBlocks(t *testing.T) {
	for _, p := range testnet.Provinces {
		t.Run(p.Name, func(t *testing.T) {
			for _, user := range []string{"operator", "operator2", "issuer", "fiscal", "auditor", "compliance"} {
				c := connect(t, p, user)
				nw := c.GetNetwork(channel)
				requireDenied(t, user+" block events", func(ctx context.Context) error {
					events, err := nw.BlockEvents(ctx, client.WithStartBlock(0))
					if err != nil {
						return err
					}
					// The stream reports a refusal by closing without a block.
					for range events {
						return nil
					}
					return status.Error(codes.PermissionDenied, "stream closed without a block")
				})
				requireDenied(t, user+" chaincode events", func(ctx context.Context) error {
					events, err := nw.ChaincodeEvents(ctx, chaincode, client.WithStartBlock(0))
					if err != nil {
						return err
					}
					for range events {
						return nil
					}
					return status.Error(codes.PermissionDenied, "stream closed without an event")
				})
				_, err := nw.GetContract("qscc").Evaluate("GetBlockByNumber", client.WithArguments(channel, "1"))
				require.Error(t, err, "%s read block 1 through qscc", user)
				_, err = nw.GetContract("qscc").Evaluate("GetChainInfo", client.WithArguments(channel))
				require.NoError(t, err, "%s reads the chain height", user)
			}
			admin := connect(t, p, "admin").GetNetwork(channel)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			events, err := admin.BlockEvents(ctx, client.WithStartBlock(0))
			require.NoError(t, err)
			b, ok := <-events
			require.True(t, ok, "the admin's block stream delivers")
			require.Equal(t, uint64(0), b.GetHeader().GetNumber())
		})
	}
}

// requireDenied runs open, which must fail, or deliver nothing, within a
// few seconds: the peer refuses the stream.
func requireDenied(t *testing.T, what string, open func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := open(ctx)
	require.Error(t, err, "%s: a client certificate pulled block data", what)
	require.NoError(t, ctx.Err(), "%s: no answer within 10 s (want a refusal)", what)
}
