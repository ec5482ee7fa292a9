package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

const channel, chaincode = "settlement", "yrd"

func connect(t *testing.T, p testnet.Province, user string) *testnet.Conn {
	t.Helper()
	c, err := net.Connect(p, user)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// users are the client identities network.sh enrols in every province.
var users = []string{"admin", "operator", "operator2", "issuer", "fiscal", "auditor", "compliance"}

// TestCallerIdentity checks that the chaincode sees each client identity's
// MSP ID, role and bank attributes from its certificate, as the suite
// expects them (testnet.Bank, testnet.Role).
func TestCallerIdentity(t *testing.T) {
	for _, p := range testnet.Provinces {
		for _, user := range users {
			t.Run(p.Name+"/"+user, func(t *testing.T) {
				who := query(t, as(t, p, user), api.WhoAmI, api.Empty{})
				require.Equal(t, p.MSPID, who.MSPID)
				require.Equal(t, testnet.Role(user), who.Role)
				require.Equal(t, testnet.Bank(p, user), who.Bank)
				require.Equal(t, api.RoleNeedsBank(who.Role), who.Bank != "", "bank roles, and only they, carry a bank")
			})
		}
	}
}

// TestPingCommitsEverywhere submits one transaction from one province and
// checks it was endorsed by several provinces and is valid on all four
// peers, each of which then serves the same record (read as the writing
// province: ping records are their province's own).
func TestPingCommitsEverywhere(t *testing.T) {
	submitter := testnet.Provinces[1]
	c := as(t, submitter, "operator")
	id := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), sdkTimeout)
	defer cancel()
	rec, status, err := testnet.Submit(ctx, c.contract, api.Ping, api.PingRequest{ID: id, Note: "hello"})
	require.NoError(t, err)
	require.True(t, status.Successful, "commit status %v", status.Code)
	require.Equal(t, status.TransactionID, rec.TxID)
	waitHeights(t, status.BlockNumber+1)

	reader := as(t, submitter, "auditor")
	for _, p := range testnet.Provinces {
		t.Run(p.Name, func(t *testing.T) {
			// Block-level data (qscc) is for channel readers: admins and
			// peers, never a bank's client certificate.
			pc := connect(t, p, "admin")
			tx := processedTx(t, pc, status.TransactionID)
			require.Equal(t, int32(peer.TxValidationCode_VALID), tx.GetValidationCode())
			endorsers := endorserMSPs(t, tx)
			require.GreaterOrEqual(t, len(endorsers), 2, "endorsed by %v", endorsers)

			got := query(t, reader, api.GetPing, api.PingID{ID: id}, sdk.WithEndorsingOrganizations(p.MSPID))
			require.Equal(t, rec, got, "the record on the peer of %s", p.Name)
			if p != submitter {
				// Another province's caller does not see it.
				_, err := evaluate(as(t, p, "auditor"), api.GetPing, api.PingID{ID: id})
				requireCode(t, string(api.CodeNotFound), err)
			}
		})
	}
}

// processedTx reads a committed transaction through qscc. Block-level data
// is for channel readers: c must be an admin's connection (see
// TestClientsCannotPullBlocks).
func processedTx(t *testing.T, c *testnet.Conn, txID string) *peer.ProcessedTransaction {
	t.Helper()
	raw, err := c.GetNetwork(channel).GetContract("qscc").EvaluateTransaction("GetTransactionByID", channel, txID)
	require.NoError(t, err)
	var tx peer.ProcessedTransaction
	require.NoError(t, proto.Unmarshal(raw, &tx))
	return &tx
}

// endorserMSPs lists the MSP IDs that endorsed a transaction, sorted.
func endorserMSPs(t *testing.T, tx *peer.ProcessedTransaction) []string {
	t.Helper()
	var payload common.Payload
	require.NoError(t, proto.Unmarshal(tx.GetTransactionEnvelope().GetPayload(), &payload))
	var body peer.Transaction
	require.NoError(t, proto.Unmarshal(payload.GetData(), &body))
	require.NotEmpty(t, body.GetActions())
	var action peer.ChaincodeActionPayload
	require.NoError(t, proto.Unmarshal(body.GetActions()[0].GetPayload(), &action))
	seen := map[string]bool{}
	for _, e := range action.GetAction().GetEndorsements() {
		var id msp.SerializedIdentity
		require.NoError(t, proto.Unmarshal(e.GetEndorser(), &id))
		seen[id.GetMspid()] = true
	}
	out := make([]string, 0, len(seen))
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// TestGatewayPing submits through one province's HTTP gateway, which answers
// only after the commit, and reads the record back through every gateway:
// the writing province's returns it, the others answer NOT_FOUND (ping
// records are their province's own).
func TestGatewayPing(t *testing.T) {
	ctx := context.Background()
	for _, p := range testnet.Provinces {
		h, err := gw(t, p, "operator").Ready(ctx)
		require.NoError(t, err, p.Name)
		require.Equal(t, "ready", h.Status, p.Name)
	}
	id := fmt.Sprintf("gw-ping-%d", time.Now().UnixNano())
	created, err := gw(t, zhejiang, "operator").Ping(ctx, rest.PingRequest{ID: id, Note: "via gateway"})
	require.NoError(t, err)
	require.NotEmpty(t, created.TxID)
	require.Equal(t, created.TxID, created.Result.TxID)
	waitHeights(t, created.BlockNumber+1)
	for _, p := range testnet.Provinces {
		got, err := gw(t, p, "operator").GetPing(ctx, id)
		if p == zhejiang {
			require.NoError(t, err)
			require.Equal(t, created.Result, got)
			continue
		}
		apiErr(t, err, http.StatusNotFound, rest.CodeNotFound)
	}
}
