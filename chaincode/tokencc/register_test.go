package tokencc

import (
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/system"
)

// TestRegistersBesideSystem builds the chaincode as cmd/yrd does.
func TestRegistersBesideSystem(t *testing.T) {
	c, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cc, err := contractapi.NewChaincode(system.New("test"), c)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.cc = cc
	e.open(SH, "r", "reserve", "")
	if r := e.call(ident(SH, RoleOperator), "GetAccount", "r"); !r.OK() {
		t.Fatal(r.Message)
	}
}
