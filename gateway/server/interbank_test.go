package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

func ibReq(id, from, to, amount, priority string) rest.InterbankTransferRequest {
	return rest.InterbankTransferRequest{ID: id, From: from, To: to, Amount: y(amount), Priority: priority}
}

// queueOf lists an account's waiting transfers as client, in queue order.
func (h *ibHarness) queueOf(client, account string) []string {
	h.t.Helper()
	var p rest.InterbankTransferPage
	h.must(http.StatusOK, client, "GET", rest.ListInterbankQueue.Path+"?account="+url.QueryEscape(account), "").decode(h.t, &p)
	ids := make([]string, len(p.Transfers))
	for i, t := range p.Transfers {
		ids[i] = t.ID
	}
	return ids
}

// TestInterbankGrossAndQueued: a covered transfer settles gross at once;
// one the balance does not cover queues; one of equal priority behind a
// waiting transfer queues even when covered, an urgent one does not.
func TestInterbankGrossAndQueued(t *testing.T) {
	h := newIBHarness(t, "100000")

	gross := h.mustSend("sh-op", ibReq("SH-CITY:t1", shSettle, jsSettle, "40000", rest.PriorityNormal))
	if gross.Status != rest.TransferSettled || gross.SettledAt == nil || gross.Cycle != "" || gross.ValueDate != today ||
		gross.FromBank != "SH-CITY" || gross.ToMSP != JS {
		t.Fatalf("gross transfer %+v", gross)
	}
	if b := h.balance("sh-op", shSettle); b != "60000.00" {
		t.Fatalf("payer balance %s after a gross transfer", b)
	}
	if b := h.balance("js-op", jsSettle); b != "140000.00" {
		t.Fatalf("payee balance %s after a gross transfer", b)
	}

	big := h.mustSend("sh-op", ibReq("SH-CITY:t2", shSettle, jsSettle, "500000", rest.PriorityNormal))
	if big.Status != rest.TransferQueued || big.SettledAt != nil {
		t.Fatalf("uncovered transfer %+v", big)
	}
	behind := h.mustSend("sh-op", ibReq("SH-CITY:t3", shSettle, zjSettle, "10000", rest.PriorityNormal))
	if behind.Status != rest.TransferQueued {
		t.Fatalf("a normal transfer behind a waiting normal one settled: %+v", behind)
	}
	urgent := h.mustSend("sh-op", ibReq("SH-CITY:t4", shSettle, zjSettle, "10000", rest.PriorityUrgent))
	if urgent.Status != rest.TransferSettled {
		t.Fatalf("an urgent covered transfer did not settle gross: %+v", urgent)
	}
	later := h.send("sh-op", rest.InterbankTransferRequest{ID: "SH-CITY:t5", From: shSettle, To: jsSettle, Amount: y("1"),
		Priority: rest.PriorityUrgent, ValueDate: tomorrow})
	var lc rest.Committed[rest.InterbankTransfer]
	later.decode(t, &lc)
	if later.status != http.StatusCreated || lc.Result.Status != rest.TransferQueued || lc.Result.ValueDate != tomorrow {
		t.Fatalf("a later value date: %d %s", later.status, later.body)
	}
	if b := h.balance("sh-op", shSettle); b != "50000.00" {
		t.Fatalf("payer balance %s: queued transfers moved money", b)
	}
	if q := h.queueOf("sh-op", shSettle); strings.Join(q, ",") != "SH-CITY:t2,SH-CITY:t3,SH-CITY:t5" {
		t.Fatalf("queue %v", q)
	}

	t.Run("the payee's bank reads it, a third bank does not", func(t *testing.T) {
		if got := h.transfer("js-op", "SH-CITY:t2"); got.Status != rest.TransferQueued || got.Amount != y("500000") {
			t.Fatalf("payee's view %+v", got)
		}
		if r := h.do("zj-ib", "GET", rest.GetInterbankTransfer.PathFor("SH-CITY:t2"), ""); r.status != http.StatusNotFound || r.code(t) != rest.CodeNotFound {
			t.Fatalf("a third bank: %d %s", r.status, r.body)
		}
	})
	t.Run("a repeat answers the stored transfer", func(t *testing.T) {
		r := h.send("sh-op", ibReq("SH-CITY:t1", shSettle, jsSettle, "40000", rest.PriorityUrgent))
		var e struct {
			Code    string `json:"code"`
			Details struct {
				Transfer rest.InterbankTransfer `json:"transfer"`
			} `json:"details"`
		}
		r.decode(t, &e)
		if r.status != http.StatusConflict || e.Code != rest.CodeDuplicatePayment || e.Details.Transfer.Status != rest.TransferSettled ||
			e.Details.Transfer.TxID != gross.TxID {
			t.Fatalf("repeat: %d %s", r.status, r.body)
		}
		r = h.send("sh-op", ibReq("SH-CITY:t1", shSettle, jsSettle, "40000.01", rest.PriorityNormal))
		if r.status != http.StatusUnprocessableEntity || r.code(t) != rest.CodePaymentIDReused {
			t.Fatalf("reuse: %d %s", r.status, r.body)
		}
		if b := h.balance("sh-op", shSettle); b != "50000.00" {
			t.Fatalf("a repeat moved money: %s", b)
		}
	})
	t.Run("another bank's transfer ID", func(t *testing.T) {
		r := h.send("sh-op", ibReq("JS-CITY:x", shSettle, jsSettle, "1", rest.PriorityNormal))
		if r.status != http.StatusForbidden || r.code(t) != rest.CodeForbidden {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("another bank's account", func(t *testing.T) {
		r := h.send("js-op", ibReq("JS-CITY:x", shSettle, jsSettle, "1", rest.PriorityNormal))
		if r.status < 400 || r.status >= 500 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if b := h.balance("sh-op", shSettle); b != "50000.00" {
			t.Fatalf("balance %s", b)
		}
	})
	t.Run("async", func(t *testing.T) {
		r := h.do("sh-op", "POST", rest.SendInterbankTransfer.Path+"?async=true", jsonOf(ibReq("SH-CITY:t6", shSettle, jsSettle, "1", rest.PriorityUrgent)))
		if r.status != http.StatusAccepted {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

// TestInterbankWaitingActions: hold, release, re-prioritise and cancel a
// waiting transfer, and the 409 NOT_QUEUED of each in the wrong state.
func TestInterbankWaitingActions(t *testing.T) {
	h := newIBHarness(t, "100")
	h.mustSend("sh-op", ibReq("SH-CITY:w1", shSettle, jsSettle, "1000", rest.PriorityNormal))
	act := func(client, action, body string) response {
		return h.do(client, "POST", "/v1/interbank/transfers/SH-CITY:w1/"+action, body)
	}
	status := func(r response) rest.InterbankTransfer {
		t.Helper()
		if r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var c rest.Committed[rest.InterbankTransfer]
		r.decode(t, &c)
		return c.Result
	}
	steps := []struct {
		name, client, action, body string
		wantStatus                 int
		wantCode                   string
		check                      func(rest.InterbankTransfer) bool
	}{
		{"release a queued transfer", "sh-op", "release", "", http.StatusConflict, rest.CodeNotQueued, nil},
		{"hold", "sh-op", "hold", "", http.StatusCreated, "", func(t rest.InterbankTransfer) bool { return t.Status == rest.TransferHeld }},
		{"hold again", "sh-op", "hold", "", http.StatusConflict, rest.CodeNotQueued, nil},
		{"the payee's bank may not hold", "js-op", "release", "", 0, "", nil},
		{"re-prioritise a held transfer", "sh-op", "priority", `{"priority":"urgent"}`, http.StatusCreated, "",
			func(t rest.InterbankTransfer) bool {
				return t.Priority == rest.PriorityUrgent && t.Status == rest.TransferHeld
			}},
		{"release", "sh-op", "release", "", http.StatusCreated, "", func(t rest.InterbankTransfer) bool { return t.Status == rest.TransferQueued }},
		{"a bad priority", "sh-op", "priority", `{"priority":"high"}`, http.StatusBadRequest, rest.CodeInvalidArgument, nil},
		{"a priority body with an unknown key", "sh-op", "priority", `{"priority":"normal","why":"x"}`, http.StatusBadRequest, rest.CodeInvalidRequest, nil},
		{"a priority without a body", "sh-op", "priority", "", http.StatusUnsupportedMediaType, rest.CodeUnsupportedMedia, nil},
		{"cancel with a body", "sh-op", "cancel", `{"reason":"x"}`, http.StatusBadRequest, rest.CodeInvalidRequest, nil},
		{"cancel", "sh-op", "cancel", "", http.StatusCreated, "", func(t rest.InterbankTransfer) bool { return t.Status == rest.TransferCancelled }},
		{"cancel again", "sh-op", "cancel", "", http.StatusConflict, rest.CodeNotQueued, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := act(st.client, st.action, st.body)
			switch {
			case st.wantStatus == 0: // refused, whichever 4xx the chaincode picks
				if r.status < 400 || r.status >= 500 {
					t.Fatalf("%d %s", r.status, r.body)
				}
			case st.check != nil:
				if got := status(r); !st.check(got) {
					t.Fatalf("transfer %+v", got)
				}
			default:
				if r.status != st.wantStatus || r.code(t) != st.wantCode {
					t.Fatalf("%d %s, want %d %s", r.status, r.body, st.wantStatus, st.wantCode)
				}
			}
		})
	}
	if q := h.queueOf("sh-op", shSettle); len(q) != 0 {
		t.Fatalf("queue after cancel %v", q)
	}
	if got := h.transfer("sh-op", "SH-CITY:w1"); got.Status != rest.TransferCancelled || got.Priority != rest.PriorityUrgent {
		t.Fatalf("stored %+v", got)
	}
}

// gridlock queues three transfers of 1,000,000 around SH → JS → ZJ → SH,
// each bank holding 100,000.
func gridlock(t *testing.T) *ibHarness {
	h := newIBHarness(t, "100000")
	for _, tr := range []rest.InterbankTransferRequest{
		ibReq("SH-CITY:g1", shSettle, jsSettle, "1000000", rest.PriorityNormal),
		ibReq("JS-CITY:g1", jsSettle, zjSettle, "1000000", rest.PriorityNormal),
		ibReq("ZJ-BOC:g1", zjSettle, shSettle, "1000000", rest.PriorityNormal),
	} {
		client := map[string]string{shSettle: "sh-op", jsSettle: "js-op", zjSettle: "zj-ib"}[tr.From]
		if got := h.mustSend(client, tr); got.Status != rest.TransferQueued {
			t.Fatalf("gridlock transfer %s settled gross", tr.ID)
		}
	}
	return h
}

// TestInterbankGridlockCycle: three banks in gridlock settle in one cycle
// with no liquidity; positions, statements and the reconciliation add up.
func TestInterbankGridlockCycle(t *testing.T) {
	h := gridlock(t)

	if r := h.do("sh-op", "POST", rest.RunInterbankCycle.Path, ""); r.status != http.StatusForbidden || r.code(t) != rest.CodeForbidden {
		t.Fatalf("an operator runs a cycle: %d %s", r.status, r.body)
	}
	var run rest.CycleRun
	h.must(http.StatusOK, "sh-iss", "POST", rest.RunInterbankCycle.Path, "").decode(t, &run)
	if run.Status != rest.CycleSettled || run.Queued != 3 || run.Due != 3 || run.Attempts != 1 || run.Cycle == nil {
		t.Fatalf("cycle %+v", run)
	}
	c := run.Cycle
	if c.Settled != 3 || c.Gross != y("3000000") || c.Liquidity != 0 || !strings.HasPrefix(c.ID, SH+":cycle-") || c.TxID == "" || len(c.Transfers) != 3 {
		t.Fatalf("cycle %+v", c)
	}
	for _, p := range c.Positions {
		if p.Net.Side != rest.NetFlat || p.Net.Amount != 0 {
			t.Fatalf("position %+v in a balanced ring", p)
		}
	}
	for _, id := range []string{"SH-CITY:g1", "JS-CITY:g1", "ZJ-BOC:g1"} {
		if got := h.transfer("sh-aud", id); got.Status != rest.TransferSettled || got.Cycle != c.ID || got.SettledAt == nil {
			t.Fatalf("transfer %s after the cycle: %+v", id, got)
		}
	}
	for _, a := range []struct{ client, acct string }{{"sh-op", shSettle}, {"js-op", jsSettle}, {"zj-ib", zjSettle}} {
		if b := h.balance(a.client, a.acct); b != "100000.00" {
			t.Fatalf("%s holds %s after the cycle", a.acct, b)
		}
	}
	if n := counter(t, h.harness, "yrd_gateway_interbank_cycles_total", "settled"); n != 1 {
		t.Fatalf("settled cycles counted: %v", n)
	}
	if n := counter(t, h.harness, "yrd_gateway_interbank_cycle_gross_fen_total", ""); n != 300_000_000 {
		t.Fatalf("gross fen counted: %v", n)
	}

	var again rest.CycleRun
	h.must(http.StatusOK, "sh-iss", "POST", rest.RunInterbankCycle.Path, "").decode(t, &again)
	if again.Status != rest.CycleNothingToSettle || again.Cycle != nil || again.Queued != 0 {
		t.Fatalf("second cycle %+v", again)
	}

	t.Run("position", func(t *testing.T) {
		var p rest.BankPosition
		h.must(http.StatusOK, "sh-op", "GET", rest.GetInterbankPosition.PathFor(shSettle), "").decode(t, &p)
		want := rest.BankPosition{Account: shSettle, Bank: "SH-CITY", MSP: SH, Date: today, Balance: y("100000"),
			SentGross: y("1000000"), ReceivedGross: y("1000000"),
			Counterparties: []rest.CounterpartyFlow{{Bank: "JS-CITY", Sent: y("1000000")}, {Bank: "ZJ-BOC", Received: y("1000000")}}}
		if jsonOf(p) != jsonOf(want) {
			t.Fatalf("position\n %s\nwant\n %s", jsonOf(p), jsonOf(want))
		}
		if r := h.do("js-op", "GET", rest.GetInterbankPosition.PathFor(shSettle), ""); r.status < 400 {
			t.Fatalf("another bank reads the position: %d", r.status)
		}
	})
	t.Run("statement", func(t *testing.T) {
		// The account was opened today: its entries of the date add up to
		// its balance (an independent sum over the statement).
		var sum money.Amount
		var refs []string
		bookmark := ""
		for page := 0; ; page++ {
			path := rest.GetInterbankStatement.PathFor(shSettle) + "?date=" + today + "&pageSize=2"
			if bookmark != "" {
				path += "&bookmark=" + url.QueryEscape(bookmark)
			}
			var st rest.InterbankStatement
			h.must(http.StatusOK, "sh-op", "GET", path, "").decode(t, &st)
			if st.Position.Account != shSettle || st.Position.Date != today {
				t.Fatalf("statement position %+v", st.Position)
			}
			for _, e := range st.Entries {
				switch e.Type {
				case rest.EntryCredit, rest.EntryMint:
					sum += e.Amount
				default:
					sum -= e.Amount
				}
				refs = append(refs, e.Reference)
			}
			if bookmark = st.Bookmark; bookmark == "" {
				break
			}
			if page > 10 {
				t.Fatal("statement paging does not end")
			}
		}
		if sum != y("100000") || !contains(refs, "SH-CITY:g1") || !contains(refs, "ZJ-BOC:g1") {
			t.Fatalf("statement sums to %s, references %v", sum, refs)
		}
		var other rest.InterbankStatement
		h.must(http.StatusOK, "sh-op", "GET", rest.GetInterbankStatement.PathFor(shSettle)+"?date="+tomorrow, "").decode(t, &other)
		if len(other.Entries) != 0 {
			t.Fatalf("entries of another date: %+v", other.Entries)
		}
	})
	t.Run("reconciliation", func(t *testing.T) {
		// Every transfer of the day, paged independently, is counted once.
		var ids []string
		bookmark := ""
		for {
			path := rest.ListInterbankDay.PathFor(today) + "?pageSize=2"
			if bookmark != "" {
				path += "&bookmark=" + url.QueryEscape(bookmark)
			}
			var p rest.InterbankTransferPage
			h.must(http.StatusOK, "sh-aud", "GET", path, "").decode(t, &p)
			for _, tr := range p.Transfers {
				ids = append(ids, tr.ID)
			}
			if bookmark = p.Bookmark; bookmark == "" {
				break
			}
		}
		sort.Strings(ids)
		if strings.Join(ids, ",") != "JS-CITY:g1,SH-CITY:g1,ZJ-BOC:g1" {
			t.Fatalf("day transfers %v", ids)
		}
		var rec rest.Reconciliation
		h.must(http.StatusOK, "sh-aud", "GET", rest.ReconcileInterbankDay.PathFor(today), "").decode(t, &rec)
		if !rec.Balanced || rec.Transfers != len(ids) || rec.NetTotal.Side != rest.NetFlat || len(rec.Statuses) != 1 ||
			rec.Statuses[0] != (rest.StatusTotal{Status: rest.TransferSettled, Count: 3, Value: y("3000000")}) || len(rec.Banks) != 3 || len(rec.Pairs) != 3 {
			t.Fatalf("reconciliation %s", jsonOf(rec))
		}
		for _, b := range rec.Banks {
			if b.Sent != y("1000000") || b.Received != y("1000000") || b.Net.Side != rest.NetFlat {
				t.Fatalf("bank %+v", b)
			}
		}
		// A bank reconciles what it may see: its own two transfers.
		var mine rest.Reconciliation
		h.must(http.StatusOK, "sh-op", "GET", rest.ReconcileInterbankDay.PathFor(today), "").decode(t, &mine)
		if mine.Transfers != 2 {
			t.Fatalf("a bank's reconciliation counts %d transfers", mine.Transfers)
		}
	})
}

// counter is the value of a counter (with label value label, "" for
// none) in the gateway's metrics.
func counter(t *testing.T, h *harness, name, label string) float64 {
	t.Helper()
	fams, err := h.srv.metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label == "" || len(m.GetLabel()) > 0 && m.GetLabel()[0].GetValue() == label {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestInterbankCloseDay: before the end of day the chaincode refuses;
// after it, what still waits is rejected and the day-end balances fixed,
// once.
func TestInterbankCloseDay(t *testing.T) {
	h := newIBHarness(t, "1000")
	h.mustSend("sh-op", ibReq("SH-CITY:c1", shSettle, jsSettle, "100", rest.PriorityNormal))  // gross
	h.mustSend("sh-op", ibReq("SH-CITY:c2", shSettle, jsSettle, "5000", rest.PriorityNormal)) // queued
	h.mustSend("js-op", ibReq("JS-CITY:c3", jsSettle, zjSettle, "9000", rest.PriorityUrgent)) // queued, then held
	h.must(http.StatusCreated, "js-op", "POST", rest.HoldInterbankTransfer.PathFor("JS-CITY:c3"), "")
	closePath := rest.CloseInterbankDay.PathFor(today)

	if r := h.do("sh-iss", "POST", closePath, ""); r.status != http.StatusConflict || r.code(t) != rest.CodeDayOpen {
		t.Fatalf("close before the end of day: %d %s", r.status, r.body)
	}
	if r := h.do("sh-op", "POST", closePath, ""); r.status != http.StatusForbidden {
		t.Fatalf("an operator closes the day: %d %s", r.status, r.body)
	}
	if r := h.do("sh-iss", "POST", rest.CloseInterbankDay.PathFor("2026-13-01"), ""); r.status != http.StatusBadRequest {
		t.Fatalf("a bad date: %d %s", r.status, r.body)
	}

	h.setClock(today, 17, 31)
	var dc rest.DayClose
	h.must(http.StatusOK, "sh-iss", "POST", closePath, "").decode(t, &dc)
	sort.Strings(dc.RejectedIDs)
	if dc.Date != today || dc.Transfers != 3 || dc.Rejected != 2 || strings.Join(dc.RejectedIDs, ",") != "JS-CITY:c3,SH-CITY:c2" ||
		len(dc.Closed) != 3 || len(dc.Transactions) != 1 || dc.Cycle == nil || dc.Cycle.Status != rest.CycleNothingToSettle {
		t.Fatalf("close %s", jsonOf(dc))
	}
	balances := map[string]money.Amount{}
	for _, d := range dc.Closed {
		balances[d.Account] = d.Balance
	}
	if balances[shSettle] != y("900") || balances[jsSettle] != y("1100") || balances[zjSettle] != y("1000") {
		t.Fatalf("day-end balances %v", balances)
	}
	for _, id := range []string{"SH-CITY:c2", "JS-CITY:c3"} {
		if got := h.transfer("sh-aud", id); got.Status != rest.TransferRejected || got.Reason == "" {
			t.Fatalf("%s after the close: %+v", id, got)
		}
	}
	var p rest.BankPosition
	h.must(http.StatusOK, "sh-op", "GET", rest.GetInterbankPosition.PathFor(shSettle)+"?date="+today, "").decode(t, &p)
	if !p.Fixed || p.Balance != y("900") || p.SentGross != y("100") {
		t.Fatalf("position after the close %+v", p)
	}

	var again rest.DayClose
	h.must(http.StatusOK, "sh-iss", "POST", closePath, "").decode(t, &again)
	if again.Rejected != 0 || len(again.Closed) != 0 || again.Transfers != 3 {
		t.Fatalf("a second close %s", jsonOf(again))
	}

	var rec rest.Reconciliation
	h.must(http.StatusOK, "sh-iss", "GET", rest.ReconcileInterbankDay.PathFor(today), "").decode(t, &rec)
	counted := 0
	for _, s := range rec.Statuses {
		counted += s.Count
	}
	if !rec.Balanced || rec.Transfers != 3 || counted != 3 {
		t.Fatalf("reconciliation %s", jsonOf(rec))
	}
}

// TestInterbankRemittance: the details go to PutRemittance as transient
// data with a fresh 32-byte salt, endorsed by the caller's province only
// (valid under the bilateral collection's endorsement policy, which the
// harness's ledger applies); the transfer then carries the record's hash,
// and the payee's bank reads the details back.
func TestInterbankRemittance(t *testing.T) {
	h := newIBHarness(t, "1000")
	req := ibReq("SH-CITY:r1", shSettle, jsSettle, "10", rest.PriorityNormal)
	req.Remittance = "invoice 2026-001 / goods"
	r := h.send("sh-op", req)

	puts := h.rec.of(api.PutRemittance.Function())
	if len(puts) != 1 {
		t.Fatalf("%d PutRemittance submissions", len(puts))
	}
	p := puts[0]
	if len(p.opts.EndorsingOrgs) != 1 || p.opts.EndorsingOrgs[0] != SH {
		t.Fatalf("endorsing orgs %v, want the payer's province only", p.opts.EndorsingOrgs)
	}
	if string(p.transient[api.TransientRemittance]) != req.Remittance || len(p.transient[api.TransientRemittanceSalt]) != 32 {
		t.Fatalf("transient %q, salt of %d bytes", p.transient[api.TransientRemittance], len(p.transient[api.TransientRemittanceSalt]))
	}
	if strings.Contains(strings.Join(p.args, ""), "invoice") {
		t.Fatal("the details travel in the arguments (they would reach the block)")
	}

	if r.status != http.StatusCreated {
		t.Fatalf("send with remittance: %d %s", r.status, r.body)
	}
	var c rest.Committed[rest.InterbankTransfer]
	r.decode(t, &c)
	var rem rest.Remittance
	h.must(http.StatusOK, "js-op", "GET", rest.GetInterbankRemittance.PathFor(req.ID), "").decode(t, &rem)
	if rem.Details != req.Remittance || rem.Salt != hex.EncodeToString(p.transient[api.TransientRemittanceSalt]) {
		t.Fatalf("remittance %+v", rem)
	}
	record, _ := json.Marshal(api.Remittance{ID: rem.ID, Details: rem.Details, Salt: rem.Salt})
	if sum := sha256.Sum256(record); hex.EncodeToString(sum[:]) != c.Result.RemittanceHash {
		t.Fatalf("the transfer's hash %s is not the record's", c.Result.RemittanceHash)
	}
	if r := h.do("zj-ib", "GET", rest.GetInterbankRemittance.PathFor(req.ID), ""); r.status != http.StatusNotFound {
		t.Fatalf("a third bank reads the remittance: %d %s", r.status, r.body)
	}
	t.Run("every remittance has its own salt", func(t *testing.T) {
		second := ibReq("SH-CITY:r3", shSettle, zjSettle, "10", rest.PriorityNormal)
		second.Remittance = req.Remittance
		h.mustSend("sh-op", second)
		puts := h.rec.of(api.PutRemittance.Function())
		if len(puts) != 2 || string(puts[0].transient[api.TransientRemittanceSalt]) == string(puts[1].transient[api.TransientRemittanceSalt]) {
			t.Fatalf("%d PutRemittance submissions; salts must differ", len(puts))
		}
		if puts[1].opts.EndorsingOrgs[0] != SH {
			t.Fatalf("endorsing orgs %v", puts[1].opts.EndorsingOrgs)
		}
	})
	t.Run("a repeat compares the details", func(t *testing.T) {
		if r := h.send("sh-op", req); r.status != http.StatusConflict {
			t.Fatalf("%d %s", r.status, r.body)
		}
		other := req
		other.Remittance = "invoice 2026-002"
		if r := h.send("sh-op", other); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

// TestInterbankRemittanceLimits: details beyond the limit are refused
// before anything is submitted.
func TestInterbankRemittanceLimits(t *testing.T) {
	h := newIBHarness(t, "1000")
	req := ibReq("SH-CITY:r2", shSettle, jsSettle, "10", rest.PriorityNormal)
	req.Remittance = strings.Repeat("x", api.MaxRemittanceBytes+1)
	h.srv.maxBody = 1 << 20
	if r := h.send("sh-op", req); r.status != http.StatusBadRequest || r.code(t) != rest.CodeInvalidRequest {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if n := len(h.rec.of(api.PutRemittance.Function())); n != 0 {
		t.Fatalf("%d PutRemittance submissions", n)
	}
}

// TestInterbankBadInput: strict bodies and parameters, clear 4xx codes,
// nothing submitted.
func TestInterbankBadInput(t *testing.T) {
	h := newIBHarness(t, "100")
	before := h.rec.committed()
	tests := []struct {
		name, client, method, path, body, ctype string
		status                                  int
		code                                    string
	}{
		{"unknown key", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"SH-CITY:b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1.00","priority":"normal","inputs":["o"]}`, "", 400, rest.CodeInvalidRequest},
		{"case-folded key", "sh-op", "POST", "/v1/interbank/transfers", `{"ID":"SH-CITY:b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1.00","priority":"normal"}`, "", 400, rest.CodeInvalidRequest},
		{"duplicate key", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"SH-CITY:b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1.00","amount":"9.00","priority":"normal"}`, "", 400, rest.CodeInvalidRequest},
		{"amount as a number", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"SH-CITY:b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":1,"priority":"normal"}`, "", 400, rest.CodeInvalidRequest},
		{"three decimals", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"SH-CITY:b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1.001","priority":"normal"}`, "", 400, rest.CodeInvalidRequest},
		{"zero amount", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"SH-CITY:b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"0.00","priority":"normal"}`, "", 400, rest.CodeInvalidArgument},
		{"no priority", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"SH-CITY:b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1.00"}`, "", 400, rest.CodeInvalidArgument},
		{"same bank", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"SH-CITY:b","from":"SH-CITY:settle","to":"SH-CITY:other","amount":"1.00","priority":"normal"}`, "", 400, rest.CodeInvalidArgument},
		{"bad value date", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"SH-CITY:b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1.00","priority":"normal","valueDate":"5 Jan"}`, "", 400, rest.CodeInvalidArgument},
		{"an ID without a namespace", "sh-op", "POST", "/v1/interbank/transfers", `{"id":"b","from":"SH-CITY:settle","to":"JS-CITY:settle","amount":"1.00","priority":"normal"}`, "", 400, rest.CodeInvalidArgument},
		{"not JSON", "sh-op", "POST", "/v1/interbank/transfers", `id=1`, "text/plain", 415, rest.CodeUnsupportedMedia},
		{"no credentials", "", "POST", "/v1/interbank/transfers", `{}`, "", 401, rest.CodeUnauthenticated},
		{"a cycle with a body", "sh-iss", "POST", "/v1/interbank/cycles", `{"method":"fifo"}`, "", 400, rest.CodeInvalidRequest},
		{"a bad position date", "sh-op", "GET", "/v1/interbank/positions/SH-CITY:settle?date=2026-1-5", "", "", 400, rest.CodeInvalidRequest},
		{"a bad statement date", "sh-op", "GET", "/v1/interbank/statements/SH-CITY:settle?date=tomorrow", "", "", 400, rest.CodeInvalidRequest},
		{"a page size of 0", "sh-op", "GET", "/v1/interbank/queue?account=SH-CITY:settle&pageSize=0", "", "", 400, rest.CodeInvalidRequest},
		{"a forged page token", "sh-op", "GET", "/v1/interbank/queue?account=SH-CITY:settle&bookmark=AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", "", 400, rest.CodeInvalidRequest},
		{"every queue as an operator", "sh-op", "GET", "/v1/interbank/queue", "", "", 400, rest.CodeInvalidArgument},
		{"a bad day", "sh-aud", "GET", "/v1/interbank/days/2026-02-30/transfers", "", "", 400, rest.CodeInvalidArgument},
		{"a bad reconciliation day", "sh-aud", "GET", "/v1/interbank/days/x/reconciliation", "", "", 400, rest.CodeInvalidArgument},
		{"an unknown transfer", "sh-op", "GET", "/v1/interbank/transfers/SH-CITY:none", "", "", 404, rest.CodeNotFound},
		{"cancel an unknown transfer", "sh-op", "POST", "/v1/interbank/transfers/SH-CITY:none/cancel", "", "", 404, rest.CodeNotFound},
		{"no remittance", "sh-op", "GET", "/v1/interbank/transfers/SH-CITY:none/remittance", "", "", 404, rest.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.ctype
			if ct == "" {
				ct = "application/json"
			}
			r := h.doWith(tt.client, tt.method, tt.path, tt.body, ct)
			if r.status != tt.status || r.code(t) != tt.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}
	if after := h.rec.committed(); after != before {
		t.Fatalf("%d transactions committed by refused requests", after-before)
	}
}

// TestInterbankPageTokens: a queue page token is bound to the account it
// was issued for.
func TestInterbankPageTokens(t *testing.T) {
	h := newIBHarness(t, "1")
	for _, id := range []string{"SH-CITY:p1", "SH-CITY:p2", "SH-CITY:p3"} {
		h.mustSend("sh-op", ibReq(id, shSettle, jsSettle, "10", rest.PriorityNormal))
	}
	var p rest.InterbankTransferPage
	h.must(http.StatusOK, "sh-op", "GET", "/v1/interbank/queue?account=SH-CITY:settle&pageSize=2", "").decode(t, &p)
	if len(p.Transfers) != 2 || p.Bookmark == "" {
		t.Fatalf("first page %+v", p)
	}
	var next rest.InterbankTransferPage
	h.must(http.StatusOK, "sh-op", "GET", "/v1/interbank/queue?account=SH-CITY:settle&pageSize=2&bookmark="+p.Bookmark, "").decode(t, &next)
	if len(next.Transfers) != 1 || next.Transfers[0].ID != "SH-CITY:p3" || next.Bookmark != "" {
		t.Fatalf("second page %+v", next)
	}
	if r := h.do("sh-op", "GET", "/v1/interbank/queue?account=SH-CITY:other&bookmark="+p.Bookmark, ""); r.status != http.StatusBadRequest {
		t.Fatalf("a token of another account's queue: %d %s", r.status, r.body)
	}
	var all rest.InterbankTransferPage
	h.must(http.StatusOK, "sh-iss", "GET", "/v1/interbank/queue", "").decode(t, &all)
	if len(all.Transfers) != 3 {
		t.Fatalf("every queue as the issuer: %d transfers", len(all.Transfers))
	}
}

// TestInterbankReconcileTooLarge: a day beyond the gateway's limit is
// refused with DAY_TOO_LARGE.
func TestInterbankReconcileTooLarge(t *testing.T) {
	h := newIBHarness(t, "1")
	for _, id := range []string{"SH-CITY:l1", "SH-CITY:l2", "SH-CITY:l3"} {
		h.mustSend("sh-op", ibReq(id, shSettle, jsSettle, "10", rest.PriorityNormal))
	}
	h.srv.ib.maxDay = 2
	if r := h.do("sh-aud", "GET", rest.ReconcileInterbankDay.PathFor(today), ""); r.status != http.StatusUnprocessableEntity || r.code(t) != rest.CodeDayTooLarge {
		t.Fatalf("%d %s", r.status, r.body)
	}
	h.srv.ib.maxDay = 3
	h.must(http.StatusOK, "sh-aud", "GET", rest.ReconcileInterbankDay.PathFor(today), "")
}

// TestInterbankCalendar answers the default calendar.
func TestInterbankCalendar(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var c rest.Calendar
	h.must(http.StatusOK, "sh-op", "GET", rest.GetInterbankCalendar.Path, "").decode(t, &c)
	want := rest.Calendar{Open: "08:30", CustomerCutoff: "16:30", InterbankCutoff: "17:00", EndOfDay: "17:30", WeekendsClosed: true,
		Holidays: []string{}, CycleIntervalSec: 60}
	if jsonOf(c) != jsonOf(want) {
		t.Fatalf("calendar %s", jsonOf(c))
	}
}

// TestInterbankCycleTimer: with a cycle identity the gateway settles a
// gridlock by itself.
func TestInterbankCycleTimer(t *testing.T) {
	h := gridlock(t)
	noon := time.Date(2026, 1, 5, 12, 0, 0, 0, api.BusinessZone)
	h.srv.ib.now = func() time.Time { return noon } // the timer's goroutine must not read the ledger's clock
	h.srv.startCycleTimer("sh-iss", 5*time.Millisecond)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got := h.transfer("sh-aud", "SH-CITY:g1"); got.Status == rest.TransferSettled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the timer did not settle the gridlock in 20 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, id := range []string{"JS-CITY:g1", "ZJ-BOC:g1"} {
		if got := h.transfer("sh-aud", id); got.Status != rest.TransferSettled {
			t.Fatalf("%s: %+v", id, got)
		}
	}
	if n := counter(t, h.harness, "yrd_gateway_interbank_cycles_total", "settled"); n < 1 {
		t.Fatalf("settled cycles counted: %v", n)
	}

	t.Run("only the issuer runs the timer", func(t *testing.T) {
		_, err := New(Options{Ledger: h.led, Operations: h.ops, Pool: h.pool, Events: h.hub, Secret: []byte("sixteen-byte-secret-for-tests"),
			Identities: serverIdentities(), Interbank: InterbankOptions{CycleIdentity: "sh-op"}})
		if err == nil || !strings.Contains(err.Error(), "CycleIdentity") {
			t.Fatalf("New with an operator's cycle identity: %v", err)
		}
	})
}
