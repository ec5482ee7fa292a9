package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/yangtze-delta/settlement/network/testnet"
)

const channel, chaincode = "settlement", "yrd"

func connect(t *testing.T, p testnet.Province, user string) *testnet.Conn {
	t.Helper()
	c, err := net.Connect(p, user)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// TestCallerIdentity checks that the chaincode sees each client identity's
// MSP ID and role attribute from its certificate.
func TestCallerIdentity(t *testing.T) {
	for _, p := range testnet.Provinces {
		for _, role := range []string{"admin", "operator", "issuer", "fiscal", "auditor", "compliance"} {
			t.Run(p.Name+"/"+role, func(t *testing.T) {
				c := connect(t, p, role)
				out, err := c.GetNetwork(channel).GetContract(chaincode).EvaluateTransaction("system:WhoAmI")
				require.NoError(t, err)
				var who struct{ MSPID, Role, Bank string }
				require.NoError(t, json.Unmarshal(out, &who))
				require.Equal(t, p.MSPID, who.MSPID)
				require.Equal(t, role, who.Role)
			})
		}
	}
}

// TestPingCommitsEverywhere submits one transaction from one province and
// checks it was endorsed by several provinces and is valid on all four peers.
func TestPingCommitsEverywhere(t *testing.T) {
	submitter := testnet.Provinces[1]
	c := connect(t, submitter, "operator")
	id := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	_, commit, err := c.GetNetwork(channel).GetContract(chaincode).SubmitAsync("system:Ping", client.WithArguments(id, "hello"))
	require.NoError(t, err)
	status, err := commit.Status()
	require.NoError(t, err)
	require.True(t, status.Successful, "commit status %v", status.Code)

	var want []byte
	for _, p := range testnet.Provinces {
		t.Run(p.Name, func(t *testing.T) {
			pc := connect(t, p, "auditor")
			tx := processedTx(t, pc, commit.TransactionID())
			require.Equal(t, int32(peer.TxValidationCode_VALID), tx.GetValidationCode())
			endorsers := endorserMSPs(t, tx)
			require.GreaterOrEqual(t, len(endorsers), 2, "endorsed by %v", endorsers)

			got, err := pc.GetNetwork(channel).GetContract(chaincode).EvaluateTransaction("system:GetPing", id)
			require.NoError(t, err)
			if want == nil {
				want = got
			}
			require.JSONEq(t, string(want), string(got))
		})
	}
}

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
// only after the commit, and reads the same value through every gateway.
func TestGatewayPing(t *testing.T) {
	for _, p := range testnet.Provinces {
		resp, err := http.Get(net.GatewayURL(p) + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, p.Name)
	}
	id := fmt.Sprintf("gw-ping-%d", time.Now().UnixNano())
	created := post(t, gw(t, zhejiang, "operator"), "/v1/pings", map[string]string{"id": id, "note": "via gateway"})
	require.NotEmpty(t, created.TxID)
	for _, p := range testnet.Provinces {
		var got json.RawMessage
		get(t, gw(t, p, "operator"), "/v1/pings/"+id, nil, &got)
		require.JSONEq(t, string(created.Result), string(got), p.Name)
	}
}
