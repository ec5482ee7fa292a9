package server

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/yangtze-delta/settlement/rest"
)

func TestOpenAndReadAccounts(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	a := h.open("sh-op", "SH-CITY:alice", rest.KindCustomer, rest.TierClassIV)
	if a.OwnerMSP != SH || a.Bank != "SH-CITY" || a.Status != rest.StatusActive || a.Tier != rest.TierClassIV || a.CustomerRefHash == "" {
		t.Fatalf("opened %+v", a)
	}
	var got rest.Account
	h.must(http.StatusOK, "sh-op", "GET", "/v1/accounts/SH-CITY:alice", "").decode(t, &got)
	if got.ID != "SH-CITY:alice" || got.OpenedAt.IsZero() {
		t.Fatalf("read %+v", got)
	}
	if b := h.balance("sh-op", "SH-CITY:alice"); b != "0.00" {
		t.Fatalf("balance %s", b)
	}
	for _, tc := range []struct {
		name, client, method, path, body string
		status                           int
		code                             string
	}{
		{"twice", "sh-op", "POST", "/v1/accounts", `{"id":"SH-CITY:alice","kind":"settlement"}`, http.StatusConflict, rest.CodeAlreadyExists},
		{"unknown kind", "sh-op", "POST", "/v1/accounts", `{"id":"SH-CITY:x","kind":"bank"}`, http.StatusBadRequest, rest.CodeInvalidArgument},
		{"customer without reference", "sh-op", "POST", "/v1/accounts", `{"id":"SH-CITY:x","kind":"customer","tier":"class-IV"}`, http.StatusBadRequest, rest.CodeInvalidArgument},
		{"merchant without category", "sh-op", "POST", "/v1/accounts", `{"id":"SH-CITY:x","kind":"merchant"}`, http.StatusBadRequest, rest.CodeInvalidArgument},
		{"operator opens a reserve", "sh-op", "POST", "/v1/accounts", `{"id":"SH-CITY:x","kind":"reserve"}`, http.StatusForbidden, rest.CodeForbidden},
		{"another bank's namespace", "sh-op", "POST", "/v1/accounts", `{"id":"SH-ICBC:x","kind":"settlement"}`, http.StatusForbidden, rest.CodeForbidden},
		{"role may not open", "sh-comp", "POST", "/v1/accounts", `{"id":"SH-CITY:x","kind":"settlement"}`, http.StatusForbidden, rest.CodeForbidden},
		{"other province reads", "js-op", "GET", "/v1/accounts/SH-CITY:alice", "", http.StatusNotFound, rest.CodeNotFound},
		{"other bank reads", "sh-op2", "GET", "/v1/accounts/SH-CITY:alice", "", http.StatusNotFound, rest.CodeNotFound},
		{"compliance of the province reads", "sh-comp", "GET", "/v1/accounts/SH-CITY:alice", "", http.StatusOK, ""},
		{"missing", "sh-op", "GET", "/v1/accounts/SH-CITY:nobody", "", http.StatusNotFound, rest.CodeNotFound},
		{"bad id", "sh-op", "GET", "/v1/accounts/" + url.PathEscape("a b"), "", http.StatusBadRequest, rest.CodeInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.client, tc.method, tc.path, tc.body)
			if r.status != tc.status || (tc.code != "" && r.code(t) != tc.code) {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
}

func TestFreezeUnfreezeClose(t *testing.T) {
	h := funded(t, harnessOptions{})
	var c rest.Committed[rest.Account]
	h.must(http.StatusCreated, "sh-comp", "POST", "/v1/accounts/SH-CITY:shop/freeze", `{"reason":"court order"}`).decode(t, &c)
	if c.Result.Status != rest.StatusFrozen || c.TxID == "" || c.BlockNumber == 0 {
		t.Fatalf("freeze %+v", c)
	}
	r := h.do("sh-op", "POST", "/v1/payments", `{"paymentId":"SH-CITY:p1","from":"SH-CITY:settle","to":"SH-CITY:shop","amount":"1"}`)
	if r.status != http.StatusUnprocessableEntity || r.code(t) != rest.CodeAccountFrozen {
		t.Fatalf("pay frozen: %d %s", r.status, r.body)
	}
	h.must(http.StatusCreated, "sh-comp", "POST", "/v1/accounts/SH-CITY:shop/unfreeze", "")
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/accounts/SH-CITY:shop/close", "")
	r = h.do("sh-op", "POST", "/v1/accounts/SH-CITY:settle/close", "")
	if r.status != http.StatusUnprocessableEntity || r.code(t) != rest.CodeBalanceNotZero {
		t.Fatalf("close with balance: %d %s", r.status, r.body)
	}
}

func TestOutputsAndStatementPages(t *testing.T) {
	h := funded(t, harnessOptions{})
	for i := range 5 {
		h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:p" + string(rune('0'+i)), From: settle, To: shShop, Amount: y("1.00")})
	}
	var ids []string
	var page rest.OutputPage
	path := "/v1/accounts/SH-CITY:shop/outputs?pageSize=2"
	for {
		h.must(http.StatusOK, "sh-op", "GET", path, "").decode(t, &page)
		for _, o := range page.Outputs {
			ids = append(ids, o.ID)
		}
		if page.Bookmark == "" {
			break
		}
		path = "/v1/accounts/SH-CITY:shop/outputs?pageSize=2&bookmark=" + page.Bookmark
	}
	if len(ids) != 5 {
		t.Fatalf("paged %d outputs, want 5: %v", len(ids), ids)
	}
	var st rest.StatementPage
	h.must(http.StatusOK, "sh-op", "GET", "/v1/accounts/SH-CITY:shop/statement?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&pageSize=3", "").decode(t, &st)
	if len(st.Entries) != 3 || st.Bookmark == "" || st.Entries[0].Type != rest.EntryCredit {
		t.Fatalf("statement page %+v", st)
	}
	t.Run("tokens are bound to client and list", func(t *testing.T) {
		var p rest.OutputPage
		h.must(http.StatusOK, "sh-op", "GET", "/v1/accounts/SH-CITY:shop/outputs?pageSize=1", "").decode(t, &p)
		for _, tc := range []struct{ name, client, path string }{
			{"other client", "sh-aud", "/v1/accounts/SH-CITY:shop/outputs?bookmark=" + p.Bookmark},
			{"other account", "sh-op", "/v1/accounts/SH-CITY:settle/outputs?bookmark=" + p.Bookmark},
			{"forged", "sh-op", "/v1/accounts/SH-CITY:shop/outputs?bookmark=AHlyZC5vdXQA"},
			{"not base64", "sh-op", "/v1/accounts/SH-CITY:shop/outputs?bookmark=%25%25"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := h.do(tc.client, "GET", tc.path, "")
				if r.status != http.StatusBadRequest || r.code(t) != rest.CodeInvalidRequest {
					t.Fatalf("%d %s", r.status, r.body)
				}
			})
		}
	})
	for _, bad := range []string{"pageSize=0", "pageSize=1001", "pageSize=x", "from=yesterday", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"} {
		t.Run(bad, func(t *testing.T) {
			r := h.do("sh-op", "GET", "/v1/accounts/SH-CITY:shop/statement?"+bad, "")
			if r.status != http.StatusBadRequest {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	h := funded(t, harnessOptions{})
	for i := range 3 {
		h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:m" + string(rune('0'+i)), From: settle, To: shShop, Amount: y("2.50")})
	}
	var c rest.Committed[rest.Merge]
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/accounts/SH-CITY:shop/merge", `{"mergeId":"SH-CITY:g1"}`).decode(t, &c)
	if c.Result.Amount != y("7.50") || len(c.Result.Inputs) != 3 {
		t.Fatalf("merge %+v", c.Result)
	}
	r := h.do("sh-op", "POST", "/v1/accounts/SH-CITY:shop/merge", `{"mergeId":"SH-CITY:g2","maxInputs":101}`)
	if r.status != http.StatusBadRequest {
		t.Fatalf("maxInputs 101: %d %s", r.status, r.body)
	}
}
