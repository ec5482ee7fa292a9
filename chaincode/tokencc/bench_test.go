package tokencc

import (
	"fmt"
	"github.com/yangtze-delta/settlement/api"
	"testing"

	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

// BenchmarkTransfer measures one Transfer (reserve to merchant, the two
// change outputs of the previous payment as inputs, two new change outputs)
// through contractapi on the in-memory stub, including commit.
func BenchmarkTransfer(b *testing.B) {
	f := newFixture(b)
	op := ident(SH, RoleOperator)
	in := []string{f.shOut}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := f.invoke(memstub.Tx{Creator: op, Fn: "token:Transfer", Args: []string{reqArg(api.TransferRequest{
			PaymentID: fmt.Sprintf("bench-%d", i), From: "sh-reserve", To: "m1", Amount: 1, Inputs: in, ChangeSplit: 2})}})
		if !r.OK() {
			b.Fatal(r.Message)
		}
		in = []string{r.TxID + ".1", r.TxID + ".2"}
	}
}
