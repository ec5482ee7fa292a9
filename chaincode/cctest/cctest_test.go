package cctest

import (
	"slices"
	"testing"

	"github.com/yangtze-delta/settlement/api"
)

// TestCollections: the network's collections reach the test ledger, each
// province's KYC collection with the province as its only member.
func TestCollections(t *testing.T) {
	colls, err := Collections()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range Orgs() {
		if got := colls[api.CollectionKYC(o)]; !slices.Equal(got, []string{o}) {
			t.Errorf("%s: members %v, want [%s]", api.CollectionKYC(o), got, o)
		}
	}
	if l := NewLedger(t); len(l.Collections) != len(colls) || !slices.Equal(l.Orgs, Orgs()) {
		t.Fatalf("ledger collections %v, orgs %v", l.Collections, l.Orgs)
	}
}

// TestBanks: bank codes are built from, and placed by, the configuration's
// prefixes.
func TestBanks(t *testing.T) {
	if PBC(SH) != "SH-PBC" || Bank(JS, "ABC") != "JS-ABC" {
		t.Fatalf("PBC(SH) = %s, Bank(JS, ABC) = %s", PBC(SH), Bank(JS, "ABC"))
	}
	for _, o := range Orgs() {
		if got := ProvinceOf(Bank(o, "CITY")); got != o {
			t.Errorf("ProvinceOf(%s) = %s", Bank(o, "CITY"), got)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("ProvinceOf a bank of no province did not panic")
		}
	}()
	ProvinceOf("XX-CITY")
}
