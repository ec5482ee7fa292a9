package rest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// Golden samples of the interbank routes' types (added to samples, so
// TestGoldenJSON pins them and TestEveryTypeHasAGolden sees them).
func init() {
	for name, v := range interbankSamples() {
		if _, dup := samples[name]; dup {
			panic("rest: golden sample defined twice: " + name)
		}
		samples[name] = v
	}
}

func interbankSamples() map[string]any {
	small := money.MustParseYuan("10.01")
	transfer := InterbankTransfer{ID: "SH-CITY:t1", From: "SH-CITY:settle", To: "JS-CITY:settle", FromBank: "SH-CITY", ToBank: "JS-CITY",
		FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", Amount: amt, Priority: PriorityUrgent, ValueDate: "2026-03-02",
		RemittanceHash: "ab", Status: TransferSettled, QueuedAt: t0, SettledAt: &t0, Cycle: "ShanghaiMSP:cycle-1", Reason: "end of day", TxID: "tx1"}
	position := BankPosition{Account: "SH-CITY:settle", Bank: "SH-CITY", MSP: "ShanghaiMSP", Date: "2026-03-02", Balance: amt, Fixed: true,
		QueuedOut: small, QueuedIn: small, SentGross: amt, ReceivedGross: small,
		Counterparties: []CounterpartyFlow{{Bank: "JS-CITY", Sent: amt, Received: small}}, Truncated: true}
	run := CycleRun{Status: CycleSettled, Queued: 3, Due: 3, Truncated: true, Capped: true, Attempts: 2,
		Cycle: &Cycle{ID: "ShanghaiMSP:cycle-1", Settled: 2, Transfers: []string{"SH-CITY:t1", "JS-CITY:t2"}, Gross: amt, Liquidity: small,
			Positions: []NetPosition{{Account: "SH-CITY:settle", Net: Net{Side: NetDebit, Amount: small}},
				{Account: "JS-CITY:settle", Net: Net{Side: NetCredit, Amount: small}}},
			TxID: "tx2", BlockNumber: 9}}
	return map[string]any{
		"interbank_transfer_request": InterbankTransferRequest{ID: "SH-CITY:t1", From: "SH-CITY:settle", To: "JS-CITY:settle", Amount: amt,
			Priority: PriorityNormal, ValueDate: "2026-03-02", Remittance: "invoice 42"},
		"interbank_transfer":           transfer,
		"committed_interbank_transfer": Committed[InterbankTransfer]{TxID: "tx1", BlockNumber: 7, Result: transfer},
		"priority_request":             PriorityRequest{Priority: PriorityUrgent},
		"remittance":                   Remittance{ID: "SH-CITY:t1", Details: "invoice 42", Salt: "00ff"},
		"interbank_transfer_page":      InterbankTransferPage{Transfers: []InterbankTransfer{transfer}, Bookmark: "bm"},
		"bank_position":                position,
		"interbank_statement": InterbankStatement{Position: position, Entries: []StatementEntry{{Account: "SH-CITY:settle", Timestamp: t0,
			TxID: "tx1", Seq: 1, Type: EntryDebit, Reference: "SH-CITY:t1", Counterparty: "JS-CITY:settle", Amount: amt}}, Bookmark: "bm"},
		"cycle_run": run,
		"day_close": DayClose{Date: "2026-03-02", Cycle: &CycleRun{Status: CycleNothingToSettle, Queued: 1, Attempts: 1}, Transfers: 4, Rejected: 1,
			RejectedIDs: []string{"SH-CITY:t3"}, Closed: []DayEnd{{Account: "SH-CITY:settle", Date: "2026-03-02", Balance: amt, SentGross: amt,
				ReceivedGross: small, ClosedAt: t0, TxID: "tx3"}}, Transactions: []string{"tx3"}},
		"reconciliation": Reconciliation{Date: "2026-03-02", Transfers: 4,
			Statuses: []StatusTotal{{Status: TransferSettled, Count: 3, Value: amt}, {Status: TransferRejected, Count: 1, Value: small}},
			Banks:    []BankNet{{Bank: "JS-CITY", MSP: "JiangsuMSP", Sent: small, Received: amt, Net: Net{Side: NetCredit, Amount: small}}},
			Pairs:    []ProvinceFlow{{FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", Count: 3, Value: amt}}, NetTotal: Net{Side: NetFlat}, Balanced: true},
		"calendar": Calendar{Open: "08:30", CustomerCutoff: "16:30", InterbankCutoff: "17:00", EndOfDay: "17:30", WeekendsClosed: true,
			Holidays: []string{"2026-10-01"}, CycleIntervalSec: 60},
	}
}

// TestInterbankCodes: the chaincode's interbank codes reach the code table
// (and so the OpenAPI document) with their statuses.
func TestInterbankCodes(t *testing.T) {
	for _, c := range []struct {
		code   string
		status int
	}{{CodeNotQueued, http.StatusConflict}, {CodeDayOpen, http.StatusConflict}, {CodeDayTooLarge, http.StatusUnprocessableEntity}} {
		if !Known(c.code) || StatusOf(c.code) != c.status {
			t.Errorf("code %s: known %v, status %d, want %d", c.code, Known(c.code), StatusOf(c.code), c.status)
		}
	}
	if StatusOf(CodeNotQueued) != api.CodeNotQueued.HTTPStatus() {
		t.Error("NOT_QUEUED's status differs from the chaincode's table")
	}
	doc, err := OpenAPI("test")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Info struct {
			Description string `json:"description"`
		} `json:"info"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{CodeNotQueued, CodeDayOpen, CodeDayTooLarge} {
		if !strings.Contains(d.Info.Description, "| "+c+" | ") {
			t.Errorf("code %s missing from the OpenAPI document", c)
		}
	}
}

// TestInterbankRoutes: every interbank route is under /v1/interbank, has a
// unique name, and its path parameters are declared.
func TestInterbankRoutes(t *testing.T) {
	names := map[string]bool{}
	for _, r := range Routes() {
		if names[r.Name] {
			t.Errorf("route name %s used twice", r.Name)
		}
		names[r.Name] = true
	}
	for _, r := range interbankRoutes() {
		if !strings.HasPrefix(r.Path, "/v1/interbank/") {
			t.Errorf("route %s: path %s", r.Name, r.Path)
		}
		declared := 0
		for _, p := range r.Params {
			if p.In == "path" {
				declared++
				if !strings.Contains(r.Path, "{"+p.Name+"}") {
					t.Errorf("route %s declares path parameter %s not in %s", r.Name, p.Name, r.Path)
				}
			}
		}
		if n := strings.Count(r.Path, "{"); n != declared {
			t.Errorf("route %s: %d path parameters, %d declared", r.Name, n, declared)
		}
	}
}
