package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// TestRogueProvince runs an altered chaincode build (roguecc) on Shanghai's
// and Jiangsu's chaincode servers, under their own approved packages, and
// checks that nothing their peers alone, or together, endorse can forge,
// inflate or move money: every such transaction is invalidated at commit
// with ENDORSEMENT_POLICY_FAILURE, and the ledger is unchanged.
func TestRogueProvince(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	shOp, ahOp := as(t, shanghai, "operator"), as(t, anhui, "operator")
	openAccount(t, shOp, "sh-rogue", api.KindReserve, "")
	openAccount(t, ahOp, "ah-victim", api.KindReserve, "")
	shMint := mint(t, as(t, shanghai, "issuer"), "m-rogue-sh", "sh-rogue", "100.00")
	ahMint := mint(t, as(t, anhui, "issuer"), "m-rogue-ah", "ah-victim", "100.00")

	bin := filepath.Join(t.TempDir(), "yrd-rogue")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./roguecc")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build roguecc: %s", out)
	for _, p := range []testnet.Province{shanghai, jiangsu} {
		require.NoError(t, net.RestartChaincode(ctx, p, bin))
	}
	t.Cleanup(func() {
		for _, p := range []testnet.Province{shanghai, jiangsu} {
			_ = net.RestartChaincode(context.Background(), p, filepath.Join(net.Bin, "yrd"))
		}
	})

	only := func(ps ...testnet.Province) sdk.ProposalOption {
		var msps []string
		for _, p := range ps {
			msps = append(msps, p.MSPID)
		}
		return sdk.WithEndorsingOrganizations(msps...)
	}
	// The rogue contract's functions are deliberately outside package api:
	// they take positional arguments.
	cases := []struct {
		name      string
		submitter testnet.Province
		fn        string
		args      []string
		endorsers []testnet.Province
	}{
		{"Shanghai alone mints to itself", shanghai, "rogue:MintToSelf", []string{"sh-rogue", "forged-1", "1000000000"}, []testnet.Province{shanghai}},
		{"Jiangsu alone mints to Shanghai", jiangsu, "rogue:MintToSelf", []string{"sh-rogue", "forged-2", "1000000000"}, []testnet.Province{jiangsu}},
		{"Shanghai and Jiangsu mint together", shanghai, "rogue:MintToSelf", []string{"sh-rogue", "forged-3", "1000000000"}, []testnet.Province{shanghai, jiangsu}},
		{"Shanghai alone inflates its own output", shanghai, "rogue:Inflate", []string{"sh-rogue", shMint.Output, "1000000000"}, []testnet.Province{shanghai}},
		{"Jiangsu alone spends Shanghai's output", jiangsu, "rogue:Steal", []string{"sh-rogue", shMint.Output, "js-thief"}, []testnet.Province{jiangsu}},
		{"Shanghai and Jiangsu spend Anhui's output", shanghai, "rogue:Steal", []string{"ah-victim", ahMint.Output, "sh-rogue"}, []testnet.Province{shanghai, jiangsu}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := as(t, tc.submitter, "operator")
			_, commit, err := c.contract.SubmitAsync(tc.fn, sdk.WithArguments(tc.args...), only(tc.endorsers...))
			require.NoError(t, err, "the rogue peers endorse")
			st, err := commit.Status()
			require.NoError(t, err)
			require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, st.Code)
		})
	}

	// Nothing changed: balances as minted, supply equals the outputs.
	auditor := as(t, anhui, "auditor")
	for account, want := range map[string]string{"sh-rogue": "100.00", "ah-victim": "100.00"} {
		requireBalance(t, auditor, account, yuan(t, want))
	}
	page := query(t, auditor, api.ListOutputs, api.ListOutputsRequest{Account: "sh-rogue", PageSize: 10})
	require.Len(t, page.Outputs, 1)
	requireBalancedSupply(t)
}
