package tokencc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

// TestForgedBookmarks: the peer (and memstub) take a page bookmark as the
// start key of the scan, so a forged bookmark used to start ListOutputs or
// Statement in other accounts' (other provinces') rows, e.g.
// "\x00yrd.out\x00". Every bookmark outside the requested account's key
// range is refused with INVALID_ARGUMENT, and no row is answered.
func TestForgedBookmarks(t *testing.T) {
	f := newFixture(t)
	// Rows of several accounts around shop's: alice and settle sort
	// before it (same bank), bob and the reserves in other banks and
	// provinces, and two outputs and statement entries each.
	o := f.shOut
	for i, to := range []string{shop, shop, alice, alice, settle, settle, bob, bob, treasury} {
		p := f.pay(api.TransferRequest{PaymentID: fmt.Sprintf("SH-PBC:r%d", i), From: shReserve, To: to, Amount: y("1"), Inputs: []string{o}})
		o = p.ChangeOutputs[0]
	}
	opA := actor(shICBC)
	// Valid bookmarks of another account of the same bank.
	settleOutBM := cctest.Must(f.env, opA, api.ListOutputs, api.ListOutputsRequest{Account: settle, PageSize: 1}).Bookmark
	settleStmtBM := cctest.Must(f.env, opA, api.Statement, api.StatementRequest{Account: settle, From: day0, To: day0.Add(time.Hour), PageSize: 1}).Bookmark
	if settleOutBM == "" || settleStmtBM == "" {
		t.Fatal("no bookmark for settle's second page")
	}

	// reaches marks the forgeries that, on the honest stub, start the scan
	// in rows of other accounts: the fault the check must stop.
	type forged struct {
		name     string
		bookmark string
		reaches  bool
	}
	forgeries := func(ns, otherValid string) []forged {
		prefix := ckey(ns, shop)
		return []forged{
			{"before the range: the bare namespace", "\x00" + ns + "\x00", true},
			{"before the range: an account that sorts first", ckey(ns, alice), true},
			{"before the range: another province's account", ckey(ns, bob), true},
			{"before the range: another account's valid bookmark", otherValid, true},
			{"before the range: shop's prefix without its separator", strings.TrimSuffix(prefix, "\x00"), false},
			{"after the range: an account that sorts later", ckey(ns, "SH-ICBC:zzz"), false},
			{"another namespace", ckey(nsPayment, "SH-PBC:r0"), false},
			{"a simple key", "SH-ICBC:shop", false},
			{"too long", prefix + strings.Repeat("x", api.MaxBookmarkLen), false},
		}
	}
	queries := []struct {
		name, ns, otherValid string
		fn                   string
		arg                  func(bookmark string) string
	}{
		{"ListOutputs", nsOutput, settleOutBM, api.ListOutputs.Function(), func(bm string) string {
			return cctest.Encode(api.ListOutputsRequest{Account: shop, PageSize: 10, Bookmark: bm})
		}},
		{"Statement", nsStmt, settleStmtBM, api.Statement.Function(), func(bm string) string {
			return cctest.Encode(api.StatementRequest{Account: shop, From: day0, To: day0.Add(24 * time.Hour), PageSize: 10, Bookmark: bm})
		}},
	}
	for _, q := range queries {
		for _, fg := range forgeries(q.ns, q.otherValid) {
			t.Run(q.name+"/"+fg.name, func(t *testing.T) {
				f := f.with(t)
				if fg.reaches && scanFrom(f.env, q.ns, shop, fg.bookmark) == 0 {
					t.Fatal("on the stub this bookmark reaches no foreign row; the case proves nothing")
				}
				for _, who := range []*memstub.Identity{opA, auditor(AH)} {
					f.RejectRaw(who, q.fn, q.arg(fg.bookmark), nil, api.CodeInvalidArgument)
				}
			})
		}
		t.Run(q.name+"/the range's own end answers no row", func(t *testing.T) {
			f := f.with(t)
			// It starts with shop's prefix, so it is not refused; the scan
			// from it to the range's end is empty.
			r := f.Raw(opA, q.fn, q.arg(ckey(q.ns, shop)+string(rune(0x10FFFF))), nil)
			var page struct {
				Outputs  []api.Output
				Entries  []api.StatementEntry
				Bookmark string
			}
			if !r.OK() || json.Unmarshal(r.Payload, &page) != nil || len(page.Outputs)+len(page.Entries) != 0 || page.Bookmark != "" {
				t.Fatalf("%s %s", r.Message, r.Payload)
			}
		})
		t.Run(q.name+"/own bookmarks page through the own rows only", func(t *testing.T) {
			f := f.with(t)
			bm, n := "", 0
			for pages := 0; pages < 5; pages++ {
				r := f.Raw(opA, q.fn, strings.Replace(q.arg(bm), `"pageSize":10`, `"pageSize":1`, 1), nil)
				if !r.OK() {
					t.Fatal(r.Message)
				}
				var page struct {
					Outputs  []api.Output
					Entries  []api.StatementEntry
					Bookmark string
				}
				if err := json.Unmarshal(r.Payload, &page); err != nil {
					t.Fatal(err)
				}
				for _, o := range page.Outputs {
					if o.Account != shop {
						t.Fatalf("row of %s", o.Account)
					}
					n++
				}
				for _, e := range page.Entries {
					if e.Account != shop {
						t.Fatalf("row of %s", e.Account)
					}
					n++
				}
				if bm = page.Bookmark; bm == "" {
					break
				}
			}
			if n != 2 {
				t.Fatalf("%d rows of shop, want 2", n)
			}
		})
	}
}

// scanFrom runs the paginated query the contract runs, on the honest
// stub, with bookmark as given, and counts the rows outside account's.
func scanFrom(e *env, ns, account, bookmark string) int {
	e.TB.Helper()
	s := e.L.NewStub(memstub.Tx{Time: day0})
	it, _, err := s.GetStateByPartialCompositeKeyWithPagination(ns, []string{account}, 100, bookmark)
	if err != nil {
		e.TB.Fatal(err)
	}
	defer it.Close()
	own := ckey(ns, account)
	n := 0
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			e.TB.Fatal(err)
		}
		if !strings.HasPrefix(kv.Key, own) {
			n++
		}
	}
	return n
}
