package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func y(s string) money.Amount { return money.MustParseYuan(s) }

func wantCode(t *testing.T, err error, code api.Code) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *api.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

const (
	sh   = "ShanghaiMSP"
	bank = "SH-CITY"
)

var h64 = strings.Repeat("ab", 32)

// acct builds an account of bank SH-CITY in Shanghai named "SH-CITY:"+id.
func acct(id string, kind api.Kind, tier string, st api.Status) api.Account {
	r := api.OpenAccountRequest{ID: bank + ":" + id, Kind: kind, Tier: tier}
	if kind == api.KindCustomer {
		r.CustomerRefHash = h64
	}
	if kind == api.KindMerchant {
		r.MerchantCategory = "5411"
	}
	a, err := NewAccount(r, Owner{MSP: sh, Bank: bank}, t0)
	if err != nil {
		panic(err)
	}
	a.Status = st
	return a
}

// id is an account ID of bank SH-CITY.
func id(local string) string { return bank + ":" + local }

func TestErrorFormat(t *testing.T) {
	err := api.Errorf(api.CodeInputSpent, "output %s", "x.1")
	if err.Error() != "INPUT_SPENT: output x.1" {
		t.Fatalf("Error() = %q", err.Error())
	}
	in := api.Internal(errors.New("disk"), "read %s", "k")
	if api.CodeOf(in) != api.CodeInternal || in.Error() != "INTERNAL: read k: disk" {
		t.Fatalf("Internal = %q code %s", in.Error(), api.CodeOf(in))
	}
	if api.CodeOf(errors.New("x")) != api.CodeInternal || api.CodeOf(nil) != "" {
		t.Fatal("CodeOf")
	}
}

func TestNewAccount(t *testing.T) {
	owner := Owner{MSP: sh, Bank: bank}
	tests := []struct {
		name     string
		req      api.OpenAccountRequest
		owner    Owner
		code     api.Code
		wantTier string
	}{
		{"customer IV", api.OpenAccountRequest{ID: id("c1"), Kind: api.KindCustomer, Tier: api.TierClassIV, CustomerRefHash: h64}, owner, "", api.TierClassIV},
		{"customer II", api.OpenAccountRequest{ID: id("c1"), Kind: api.KindCustomer, Tier: api.TierClassII, CustomerRefHash: h64}, owner, "", api.TierClassII},
		{"reserve default tier", api.OpenAccountRequest{ID: id("r1"), Kind: api.KindReserve}, owner, "", api.TierUnlimited},
		{"merchant unlimited", api.OpenAccountRequest{ID: id("m1"), Kind: api.KindMerchant, Tier: api.TierUnlimited, MerchantCategory: "5411"}, owner, "", api.TierUnlimited},
		{"settlement", api.OpenAccountRequest{ID: id("s1"), Kind: api.KindSettlement}, owner, "", api.TierUnlimited},
		{"customer unlimited", api.OpenAccountRequest{ID: id("c1"), Kind: api.KindCustomer, Tier: api.TierUnlimited, CustomerRefHash: h64}, owner, api.CodeInvalidArgument, ""},
		{"customer no tier", api.OpenAccountRequest{ID: id("c1"), Kind: api.KindCustomer, CustomerRefHash: h64}, owner, api.CodeInvalidArgument, ""},
		{"customer no ref", api.OpenAccountRequest{ID: id("c1"), Kind: api.KindCustomer, Tier: api.TierClassIV}, owner, api.CodeInvalidArgument, ""},
		{"reference on a merchant", api.OpenAccountRequest{ID: id("m1"), Kind: api.KindMerchant, MerchantCategory: "5411", CustomerRefHash: h64}, owner, api.CodeInvalidArgument, ""},
		{"merchant without category", api.OpenAccountRequest{ID: id("m1"), Kind: api.KindMerchant}, owner, api.CodeInvalidArgument, ""},
		{"category on a reserve", api.OpenAccountRequest{ID: id("r1"), Kind: api.KindReserve, MerchantCategory: "5411"}, owner, api.CodeInvalidArgument, ""},
		{"fiscal capped", api.OpenAccountRequest{ID: id("f1"), Kind: api.KindFiscal, Tier: api.TierClassII}, owner, api.CodeInvalidArgument, ""},
		{"bad kind", api.OpenAccountRequest{ID: id("x"), Kind: "bank"}, owner, api.CodeInvalidArgument, ""},
		{"bad tier", api.OpenAccountRequest{ID: id("x"), Kind: api.KindCustomer, Tier: "class-I", CustomerRefHash: h64}, owner, api.CodeInvalidArgument, ""},
		{"no namespace", api.OpenAccountRequest{ID: "x", Kind: api.KindReserve}, owner, api.CodeInvalidArgument, ""},
		{"another bank's namespace", api.OpenAccountRequest{ID: "SH-ICBC:x", Kind: api.KindReserve}, owner, api.CodeForbidden, ""},
		{"empty id", api.OpenAccountRequest{Kind: api.KindReserve}, owner, api.CodeInvalidArgument, ""},
		{"id with NUL", api.OpenAccountRequest{ID: id("a\x00b"), Kind: api.KindReserve}, owner, api.CodeInvalidArgument, ""},
		{"id with space", api.OpenAccountRequest{ID: id("a b"), Kind: api.KindReserve}, owner, api.CodeInvalidArgument, ""},
		{"id too long", api.OpenAccountRequest{ID: id(strings.Repeat("x", 60)), Kind: api.KindReserve}, owner, api.CodeInvalidArgument, ""},
		{"owner without bank", api.OpenAccountRequest{ID: id("r1"), Kind: api.KindReserve}, Owner{MSP: sh}, api.CodeInvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAccount(tt.req, tt.owner, t0)
			wantCode(t, err, tt.code)
			if tt.code == "" && (a.Tier != tt.wantTier || a.Status != api.StatusActive || a.Bank != bank || a.OwnerMSP != sh) {
				t.Fatalf("account = %+v", a)
			}
		})
	}
}

func TestStatusTransitions(t *testing.T) {
	active := acct("a", api.KindReserve, "", api.StatusActive)
	frozen := acct("a", api.KindReserve, "", api.StatusFrozen)
	closed := acct("a", api.KindReserve, "", api.StatusClosed)
	tests := []struct {
		name string
		run  func() (api.Account, error)
		code api.Code
		want api.Status
	}{
		{"freeze active", func() (api.Account, error) { return Freeze(active, h64, t0) }, "", api.StatusFrozen},
		{"freeze without reason hash", func() (api.Account, error) { return Freeze(active, "", t0) }, api.CodeInternal, ""},
		{"freeze frozen", func() (api.Account, error) { return Freeze(frozen, h64, t0) }, "", api.StatusFrozen},
		{"freeze closed", func() (api.Account, error) { return Freeze(closed, h64, t0) }, api.CodeAccountClosed, ""},
		{"unfreeze frozen", func() (api.Account, error) { return Unfreeze(frozen, t0) }, "", api.StatusActive},
		{"unfreeze active", func() (api.Account, error) { return Unfreeze(active, t0) }, api.CodeInvalidArgument, ""},
		{"unfreeze closed", func() (api.Account, error) { return Unfreeze(closed, t0) }, api.CodeAccountClosed, ""},
		{"close zero", func() (api.Account, error) { return Close(active, 0, t0) }, "", api.StatusClosed},
		{"close frozen zero", func() (api.Account, error) { return Close(frozen, 0, t0) }, "", api.StatusClosed},
		{"close non-zero", func() (api.Account, error) { return Close(active, 1, t0) }, api.CodeBalanceNotZero, ""},
		{"close closed", func() (api.Account, error) { return Close(closed, 0, t0) }, api.CodeAccountClosed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := tt.run()
			wantCode(t, err, tt.code)
			if tt.code == "" && a.Status != tt.want {
				t.Fatalf("status = %s, want %s", a.Status, tt.want)
			}
		})
	}
	wantCode(t, CanSend(frozen), api.CodeAccountFrozen)
	wantCode(t, CanReceive(frozen), api.CodeAccountFrozen)
	wantCode(t, CanSend(closed), api.CodeAccountClosed)
	wantCode(t, CanReceive(closed), api.CodeAccountClosed)
	wantCode(t, CanSend(active), "")
}

func TestTierLimits(t *testing.T) {
	iv, _ := TierByName(api.TierClassIV)
	ii, _ := TierByName(api.TierClassII)
	un, _ := TierByName(api.TierUnlimited)
	tests := []struct {
		name          string
		tier          Tier
		amount, today money.Amount
		code          api.Code
		wantToday     money.Amount
	}{
		{"IV at per-payment limit", iv, y("2000"), 0, "", y("2000")},
		{"IV over per-payment", iv, y("2000.01"), 0, api.CodeLimitExceeded, 0},
		{"IV at daily limit", iv, y("1000"), y("4000"), "", y("5000")},
		{"IV over daily", iv, y("1000"), y("4000.01"), api.CodeLimitExceeded, 0},
		{"II per-payment", ii, y("50000.01"), 0, api.CodeLimitExceeded, 0},
		{"II daily", ii, y("50000"), y("50000.01"), api.CodeLimitExceeded, 0},
		{"unlimited large", un, y("1000000000"), y("1000000000"), "", y("2000000000")},
		{"unlimited overflow", un, money.Max, 1, api.CodeInvalidArgument, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.tier.CheckOutflow(tt.amount, tt.today)
			wantCode(t, err, tt.code)
			if tt.code == "" && got != tt.wantToday {
				t.Fatalf("today = %s, want %s", got, tt.wantToday)
			}
		})
	}
	caps := []struct {
		name            string
		tier            Tier
		balance, credit money.Amount
		outputs         int
		code            api.Code
	}{
		{"IV to cap", iv, y("9000"), y("1000"), 10, ""},
		{"IV over cap", iv, y("9000"), y("1000.01"), 10, api.CodeBalanceCapExceeded},
		{"II over cap", ii, y("500000"), y("0.01"), 10, api.CodeBalanceCapExceeded},
		{"unlimited no cap", un, money.Max - 1, 1, 10, ""},
		{"IV overflow", iv, money.Max, 1, 10, api.CodeBalanceCapExceeded},
		{"IV below the output limit", iv, y("1"), y("0.01"), api.MaxCappedOutputs - 1, ""},
		{"IV dust flood stops at the output limit", iv, y("1"), y("0.01"), api.MaxCappedOutputs, api.CodeLimitExceeded},
		{"unlimited takes any number of outputs", un, y("1"), y("0.01"), 10 * api.MaxCappedOutputs, ""},
	}
	for _, tt := range caps {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.tier.CheckCredit(tt.balance, tt.outputs, tt.credit), tt.code)
		})
	}
	for _, k := range []api.Kind{api.KindReserve, api.KindFiscal, api.KindMerchant, api.KindSettlement} {
		a := acct("x", k, "", api.StatusActive)
		if tr, _ := TierOf(a); tr.HasBalanceCap() || tr.HasDailyLimit() {
			t.Errorf("%s account has limits %+v", k, tr)
		}
	}
}

func out(id, account string, amt money.Amount) api.Output {
	return api.Output{ID: id, Account: account, Amount: amt, TxID: "t0", CreatedAt: t0}
}

func TestPlanTransfer(t *testing.T) {
	payer := acct("payer", api.KindCustomer, api.TierClassIV, api.StatusActive)
	payee := acct("payee", api.KindMerchant, "", api.StatusActive)
	capped := acct("payee", api.KindCustomer, api.TierClassIV, api.StatusActive)
	base := func() TransferInput {
		return TransferInput{
			Request: api.TransferRequest{PaymentID: id("p1"), From: id("payer"), To: id("payee"), Amount: y("100"), Inputs: []string{"o1", "o2"}},
			Payer:   payer, Payee: payee,
			Inputs: []api.Output{out("o1", id("payer"), y("60")), out("o2", id("payer"), y("50"))},
		}
	}
	mark := &api.Earmark{Programme: "SH-FIN:edu", Tranche: 1}
	tests := []struct {
		name   string
		mutate func(*TransferInput)
		code   api.Code
	}{
		{"ok", func(*TransferInput) {}, ""},
		{"zero amount", func(in *TransferInput) { in.Request.Amount = 0 }, api.CodeInvalidArgument},
		{"negative amount", func(in *TransferInput) { in.Request.Amount = -1 }, api.CodeInvalidArgument},
		{"same account", func(in *TransferInput) { in.Request.To = id("payer"); in.Payee = payer }, api.CodeInvalidArgument},
		{"no inputs", func(in *TransferInput) { in.Request.Inputs = nil; in.Inputs = nil }, api.CodeInvalidArgument},
		{"duplicate input", func(in *TransferInput) { in.Request.Inputs = []string{"o1", "o1"} }, api.CodeInvalidArgument},
		{"bad payment id", func(in *TransferInput) { in.Request.PaymentID = "" }, api.CodeInvalidArgument},
		{"payment id without namespace", func(in *TransferInput) { in.Request.PaymentID = "p1" }, api.CodeInvalidArgument},
		{"payment id of another bank", func(in *TransferInput) { in.Request.PaymentID = "SH-ICBC:p1" }, api.CodeForbidden},
		{"bad remittance hash", func(in *TransferInput) { in.Request.RemittanceHash = "abc" }, api.CodeInvalidArgument},
		{"change split too big", func(in *TransferInput) { in.Request.ChangeSplit = api.MaxChangeSplit + 1 }, api.CodeInvalidArgument},
		{"payer frozen", func(in *TransferInput) { in.Payer.Status = api.StatusFrozen }, api.CodeAccountFrozen},
		{"payee frozen", func(in *TransferInput) { in.Payee.Status = api.StatusFrozen }, api.CodeAccountFrozen},
		{"payer closed", func(in *TransferInput) { in.Payer.Status = api.StatusClosed }, api.CodeAccountClosed},
		{"payee closed", func(in *TransferInput) { in.Payee.Status = api.StatusClosed }, api.CodeAccountClosed},
		{"input not owned", func(in *TransferInput) { in.Inputs[1].Account = "other" }, api.CodeInputNotOwned},
		{"inputs short", func(in *TransferInput) { in.Request.Amount = y("110.01") }, api.CodeInsufficientFunds},
		{"per payment limit", func(in *TransferInput) {
			in.Request.Amount = y("2000.01")
			in.Inputs[0].Amount = y("3000")
		}, api.CodeLimitExceeded},
		{"daily limit", func(in *TransferInput) { in.PayerToday = y("4900.01") }, api.CodeLimitExceeded},
		{"balance cap", func(in *TransferInput) { in.Payee = capped; in.PayeeBalance = y("9900.01") }, api.CodeBalanceCapExceeded},
		{"balance cap exact", func(in *TransferInput) { in.Payee = capped; in.PayeeBalance = y("9900") }, ""},
		{"payee flooded with dust", func(in *TransferInput) { in.Payee = capped; in.PayeeOutputs = api.MaxCappedOutputs }, api.CodeLimitExceeded},
		{"mixed earmarks", func(in *TransferInput) { in.Inputs[0].Earmark = mark }, api.CodeInvalidArgument},
		{"inputs overflow", func(in *TransferInput) {
			in.Payer = acct("payer", api.KindSettlement, "", api.StatusActive)
			in.Inputs[0].Amount, in.Inputs[1].Amount = money.Max, 1
		}, api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.mutate(&in)
			tx := NewTx("tx1", t0)
			p, err := PlanTransfer(tx, in)
			wantCode(t, err, tt.code)
			if tt.code != "" {
				if tx.next != 0 {
					t.Fatal("a rejected plan allocated output IDs")
				}
				return
			}
			var created money.Amount
			for _, o := range p.Create {
				created += o.Amount
			}
			if created != y("110") || p.Create[0].Account != id("payee") || p.Create[0].Amount != in.Request.Amount ||
				p.Payment.FromBank != bank || p.Payment.ToBank != bank {
				t.Fatalf("plan creates %+v", p.Create)
			}
		})
	}

	t.Run("change split and earmark travel", func(t *testing.T) {
		in := base()
		in.Inputs[0].Earmark, in.Inputs[1].Earmark = &api.Earmark{Programme: "SH-FIN:edu", Tranche: 1}, &api.Earmark{Programme: "SH-FIN:edu", Tranche: 1}
		in.Request.ChangeSplit = 3
		p, err := PlanTransfer(NewTx("tx1", t0), in)
		wantCode(t, err, "")
		want := []string{"tx1.0", "tx1.1", "tx1.2", "tx1.3"}
		if len(p.Create) != 4 || p.Payment.PayeeOutput != "tx1.0" || len(p.Payment.ChangeOutputs) != 3 {
			t.Fatalf("plan %+v", p)
		}
		for i, o := range p.Create {
			if o.ID != want[i] || o.Earmark == nil || o.Earmark.Programme != "SH-FIN:edu" {
				t.Fatalf("output %d = %+v", i, o)
			}
			if o.Earmark == in.Inputs[0].Earmark {
				t.Fatal("earmark not copied")
			}
		}
		if p.PayerToday != y("100") {
			t.Fatalf("PayerToday = %s", p.PayerToday)
		}
	})
}

func TestPlanMintRedeemMerge(t *testing.T) {
	reserve := acct("r", api.KindReserve, "", api.StatusActive)
	merchant := acct("m", api.KindMerchant, "", api.StatusActive)
	mint := api.MintParams{Account: id("r"), Amount: y("1000"), ReserveRef: "ref-1"}
	ceil := func(c, issued string) Issuance {
		return Issuance{Supply: y("5"), Ceiling: api.Ceiling{MSP: sh, Ceiling: y(c), Issued: y(issued)}, HasCeiling: true}
	}

	t.Run("mint", func(t *testing.T) {
		o, m, next, err := PlanMint(NewTx("tx", t0), "ShanghaiMSP:m1", mint, sh, reserve, ceil("5000", "5"))
		wantCode(t, err, "")
		if o.Amount != y("1000") || m.Supply != y("1005") || m.Output != o.ID || m.MintID != "ShanghaiMSP:m1" ||
			next.Supply != y("1005") || next.Ceiling.Issued != y("1005") {
			t.Fatalf("mint %+v %+v %+v", o, m, next)
		}
	})
	mintCases := []struct {
		name     string
		acct     api.Account
		proposer string
		is       Issuance
		code     api.Code
	}{
		{"not reserve", merchant, sh, ceil("5000", "0"), api.CodeInvalidArgument},
		{"another province's reserve", reserve, "JiangsuMSP", Issuance{Ceiling: api.Ceiling{MSP: "JiangsuMSP", Ceiling: y("5000")}, HasCeiling: true}, api.CodeForbidden},
		{"frozen reserve", acct("r", api.KindReserve, "", api.StatusFrozen), sh, ceil("5000", "0"), api.CodeAccountFrozen},
		{"no ceiling", reserve, sh, Issuance{}, api.CodeCeilingExceeded},
		{"past the ceiling", reserve, sh, ceil("1000", "0.01"), api.CodeCeilingExceeded},
		{"exactly the ceiling", reserve, sh, ceil("1000", "0"), ""},
		{"supply overflow", reserve, sh, Issuance{Supply: money.Max, Ceiling: api.Ceiling{MSP: sh, Ceiling: money.Max}, HasCeiling: true}, api.CodeInvalidArgument},
	}
	for _, tt := range mintCases {
		t.Run("mint "+tt.name, func(t *testing.T) {
			_, _, _, err := PlanMint(NewTx("tx", t0), "m", mint, tt.proposer, tt.acct, tt.is)
			wantCode(t, err, tt.code)
		})
	}

	red := api.RedeemParams{Account: id("r"), Amount: y("30")}
	t.Run("redeem", func(t *testing.T) {
		s, r, next, err := PlanRedeem(NewTx("tx", t0), "r1", red, sh, reserve, []string{"a"}, []api.Output{out("a", id("r"), y("100"))},
			Issuance{Supply: y("100"), Ceiling: api.Ceiling{MSP: sh, Ceiling: y("500"), Issued: y("100")}, HasCeiling: true})
		wantCode(t, err, "")
		if r.Supply != y("70") || len(s.Create) != 1 || s.Create[0].Amount != y("70") || next.Ceiling.Issued != y("70") {
			t.Fatalf("redeem %+v %+v %+v", s, r, next)
		}
	})
	redeemCases := []struct {
		name     string
		acct     api.Account
		proposer string
		inputs   []api.Output
		code     api.Code
	}{
		{"not reserve", merchant, sh, []api.Output{out("a", id("m"), y("100"))}, api.CodeInvalidArgument},
		{"another province's reserve", reserve, "JiangsuMSP", []api.Output{out("a", id("r"), y("100"))}, api.CodeForbidden},
		{"short", reserve, sh, []api.Output{out("a", id("r"), y("29.99"))}, api.CodeInsufficientFunds},
		{"not owned", reserve, sh, []api.Output{out("a", "x", y("100"))}, api.CodeInputNotOwned},
		{"frozen", acct("r", api.KindReserve, "", api.StatusFrozen), sh, []api.Output{out("a", id("r"), y("100"))}, api.CodeAccountFrozen},
	}
	for _, tt := range redeemCases {
		t.Run("redeem "+tt.name, func(t *testing.T) {
			_, _, _, err := PlanRedeem(NewTx("tx", t0), "r1", red, tt.proposer, tt.acct, []string{"a"}, tt.inputs, Issuance{Supply: y("100")})
			wantCode(t, err, tt.code)
		})
	}

	t.Run("merge", func(t *testing.T) {
		req := api.MergeRequest{MergeID: id("g"), Account: id("m"), Inputs: []string{"a", "b"}}
		s, g, err := PlanMerge(NewTx("tx", t0), req, merchant, []api.Output{out("a", id("m"), 1), out("b", id("m"), 2)})
		wantCode(t, err, "")
		if g.Amount != 3 || len(s.Create) != 1 || len(s.Delete) != 2 {
			t.Fatalf("merge %+v %+v", s, g)
		}
		_, _, err = PlanMerge(NewTx("tx", t0), api.MergeRequest{MergeID: id("g"), Account: id("m"), Inputs: []string{"a"}}, merchant, []api.Output{out("a", id("m"), 1)})
		wantCode(t, err, api.CodeInvalidArgument)
		_, _, err = PlanMerge(NewTx("tx", t0), req, merchant, []api.Output{out("a", id("m"), 1), out("b", "x", 2)})
		wantCode(t, err, api.CodeInputNotOwned)
		_, _, err = PlanMerge(NewTx("tx", t0), api.MergeRequest{MergeID: "SH-ICBC:g", Account: id("m"), Inputs: []string{"a", "b"}}, merchant, []api.Output{out("a", id("m"), 1), out("b", id("m"), 2)})
		wantCode(t, err, api.CodeForbidden)
	})
}
