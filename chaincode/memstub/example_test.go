package memstub_test

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

// counter is a chaincode that appends "+" to key "n" (a read-modify-write)
// and sets an event.
type counter struct{}

func (counter) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (counter) Invoke(s shim.ChaincodeStubInterface) *peer.Response {
	v, err := s.GetState("n")
	if err != nil {
		return shim.Error(err.Error())
	}
	if err := s.PutState("n", append(v, '+')); err != nil {
		return shim.Error(err.Error())
	}
	if err := s.SetEvent("bumped", append(v, '+')); err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(nil)
}

// Two transactions endorsed on the same state, committed in one block: the
// second read "n" at a version the first changed, so it is invalid and
// writes nothing; only the valid one's event is delivered.
func Example() {
	l := memstub.NewLedger(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	l.Orgs = []string{"Org1MSP", "Org2MSP", "Org3MSP"} // chaincode policy: 2 of 3

	first := l.Endorse(counter{}, memstub.Tx{ID: "tx1"})
	second := l.Endorse(counter{}, memstub.Tx{ID: "tx2"})
	weak := l.Endorse(counter{}, memstub.Tx{ID: "tx3", Endorsers: []string{"Org1MSP"}})
	block, err := l.Commit(first, second, weak)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("block", block.Number)
	for _, tx := range block.Txs {
		fmt.Println(tx.TxID, tx.Code)
	}
	for _, ev := range block.ChaincodeEvents() {
		fmt.Printf("event %s of %s: %s\n", ev.Name, ev.TxID, ev.Payload)
	}
	fmt.Printf("n = %s\n", l.Get("n"))
	// Output:
	// block 1
	// tx1 VALID
	// tx2 MVCC_READ_CONFLICT
	// tx3 ENDORSEMENT_POLICY_FAILURE
	// event bumped of tx1: +
	// n = +
}
