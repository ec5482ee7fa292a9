package memstub

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
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

var orgs = []string{"AnhuiMSP", "JiangsuMSP", "ShanghaiMSP", "ZhejiangMSP"}

// ops is a chaincode that runs the ops its arguments name, one per
// argument: "get:k", "put:k=v", "del:k", "policy:k=MSP1,MSP2" (both must
// endorse), "range:start-end", "page:start-end/size/bookmark", "event:name".
// Every op's outcome is appended to the payload, one line each.
var ops = fnChaincode(func(s shim.ChaincodeStubInterface) *peer.Response {
	_, args := s.GetFunctionAndParameters()
	var out []string
	for _, a := range args {
		op, arg, _ := strings.Cut(a, ":")
		res, err := runOp(s, op, arg)
		if err != nil {
			res = "error"
		}
		out = append(out, res)
	}
	return shim.Success([]byte(strings.Join(out, "\n")))
})

func runOp(s shim.ChaincodeStubInterface, op, arg string) (string, error) {
	k, v, _ := strings.Cut(arg, "=")
	switch op {
	case "get":
		b, err := s.GetState(arg)
		return string(b), err
	case "put":
		return "", s.PutState(k, []byte(v))
	case "del":
		return "", s.DelState(arg)
	case "policy":
		set, err := keypolicy.New(strings.Split(v, ","), 1, 2)
		if err != nil {
			return "", err
		}
		return "", s.SetStateValidationParameter(k, set.Quorum())
	case "getpolicy":
		ep, err := s.GetStateValidationParameter(arg)
		return keypolicy.Describe(ep), err
	case "range", "page":
		spec, pg, _ := strings.Cut(arg, "/")
		start, end, _ := strings.Cut(spec, "-")
		var it shim.StateQueryIteratorInterface
		var md *peer.QueryResponseMetadata
		var err error
		if op == "range" {
			it, err = s.GetStateByRange(start, end)
		} else {
			size, bookmark, _ := strings.Cut(pg, "/")
			n, _ := strconv.Atoi(size)
			it, md, err = s.GetStateByRangeWithPagination(start, end, int32(n), bookmark)
		}
		if err != nil {
			return "", err
		}
		var keys []string
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return "", err
			}
			keys = append(keys, kv.Key)
		}
		res := strings.Join(keys, ",")
		if md != nil {
			res += fmt.Sprintf(" [%d %q]", md.FetchedRecordsCount, md.Bookmark)
		}
		return res, nil
	case "event":
		return "", s.SetEvent(arg, []byte(arg))
	}
	return "", fmt.Errorf("unknown op %q", op)
}

func newLedger(t *testing.T) *Ledger {
	t.Helper()
	l := NewLedger(start)
	l.Orgs = orgs
	return l
}

func endorse(t *testing.T, l *Ledger, endorsers []string, args ...string) *Endorsement {
	t.Helper()
	e := l.Endorse(ops, Tx{Fn: "ops", Args: args, Endorsers: endorsers})
	if !e.OK() {
		t.Fatalf("%v: %s", args, e.Message)
	}
	return e
}

func commit(t *testing.T, l *Ledger, es ...*Endorsement) []peer.TxValidationCode {
	t.Helper()
	b, err := l.Commit(es...)
	if err != nil {
		t.Fatal(err)
	}
	codes := make([]peer.TxValidationCode, len(b.Txs))
	for i, tx := range b.Txs {
		codes[i] = tx.Code
	}
	return codes
}

func codes(cs ...peer.TxValidationCode) []peer.TxValidationCode { return cs }

const (
	valid   = peer.TxValidationCode_VALID
	mvcc    = peer.TxValidationCode_MVCC_READ_CONFLICT
	phantom = peer.TxValidationCode_PHANTOM_READ_CONFLICT
	policyF = peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE
	dupTx   = peer.TxValidationCode_DUPLICATE_TXID
)

func TestValidationParameterKey(t *testing.T) {
	if ValidationParameterKey != peer.MetaDataKeys_VALIDATION_PARAMETER.String() {
		t.Fatalf("%s is not Fabric's metadata key %s", ValidationParameterKey, peer.MetaDataKeys_VALIDATION_PARAMETER)
	}
}

// TestCommitInOneBlock covers what the behaviour suite cannot reach on a
// network where each transaction commits in its own block: validation
// against the writes of earlier transactions of the same block
// (kvledger validator: updates of preceding valid transactions; statebased
// vpmanager: policies changed earlier in the block).
func TestCommitInOneBlock(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup []string
		txs   func(l *Ledger) []*Endorsement
		want  []peer.TxValidationCode
		after map[string]string // key -> committed value ("" absent)
	}{
		{"read of a key written earlier in the block", []string{"put:k=0"}, func(l *Ledger) []*Endorsement {
			return []*Endorsement{endorse(t, l, nil, "put:k=1"), endorse(t, l, nil, "get:k", "put:k=2")}
		}, codes(valid, mvcc), map[string]string{"k": "1"}},
		{"read of a missing key deleted earlier in the block", nil, func(l *Ledger) []*Endorsement {
			return []*Endorsement{endorse(t, l, nil, "del:m"), endorse(t, l, nil, "get:m", "put:z=1")}
		}, codes(valid, mvcc), map[string]string{"z": ""}},
		{"invalid transactions do not count", []string{"put:k=0"}, func(l *Ledger) []*Endorsement {
			return []*Endorsement{endorse(t, l, orgs[:1], "put:k=1"), endorse(t, l, nil, "get:k", "put:k=2")}
		}, codes(policyF, valid), map[string]string{"k": "2"}},
		{"range with an insert earlier in the block", []string{"put:a=1"}, func(l *Ledger) []*Endorsement {
			return []*Endorsement{endorse(t, l, nil, "put:b=1"), endorse(t, l, nil, "range:a-c", "put:z=1")}
		}, codes(valid, phantom), map[string]string{"b": "1", "z": ""}},
		{"write to a key whose policy changed earlier in the block", []string{"put:k=0"}, func(l *Ledger) []*Endorsement {
			return []*Endorsement{endorse(t, l, nil, "policy:k=AnhuiMSP,JiangsuMSP"), endorse(t, l, nil, "put:k=2")}
		}, codes(valid, policyF), map[string]string{"k": "0"}},
		{"policy change that failed MVCC still blocks", []string{"put:k=0", "put:r=0"}, func(l *Ledger) []*Endorsement {
			return []*Endorsement{endorse(t, l, nil, "put:r=1"), endorse(t, l, nil, "get:r", "policy:k=AnhuiMSP,JiangsuMSP"), endorse(t, l, nil, "put:k=2")}
		}, codes(valid, mvcc, policyF), map[string]string{"k": "0", "r": "1"}},
		{"policy change that failed its own policy does not block", []string{"put:k=0"}, func(l *Ledger) []*Endorsement {
			return []*Endorsement{endorse(t, l, orgs[:1], "policy:k=AnhuiMSP,JiangsuMSP"), endorse(t, l, nil, "put:k=2")}
		}, codes(policyF, valid), map[string]string{"k": "2"}},
		{"same transaction ID twice", nil, func(l *Ledger) []*Endorsement {
			a := l.Endorse(ops, Tx{ID: "t1", Fn: "ops", Args: []string{"put:a=1"}})
			b := l.Endorse(ops, Tx{ID: "t1", Fn: "ops", Args: []string{"put:b=1"}})
			return []*Endorsement{a, b}
		}, codes(valid, dupTx), map[string]string{"a": "1", "b": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLedger(t)
			if len(tc.setup) > 0 {
				commit(t, l, endorse(t, l, nil, tc.setup...))
			}
			if got := commit(t, l, tc.txs(l)...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("codes %v, want %v", got, tc.want)
			}
			for k, want := range tc.after {
				if got := string(l.Get(k)); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestCommitErrors(t *testing.T) {
	l := newLedger(t)
	e := endorse(t, l, nil, "put:a=1")
	if _, err := l.Commit(e); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(e); !errors.Is(err, ErrOrderedTwice) {
		t.Errorf("second commit: %v", err)
	}
	e = endorse(t, l, nil, "put:b=1")
	if _, err := l.Commit(e, e); !errors.Is(err, ErrOrderedTwice) {
		t.Errorf("twice in a block: %v", err)
	}
	bad := l.Endorse(fnChaincode(func(shim.ChaincodeStubInterface) *peer.Response { return shim.Error("no") }), Tx{})
	if _, err := l.Commit(bad); !errors.Is(err, ErrNotEndorsed) {
		t.Errorf("refused proposal: %v", err)
	}
	if _, err := newLedger(t).Commit(endorse(t, l, nil, "put:c=1")); !errors.Is(err, ErrForeignEndorsement) {
		t.Errorf("other ledger's endorsement: %v", err)
	}
	if _, err := l.Commit(); !errors.Is(err, ErrEmptyBlock) {
		t.Errorf("empty block: %v", err)
	}
	bare := NewLedger(start)
	if _, err := bare.Commit(bare.Endorse(ops, Tx{Fn: "ops", Args: []string{"put:a=1"}, Endorsers: orgs})); !errors.Is(err, ErrNoPolicy) {
		t.Errorf("ledger without orgs: %v", err)
	}
	if h := l.Height(); h != 2 || l.Get("b") != nil {
		t.Errorf("failed commits changed the ledger: height %d, b=%q", h, l.Get("b"))
	}
}

// TestInvalidWritesNothing: an invalid transaction leaves state and
// policies as they were; its event is in the block but not among the
// block's chaincode events.
func TestInvalidWritesNothing(t *testing.T) {
	l := newLedger(t)
	commit(t, l, endorse(t, l, nil, "put:k=0", "policy:k=AnhuiMSP,JiangsuMSP"))
	before := l.Snapshot()
	e := endorse(t, l, []string{"AnhuiMSP", "ShanghaiMSP"}, "put:k=1", "del:k", "put:n=1", "policy:k=ShanghaiMSP,ZhejiangMSP", "event:x")
	b, err := l.Commit(e)
	if err != nil {
		t.Fatal(err)
	}
	if b.Txs[0].Code != policyF || e.Committed || e.Block != b.Number {
		t.Fatalf("tx %+v, endorsement committed=%v block=%d", b.Txs[0], e.Committed, e.Block)
	}
	if !reflect.DeepEqual(before, l.Snapshot()) {
		t.Errorf("invalid transaction changed state:\n%v\n%v", before, l.Snapshot())
	}
	if b.Txs[0].Event == nil || len(b.ChaincodeEvents()) != 0 {
		t.Errorf("event %v, chaincode events %v", b.Txs[0].Event, b.ChaincodeEvents())
	}
}

// TestPolicyMetadataOnCommit mirrors Fabric's txOps: a value write keeps
// the key's policy, a policy write alone keeps the value at a new version,
// a delete drops both.
func TestPolicyMetadataOnCommit(t *testing.T) {
	l := newLedger(t)
	commit(t, l, endorse(t, l, nil, "put:k=0", "policy:k=AnhuiMSP,JiangsuMSP"))
	pair := []string{"AnhuiMSP", "JiangsuMSP"}
	commit(t, l, endorse(t, l, pair, "put:k=1"))
	if got := keypolicy.Describe(l.ValidationParameter("k")); got != "AND(AnhuiMSP, JiangsuMSP)" || string(l.Get("k")) != "1" {
		t.Fatalf("after value write: %s %q", got, l.Get("k"))
	}
	reader := endorse(t, l, nil, "get:k", "put:z=1")
	commit(t, l, endorse(t, l, pair, "policy:k=ShanghaiMSP,ZhejiangMSP"))
	if got := keypolicy.Describe(l.ValidationParameter("k")); got != "AND(ShanghaiMSP, ZhejiangMSP)" || string(l.Get("k")) != "1" {
		t.Fatalf("after policy write: %s %q", got, l.Get("k"))
	}
	if got := commit(t, l, reader); got[0] != mvcc {
		t.Errorf("a policy write did not change the key's version: %v", got)
	}
	commit(t, l, endorse(t, l, []string{"ShanghaiMSP", "ZhejiangMSP"}, "del:k"))
	if l.ValidationParameter("k") != nil || l.Get("k") != nil {
		t.Errorf("delete kept %q / %q", l.ValidationParameter("k"), l.Get("k"))
	}
}

// TestPagedQueryForms: pagination is on when pageSize or bookmark is set
// (page size 0 without a bookmark is a plain range query with empty
// metadata, and allows writes); a page size that is not positive means all
// results, up to the peer's total limit.
func TestPagedQueryForms(t *testing.T) {
	l := newLedger(t)
	commit(t, l, endorse(t, l, nil, "put:a=1", "put:b=1", "put:c=1"))
	r := l.Evaluate(ops, Tx{Fn: "ops", Args: []string{"page:a-z/0/", "put:x=1", "page:a-z/-1/b", "page:a-z/0/b"}})
	want := []string{`a,b,c [0 ""]`, "", "error", "error"}
	if got := strings.Split(string(r.Payload), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("write after unpaginated, paginated after write: %q, want %q", got, want)
	}
	r = l.Evaluate(ops, Tx{Fn: "ops", Args: []string{"page:a-z/-1/b", "page:a-z/0/b", "page:-z/2/"}})
	want = []string{`b,c [2 ""]`, `b,c [2 ""]`, `a,b [2 "c"]`}
	if got := strings.Split(string(r.Payload), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("pages %q, want %q", got, want)
	}
}

// TestUnpaginatedBatches: an unpaginated query over more than one batch of
// 100 results returns every result in order.
func TestUnpaginatedBatches(t *testing.T) {
	l := newLedger(t)
	s := l.NewStub(Tx{})
	for i := 0; i < 250; i++ {
		_ = s.PutState(fmt.Sprintf("k%03d", i), []byte("v"))
	}
	s.Commit()
	r := l.Evaluate(ops, Tx{Fn: "ops", Args: []string{"range:k-l"}})
	if got := strings.Count(string(r.Payload), ",") + 1; got != 250 || !strings.HasSuffix(string(r.Payload), "k249") {
		t.Fatalf("%d results, ends %q", got, string(r.Payload)[len(r.Payload)-5:])
	}
}

func TestSplitCompositeKeyAsShim(t *testing.T) {
	s := NewLedger(start).NewStub(Tx{})
	k, _ := shim.CreateCompositeKey("obj", []string{"a", "", "b"})
	typ, attrs, err := s.SplitCompositeKey(k)
	if err != nil || typ != "obj" || !reflect.DeepEqual(attrs, []string{"a", "", "b"}) {
		t.Errorf("split %q: %q %q %v", k, typ, attrs, err)
	}
	if _, _, err := s.SplitCompositeKey("plain"); err == nil {
		t.Error("split of a simple key (a shim panic) did not fail")
	}
	if tm, err := s.GetTransient(); tm != nil || err != nil {
		t.Errorf("transient of a proposal without one: %v %v", tm, err)
	}
}

func TestBlocks(t *testing.T) {
	l := newLedger(t)
	l.BlockRetention = 3
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type got struct {
		b   *Block
		err error
	}
	waiting := make(chan got, 1)
	go func() {
		b, err := l.Block(ctx, 2)
		waiting <- got{b, err}
	}()
	r1 := l.Invoke(ops, Tx{Fn: "ops", Args: []string{"put:a=1", "event:one"}})
	b2, err := l.Commit(endorse(t, l, nil, "put:b=1", "event:x", "event:two"))
	if err != nil {
		t.Fatal(err)
	}
	w := <-waiting
	if w.err != nil || w.b != b2 || r1.Block != 1 || b2.Number != 2 {
		t.Fatalf("waited for block 2: %+v %v; invoke in %d, commit in %d", w.b, w.err, r1.Block, b2.Number)
	}
	if evs := b2.ChaincodeEvents(); len(evs) != 1 || evs[0].Name != "two" || evs[0].BlockNumber != 2 {
		t.Errorf("block 2 events %+v, want the last one set", evs)
	}
	for i := 0; i < 3; i++ {
		l.Invoke(ops, Tx{Fn: "ops", Args: []string{"put:c=1"}})
	}
	if _, err := l.Block(ctx, 1); !errors.Is(err, ErrBlockPruned) {
		t.Errorf("block 1 beyond retention: %v", err)
	}
	if b, err := l.Block(ctx, 4); err != nil || b.Number != 4 {
		t.Errorf("block 4: %+v %v", b, err)
	}
	short, stop := context.WithCancel(ctx)
	stop()
	if _, err := l.Block(short, l.Height()); !errors.Is(err, context.Canceled) {
		t.Errorf("wait with a canceled context: %v", err)
	}
}

// TestConcurrentUse: simulations run in parallel and each sees one
// consistent snapshot while commits go on (run with -race).
func TestConcurrentUse(t *testing.T) {
	l := newLedger(t)
	commit(t, l, endorse(t, l, nil, "put:a=0", "put:b=0"))
	const n = 20
	results := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			r := l.Evaluate(ops, Tx{Fn: "ops", Args: []string{"get:a", "get:b"}})
			results <- string(r.Payload)
		}()
	}
	for i := 1; i <= n; i++ {
		v := strconv.Itoa(i)
		l.Invoke(ops, Tx{Fn: "ops", Args: []string{"put:a=" + v, "put:b=" + v}})
	}
	for i := 0; i < n; i++ {
		a, b, _ := strings.Cut(<-results, "\n")
		if a != b {
			t.Errorf("a simulation saw a=%s b=%s", a, b)
		}
	}
}
