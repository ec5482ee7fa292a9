package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/rest"
)

// TestCustomerRefKeyedPerBank: the stored hash is neither the reference
// nor its plain SHA-256, and two banks' hashes of one person differ.
func TestCustomerRefKeyedPerBank(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	ref := "13800138000"
	var a, b rest.Committed[rest.Account]
	h.must(http.StatusCreated, "sh-op", "POST", "/v1/accounts", `{"id":"SH-CITY:p","kind":"customer","tier":"class-IV","customerRef":"`+ref+`"}`).decode(t, &a)
	h.must(http.StatusCreated, "sh-op2", "POST", "/v1/accounts", `{"id":"SH-ICBC:p","kind":"customer","tier":"class-IV","customerRef":"`+ref+`"}`).decode(t, &b)
	plain := sha256.Sum256([]byte(ref))
	if a.Result.CustomerRefHash == hex.EncodeToString(plain[:]) || a.Result.CustomerRefHash == b.Result.CustomerRefHash {
		t.Fatalf("hashes %s / %s are not keyed per bank", a.Result.CustomerRefHash, b.Result.CustomerRefHash)
	}
	for k, v := range h.led.Stub().Snapshot() {
		if strings.Contains(v, ref) {
			t.Fatalf("the reference is on the ledger under %q", k)
		}
	}
	if r := h.do("sh-comp", "POST", "/v1/accounts", `{"id":"SH-CITY:q","kind":"customer","tier":"class-IV","customerRef":"x"}`); r.status != http.StatusForbidden {
		t.Fatalf("a client without a bank: %d %s", r.status, r.body)
	}
}

// TestFreezeReasonStaysPrivate: the reason reaches only the province's
// private data; the account and the event carry a hash at most.
func TestFreezeReasonStaysPrivate(t *testing.T) {
	h := funded(t, harnessOptions{})
	reason := "suspicious structuring, case 2026-117"
	var c rest.Committed[rest.Account]
	h.must(http.StatusCreated, "sh-comp", "POST", "/v1/accounts/SH-CITY:shop/freeze", `{"reason":"`+reason+`"}`).decode(t, &c)
	if c.Result.Status != rest.StatusFrozen || len(c.Result.ReasonHash) != 64 {
		t.Fatalf("frozen %+v", c.Result)
	}
	for k, v := range h.led.Stub().Snapshot() {
		if strings.Contains(v, reason) {
			t.Fatalf("the reason is public state under %q", k)
		}
	}
}

// TestEventsPerClient: each client receives only the events its identity
// may see; the gateway's own stream carries everything.
func TestEventsPerClient(t *testing.T) {
	h := funded(t, harnessOptions{})
	start := h.led.Height()
	h.open("sh-op2", "SH-ICBC:settle", rest.KindSettlement, "")
	h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:v1", From: settle, To: shShop, Amount: y("1")})
	h.pay("sh-op", rest.PaymentRequest{PaymentID: "SH-CITY:v2", From: settle, To: jsShop, Amount: y("2")})
	ts := httptest.NewServer(h.h)
	defer ts.Close()
	seen := func(name string, n int) []string {
		t.Helper()
		c, err := client.New(ts.URL, client.WithToken(token(name)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var ids []string
		_, err = c.Events(ctx, client.EventsOptions{FromBlock: &start}, func(ev client.Event) error {
			for _, e := range ev.Data.Events {
				ids = append(ids, e.Type+":"+e.ID)
			}
			if len(ids) >= n {
				return client.ErrStop
			}
			return nil
		})
		if err != nil && n > 0 {
			t.Fatalf("%s: %v after %v", name, err, ids)
		}
		return ids
	}
	if got := strings.Join(seen("sh-op", 2), ","); got != "Transferred:SH-CITY:v1,Transferred:SH-CITY:v2" {
		t.Fatalf("SH-CITY sees %s", got)
	}
	if got := strings.Join(seen("sh-op2", 1), ","); got != "AccountOpened:SH-ICBC:settle" {
		t.Fatalf("SH-ICBC sees %s", got)
	}
	if got := strings.Join(seen("js-op", 1), ","); got != "Transferred:SH-CITY:v2" {
		t.Fatalf("JS-CITY sees %s", got)
	}
	if got := strings.Join(seen("sh-aud", 3), ","); got != "AccountOpened:SH-ICBC:settle,Transferred:SH-CITY:v1,Transferred:SH-CITY:v2" {
		t.Fatalf("the auditor sees %s", got)
	}
}
