package token

import (
	"errors"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/chaincode/money"
)

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func y(s string) money.Amount { return money.MustParseYuan(s) }

func wantCode(t *testing.T, err error, code Code) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func acct(id string, kind Kind, tier string, st Status) Account {
	a, err := NewAccount(id, "ShanghaiMSP", kind, tier, "h", t0)
	if err != nil {
		panic(err)
	}
	a.Status = st
	return a
}

func TestErrorFormat(t *testing.T) {
	err := Errorf(CodeInputSpent, "output %s", "x.1")
	if err.Error() != "INPUT_SPENT: output x.1" {
		t.Fatalf("Error() = %q", err.Error())
	}
	in := Internal(errors.New("disk"), "read %s", "k")
	if CodeOf(in) != CodeInternal || in.Error() != "INTERNAL: read k: disk" {
		t.Fatalf("Internal = %q code %s", in.Error(), CodeOf(in))
	}
	if CodeOf(errors.New("x")) != CodeInternal || CodeOf(nil) != "" {
		t.Fatal("CodeOf")
	}
}

func TestNewAccount(t *testing.T) {
	tests := []struct {
		name, id string
		kind     Kind
		tier     string
		ref      string
		code     Code
		wantTier string
	}{
		{"customer IV", "c1", KindCustomer, TierClassIV, "h", "", TierClassIV},
		{"customer II", "c1", KindCustomer, TierClassII, "h", "", TierClassII},
		{"reserve default tier", "r1", KindReserve, "", "", "", TierUnlimited},
		{"merchant unlimited", "m1", KindMerchant, TierUnlimited, "", "", TierUnlimited},
		{"customer unlimited", "c1", KindCustomer, TierUnlimited, "h", CodeInvalidArgument, ""},
		{"customer no tier", "c1", KindCustomer, "", "h", CodeInvalidArgument, ""},
		{"customer no ref", "c1", KindCustomer, TierClassIV, "", CodeInvalidArgument, ""},
		{"fiscal capped", "f1", KindFiscal, TierClassII, "", CodeInvalidArgument, ""},
		{"bad kind", "x", "bank", "", "", CodeInvalidArgument, ""},
		{"bad tier", "x", KindCustomer, "class-I", "h", CodeInvalidArgument, ""},
		{"empty id", "", KindReserve, "", "", CodeInvalidArgument, ""},
		{"id with NUL", "a\x00b", KindReserve, "", "", CodeInvalidArgument, ""},
		{"id with space", "a b", KindReserve, "", "", CodeInvalidArgument, ""},
		{"id too long", string(make([]byte, 65)), KindReserve, "", "", CodeInvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAccount(tt.id, "ShanghaiMSP", tt.kind, tt.tier, tt.ref, t0)
			wantCode(t, err, tt.code)
			if tt.code == "" && (a.Tier != tt.wantTier || a.Status != StatusActive) {
				t.Fatalf("account = %+v", a)
			}
		})
	}
}

func TestStatusTransitions(t *testing.T) {
	active := acct("a", KindReserve, "", StatusActive)
	frozen := acct("a", KindReserve, "", StatusFrozen)
	closed := acct("a", KindReserve, "", StatusClosed)
	tests := []struct {
		name string
		run  func() (Account, error)
		code Code
		want Status
	}{
		{"freeze active", func() (Account, error) { return active.Freeze("court order", t0) }, "", StatusFrozen},
		{"freeze without reason", func() (Account, error) { return active.Freeze("", t0) }, CodeInvalidArgument, ""},
		{"freeze frozen", func() (Account, error) { return frozen.Freeze("again", t0) }, "", StatusFrozen},
		{"freeze closed", func() (Account, error) { return closed.Freeze("x", t0) }, CodeAccountClosed, ""},
		{"unfreeze frozen", func() (Account, error) { return frozen.Unfreeze(t0) }, "", StatusActive},
		{"unfreeze active", func() (Account, error) { return active.Unfreeze(t0) }, CodeInvalidArgument, ""},
		{"unfreeze closed", func() (Account, error) { return closed.Unfreeze(t0) }, CodeAccountClosed, ""},
		{"close zero", func() (Account, error) { return active.Close(0, t0) }, "", StatusClosed},
		{"close frozen zero", func() (Account, error) { return frozen.Close(0, t0) }, "", StatusClosed},
		{"close non-zero", func() (Account, error) { return active.Close(1, t0) }, CodeBalanceNotZero, ""},
		{"close closed", func() (Account, error) { return closed.Close(0, t0) }, CodeAccountClosed, ""},
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
	wantCode(t, frozen.CanSend(), CodeAccountFrozen)
	wantCode(t, frozen.CanReceive(), CodeAccountFrozen)
	wantCode(t, closed.CanSend(), CodeAccountClosed)
	wantCode(t, closed.CanReceive(), CodeAccountClosed)
	wantCode(t, active.CanSend(), "")
}

func TestTierLimits(t *testing.T) {
	iv, _ := TierByName(TierClassIV)
	ii, _ := TierByName(TierClassII)
	un, _ := TierByName(TierUnlimited)
	tests := []struct {
		name          string
		tier          Tier
		amount, today money.Amount
		code          Code
		wantToday     money.Amount
	}{
		{"IV at per-payment limit", iv, y("2000"), 0, "", y("2000")},
		{"IV over per-payment", iv, y("2000.01"), 0, CodeLimitExceeded, 0},
		{"IV at daily limit", iv, y("1000"), y("4000"), "", y("5000")},
		{"IV over daily", iv, y("1000"), y("4000.01"), CodeLimitExceeded, 0},
		{"II per-payment", ii, y("50000.01"), 0, CodeLimitExceeded, 0},
		{"II daily", ii, y("50000"), y("50000.01"), CodeLimitExceeded, 0},
		{"unlimited large", un, y("1000000000"), y("1000000000"), "", y("2000000000")},
		{"unlimited overflow", un, money.Max, 1, CodeInvalidArgument, 0},
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
		code            Code
	}{
		{"IV to cap", iv, y("9000"), y("1000"), ""},
		{"IV over cap", iv, y("9000"), y("1000.01"), CodeBalanceCapExceeded},
		{"II over cap", ii, y("500000"), y("0.01"), CodeBalanceCapExceeded},
		{"unlimited no cap", un, money.Max - 1, 1, ""},
		{"IV overflow", iv, money.Max, 1, CodeBalanceCapExceeded},
	}
	for _, tt := range caps {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.tier.CheckCredit(tt.balance, tt.credit), tt.code)
		})
	}
	for _, k := range []Kind{KindReserve, KindFiscal, KindMerchant} {
		a := acct("x", k, "", StatusActive)
		if tr, _ := a.TierLimits(); tr.HasBalanceCap() || tr.HasDailyLimit() {
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

func out(id, account string, amt money.Amount) Output {
	return Output{ID: id, Account: account, Amount: amt, TxID: "t0", CreatedAt: t0}
}

func TestPlanTransfer(t *testing.T) {
	payer := acct("payer", KindCustomer, TierClassIV, StatusActive)
	payee := acct("payee", KindMerchant, "", StatusActive)
	capped := acct("payee", KindCustomer, TierClassIV, StatusActive)
	base := func() TransferInput {
		return TransferInput{
			Request: TransferRequest{PaymentID: "p1", From: "payer", To: "payee", Amount: y("100"), Inputs: []string{"o1", "o2"}},
			Payer:   payer, Payee: payee,
			Inputs: []Output{out("o1", "payer", y("60")), out("o2", "payer", y("50"))},
		}
	}
	mark := &Earmark{Code: "edu"}
	tests := []struct {
		name   string
		mutate func(*TransferInput)
		code   Code
	}{
		{"ok", func(*TransferInput) {}, ""},
		{"zero amount", func(in *TransferInput) { in.Request.Amount = 0 }, CodeInvalidArgument},
		{"negative amount", func(in *TransferInput) { in.Request.Amount = -1 }, CodeInvalidArgument},
		{"same account", func(in *TransferInput) { in.Request.To = "payer"; in.Payee = payer }, CodeInvalidArgument},
		{"no inputs", func(in *TransferInput) { in.Request.Inputs = nil; in.Inputs = nil }, CodeInvalidArgument},
		{"duplicate input", func(in *TransferInput) { in.Request.Inputs = []string{"o1", "o1"} }, CodeInvalidArgument},
		{"bad payment id", func(in *TransferInput) { in.Request.PaymentID = "" }, CodeInvalidArgument},
		{"bad remittance hash", func(in *TransferInput) { in.Request.RemittanceHash = "abc" }, CodeInvalidArgument},
		{"change split too big", func(in *TransferInput) { in.Request.ChangeSplit = MaxChangeSplit + 1 }, CodeInvalidArgument},
		{"payer frozen", func(in *TransferInput) { in.Payer.Status = StatusFrozen }, CodeAccountFrozen},
		{"payee frozen", func(in *TransferInput) { in.Payee.Status = StatusFrozen }, CodeAccountFrozen},
		{"payer closed", func(in *TransferInput) { in.Payer.Status = StatusClosed }, CodeAccountClosed},
		{"payee closed", func(in *TransferInput) { in.Payee.Status = StatusClosed }, CodeAccountClosed},
		{"input not owned", func(in *TransferInput) { in.Inputs[1].Account = "other" }, CodeInputNotOwned},
		{"inputs short", func(in *TransferInput) { in.Request.Amount = y("110.01") }, CodeInsufficientFunds},
		{"per payment limit", func(in *TransferInput) {
			in.Request.Amount = y("2000.01")
			in.Inputs[0].Amount = y("3000")
		}, CodeLimitExceeded},
		{"daily limit", func(in *TransferInput) { in.PayerToday = y("4900.01") }, CodeLimitExceeded},
		{"balance cap", func(in *TransferInput) { in.Payee = capped; in.PayeeBalance = y("9900.01") }, CodeBalanceCapExceeded},
		{"balance cap exact", func(in *TransferInput) { in.Payee = capped; in.PayeeBalance = y("9900") }, ""},
		{"mixed earmarks", func(in *TransferInput) { in.Inputs[0].Earmark = mark }, CodeInvalidArgument},
		{"inputs overflow", func(in *TransferInput) {
			in.Payer = acct("payer", KindReserve, "", StatusActive)
			in.Inputs[0].Amount, in.Inputs[1].Amount = money.Max, 1
		}, CodeInvalidArgument},
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
		in.Inputs[0].Earmark, in.Inputs[1].Earmark = &Earmark{Code: "edu"}, &Earmark{Code: "edu"}
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
	reserve := acct("r", KindReserve, "", StatusActive)
	merchant := acct("m", KindMerchant, "", StatusActive)
	mint := MintRequest{MintID: "m1", Account: "r", Amount: y("1000"), ReserveRef: "ref-1"}

	t.Run("mint", func(t *testing.T) {
		o, m, err := PlanMint(NewTx("tx", t0), mint, reserve, y("5"))
		wantCode(t, err, "")
		if o.Amount != y("1000") || m.Supply != y("1005") || m.Output != o.ID {
			t.Fatalf("mint %+v %+v", o, m)
		}
	})
	mintCases := []struct {
		name   string
		req    MintRequest
		acct   Account
		supply money.Amount
		code   Code
	}{
		{"not reserve", mint, merchant, 0, CodeInvalidArgument},
		{"frozen reserve", mint, acct("r", KindReserve, "", StatusFrozen), 0, CodeAccountFrozen},
		{"zero", MintRequest{MintID: "m1", Account: "r", ReserveRef: "x"}, reserve, 0, CodeInvalidArgument},
		{"no reserve ref", MintRequest{MintID: "m1", Account: "r", Amount: 1}, reserve, 0, CodeInvalidArgument},
		{"supply overflow", mint, reserve, money.Max, CodeInvalidArgument},
	}
	for _, tt := range mintCases {
		t.Run("mint "+tt.name, func(t *testing.T) {
			_, _, err := PlanMint(NewTx("tx", t0), tt.req, tt.acct, tt.supply)
			wantCode(t, err, tt.code)
		})
	}

	red := RedeemRequest{RedeemID: "r1", Account: "r", Amount: y("30"), Inputs: []string{"a"}}
	t.Run("redeem", func(t *testing.T) {
		s, r, err := PlanRedeem(NewTx("tx", t0), red, reserve, []Output{out("a", "r", y("100"))}, y("100"))
		wantCode(t, err, "")
		if r.Supply != y("70") || len(s.Create) != 1 || s.Create[0].Amount != y("70") {
			t.Fatalf("redeem %+v %+v", s, r)
		}
	})
	redeemCases := []struct {
		name   string
		acct   Account
		inputs []Output
		code   Code
	}{
		{"not reserve", merchant, []Output{out("a", "m", y("100"))}, CodeInvalidArgument},
		{"short", reserve, []Output{out("a", "r", y("29.99"))}, CodeInsufficientFunds},
		{"not owned", reserve, []Output{out("a", "x", y("100"))}, CodeInputNotOwned},
		{"frozen", acct("r", KindReserve, "", StatusFrozen), []Output{out("a", "r", y("100"))}, CodeAccountFrozen},
	}
	for _, tt := range redeemCases {
		t.Run("redeem "+tt.name, func(t *testing.T) {
			_, _, err := PlanRedeem(NewTx("tx", t0), red, tt.acct, tt.inputs, y("100"))
			wantCode(t, err, tt.code)
		})
	}

	t.Run("merge", func(t *testing.T) {
		req := MergeRequest{MergeID: "g", Account: "m", Inputs: []string{"a", "b"}}
		s, g, err := PlanMerge(NewTx("tx", t0), req, merchant, []Output{out("a", "m", 1), out("b", "m", 2)})
		wantCode(t, err, "")
		if g.Amount != 3 || len(s.Create) != 1 || len(s.Delete) != 2 {
			t.Fatalf("merge %+v %+v", s, g)
		}
		_, _, err = PlanMerge(NewTx("tx", t0), MergeRequest{MergeID: "g", Account: "m", Inputs: []string{"a"}}, merchant, []Output{out("a", "m", 1)})
		wantCode(t, err, CodeInvalidArgument)
		_, _, err = PlanMerge(NewTx("tx", t0), req, merchant, []Output{out("a", "m", 1), out("b", "x", 2)})
		wantCode(t, err, CodeInputNotOwned)
	})
}
