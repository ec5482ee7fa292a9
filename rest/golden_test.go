package rest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	t0  = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)
	amt = money.MustParseYuan("1234.56")
)

// samples holds one fully populated value of every wire type. A change of
// any field name, tag or encoding changes a golden file: the bank-facing
// API changed, which must be deliberate.
var samples = map[string]any{
	"committed_payment": Committed[Payment]{TxID: "tx1", BlockNumber: 7, Result: payment},
	"accepted":          Accepted{OperationID: "op1", Status: OpPending, StatusURL: "/v1/operations/op1"},
	"operation":         Operation{OperationID: "op1", Route: "createPayment", Status: OpFailed, Created: t0, Updated: t0, Error: &Error{Code: CodeInsufficientFunds, Message: "no", Details: map[string]any{"txId": "tx1"}}},
	"open_account":      OpenAccountRequest{ID: "SH-CITY:a1", Kind: KindMerchant, Tier: TierUnlimited, CustomerRef: "ID-1", MerchantCategory: "5411"},
	"account":           Account{ID: "SH-CITY:a1", OwnerMSP: "ShanghaiMSP", Bank: "SH-CITY", Kind: KindMerchant, Tier: TierUnlimited, MerchantCategory: "5411", Status: StatusFrozen, ReasonHash: "cd", CustomerRefHash: "ab", OpenedAt: t0, UpdatedAt: t0},
	"freeze":            FreezeRequest{Reason: "court"},
	"balance":           Balance{Account: "a1", Balance: amt},
	"output_page":       OutputPage{Outputs: []Output{{ID: "tx1.0", Account: "a1", Amount: amt, TxID: "tx1", Earmark: &Earmark{Programme: "SH-FIN:sme-2026", Tranche: 1}, CreatedAt: t0}}, Bookmark: "bm"},
	"statement_page":    StatementPage{Entries: []StatementEntry{{Account: "a1", Timestamp: t0, TxID: "tx1", Seq: 1, Type: EntryCredit, Reference: "p1", Counterparty: "b1", Amount: amt}}, Bookmark: ""},
	"merge_request":     MergeRequest{MergeID: "g1", Inputs: []string{"o1", "o2"}, MaxInputs: 2},
	"merge":             Merge{MergeID: "g1", Account: "a1", Inputs: []string{"o1"}, Output: "o3", Amount: amt, TxID: "tx1", Timestamp: t0},
	"mint":              Mint{MintID: "ShanghaiMSP:m1", Account: "SH-PBC:reserve", Amount: amt, ReserveRef: "dep-1", Output: "tx1.0", Supply: amt, TxID: "tx1", Timestamp: t0},
	"redemption":        Redemption{RedeemID: "ShanghaiMSP:r1", Account: "SH-PBC:reserve", Amount: amt, Inputs: []string{"o1"}, ChangeOutputs: []string{"o2"}, Supply: amt, TxID: "tx1", Timestamp: t0},
	"proposal_request":  ProposalRequest{ID: "ShanghaiMSP:m1", Action: ActionMint, Mint: &MintParams{Account: "SH-PBC:reserve", Amount: amt, ReserveRef: "dep-1"}, Redeem: &RedeemParams{Account: "SH-PBC:reserve", Amount: amt}, Ceiling: &CeilingParams{MSP: "ShanghaiMSP", Ceiling: amt}, Config: &config, TTLSeconds: 3600},
	"proposal":          proposal,
	"execute_request":   ExecuteRequest{Inputs: []string{"o1"}},
	"execution":         Execution{Proposal: proposal, Mint: &Mint{MintID: "ShanghaiMSP:m1", Account: "SH-PBC:reserve", Amount: amt, ReserveRef: "dep-1", Output: "tx1.0", Supply: amt, TxID: "tx1", Timestamp: t0}, Ceiling: &Ceiling{MSP: "ShanghaiMSP", Ceiling: amt, Issued: amt, UpdatedAt: t0}, Config: &config},
	"ceiling":           Ceiling{MSP: "ShanghaiMSP", Ceiling: amt, Issued: amt, UpdatedAt: t0},
	"payment_request":   PaymentRequest{PaymentID: "p1", From: "a1", To: "b1", Amount: amt, Purpose: "SALARY", RemittanceHash: "ab", Inputs: []string{"o1"}, ChangeSplit: 2},
	"payment":           payment,
	"batch_request":     BatchRequest{Items: []PaymentRequest{{PaymentID: "p1", From: "a1", To: "b1", Amount: amt}}},
	"batch_result":      BatchResult{Settled: 1, Rejected: 1, Results: []ItemResult{{PaymentID: "p1", OK: true, Payment: &payment}, {PaymentID: "p2", Code: CodeInsufficientFunds, Message: "no"}}},
	"supply":            Supply{Total: amt, TxID: "tx1", UpdatedAt: t0},
	"supply_audit":      SupplyAudit{Supply: amt, OutputsTotal: amt, Outputs: 3, Balanced: true},
	"ping_request":      PingRequest{ID: "p1", Note: "hello"},
	"ping":              Ping{ID: "p1", Note: "hello", MSPID: "ShanghaiMSP", Role: "operator", TxID: "tx1", TxTime: "2026-03-02T09:30:00.123456789Z"},
	"whoami":            WhoAmI{Client: "operator", MSPID: "ShanghaiMSP", ID: "x509::CN=op", Role: "operator", Bank: "B001"},
	"network":           Network{MSPID: "ShanghaiMSP", Channel: "settlement", Chaincode: "yrd", Peer: "127.0.0.1:7051", ChaincodeVersion: "v1"},
	"health":            Health{Status: "ready", ChaincodeVersion: "v1"},
	"tx_events":         TxEvents{TxID: "tx1", Block: 9, Timestamp: t0, Events: []Event{{Type: "Transferred", ID: "p1", Account: "a1", MSP: "ShanghaiMSP", Bank: "SH-CITY", From: "a1", To: "b1", FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", FromBank: "SH-CITY", ToBank: "JS-CITY", Amount: amt, Action: ActionMint}}},
	"error":             Error{Status: 422, Code: CodeInsufficientFunds, Message: "inputs total 1.00", Details: map[string]any{"stage": "endorse"}},
}

var config = Config{Orgs: []string{"AnhuiMSP", "ShanghaiMSP"}, BankPrefixes: map[string]string{"AnhuiMSP": "AH-", "ShanghaiMSP": "SH-"}, OwnerEndorsers: 1, Quorum: 2, MaxClockSkewSeconds: 300}

var proposal = Proposal{ID: "ShanghaiMSP:m1", Action: ActionMint, Mint: &MintParams{Account: "SH-PBC:reserve", Amount: amt, ReserveRef: "dep-1"},
	Rule: Rule{Role: "issuer", Provinces: 3, Identities: 3}, ProposerMSP: "ShanghaiMSP", Status: ProposalExecuted, CreatedAt: t0, ExpiresAt: t0, ClosedAt: &t0,
	Approvals: []Approval{{MSP: "ShanghaiMSP", Identity: "9f86", Role: "issuer", TxID: "tx1", At: t0}}, Approved: true}

var payment = Payment{PaymentID: "p1", From: "a1", To: "b1", FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", FromBank: "SH-CITY", ToBank: "JS-CITY", Amount: amt,
	Purpose: "SALARY", RemittanceHash: "ab", Inputs: []string{"o1"}, PayeeOutput: "tx1.0", ChangeOutputs: []string{"tx1.1"}, TxID: "tx1", Timestamp: t0}

func TestGoldenJSON(t *testing.T) {
	for name, v := range samples {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./rest -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("wire form of %s changed (a bank-facing API change; run with -update only if deliberate):\n got: %s\nwant: %s", name, got, want)
			}
			// And it decodes back to the same value.
			back := reflect.New(reflect.TypeOf(v))
			if err := json.Unmarshal(want, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if e, ok := v.(Error); ok {
				e.Status = 0
				v = e
			}
			if !reflect.DeepEqual(back.Elem().Interface(), v) {
				t.Fatalf("round trip of %s: %+v", name, back.Elem().Interface())
			}
		})
	}
}

// TestEveryTypeHasAGolden: a new route type needs a sample.
func TestEveryTypeHasAGolden(t *testing.T) {
	have := map[reflect.Type]bool{}
	for _, v := range samples {
		have[reflect.TypeOf(v)] = true
	}
	for _, r := range Routes() {
		for _, tt := range []reflect.Type{r.Body, r.Result} {
			if tt != nil && !have[tt] && !(r.Write && tt == r.Result) {
				t.Errorf("route %s: type %s has no golden sample", r.Name, tt)
			}
		}
	}
}

func TestOpenAPIIsDeterministicAndComplete(t *testing.T) {
	a, err := OpenAPI("test")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := OpenAPI("test")
	if !bytes.Equal(a, b) {
		t.Fatal("OpenAPI output differs between runs")
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
		Info struct {
			Description string `json:"description"`
		} `json:"info"`
	}
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range Routes() {
		if doc.Paths[r.Path][lower(r.Method)].OperationID != r.Name {
			t.Errorf("route %s %s missing from the document", r.Method, r.Path)
		}
	}
	for _, c := range Codes() {
		if !bytes.Contains([]byte(doc.Info.Description), []byte("| "+c.Code+" |")) {
			t.Errorf("code %s missing from the document", c.Code)
		}
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

func TestPathFor(t *testing.T) {
	if got := GetAccount.PathFor("a b/c"); got != "/v1/accounts/a%20b%2Fc" {
		t.Fatalf("PathFor = %q", got)
	}
	if got := GetStatement.PathFor("x:1"); got != "/v1/accounts/x:1/statement" {
		t.Fatalf("PathFor = %q", got)
	}
}
