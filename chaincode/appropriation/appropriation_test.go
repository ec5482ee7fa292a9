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
	for _, tc := range []struct {
		name  string
		payee api.Account
		t     time.Time
		kind  string
	}{
		{"terminal merchant releases", merchant("SH-CITY:g", "ShanghaiMSP", "5411"), at, api.FlowReleased},
		{"listed payee releases", api.Account{ID: "SH-CITY:school", OwnerMSP: "ShanghaiMSP", Kind: api.KindSettlement}, at, api.FlowReleased},
		{"eligible recipient: passed on", merchant("JS-CITY:r", "JiangsuMSP", "5812"), at, api.FlowPassedOn},
		{"ineligible payee", merchant("SH-CITY:bar", "ShanghaiMSP", "5813"), at, ""},
		{"before the window", merchant("SH-CITY:g", "ShanghaiMSP", "5411"), time.Date(2026, 3, 1, 15, 59, 0, 0, time.UTC), ""},
		{"first minute of the window (Shanghai)", merchant("SH-CITY:g", "ShanghaiMSP", "5411"), time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), api.FlowReleased},
		{"after the window", merchant("SH-CITY:g", "ShanghaiMSP", "5411"), time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC), ""},
	} {
		t.Run("spend/"+tc.name, func(t *testing.T) {
			o, err := CheckSpend(p, tc.payee, tc.t)
			if tc.kind == "" {
				if api.CodeOf(err) != api.CodePurposeNotAllowed {
					t.Fatalf("allowed: %+v %v", o, err)
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
	if o, err := CheckSpend(keep, merchant("SH-CITY:g", "ShanghaiMSP", "5411"), at); err != nil || o.Release || o.Kind != api.FlowSpent {
		t.Fatalf("release never: %+v %v", o, err)
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
		{Kind: api.FlowReleased, Amount: y("10"), Tranche: 1, From: "r1", ToMSP: "ShanghaiMSP"},
		{Kind: api.FlowClawed, Amount: y("20"), Tranche: 1, From: "r1", ToMSP: "ShanghaiMSP"},
		{Kind: api.FlowReturned, Amount: y("40"), Tranche: 1, From: "escrow", FromEscrow: true},
		{Kind: api.FlowReturned, Amount: y("30"), Tranche: 1, From: "r1", ToMSP: "ShanghaiMSP"},
	}
	u := Tally(flows, api.ByTotal)[0].WithBalances()
	if !Balanced(u) || u.Escrow != 0 || u.Held != 0 {
		t.Fatalf("usage %+v", u)
	}
	half := Tally(flows[:3], api.ByTotal)[0].WithBalances()
	if !Balanced(half) || half.Escrow != y("40") || half.Held != y("50") {
		t.Fatalf("usage after three flows %+v", half)
	}
	if rows := Tally(flows, api.ByRecipient); len(rows) != 3 {
		t.Fatalf("by recipient %+v", rows)
	}
}
