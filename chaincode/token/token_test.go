package token

import (
	"errors"
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

func acct(id string, kind api.Kind, tier string, st api.Status) api.Account {
	a, err := NewAccount(id, "ShanghaiMSP", kind, tier, "h", t0)
	if err != nil {
		panic(err)
	}
	a.Status = st
	return a
}

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
	tests := []struct {
		name, id string
		kind     api.Kind
		tier     string
		ref      string
		code     api.Code
		wantTier string
	}{
		{"customer IV", "c1", api.KindCustomer, api.TierClassIV, "h", "", api.TierClassIV},
		{"customer II", "c1", api.KindCustomer, api.TierClassII, "h", "", api.TierClassII},
		{"reserve default tier", "r1", api.KindReserve, "", "", "", api.TierUnlimited},
		{"merchant unlimited", "m1", api.KindMerchant, api.TierUnlimited, "", "", api.TierUnlimited},
		{"customer unlimited", "c1", api.KindCustomer, api.TierUnlimited, "h", api.CodeInvalidArgument, ""},
		{"customer no tier", "c1", api.KindCustomer, "", "h", api.CodeInvalidArgument, ""},
		{"customer no ref", "c1", api.KindCustomer, api.TierClassIV, "", api.CodeInvalidArgument, ""},
		{"fiscal capped", "f1", api.KindFiscal, api.TierClassII, "", api.CodeInvalidArgument, ""},
		{"bad kind", "x", "bank", "", "", api.CodeInvalidArgument, ""},
		{"bad tier", "x", api.KindCustomer, "class-I", "h", api.CodeInvalidArgument, ""},
		{"empty id", "", api.KindReserve, "", "", api.CodeInvalidArgument, ""},
		{"id with NUL", "a\x00b", api.KindReserve, "", "", api.CodeInvalidArgument, ""},
		{"id with space", "a b", api.KindReserve, "", "", api.CodeInvalidArgument, ""},
		{"id too long", string(make([]byte, 65)), api.KindReserve, "", "", api.CodeInvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAccount(tt.id, "ShanghaiMSP", tt.kind, tt.tier, tt.ref, t0)
			wantCode(t, err, tt.code)
			if tt.code == "" && (a.Tier != tt.wantTier || a.Status != api.StatusActive) {
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
		{"freeze active", func() (api.Account, error) { return Freeze(active, "court order", t0) }, "", api.StatusFrozen},
		{"freeze without reason", func() (api.Account, error) { return Freeze(active, "", t0) }, api.CodeInvalidArgument, ""},
		{"freeze frozen", func() (api.Account, error) { return Freeze(frozen, "again", t0) }, "", api.StatusFrozen},
		{"freeze closed", func() (api.Account, error) { return Freeze(closed, "x", t0) }, api.CodeAccountClosed, ""},
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
		code            api.Code
	}{
		{"IV to cap", iv, y("9000"), y("1000"), ""},
		{"IV over cap", iv, y("9000"), y("1000.01"), api.CodeBalanceCapExceeded},
		{"II over cap", ii, y("500000"), y("0.01"), api.CodeBalanceCapExceeded},
		{"unlimited no cap", un, money.Max - 1, 1, ""},
		{"IV overflow", iv, money.Max, 1, api.CodeBalanceCapExceeded},
	}
	for _, tt := range caps {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.tier.CheckCredit(tt.balance, tt.credit), tt.code)
		})
	}
	for _, k := range []api.Kind{api.KindReserve, api.KindFiscal, api.KindMerchant} {
		a := acct("x", k, "", api.StatusActive)
		if tr, _ := TierOf(a); tr.HasBalanceCap() || tr.HasDailyLimit() {
			t.Errorf("%s account has limits %+v", k, tr)
		}
	}
}

func TestSplitChange(t *testing.T) {
	tests := []struct {
		change money.Amount
		n      int
		want   []money.Amount
	}{
		{0, 3, nil},
		{10, 0, []money.Amount{10}},
		{10, 3, []money.Amount{4, 3, 3}},
		{2, 5, []money.Amount{1, 1}},
		{100, 4, []money.Amount{25, 25, 25, 25}},
	}
	for _, tt := range tests {
		got := SplitChange(tt.change, tt.n)
		if len(got) != len(tt.want) {
			t.Fatalf("SplitChange(%d,%d) = %v, want %v", tt.change, tt.n, got, tt.want)
		}
		var sum money.Amount
		for i := range got {
			if got[i] != tt.want[i] {
				t.Fatalf("SplitChange(%d,%d) = %v, want %v", tt.change, tt.n, got, tt.want)
			}
			sum += got[i]
		}
		if sum != tt.change {
			t.Fatalf("sum %d != %d", sum, tt.change)
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
			Request: api.TransferRequest{PaymentID: "p1", From: "payer", To: "payee", Amount: y("100"), Inputs: []string{"o1", "o2"}},
			Payer:   payer, Payee: payee,
			Inputs: []api.Output{out("o1", "payer", y("60")), out("o2", "payer", y("50"))},
		}
	}
	mark := &api.Earmark{Code: "edu"}
	tests := []struct {
		name   string
		mutate func(*TransferInput)
		code   api.Code
	}{
		{"ok", func(*TransferInput) {}, ""},
		{"zero amount", func(in *TransferInput) { in.Request.Amount = 0 }, api.CodeInvalidArgument},
		{"negative amount", func(in *TransferInput) { in.Request.Amount = -1 }, api.CodeInvalidArgument},
		{"same account", func(in *TransferInput) { in.Request.To = "payer"; in.Payee = payer }, api.CodeInvalidArgument},
		{"no inputs", func(in *TransferInput) { in.Request.Inputs = nil; in.Inputs = nil }, api.CodeInvalidArgument},
		{"duplicate input", func(in *TransferInput) { in.Request.Inputs = []string{"o1", "o1"} }, api.CodeInvalidArgument},
		{"bad payment id", func(in *TransferInput) { in.Request.PaymentID = "" }, api.CodeInvalidArgument},
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
		{"mixed earmarks", func(in *TransferInput) { in.Inputs[0].Earmark = mark }, api.CodeInvalidArgument},
		{"inputs overflow", func(in *TransferInput) {
			in.Payer = acct("payer", api.KindReserve, "", api.StatusActive)
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
			if created != y("110") || p.Create[0].Account != "payee" || p.Create[0].Amount != in.Request.Amount {
				t.Fatalf("plan creates %+v", p.Create)
			}
		})
	}

	t.Run("change split and earmark travel", func(t *testing.T) {
		in := base()
		in.Inputs[0].Earmark, in.Inputs[1].Earmark = &api.Earmark{Code: "edu"}, &api.Earmark{Code: "edu"}
		in.Request.ChangeSplit = 3
		p, err := PlanTransfer(NewTx("tx1", t0), in)
		wantCode(t, err, "")
		want := []string{"tx1.0", "tx1.1", "tx1.2", "tx1.3"}
		if len(p.Create) != 4 || p.Payment.PayeeOutput != "tx1.0" || len(p.Payment.ChangeOutputs) != 3 {
			t.Fatalf("plan %+v", p)
		}
		for i, o := range p.Create {
			if o.ID != want[i] || o.Earmark == nil || o.Earmark.Code != "edu" {
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
	mint := api.MintRequest{MintID: "m1", Account: "r", Amount: y("1000"), ReserveRef: "ref-1"}

	t.Run("mint", func(t *testing.T) {
		o, m, err := PlanMint(NewTx("tx", t0), mint, reserve, y("5"))
		wantCode(t, err, "")
		if o.Amount != y("1000") || m.Supply != y("1005") || m.Output != o.ID {
			t.Fatalf("mint %+v %+v", o, m)
		}
	})
	mintCases := []struct {
		name   string
		req    api.MintRequest
		acct   api.Account
		supply money.Amount
		code   api.Code
	}{
		{"not reserve", mint, merchant, 0, api.CodeInvalidArgument},
		{"frozen reserve", mint, acct("r", api.KindReserve, "", api.StatusFrozen), 0, api.CodeAccountFrozen},
		{"zero", api.MintRequest{MintID: "m1", Account: "r", ReserveRef: "x"}, reserve, 0, api.CodeInvalidArgument},
		{"no reserve ref", api.MintRequest{MintID: "m1", Account: "r", Amount: 1}, reserve, 0, api.CodeInvalidArgument},
		{"supply overflow", mint, reserve, money.Max, api.CodeInvalidArgument},
	}
	for _, tt := range mintCases {
		t.Run("mint "+tt.name, func(t *testing.T) {
			_, _, err := PlanMint(NewTx("tx", t0), tt.req, tt.acct, tt.supply)
			wantCode(t, err, tt.code)
		})
	}

	red := api.RedeemRequest{RedeemID: "r1", Account: "r", Amount: y("30"), Inputs: []string{"a"}}
	t.Run("redeem", func(t *testing.T) {
		s, r, err := PlanRedeem(NewTx("tx", t0), red, reserve, []api.Output{out("a", "r", y("100"))}, y("100"))
		wantCode(t, err, "")
		if r.Supply != y("70") || len(s.Create) != 1 || s.Create[0].Amount != y("70") {
			t.Fatalf("redeem %+v %+v", s, r)
		}
	})
	redeemCases := []struct {
		name   string
		acct   api.Account
		inputs []api.Output
		code   api.Code
	}{
		{"not reserve", merchant, []api.Output{out("a", "m", y("100"))}, api.CodeInvalidArgument},
		{"short", reserve, []api.Output{out("a", "r", y("29.99"))}, api.CodeInsufficientFunds},
		{"not owned", reserve, []api.Output{out("a", "x", y("100"))}, api.CodeInputNotOwned},
		{"frozen", acct("r", api.KindReserve, "", api.StatusFrozen), []api.Output{out("a", "r", y("100"))}, api.CodeAccountFrozen},
	}
	for _, tt := range redeemCases {
		t.Run("redeem "+tt.name, func(t *testing.T) {
			_, _, err := PlanRedeem(NewTx("tx", t0), red, tt.acct, tt.inputs, y("100"))
			wantCode(t, err, tt.code)
		})
	}

	t.Run("merge", func(t *testing.T) {
		req := api.MergeRequest{MergeID: "g", Account: "m", Inputs: []string{"a", "b"}}
		s, g, err := PlanMerge(NewTx("tx", t0), req, merchant, []api.Output{out("a", "m", 1), out("b", "m", 2)})
		wantCode(t, err, "")
		if g.Amount != 3 || len(s.Create) != 1 || len(s.Delete) != 2 {
			t.Fatalf("merge %+v %+v", s, g)
		}
		_, _, err = PlanMerge(NewTx("tx", t0), api.MergeRequest{MergeID: "g", Account: "m", Inputs: []string{"a"}}, merchant, []api.Output{out("a", "m", 1)})
		wantCode(t, err, api.CodeInvalidArgument)
		_, _, err = PlanMerge(NewTx("tx", t0), req, merchant, []api.Output{out("a", "m", 1), out("b", "x", 2)})
		wantCode(t, err, api.CodeInputNotOwned)
	})
}
