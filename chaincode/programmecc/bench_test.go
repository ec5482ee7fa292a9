package programmecc

import (
	"fmt"
	"testing"

	"github.com/yangtze-delta/settlement/api"
)

// The chaincode's share of an earmarked spend against a plain payment of
// the same shape (one input, change back to the payer, a merchant payee),
// and of a disbursement of 500 lines, on the validating stub (endorsed by
// four provinces, committed with validation): what the gateway benchmarks'
// gw:earmarked and the disbursement figure add on top of is this.

// benchSpends pays the grocer (an allowed payee: released there) 0.01
// at a time from a recipient holding 5,000 yuan, earmarked or plain, its
// change chained from payment to payment.
func benchSpends(b *testing.B, earmarked bool) {
	e := joint(b)
	e.activate()
	e.fundTranche(1, "10000")
	payer := "SH-CITY:r1"
	if earmarked {
		e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: "SH-FIN:bench", Inputs: ids(e.outputs(escrow)),
			Lines: []api.DisburseLine{{Line: 1, Recipient: payer, Amount: y("5000")}}}, nil)
	} else {
		e.ok(fiscal(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: "SH-FIN:plain", From: "SH-FIN:treasury", To: payer,
			Amount: y("5000"), Inputs: ids(e.outputs("SH-FIN:treasury"))}, nil)
	}
	in := ids(e.outputs(payer))
	if len(in) != 1 {
		b.Fatalf("%s holds %d outputs", payer, len(in))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var p api.Payment
		e.ok(operator(SH), api.Transfer.Function(), api.TransferRequest{PaymentID: fmt.Sprintf("SH-CITY:b%d", i), From: payer, To: "SH-CITY:grocer",
			Amount: 1, Inputs: in}, &p)
		in = p.ChangeOutputs
	}
}

// BenchmarkPlainPayment is a plain payment from a recipient to the grocer.
func BenchmarkPlainPayment(b *testing.B) { benchSpends(b, false) }

// BenchmarkEarmarkedSpend is the same payment with earmarked funds: the
// programme read and checked, the earmark released, a flow written.
func BenchmarkEarmarkedSpend(b *testing.B) { benchSpends(b, true) }

// BenchmarkDisburse500 is one disbursement of 500 lines (500 recipients'
// outputs, line markers, flows and statement entries; the escrow's change
// in four outputs).
func BenchmarkDisburse500(b *testing.B) {
	e := joint(b)
	var recipients []string
	for i := 0; i < 500; i++ {
		id := fmt.Sprintf("SH-CITY:d%03d", i)
		e.open(operator(SH), id, api.KindMerchant, "5812")
		recipients = append(recipients, id)
	}
	e.activate()
	e.fundTranche(1, "100000")
	in := ids(e.outputs(escrow))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lines := make([]api.DisburseLine, len(recipients))
		for k, r := range recipients {
			lines[k] = api.DisburseLine{Line: k, Recipient: r, Amount: 1}
		}
		var res api.DisburseResult
		e.ok(fiscal(SH), api.Disburse.Function(), api.DisburseRequest{Programme: prog, Job: fmt.Sprintf("SH-FIN:b%d", i), Lines: lines,
			Inputs: in, ChangeSplit: 4}, &res)
		if res.Paid != len(lines) {
			b.Fatalf("%+v", res.Results[0])
		}
		in = []string{res.Change}
		for _, o := range res.ChangeOutputs[1:] {
			in = append(in, o.Output)
		}
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "lines/s")
}
