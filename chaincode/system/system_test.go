package system_test

import (
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/system"
)

// TestPingIsItsProvinces: a ping is read back by callers of the province
// that wrote it, and answers NOT_FOUND to every other province, as a
// missing ping does.
func TestPingIsItsProvinces(t *testing.T) {
	cc, err := contractapi.NewChaincode(system.New("test"), govcc.New())
	if err != nil {
		t.Fatal(err)
	}
	e := cctest.New(t, cc)
	op := cctest.Ident(cctest.SH, api.RoleOperator, cctest.Bank(cctest.SH, "CITY"), "operator")
	p := cctest.Must(e, op, api.Ping, api.PingRequest{ID: "p1", Note: "hello"})
	if p.MSPID != cctest.SH {
		t.Fatalf("ping %+v", p)
	}
	got := cctest.Must(e, op, api.GetPing, api.PingID{ID: "p1"})
	if got.Note != "hello" {
		t.Fatalf("read back %+v", got)
	}
	cctest.Reject(e, cctest.Ident(cctest.JS, api.RoleOperator, cctest.Bank(cctest.JS, "CITY"), "operator"), api.GetPing, api.PingID{ID: "p1"}, api.CodeNotFound)
	cctest.Reject(e, op, api.GetPing, api.PingID{ID: "p2"}, api.CodeNotFound)
}
