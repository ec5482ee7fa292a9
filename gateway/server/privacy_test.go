package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
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

// TestFreezeReasonStaysPrivate: a freeze is two transactions. The reason
// and a fresh 32-byte salt travel as transient data to
// token:RecordFreezeReason only, endorsed by the caller's province alone
// (valid under the kyc collection's endorsement policy, which the
// harness's ledger applies); token:Freeze, endorsed by every province,
// carries neither and names the note's hash, which the account keeps.
func TestFreezeReasonStaysPrivate(t *testing.T) {
	h := funded(t, harnessOptions{})
	rec := &recordingLedger{Ledger: h.srv.ledger}
	h.srv.ledger = rec
	reason := "suspicious structuring, case 2026-117"
	var c rest.Committed[rest.Account]
	h.must(http.StatusCreated, "sh-comp", "POST", "/v1/accounts/SH-CITY:shop/freeze", `{"reason":"`+reason+`"}`).decode(t, &c)
	if c.Result.Status != rest.StatusFrozen || len(c.Result.ReasonHash) != 64 {
		t.Fatalf("frozen %+v", c.Result)
	}
	notes, freezes := rec.of(api.RecordFreezeReason.Function()), rec.of(api.Freeze.Function())
	if len(notes) != 1 || len(freezes) != 1 || !notes[0].ok || !freezes[0].ok {
		t.Fatalf("%d notes, %d freezes submitted", len(notes), len(freezes))
	}
	note, freeze := notes[0], freezes[0]
	if !reflect.DeepEqual(note.opts.EndorsingOrgs, []string{SH}) {
		t.Fatalf("the note's endorsing orgs %v, want the province's only", note.opts.EndorsingOrgs)
	}
	salt := note.transient[api.TransientFreezeSalt]
	if string(note.transient[api.TransientFreezeReason]) != reason || len(salt) != 32 {
		t.Fatalf("the note's transient %q, salt of %d bytes", note.transient[api.TransientFreezeReason], len(salt))
	}
	if len(freeze.transient) != 0 || len(freeze.opts.EndorsingOrgs) != 0 {
		t.Fatalf("the freeze, endorsed by every province, carries transient %q (endorsers %v)", freeze.transient, freeze.opts.EndorsingOrgs)
	}
	for _, sub := range []submitted{note, freeze} {
		if strings.Contains(strings.Join(sub.args, ""), reason) {
			t.Fatalf("%s carries the reason in its arguments (they reach the block)", sub.fn)
		}
	}
	// The block before the freeze holds the note's transaction, valid and
	// endorsed by Shanghai alone; the account names exactly that note (the
	// freeze committed, so every endorser found its hash in the collection).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := h.led.Stub().Block(ctx, c.BlockNumber-1)
	if err != nil || len(b.Txs) != 1 {
		t.Fatalf("block %d: %+v %v", c.BlockNumber-1, b, err)
	}
	if tx := b.Txs[0]; tx.Code != peer.TxValidationCode_VALID || !reflect.DeepEqual(tx.Endorsers, []string{SH}) {
		t.Fatalf("the note's transaction: %s, endorsed by %v", tx.Code, tx.Endorsers)
	}
	want, _ := json.Marshal(api.FreezeNote{Account: "SH-CITY:shop", Reason: reason, Salt: hex.EncodeToString(salt), TxID: b.Txs[0].TxID})
	if sum := sha256.Sum256(want); hex.EncodeToString(sum[:]) != c.Result.ReasonHash {
		t.Fatalf("the account's reason hash %s is not the note's", c.Result.ReasonHash)
	}
	for k, v := range h.led.Stub().Snapshot() {
		if strings.Contains(v, reason) {
			t.Fatalf("the reason is public state under %q", k)
		}
	}
	t.Run("every freeze has its own salt", func(t *testing.T) {
		h.must(http.StatusCreated, "sh-comp", "POST", "/v1/accounts/SH-CITY:shop/unfreeze", "")
		var again rest.Committed[rest.Account]
		h.must(http.StatusCreated, "sh-comp", "POST", "/v1/accounts/SH-CITY:shop/freeze", `{"reason":"`+reason+`"}`).decode(t, &again)
		notes := rec.of(api.RecordFreezeReason.Function())
		if len(notes) != 2 || string(notes[1].transient[api.TransientFreezeSalt]) == string(salt) {
			t.Fatalf("%d notes; salts must differ", len(notes))
		}
		if again.Result.ReasonHash == c.Result.ReasonHash {
			t.Fatal("the second freeze names the first note")
		}
	})
	t.Run("another province's compliance", func(t *testing.T) {
		r := h.do("sh-comp", "POST", "/v1/accounts/JS-CITY:shop/freeze", `{"reason":"`+reason+`"}`)
		if r.status != http.StatusNotFound || r.code(t) != rest.CodeNotFound {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if n := len(rec.of(api.Freeze.Function())); n != 2 {
			t.Fatalf("a freeze was submitted after the note was refused (%d freezes)", n)
		}
	})
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
