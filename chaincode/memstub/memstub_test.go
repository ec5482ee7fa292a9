package memstub

import (
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// fnChaincode runs a Go function as a chaincode.
type fnChaincode func(shim.ChaincodeStubInterface) *peer.Response

func (f fnChaincode) Init(shim.ChaincodeStubInterface) *peer.Response     { return shim.Success(nil) }
func (f fnChaincode) Invoke(s shim.ChaincodeStubInterface) *peer.Response { return f(s) }

var start = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestIdentityThroughCID(t *testing.T) {
	l := NewLedger(start)
	id := MustIdentity("JiangsuMSP", "alice", map[string]string{"role": "operator", "bank": "B1"})
	var gotMSP, gotRole, gotBank string
	r := l.Invoke(fnChaincode(func(s shim.ChaincodeStubInterface) *peer.Response {
		ci, err := cid.New(s)
		if err != nil {
			return shim.Error(err.Error())
		}
		gotMSP, _ = ci.GetMSPID()
		gotRole, _, _ = ci.GetAttributeValue("role")
		gotBank, _, _ = ci.GetAttributeValue("bank")
		return shim.Success(nil)
	}), Tx{Creator: id, Fn: "x"})
	if !r.OK() || gotMSP != "JiangsuMSP" || gotRole != "operator" || gotBank != "B1" {
		t.Fatalf("result %v msp=%q role=%q bank=%q", r.Message, gotMSP, gotRole, gotBank)
	}
}

func TestAtomicityAndReadIsolation(t *testing.T) {
	l := NewLedger(start)
	put := fnChaincode(func(s shim.ChaincodeStubInterface) *peer.Response {
		_ = s.PutState("a", []byte("1"))
		if v, _ := s.GetState("a"); v != nil {
			return shim.Error("own write visible")
		}
		fn, _ := s.GetFunctionAndParameters()
		if fn == "fail" {
			return shim.Error("rejected")
		}
		return shim.Success(nil)
	})
	if r := l.Invoke(put, Tx{Fn: "fail"}); r.OK() || r.Committed || l.Get("a") != nil {
		t.Fatalf("failed tx committed: %+v", r)
	}
	if r := l.Invoke(put, Tx{Fn: "ok"}); !r.OK() || string(l.Get("a")) != "1" {
		t.Fatalf("ok tx: %+v", r)
	}
	if l.Clock != start.Add(2*time.Second) {
		t.Fatalf("clock = %v", l.Clock)
	}
}

func TestCompositeQueriesAndPagination(t *testing.T) {
	l := NewLedger(start)
	s := l.NewStub(Tx{})
	for _, a := range []string{"b", "a", "c", "d"} {
		k, err := s.CreateCompositeKey("obj", []string{"acct", a})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.PutState(k, []byte(a))
		_ = s.SetStateValidationParameter(k, []byte("ep-"+a))
	}
	other, _ := s.CreateCompositeKey("obj", []string{"acct2", "z"})
	_ = s.PutState(other, []byte("z"))
	s.Commit()

	s = l.NewStub(Tx{})
	it, err := s.GetStateByPartialCompositeKey("obj", []string{"acct"})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for it.HasNext() {
		kv, _ := it.Next()
		got += string(kv.Value)
		typ, attrs, err := s.SplitCompositeKey(kv.Key)
		if err != nil || typ != "obj" || len(attrs) != 2 || attrs[0] != "acct" {
			t.Fatalf("split %q: %s %v %v", kv.Key, typ, attrs, err)
		}
	}
	if got != "abcd" {
		t.Fatalf("partial query = %q", got)
	}
	var pages []string
	bookmark := ""
	for {
		it, md, err := s.GetStateByPartialCompositeKeyWithPagination("obj", []string{"acct"}, 3, bookmark)
		if err != nil {
			t.Fatal(err)
		}
		p := ""
		for it.HasNext() {
			kv, _ := it.Next()
			p += string(kv.Value)
		}
		pages = append(pages, p)
		if bookmark = md.Bookmark; bookmark == "" {
			break
		}
	}
	if len(pages) != 2 || pages[0] != "abc" || pages[1] != "d" {
		t.Fatalf("pages = %v", pages)
	}
	k, _ := s.CreateCompositeKey("obj", []string{"acct", "b"})
	if ep, _ := s.GetStateValidationParameter(k); string(ep) != "ep-b" {
		t.Fatalf("validation parameter = %q", ep)
	}
	if _, err := s.GetStateByRange(k, ""); err == nil {
		t.Fatal("range query over composite keys accepted")
	}
	if _, err := s.CreateCompositeKey("obj", []string{"a\x00b"}); err == nil {
		t.Fatal("NUL in attribute accepted")
	}
}
