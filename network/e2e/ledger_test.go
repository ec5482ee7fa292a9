package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// actor is one user of one province calling the yrd chaincode through the
// Fabric Gateway SDK, by the api operations' qualified names with their one
// JSON argument.
type actor struct {
	p        testnet.Province
	user     string
	contract *sdk.Contract
}

func as(t *testing.T, p testnet.Province, user string) *actor {
	t.Helper()
	return &actor{p: p, user: user, contract: connect(t, p, user).Contract(channel, chaincode)}
}

// id is local in the namespace of the actor's bank ("SH-CITY:local"):
// account, payment and merge IDs belong to the owning (paying) bank.
func (a *actor) id(local string) string { return bankID(a.p, a.user, local) }

// bankID is local in the namespace of province p's user's bank.
func bankID(p testnet.Province, user, local string) string {
	b := testnet.Bank(p, user)
	if b == "" {
		panic("e2e: " + user + " acts for no bank")
	}
	return b + api.NamespaceSep + local
}

// proposalID is local in province p's namespace ("ShanghaiMSP:local").
func proposalID(p testnet.Province, local string) string { return p.MSPID + api.NamespaceSep + local }

// sdkTimeout bounds one SDK call of the suite, commit status included.
const sdkTimeout = 2 * time.Minute

// invoke endorses, orders and waits for the commit of op(req) as a. An
// invalid commit fails with an *sdk.CommitError. It asserts nothing, so
// that it may run in any goroutine.
func invoke[Req, Resp any](a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) (Resp, error) {
	resp, _, err := invokeAt(a, op, req, opts...)
	return resp, err
}

// invokeAt is invoke that also returns the commit status (nil when none
// was read).
func invokeAt[Req, Resp any](a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) (Resp, *sdk.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sdkTimeout)
	defer cancel()
	return testnet.Submit(ctx, a.contract, op, req, opts...)
}

// mustInvoke invokes, requires success, and waits until every province's
// peer has the block: what a test builds next may be endorsed anywhere.
func mustInvoke[Req, Resp any](t *testing.T, a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) Resp {
	t.Helper()
	resp, _ := mustInvokeAt(t, a, op, req, opts...)
	return resp
}

// mustInvokeAt is mustInvoke that also returns the commit status.
func mustInvokeAt[Req, Resp any](t *testing.T, a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) (Resp, *sdk.Status) {
	t.Helper()
	resp, st, err := invokeAt(a, op, req, opts...)
	require.NoError(t, err, "%s by %s/%s", op.Function(), a.p.Name, a.user)
	waitHeights(t, st.BlockNumber+1)
	return resp, st
}

// query evaluates op(req) as a on its province's peer (or, with
// sdk.WithEndorsingOrganizations, on another's) and requires success.
func query[Req, Resp any](t *testing.T, a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) Resp {
	t.Helper()
	resp, err := evaluate(a, op, req, opts...)
	require.NoError(t, err, "%s by %s/%s", op.Function(), a.p.Name, a.user)
	return resp
}

// evaluate is query without assertions.
func evaluate[Req, Resp any](a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) (Resp, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sdkTimeout)
	defer cancel()
	return testnet.Evaluate(ctx, a.contract, op, req, opts...)
}

// merchantCategory is the category code of the suite's merchant accounts.
const merchantCategory = "5411"

// openRequest is the request opening account id of kind: a customer
// account carries a customer reference hash (made by a bank's gateway; any
// 64 hex characters here), a merchant account its category.
func openRequest(id string, kind api.Kind, tier string) api.OpenAccountRequest {
	req := api.OpenAccountRequest{ID: id, Kind: kind, Tier: tier}
	switch kind {
	case api.KindCustomer:
		sum := sha256.Sum256([]byte("customer " + id))
		req.CustomerRefHash = hex.EncodeToString(sum[:])
	case api.KindMerchant:
		req.MerchantCategory = merchantCategory
	}
	return req
}

// openAccount opens account id (in a's bank's namespace) as a.
func openAccount(t *testing.T, a *actor, id string, kind api.Kind, tier string) api.Account {
	t.Helper()
	return mustInvoke(t, a, api.OpenAccount, openRequest(id, kind, tier))
}

// recordFreezeReason submits token:RecordFreezeReason for account id as a
// (a compliance officer), the first of a freeze's two transactions: the
// reason and a fresh random salt travel as transient data, and the
// proposal goes to the peer of a's province only, the one endorsement the
// transaction needs (it writes nothing but a note to the province's kyc_
// collection, whose endorsement policy is a peer of the province). It
// asserts nothing, so that refusals can be checked.
func recordFreezeReason(a *actor, id, reason string) (api.FreezeReasonReceipt, *sdk.Status, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return api.FreezeReasonReceipt{}, nil, err
	}
	return invokeAt(a, api.RecordFreezeReason, api.AccountRequest{ID: id},
		sdk.WithTransient(map[string][]byte{api.TransientFreezeReason: []byte(reason), api.TransientFreezeSalt: salt}),
		sdk.WithEndorsingOrganizations(a.p.MSPID))
}

// freezeAccount freezes account id as a in the two transactions the
// gateway makes, and requires that the reason reached no other province:
// the note's transaction was endorsed by a's province alone, and neither
// transaction carries the reason in its block. The freeze names the
// note's hash, which the account keeps. It returns the frozen account and
// the freeze's commit status.
func freezeAccount(t *testing.T, a *actor, id, reason string) (api.Account, *sdk.Status) {
	t.Helper()
	rc, st, err := recordFreezeReason(a, id, reason)
	require.NoError(t, err, "%s by %s/%s", api.RecordFreezeReason.Function(), a.p.Name, a.user)
	require.Equal(t, api.CollectionKYC(a.p.MSPID), rc.Collection)
	waitHeights(t, st.BlockNumber+1)
	note := processedTx(t, connect(t, anhui, "admin"), st.TransactionID)
	require.Equal(t, []string{a.p.MSPID}, endorserMSPs(t, note), "the reason went to these provinces' peers")
	requireNotInBlock(t, st.TransactionID, reason)

	frozen, fst := mustInvokeAt(t, a, api.Freeze, api.FreezeRequest{ID: id, ReasonHash: rc.Hash})
	require.Equal(t, api.StatusFrozen, frozen.Status)
	require.Equal(t, rc.Hash, frozen.ReasonHash)
	require.GreaterOrEqual(t, len(endorserMSPs(t, processedTx(t, connect(t, anhui, "admin"), fst.TransactionID))), 3,
		"the freeze changes the account record: the owner and two others endorse it")
	requireNotInBlock(t, fst.TransactionID, reason)
	return frozen, fst
}

// ceilingHeadroom is the issuance room ensureCeilings leaves every
// province: far more than the suite mints.
var ceilingHeadroom = money.Yuan(1_000_000_000_000)

var ceilings struct {
	once sync.Once
	err  error
}

// ensureCeilings gives every province of the shared network an issuance
// ceiling with ceilingHeadroom left, once: a reserve can mint only within
// its province's ceiling, which only a "ceiling" proposal approved by
// issuers of three provinces sets. The provinces' decisions run at once.
func ensureCeilings(t *testing.T) {
	t.Helper()
	ceilings.once.Do(func() {
		var wg sync.WaitGroup
		errs := make([]error, len(testnet.Provinces))
		for i, p := range testnet.Provinces {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = setCeiling(p, ceilingHeadroom)
			}()
		}
		wg.Wait()
		ceilings.err = errors.Join(errs...)
	})
	require.NoError(t, ceilings.err, "issuance ceilings")
}

// setCeiling raises province p's ceiling to what it issued plus headroom,
// unless that much is left already. It asserts nothing (it runs in a
// goroutine).
func setCeiling(p testnet.Province, headroom money.Amount) error {
	c, err := net.Connect(p, "issuer")
	if err != nil {
		return err
	}
	defer c.Close()
	iss := &actor{p: p, user: "issuer", contract: c.Contract(channel, chaincode)}
	cur, err := evaluate(iss, api.GetCeiling, api.CeilingRequest{MSP: p.MSPID})
	if err != nil && codeOf(err) != string(api.CodeNotFound) {
		return fmt.Errorf("ceiling of %s: %w", p.MSPID, err)
	}
	if err == nil && cur.Ceiling-cur.Issued >= headroom {
		return nil
	}
	want, err := money.Add(cur.Issued, headroom)
	if err != nil {
		return err
	}
	_, err = decide(p, api.ProposeRequest{ID: proposalID(p, "ceiling-e2e"), Action: api.ActionCeiling,
		Ceiling: &api.CeilingParams{MSP: p.MSPID, Ceiling: want}})
	return err
}

// issuerOf connects as province p's issuer; the caller closes the
// connection.
func issuerOf(p testnet.Province) (*actor, func(), error) {
	c, err := net.Connect(p, "issuer")
	if err != nil {
		return nil, nil, err
	}
	return &actor{p: p, user: "issuer", contract: c.Contract(channel, chaincode)}, c.Close, nil
}

// decide takes a decision through the SDK: proposed by province p's
// issuer, approved by the issuers of the next two provinces (three in all,
// the rule of issuance and ceilings), executed by p's issuer. It asserts
// nothing.
func decide(p testnet.Province, req api.ProposeRequest) (api.Execution, error) {
	var none api.Execution
	i0 := provinceIndex(p)
	var issuers []*actor
	for k := 0; k < 3; k++ {
		a, closeConn, err := issuerOf(testnet.Provinces[(i0+k)%len(testnet.Provinces)])
		if err != nil {
			return none, err
		}
		defer closeConn()
		issuers = append(issuers, a)
	}
	// Each step waits until every peer has its block: the next one may be
	// endorsed anywhere.
	if _, err := settle(issuers[0], api.Propose, req); err != nil {
		return none, fmt.Errorf("propose %s: %w", req.ID, err)
	}
	for _, a := range issuers[1:] {
		if _, err := settle(a, api.Approve, api.ProposalID{ID: req.ID}); err != nil {
			return none, fmt.Errorf("approve %s as %s: %w", req.ID, a.p.Name, err)
		}
	}
	ex, err := settle(issuers[0], api.Execute, api.ExecuteRequest{ID: req.ID})
	if err != nil {
		return none, fmt.Errorf("execute %s: %w", req.ID, err)
	}
	return ex, nil
}

// settle is mustInvoke without assertions: it invokes and waits until
// every peer has the block.
func settle[Req, Resp any](a *actor, op api.Operation[Req, Resp], req Req, opts ...sdk.ProposalOption) (Resp, error) {
	resp, st, err := invokeAt(a, op, req, opts...)
	if err != nil {
		return resp, err
	}
	return resp, waitHeightsErr(st.BlockNumber + 1)
}

func provinceIndex(p testnet.Province) int {
	for i, q := range testnet.Provinces {
		if q.MSPID == p.MSPID {
			return i
		}
	}
	panic("e2e: unknown province " + p.MSPID)
}

// mint issues amount into reserve, a reserve account of province p's
// central-bank branch, by a decision of issuers of three provinces.
func mint(t *testing.T, p testnet.Province, local, reserve, amount string) api.MintRecord {
	t.Helper()
	ensureCeilings(t)
	ex, err := decide(p, api.ProposeRequest{ID: proposalID(p, local), Action: api.ActionMint,
		Mint: &api.MintParams{Account: reserve, Amount: yuan(t, amount), ReserveRef: "deposit-" + local}})
	require.NoError(t, err)
	require.NotNil(t, ex.Mint, "the execution of a mint reports the mint")
	return *ex.Mint
}

// waitHeights waits until every peer's ledger has at least height blocks,
// read from the peers' operations metrics.
func waitHeights(t *testing.T, height uint64) {
	t.Helper()
	require.NoError(t, waitHeightsErr(height))
}

// waitHeightsErr is waitHeights without assertions.
func waitHeightsErr(height uint64) error { return waitHeightsOn(net, height) }

// waitHeightsOn waits until every peer of network n has at least height
// blocks.
func waitHeightsOn(n *testnet.Network, height uint64) error {
	deadline := time.Now().Add(15 * time.Second)
	for _, p := range testnet.Provinces {
		for {
			h, err := peerHeight(n.PeerOperationsURL(p))
			if err == nil && h >= height {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("peer of %s did not reach height %d (at %d, %v)", p.Name, height, h, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

func peerHeight(opsURL string) (uint64, error) {
	resp, err := http.Get(opsURL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	prefix := `ledger_blockchain_height{channel="` + channel + `"}`
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, prefix) {
			return strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, prefix)), 10, 64)
		}
	}
	return 0, fmt.Errorf("no height in %s/metrics", opsURL)
}

var codeRE = regexp.MustCompile(`\b([A-Z][A-Z_]{3,}): `)

// codeOf returns the chaincode's stable error code carried by an
// endorsement error, or the validation code of an invalid commit.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var ce *sdk.CommitError
	if errors.As(err, &ce) {
		return ce.Code.String()
	}
	st, ok := status.FromError(errors.Unwrap(err))
	if !ok {
		st, _ = status.FromError(err)
	}
	msgs := []string{err.Error()}
	if st != nil {
		msgs = append(msgs, st.Message())
		for _, d := range st.Details() {
			if ed, ok := d.(*gateway.ErrorDetail); ok {
				msgs = append(msgs, ed.GetMessage())
			}
		}
	}
	for _, m := range msgs {
		if c := codeRE.FindStringSubmatch(m); c != nil {
			return c[1]
		}
	}
	return ""
}

func requireCode(t *testing.T, want string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, codeOf(err), "error: %v", err)
}
