package appropriation

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

func y(s string) money.Amount { return money.MustParseYuan(s) }

var funders = []api.Funder{
	{MSP: "ShanghaiMSP", Bureau: "SH-FIN", Account: "SH-FIN:t", Share: 4000},
	{MSP: "JiangsuMSP", Bureau: "JS-FIN", Account: "JS-FIN:t", Share: 3000},
	{MSP: "ZhejiangMSP", Bureau: "ZJ-FIN", Account: "ZJ-FIN:t", Share: 3000},
}

func programme() api.Programme {
	return api.Programme{DefineProgrammeRequest: api.DefineProgrammeRequest{ID: "SH-FIN:p", Funders: funders,
		ValidFrom: "2026-03-02", ValidTo: "2026-03-31", Release: api.ReleaseAtTerminal,
		Eligibility: api.Eligibility{Kinds: []api.Kind{api.KindMerchant}, Categories: []string{"5812"}, Provinces: []string{"ShanghaiMSP", "JiangsuMSP"},
			Accounts: []string{"AH-CITY:listed"}},
		Spending: api.SpendingRules{PayeeCategories: []string{"5411"}, PayeeAccounts: []string{"SH-CITY:school"}, PassOn: true}},
		OwnerMSP: "ShanghaiMSP", OwnerBureau: "SH-FIN", Status: api.ProgrammeActive}
}

func merchant(id, msp, mcc string) api.Account {
	return api.Account{ID: id, OwnerMSP: msp, Kind: api.KindMerchant, MerchantCategory: mcc}
}

func TestProRata(t *testing.T) {
	for _, amt := range []money.Amount{0, 1, 2, 3, 7, 100, 101, y("1234.57"), money.Max} {
		parts, err := ProRata(amt, funders)
		if err != nil {
			t.Fatal(err)
		}
		var sum money.Amount
		for i, p := range parts {
			sum += p
			exact, _ := money.MulDiv(amt, int64(funders[i].Share), api.SharesTotal)
			if p < exact || p > exact+1 {
				t.Fatalf("%s: part %d = %s, exact share %s", amt, i, p, exact)
			}
		}
		if sum != amt {
			t.Fatalf("%s split into %v, sum %s", amt, parts, sum)
		}
	}
}

func TestEligibleAndSpend(t *testing.T) {
	p := programme()
	at := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		acct api.Account
		ok   bool
	}{
		{"merchant of the category in a province", merchant("SH-CITY:a", "ShanghaiMSP", "5812"), true},
		{"other category", merchant("SH-CITY:b", "ShanghaiMSP", "5999"), false},
		{"other province", merchant("ZJ-CITY:c", "ZhejiangMSP", "5812"), false},
		{"listed account outside the provinces", merchant("AH-CITY:listed", "AnhuiMSP", "0000"), false},
		{"customer", api.Account{ID: "SH-CITY:d", OwnerMSP: "ShanghaiMSP", Kind: api.KindCustomer}, false},
	} {
		t.Run("eligible/"+tc.name, func(t *testing.T) {
			if err := Eligible(p, tc.acct); (err == nil) != tc.ok {
				t.Fatalf("Eligible = %v", err)
			}
		})
	}
	holder := merchant("SH-CITY:a", "ShanghaiMSP", "5812")
	grocer := merchant("SH-CITY:g", "ShanghaiMSP", "5411")
	for _, tc := range []struct {
		name         string
		payer, payee api.Account
		t            time.Time
		kind         string
		code         api.Code // when refused
	}{
		{"terminal merchant releases", holder, grocer, at, api.FlowReleased, ""},
		{"listed payee releases", holder, api.Account{ID: "SH-CITY:school", OwnerMSP: "ShanghaiMSP", Kind: api.KindSettlement}, at, api.FlowReleased, ""},
		{"eligible recipient: passed on", holder, merchant("JS-CITY:r", "JiangsuMSP", "5812"), at, api.FlowPassedOn, ""},
		{"ineligible payee", holder, merchant("SH-CITY:bar", "ShanghaiMSP", "5813"), at, "", api.CodePurposeNotAllowed},
		{"the escrow pays directly", api.Account{ID: "SH-FIN:escrow", OwnerMSP: "ShanghaiMSP", Kind: api.KindEscrow}, grocer, at, "", api.CodePurposeNotAllowed},
		{"before the window", holder, grocer, time.Date(2026, 3, 1, 15, 59, 0, 0, time.UTC), "", api.CodeOutsideWindow},
		{"first minute of the window (Shanghai)", holder, grocer, time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), api.FlowReleased, ""},
		{"after the window", holder, grocer, time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC), "", api.CodeOutsideWindow},
		{"an ineligible payee after the window", holder, merchant("SH-CITY:bar", "ShanghaiMSP", "5813"), time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC), "", api.CodeOutsideWindow},
	} {
		t.Run("spend/"+tc.name, func(t *testing.T) {
			o, err := CheckSpend(p, tc.payer, tc.payee, tc.t)
			if tc.kind == "" {
				if api.CodeOf(err) != tc.code {
					t.Fatalf("got %+v %v, want %s", o, err, tc.code)
				}
				return
			}
			if err != nil || o.Kind != tc.kind || o.Release != (tc.kind == api.FlowReleased) {
				t.Fatalf("outcome %+v, %v", o, err)
			}
		})
	}
	keep := p
	keep.Release = api.ReleaseNever
	if o, err := CheckSpend(keep, holder, grocer, at); err != nil || o.Release || o.Kind != api.FlowSpent {
		t.Fatalf("release never: %+v %v", o, err)
	}
	draft := p
	draft.Status = api.ProgrammeProposed
	if _, err := CheckSpend(draft, holder, grocer, at); api.CodeOf(err) != api.CodeProposalClosed {
		t.Fatalf("a programme not active: %v", err)
	}
}

func TestPartiesAndTally(t *testing.T) {
	p := programme()
	parties := ProgrammeParties(p)
	if len(parties) != 3 || parties[0].Identities != 2 {
		t.Fatalf("parties %+v", parties)
	}
	a := func(msp, bank, id string) api.PartyApproval {
		return api.PartyApproval{MSP: msp, Bank: bank, Role: api.RoleFiscal, Identity: id}
	}
	maker, checker := a("ShanghaiMSP", "SH-FIN", "m"), a("ShanghaiMSP", "SH-FIN", "c")
	js, zj := a("JiangsuMSP", "JS-FIN", "j"), a("ZhejiangMSP", "ZJ-FIN", "z")
	if Satisfied(parties, []api.PartyApproval{maker, maker, js, zj}) {
		t.Fatal("one identity counted twice as maker and checker")
	}
	if Satisfied(parties, []api.PartyApproval{maker, checker, js}) {
		t.Fatal("satisfied without Zhejiang")
	}
	if !Satisfied(parties, []api.PartyApproval{maker, checker, js, zj}) {
		t.Fatal("not satisfied with every party")
	}
	flows := []api.Flow{
		{Kind: api.FlowFunded, Amount: y("100"), Tranche: 1},
		{Kind: api.FlowDisbursed, Amount: y("60"), Tranche: 1, To: "r1", ToMSP: "ShanghaiMSP"},
		{Kind: api.FlowReleased, Amount: y("10"), Tranche: 1, From: "r1", FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP"},
		{Kind: api.FlowClawed, Amount: y("20"), Tranche: 1, From: "r1", FromMSP: "ShanghaiMSP"},
		{Kind: api.FlowReturned, Amount: y("40"), Tranche: 1, From: "escrow", FromEscrow: true, FromMSP: "ShanghaiMSP"},
		{Kind: api.FlowReturned, Amount: y("30"), Tranche: 1, From: "r1", FromMSP: "ShanghaiMSP"},
	}
	u := Tally(flows, api.ByTotal)[0].WithBalances()
	if !Balanced(u) || u.Escrow != 0 || u.Held != 0 {
		t.Fatalf("usage %+v", u)
	}
	half := Tally(flows[:3], api.ByTotal)[0].WithBalances()
	if !Balanced(half) || half.Escrow != y("40") || half.Held != y("50") {
		t.Fatalf("usage after three flows %+v", half)
	}
	if rows := Tally(flows, api.ByRecipient); len(rows) != 1 || rows[0].Key != "r1" || !HolderBalanced(rows[0].Balances(api.ByRecipient)) {
		t.Fatalf("by recipient %+v", rows)
	}
	if got := Total(flows); got != Tally(flows, api.ByTotal)[0] {
		t.Fatalf("Total %+v, Tally by total %+v", got, Tally(flows, api.ByTotal)[0])
	}
}

// TestTallyHolders: funds passed on between holders (and spent keeping the
// earmark) land on the receiver's row as well as the payer's, so that
// every holder's row and every province's row holds exactly what the
// holders hold, never negative; the total and tranche rows keep the
// identity. The model is the holders' balances, computed here flow by flow
// independently of Tally.
func TestTallyHolders(t *testing.T) {
	flows := []api.Flow{
		{Kind: api.FlowFunded, Amount: y("100"), Tranche: 1, From: "SH-FIN:t", To: "escrow", ToMSP: "ShanghaiMSP"},
		{Kind: api.FlowFunded, Amount: y("50"), Tranche: 2, From: "JS-FIN:t", To: "escrow", ToMSP: "ShanghaiMSP"},
		{Kind: api.FlowDisbursed, Amount: y("60"), Tranche: 1, From: "escrow", To: "r1", ToMSP: "ShanghaiMSP"},
		{Kind: api.FlowDisbursed, Amount: y("20"), Tranche: 2, From: "escrow", To: "r2", ToMSP: "JiangsuMSP"},
		// r1 passes 25 on to r3 in Zhejiang, who never had a disbursement.
		{Kind: api.FlowPassedOn, Amount: y("25"), Tranche: 1, From: "r1", FromMSP: "ShanghaiMSP", To: "r3", ToMSP: "ZhejiangMSP"},
		// r3 releases 5 at a Jiangsu grocer, spends 10 at a school that keeps the earmark.
		{Kind: api.FlowReleased, Amount: y("5"), Tranche: 1, From: "r3", FromMSP: "ZhejiangMSP", To: "g", ToMSP: "JiangsuMSP"},
		{Kind: api.FlowSpent, Amount: y("10"), Tranche: 1, From: "r3", FromMSP: "ZhejiangMSP", To: "school", ToMSP: "AnhuiMSP"},
		{Kind: api.FlowPassedOn, Amount: y("4"), Tranche: 2, From: "r2", FromMSP: "JiangsuMSP", To: "r1", ToMSP: "ShanghaiMSP"},
		{Kind: api.FlowClawed, Amount: y("10"), Tranche: 1, From: "r3", FromMSP: "ZhejiangMSP", To: "funders"},
		{Kind: api.FlowReturned, Amount: y("10"), Tranche: 1, From: "school", FromMSP: "AnhuiMSP", To: "funders"},
		{Kind: api.FlowReturned, Amount: y("30"), Tranche: 2, From: "escrow", FromEscrow: true, FromMSP: "ShanghaiMSP", To: "funders"},
	}
	// The model: each holder's balance and province.
	held := map[string]money.Amount{}
	province := map[string]string{}
	for _, f := range flows {
		switch f.Kind {
		case api.FlowDisbursed:
			held[f.To] += f.Amount
			province[f.To] = f.ToMSP
		case api.FlowPassedOn, api.FlowSpent:
			held[f.From] -= f.Amount
			held[f.To] += f.Amount
			province[f.To] = f.ToMSP
		case api.FlowReleased, api.FlowClawed, api.FlowReturned:
			if !f.FromEscrow {
				held[f.From] -= f.Amount
			}
		}
	}
	byProvince := map[string]money.Amount{}
	var total money.Amount
	for h, a := range held {
		byProvince[province[h]] += a
		total += a
	}
	for _, by := range []string{api.ByRecipient, api.ByProvince} {
		want := held
		if by == api.ByProvince {
			want = byProvince
		}
		rows := Tally(flows, by)
		if len(rows) != len(want) {
			t.Fatalf("by %s: %d rows %+v, want %d", by, len(rows), rows, len(want))
		}
		for _, r := range rows {
			u := r.Balances(by)
			if !HolderBalanced(u) || u.Held != want[r.Key] {
				t.Errorf("by %s: row %+v, want held %s", by, u, want[r.Key])
			}
		}
	}
	u := Total(flows).WithBalances()
	if !Balanced(u) || u.Held != total || u.Escrow != y("40") || u.TransferredIn != u.TransferredOut {
		t.Fatalf("total %+v, want held %s escrow 40", u, total)
	}
	var sum api.Usage
	for _, r := range Tally(flows, api.ByTranche) {
		b := r.WithBalances()
		if !Balanced(b) {
			t.Errorf("tranche row %+v", b)
		}
		sum.Add(r)
	}
	if sum.Key = api.ByTotal; sum != Total(flows) {
		t.Fatalf("tranche rows add up to %+v, the total is %+v", sum, Total(flows))
	}
}

// TestNewProgramme: the definition's syntax is the request's Validate;
// the caller decides the namespace and must fund the programme.
func TestNewProgramme(t *testing.T) {
	def := func() api.DefineProgrammeRequest {
		return api.DefineProgrammeRequest{ID: "SH-FIN:p", Name: "p", Purposes: []string{"SME"}, Escrow: "SH-FIN:e", Budget: y("100"),
			Funders: funders, ValidFrom: "2026-03-02", ValidTo: "2026-03-31", Release: api.ReleaseAtTerminal,
			Eligibility: api.Eligibility{Kinds: []api.Kind{api.KindMerchant}}}
	}
	if _, err := NewProgramme(def(), "ShanghaiMSP", "SH-FIN", time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(r *api.DefineProgrammeRequest)
		msp    string
		bureau string
		code   api.Code
	}{
		{"another bureau's namespace", func(*api.DefineProgrammeRequest) {}, "JiangsuMSP", "JS-FIN", api.CodeForbidden},
		{"the owner does not fund it", func(r *api.DefineProgrammeRequest) {
			r.ID, r.Escrow = "AH-FIN:p", "AH-FIN:e"
		}, "AnhuiMSP", "AH-FIN", api.CodeInvalidArgument},
		{"shares do not add up", func(r *api.DefineProgrammeRequest) {
			r.Funders = append([]api.Funder(nil), funders[:2]...)
		}, "ShanghaiMSP", "SH-FIN", api.CodeInvalidArgument},
		{"the escrow as a payee", func(r *api.DefineProgrammeRequest) {
			r.Spending.PayeeAccounts = []string{r.Escrow}
		}, "ShanghaiMSP", "SH-FIN", api.CodeInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := def()
			tc.change(&r)
			if _, err := NewProgramme(r, tc.msp, tc.bureau, time.Now()); api.CodeOf(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}
