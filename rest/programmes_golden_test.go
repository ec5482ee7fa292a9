package rest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// Golden samples of the programme routes' types (added to samples, so
// TestGoldenJSON pins them and TestEveryTypeHasAGolden sees them).
func init() {
	for name, v := range programmeSamples() {
		if _, dup := samples[name]; dup {
			panic("rest: golden sample defined twice: " + name)
		}
		samples[name] = v
	}
}

func programmeSamples() map[string]any {
	small := money.MustParseYuan("10.01")
	funders := []Funder{{MSP: "ShanghaiMSP", Bureau: "SH-FIN", Account: "SH-FIN:treasury", Share: 6000},
		{MSP: "JiangsuMSP", Bureau: "JS-FIN", Account: "JS-FIN:treasury", Share: 4000}}
	elig := Eligibility{Accounts: []string{"SH-CITY:r1"}, Kinds: []string{KindMerchant}, Categories: []string{"5812"}, Provinces: []string{"ShanghaiMSP"}}
	spending := SpendingRules{PayeeCategories: []string{"5411"}, PayeeAccounts: []string{"SH-CITY:grocer"}, PassOn: true}
	approval := PartyApproval{MSP: "ShanghaiMSP", Bank: "SH-FIN", Role: "fiscal", Identity: "9f86", TxID: "tx1", At: t0}
	parties := []Party{{MSP: "ShanghaiMSP", Bank: "SH-FIN", Role: "fiscal", Identities: 2}, {MSP: "JiangsuMSP", Role: "compliance", Identities: 1}}
	tranche := Tranche{Programme: "SH-FIN:sme", No: 1, Amount: amt, Date: "2026-03-02", Status: TrancheFunded, ProposedAt: t0,
		Approvals: []PartyApproval{approval}, Contributions: []Contribution{{MSP: "ShanghaiMSP", Bureau: "SH-FIN", Amount: small, TxID: "tx2", At: t0}},
		Shares: []TrancheShare{{MSP: "ShanghaiMSP", Bureau: "SH-FIN", Account: "SH-FIN:treasury", Amount: small}}}
	usage := Usage{Key: "total", Funded: amt, Disbursed: small, TransferredIn: small, TransferredOut: small, Released: small, Returned: small,
		ReturnedFromEscrow: small, ClawedBack: small, Escrow: &small, Held: &small}
	row := Usage{Key: "SH-CITY:r1", Disbursed: small, TransferredIn: small, TransferredOut: small, Released: small, Held: &small}
	flow := Flow{Kind: FlowPassedOn, Tranche: 1, From: "SH-CITY:r1", To: "JS-CITY:r2", FromEscrow: true, FromMSP: "ShanghaiMSP", ToMSP: "JiangsuMSP", Amount: small,
		Output: "tx3.0", Inputs: []string{"tx2.0"}, Reference: "SH-CITY:p1", TxID: "tx3", At: t0}
	until := time.Date(2026, 3, 20, 9, 30, 0, 0, time.UTC)
	returned := []FunderAmount{{Account: "SH-FIN:treasury", Amount: small, Output: "tx4.0"}}
	return map[string]any{
		"programme_request": ProgrammeRequest{ID: "SH-FIN:sme", Name: "SME relief", Purposes: []string{"SME-RELIEF"}, Funders: funders,
			Escrow: "SH-FIN:escrow", Budget: amt, ValidFrom: "2026-03-02", ValidTo: "2026-03-31", ValidUntil: &until, Eligibility: elig, Spending: spending,
			Release: ReleaseAtTerminal, PerRecipientCap: small},
		"programme": Programme{ID: "SH-FIN:sme", Name: "SME relief", Purposes: []string{"SME-RELIEF"}, Funders: funders,
			Escrow: "SH-FIN:escrow", Budget: amt, ValidFrom: "2026-03-02", ValidTo: "2026-03-31", ValidUntil: &until, Eligibility: elig, Spending: spending,
			Release: ReleaseNever, PerRecipientCap: small, OwnerMSP: "ShanghaiMSP", OwnerBureau: "SH-FIN", Status: ProgrammeActive,
			DefinedAt: t0, ActivatedAt: &t0, Parties: parties, Approvals: []PartyApproval{approval},
			Tranches: []TrancheInfo{{No: 1, Amount: amt, Date: "2026-03-02", Status: TrancheApproved, ProposedAt: t0}}},
		"tranche_request": TrancheRequest{No: 1, Amount: amt, Date: "2026-03-02"},
		"tranche":         tranche,
		"fund_request":    FundRequest{Inputs: []string{"o1"}},
		"disbursement_request": DisbursementRequest{Lines: []DisbursementLine{{Line: 1, Recipient: "SH-CITY:r1", Amount: small},
			{Line: 2, Recipient: "JS-CITY:r2", Amount: amt}}},
		"disbursement_job": DisbursementJob{ID: "SH-FIN:job1", Programme: "SH-FIN:sme", Status: JobFailed, Lines: 5, Pending: 1, Paid: 2,
			AlreadyPaid: 1, Rejected: 1, Amount: amt, SettledAmount: small, Batches: 2, InFlight: 1, LastTxID: "tx5", Created: t0, Updated: t0,
			StartedAt: &t0, FinishedAt: &t0, Error: &Error{Code: "PROPOSAL_CLOSED", Message: "programme SH-FIN:sme is not active"}},
		"job_line_page": JobLinePage{Lines: []JobLine{
			{Line: 1, Recipient: "SH-CITY:r1", Amount: small, Status: LinePaid, Output: "tx5.0", TxID: "tx5"},
			{Line: 2, Recipient: "AH-CITY:r4", Amount: small, Status: LineRejected, Code: "PURPOSE_NOT_ALLOWED", Message: "outside the programme's provinces"}},
			Bookmark: "bm"},
		"spend_request": SpendRequest{PaymentID: "SH-CITY:p1", From: "SH-CITY:r1", To: "SH-CITY:grocer", Amount: small, Purpose: "FOOD", RemittanceHash: "ab"},
		"utilisation": Utilisation{Programme: "SH-FIN:sme", By: ByRecipient, Budget: amt, Flows: 7, Total: usage, Balanced: true,
			EscrowChecked: true, EscrowOutputs: small, Rows: []Usage{row}, Bookmark: "bm"},
		"lineage": Lineage{Output: Output{ID: "tx3.0", Account: "JS-CITY:r2", Amount: small, TxID: "tx3", Earmark: &Earmark{Programme: "SH-FIN:sme", Tranche: 1}, CreatedAt: t0},
			Programme: "SH-FIN:sme", Tranche: 1, Hops: []Flow{flow}, TxIDs: []string{"tx3"}},
		"clawback_request": ClawbackRequest{ID: "SH-FIN:claw1", Account: "JS-CITY:r2"},
		"clawback": Clawback{ID: "SH-FIN:claw1", Programme: "SH-FIN:sme", Account: "JS-CITY:r2", HolderMSP: "JiangsuMSP", Status: ProposalExecuted,
			ProposedAt: t0, Runs: 2, Returned: small, ClosedAt: &t0, Parties: parties, Approvals: []PartyApproval{approval}, Approved: true},
		"clawback_execute": ClawbackExecuteRequest{Account: "JS-CITY:r2"},
		"sweep_request":    SweepRequest{Accounts: []string{"SH-FIN:escrow"}},
		"return_report": ReturnReport{Programme: "SH-FIN:sme", Kind: ReturnSweep, Accounts: 2, Amount: small,
			Transactions: []ReturnTx{{TxID: "tx4", BlockNumber: 9, Account: "SH-FIN:escrow", Amount: small, Inputs: 1, Returned: returned}},
			Omitted:      3, Funders: []FunderAmount{{Account: "SH-FIN:treasury", Amount: small}}, Left: small},
		"committed_return_report": Committed[ReturnReport]{TxID: "tx4", BlockNumber: 9, Result: ReturnReport{Programme: "SH-FIN:sme", Kind: ReturnClawback,
			Transactions: []ReturnTx{}, Funders: []FunderAmount{}, Closed: true}},
	}
}

// TestOpenAPIJobRoute: the disbursement route documents its CSV body and
// both of its success answers.
func TestOpenAPIJobRoute(t *testing.T) {
	b, err := OpenAPI("test")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	op := doc.Paths[PutDisbursement.Path]["put"]
	if op.RequestBody.Content["text/csv"] == nil || op.RequestBody.Content["application/json"] == nil {
		t.Fatalf("request content %v", op.RequestBody.Content)
	}
	if op.Responses["202"] == nil || op.Responses["200"] == nil || op.Responses["201"] != nil {
		t.Fatalf("responses %v", op.Responses)
	}
	if PutDisbursement.SuccessStatus() != 202 {
		t.Fatalf("success status %d", PutDisbursement.SuccessStatus())
	}
}
