package tokencc_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
)

// callerFor is an identity of Shanghai allowed to call op (its first role
// in the access table), with a bank attribute when the role acts for one.
func callerFor(op api.Op) *memstub.Identity {
	role := op.Access.Roles()[0]
	switch role {
	case api.RoleOperator:
		return actor(shICBC)
	case api.RoleIssuer:
		return issuer(SH)
	case api.RoleFiscal:
		return actor(shFIN)
	}
	return cctest.Ident(SH, role, "", string(role))
}

// skewed sets the endorsing peers' clock d away from every transaction's
// timestamp (d > 0: the client's clock is slow).
func skewed(l *memstub.Ledger, d time.Duration) {
	l.PeerClock = func(tx time.Time) time.Time { return tx.Add(d) }
}

// TestTrustedTime: every endorser refuses a transaction whose timestamp is
// further than the configured skew (default 300 s) from its own clock,
// before anything is read or written.
func TestTrustedTime(t *testing.T) {
	f := newFixture(t)
	// A payment that succeeds when the clocks agree.
	payment := api.TransferRequest{PaymentID: "SH-PBC:late", From: shReserve, To: shop, Amount: y("1"), Inputs: []string{f.shOut}}

	served := map[string]bool{}
	for _, c := range yrdcc.Contracts("test") {
		served[c.GetName()] = true
	}
	for _, d := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		for _, op := range api.Operations() {
			if !served[op.Contract] {
				continue // not a contract of the yrd chaincode (yrdbench's)
			}
			t.Run(fmt.Sprintf("%+v/%s", d, op.Function()), func(t *testing.T) {
				f := f.with(t)
				skewed(f.L, d)
				defer skewed(f.L, 0)
				r := f.RejectRaw(callerFor(op), op.Function(), "{}", nil, api.CodeClockSkew)
				if len(r.Stub.Writes()) != 0 || len(r.Events) != 0 {
					t.Fatalf("wrote %q, events %d", r.Stub.Writes(), len(r.Events))
				}
			})
		}
		t.Run(fmt.Sprintf("%+v/a valid payment", d), func(t *testing.T) {
			f := f.with(t)
			skewed(f.L, d)
			defer skewed(f.L, 0)
			cctest.Reject(f.env, issuer(SH), api.Transfer, payment, api.CodeClockSkew)
		})
	}

	bounds := []struct {
		skew time.Duration
		code api.Code
	}{
		{300 * time.Second, ""}, {-300 * time.Second, ""},
		{301 * time.Second, api.CodeClockSkew}, {-301 * time.Second, api.CodeClockSkew},
	}
	for _, b := range bounds {
		t.Run(fmt.Sprintf("boundary %+v", b.skew), func(t *testing.T) {
			f := f.with(t)
			skewed(f.L, b.skew)
			defer skewed(f.L, 0)
			if b.code != "" {
				cctest.Reject(f.env, auditor(SH), api.GetSupply, api.Empty{}, b.code)
				return
			}
			cctest.Must(f.env, auditor(SH), api.GetSupply, api.Empty{})
		})
	}

	// Within the skew, business goes on: a day's work with the peers four
	// minutes off either way.
	for _, d := range []time.Duration{4 * time.Minute, -4 * time.Minute} {
		t.Run(fmt.Sprintf("within %+v", d), func(t *testing.T) {
			e := newEnv(t)
			skewed(e.L, d)
			e.SetCeiling(SH, y("1000"))
			e.open(shReserve, api.KindReserve, "")
			e.open(shop, api.KindMerchant, "")
			o := e.mint(shReserve, y("100"))
			e.pay(api.TransferRequest{PaymentID: "SH-PBC:p", From: shReserve, To: shop, Amount: y("40"), Inputs: []string{o}})
			e.freeze(shop, "review")
			if got := e.Balance(shop); got != y("40") {
				t.Fatalf("shop %s", got)
			}
			if got := e.Supply(); got != y("100") {
				t.Fatalf("supply %s", got)
			}
		})
	}
}

// TestConfiguredClockSkew: the bound comes from the ledger configuration,
// changed by a decision of the admins of three provinces.
func TestConfiguredClockSkew(t *testing.T) {
	e := newEnv(t)
	cfg := govcc.DefaultConfig()
	cfg.MaxClockSkewSeconds = 60
	id := "ShanghaiMSP:skew"
	cctest.Must(e, admin(SH), api.Propose, api.ProposeRequest{ID: id, Action: api.ActionConfig, Config: &cfg})
	cctest.Must(e, admin(JS), api.Approve, api.ProposalID{ID: id})
	cctest.Must(e, admin(ZJ), api.Approve, api.ProposalID{ID: id})
	cctest.Must(e, admin(AH), api.Execute, api.ExecuteRequest{ID: id})
	if got := cctest.Must(e, auditor(SH), api.GetConfig, api.Empty{}); got.ClockSkew() != time.Minute {
		t.Fatalf("config %+v", got)
	}
	skewed(e.L, 61*time.Second)
	cctest.Reject(e, auditor(SH), api.GetSupply, api.Empty{}, api.CodeClockSkew)
	skewed(e.L, -60*time.Second)
	cctest.Must(e, auditor(SH), api.GetSupply, api.Empty{})
}
