package tokencc_test

import (
	"fmt"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

// BenchmarkTransfer measures one Transfer (reserve to merchant, the two
// change outputs of the previous payment as inputs, two new change
// outputs) through contractapi on the in-memory stub, including the
// endorsement by four provinces and a validated commit.
func BenchmarkTransfer(b *testing.B) {
	f := newFixture(b)
	iss := issuer(SH)
	in := []string{f.shOut}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := f.Submit(memstub.Tx{Creator: iss, Fn: api.Transfer.Function(), Args: []string{cctest.Encode(api.TransferRequest{
			PaymentID: fmt.Sprintf("SH-PBC:bench-%d", i), From: shReserve, To: shop, Amount: 1, Inputs: in, ChangeSplit: 2})}})
		if !r.OK() {
			b.Fatal(r.Message)
		}
		in = []string{r.TxID + ".1", r.TxID + ".2"}
	}
}

// BenchmarkTransferToCapped is BenchmarkTransfer to a class-IV customer:
// the credit reads the payee's balance (one range query).
func BenchmarkTransferToCapped(b *testing.B) {
	f := newFixture(b)
	iss := issuer(SH)
	in := []string{f.shOut}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%api.MaxCappedOutputs == api.MaxCappedOutputs-1 {
			b.StopTimer() // a fresh payee before the dust limit
			f = newFixture(b)
			in = []string{f.shOut}
			b.StartTimer()
		}
		r := f.Submit(memstub.Tx{Creator: iss, Fn: api.Transfer.Function(), Args: []string{cctest.Encode(api.TransferRequest{
			PaymentID: fmt.Sprintf("SH-PBC:bench-%d", i), From: shReserve, To: alice, Amount: 1, Inputs: in, ChangeSplit: 2})}})
		if !r.OK() {
			b.Fatal(r.Message)
		}
		in = []string{r.TxID + ".1", r.TxID + ".2"}
	}
}
