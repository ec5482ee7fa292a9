package profile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, line string
		want       float64
		ok         bool
	}{
		{"plain", "4242 (peer) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 30 0 123 0 0", 3.25, true},
		{"name with spaces and parens", "7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 100 0 0 0 20 0 1 0 1 0 0", 1, true},
		{"short", "7 (x) R 1 2", 0, false},
		{"no name", "garbage", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.line)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("parseStatCPU = %v, %v; want %v, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseMachineCPU(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	busy, total, err := parseMachineCPU("cpu  100 0 50 800 50 0 0 0 30 0")
	if err != nil || busy != 1.5 || total != 10 {
		t.Fatalf("busy %v total %v err %v; want 1.5, 10", busy, total, err)
	}
	if _, _, err := parseMachineCPU("cpu0 1 2 3 4 5"); err == nil {
		t.Fatal("a per-core line was accepted")
	}
}

const traces = `File: peer
Type: cpu
Duration: 20s, Total samples = 1.10s (5.50%)
-----------+-------------------------------------------------------
     500ms   crypto/internal/fips140/ecdsa.verify
             crypto/ecdsa.VerifyASN1
             github.com/hyperledger/fabric/bccsp/sw.verifyECDSA
             github.com/hyperledger/fabric/core/common/validation/statebased.(*baseEvaluator).checkSBAndCCEP
             github.com/hyperledger/fabric/core/committer/txvalidator/v20.(*TxValidator).validateTx
-----------+-------------------------------------------------------
     300ms   crypto/internal/fips140/ecdsa.verify
             github.com/hyperledger/fabric/core/common/validation/statebased.(*policyCheckerV20).CheckCCEPIfNotChecked
             github.com/hyperledger/fabric/core/common/validation/statebased.(*baseEvaluator).checkSBAndCCEP
             github.com/hyperledger/fabric/core/committer/txvalidator/v20.(*TxValidator).validateTx
-----------+-------------------------------------------------------
     200ms   github.com/syndtr/goleveldb/leveldb.(*DB).Write
             github.com/hyperledger/fabric/core/ledger/kvledger.(*kvLedger).commit
             github.com/hyperledger/fabric/gossip/state.(*GossipStateProviderImpl).commitBlock
-----------+-------------------------------------------------------
     100ms   runtime.futex
             runtime.findRunnable
-----------+-------------------------------------------------------
`

// TestClassify: a sample is charged to the first stage whose pattern one
// of its frames matches (the chaincode-level check reached through
// checkSBAndCCEP is not a key-level cost; a commit reached through gossip
// is a commit), primitives are counted inside their stage.
func TestClassify(t *testing.T) {
	stacks, err := parseTraces(strings.NewReader(traces))
	if err != nil {
		t.Fatal(err)
	}
	if len(stacks) != 4 || stacks[0].weight != 0.5 || len(stacks[0].frames) != 5 {
		t.Fatalf("parsed %+v", stacks)
	}
	b := classify(stacks, peerStages)
	want := map[string]float64{
		"validation: key-level policies":                0.5 / 1.1,
		"validation: chaincode-level policy (MAJORITY)": 0.3 / 1.1,
		"commit: block store, state and history DBs":    0.2 / 1.1,
		otherStage: 0.1 / 1.1,
	}
	if len(b.Stages) != len(want) {
		t.Fatalf("stages %+v", b.Stages)
	}
	for _, s := range b.Stages {
		if d := s.Share - want[s.Stage]; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: share %v, want %v", s.Stage, s.Share, want[s.Stage])
		}
	}
	if v := b.Primitives["validation: key-level policies"]["ECDSA verify"]; v < 0.45 || v > 0.46 {
		t.Errorf("ECDSA verify in key-level policies: %v", v)
	}
	if _, ok := b.Primitives["commit: block store, state and history DBs"]["ECDSA verify"]; ok {
		t.Error("ECDSA verify counted in the commit")
	}
}

func TestParsePerfScript(t *testing.T) {
	out := `yrd-gateway 123 [001] 10.000001:    2004008 cpu-clock:
	          4a1b2c crypto/internal/fips140/ecdsa.sign+0x2c (/bin/yrd-gateway)
	          4a0000 github.com/hyperledger/fabric-gateway/pkg/client.(*Proposal).Endorse+0x10 (/bin/yrd-gateway)

yrd-gateway 123 [000] 10.002001:    2004008 cpu-clock:
	          400000 net/http.(*conn).serve+0x40 (/bin/yrd-gateway)

`
	stacks, err := parsePerfScript(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(stacks) != 2 || stacks[0].frames[1] != "github.com/hyperledger/fabric-gateway/pkg/client.(*Proposal).Endorse" {
		t.Fatalf("parsed %+v", stacks)
	}
	b := classify(stacks, gatewayStages)
	if b.Stages[0].Stage != "Fabric Gateway SDK (proposals, signing, status)" || b.Stages[0].Share != 0.5 {
		t.Fatalf("stages %+v", b.Stages)
	}
}

func TestTargets(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"pids", "pprof"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pids/peer-shanghai.pid", strconv.Itoa(os.Getpid())+"\n")
	write("pprof/peer-shanghai", "127.0.0.1:45012\n")
	write("pids/gateway-anhui.pid", strconv.Itoa(os.Getpid()))
	write("pids/cc-gone.pid", "999999999")
	ts, err := Targets(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Name != "gateway-anhui" || ts[0].Kind != KindGateway || ts[0].Pprof != "" ||
		ts[1].Kind != KindPeer || ts[1].Pprof != "127.0.0.1:45012" {
		t.Fatalf("targets %+v", ts)
	}
	if _, err := Targets(t.TempDir()); err == nil {
		t.Fatal("an empty state dir gave targets")
	}
}

// TestDescribeTx builds a block like the peer's (a token:Transfer that
// deletes its input, writes a tombstone, two new outputs with their
// key-level policies and a payment record) and reads it back.
func TestDescribeTx(t *testing.T) {
	ck := func(parts ...string) string { return "\x00" + strings.Join(parts, "\x00") + "\x00" }
	in := ck("yrd.out", "SH-CITY:a", "o1")
	kv := &kvrwset.KVRWSet{
		Reads: []*kvrwset.KVRead{{Key: in, Version: &kvrwset.Version{BlockNum: 7}}, {Key: ck("yrd.pay", "SH-CITY:p1")}},
		Writes: []*kvrwset.KVWrite{
			{Key: in, IsDelete: true},
			{Key: ck("yrd.spent", "o1"), Value: []byte(`{"a":1}`)},
			{Key: ck("yrd.out", "JS-CITY:b", "o2"), Value: []byte(`{"amount":1}`)},
			{Key: ck("yrd.out", "SH-CITY:a", "o3"), Value: []byte(`{"amount":99}`)},
			{Key: ck("yrd.pay", "SH-CITY:p1"), Value: []byte(`{"id":"p1"}`)},
		},
		MetadataWrites: []*kvrwset.KVMetadataWrite{
			{Key: ck("yrd.out", "JS-CITY:b", "o2"), Entries: []*kvrwset.KVMetadataEntry{{Name: "VALIDATION_PARAMETER", Value: []byte("policy")}}},
			{Key: ck("yrd.out", "SH-CITY:a", "o3"), Entries: []*kvrwset.KVMetadataEntry{{Name: "VALIDATION_PARAMETER", Value: []byte("policy")}}},
		},
	}
	must := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	results := must(&rwset.TxReadWriteSet{NsRwset: []*rwset.NsReadWriteSet{{Namespace: "yrd", Rwset: must(kv)}}})
	act := must(&peer.ChaincodeAction{Results: results, Events: []byte("event"), Response: &peer.Response{Payload: []byte("answer")}})
	input := must(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{Input: &peer.ChaincodeInput{Args: [][]byte{[]byte("token:Transfer"), []byte("{}")}}}})
	cap := must(&peer.ChaincodeActionPayload{ChaincodeProposalPayload: must(&peer.ChaincodeProposalPayload{Input: input}),
		Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: must(&peer.ProposalResponsePayload{Extension: act}),
			Endorsements: []*peer.Endorsement{{}, {}, {}}}})
	tx := must(&peer.Transaction{Actions: []*peer.TransactionAction{{Payload: cap}}})
	env := func(txID string) []byte {
		return must(&common.Envelope{Payload: must(&common.Payload{Header: &common.Header{ChannelHeader: must(&common.ChannelHeader{TxId: txID})}, Data: tx})})
	}
	block := must(&common.Block{Header: &common.BlockHeader{Number: 42}, Data: &common.BlockData{Data: [][]byte{env("other"), env("tx1")}},
		Metadata: &common.BlockMetadata{Metadata: [][]byte{nil, nil, {0, 11}}}})

	a, err := DescribeTx(block, "tx1")
	if err != nil {
		t.Fatal(err)
	}
	if a.Block != 42 || a.BlockTxs != 2 || a.Endorsements != 3 || a.Function != "token:Transfer" || a.Validation != "MVCC_READ_CONFLICT" ||
		a.RWSetBytes != len(results) || a.EventBytes != 5 || a.ResponseBytes != 6 || len(a.Namespaces) != 1 {
		t.Fatalf("anatomy %+v", a)
	}
	ns := a.Namespaces[0]
	if ns.Reads != 2 || ns.Writes != 5 || ns.Deletes != 1 || ns.MetadataWrites != 2 || ns.MetadataBytes != 2*(20+6) {
		t.Fatalf("namespace %+v", ns)
	}
	byType := map[string]TypeAnatomy{}
	for _, ty := range ns.Types {
		byType[ty.Type] = ty
	}
	if o := byType["yrd.out"]; o.Writes != 3 || o.Existing != 1 || o.Deletes != 1 || o.MetadataWrites != 2 {
		t.Errorf("yrd.out %+v", o)
	}
	if p := byType["yrd.pay"]; p.Writes != 1 || p.Existing != 0 {
		t.Errorf("yrd.pay %+v (a read without a version is of a missing key)", p)
	}
	var txt strings.Builder
	a.WriteText(&txt)
	if !strings.Contains(txt.String(), "yrd.out") {
		t.Errorf("text %s", txt.String())
	}
	if _, err := DescribeTx(block, "missing"); err == nil {
		t.Error("a missing transaction was described")
	}
}

func TestByKind(t *testing.T) {
	b := &Breakdown{Total: 1, Stages: []Share{{"validation: key-level policies", 0.25}, {otherStage, 0.75}},
		Primitives: map[string]map[string]float64{"validation: key-level policies": {"ECDSA verify": 0.2}}}
	ps := []ProcessCPU{
		{Name: "peer-a", Kind: KindPeer, CPUSeconds: 4, Breakdown: b},
		{Name: "peer-b", Kind: KindPeer, CPUSeconds: 4, Breakdown: b},
		{Name: "gateway-a", Kind: KindGateway, CPUSeconds: 1},
	}
	ks := byKind(ps, 1000)
	if len(ks) != 2 || ks[0].Kind != KindPeer || ks[0].MsPerPayment != 8 || ks[0].Profiled != 2 || ks[1].Profiled != 0 {
		t.Fatalf("kinds %+v", ks)
	}
	st := ks[0].Stages[0]
	if st.MsPerPayment != 2 || st.Share != 0.25 || st.Primitives["ECDSA verify"] != 1.6 {
		t.Fatalf("stage %+v", st)
	}
	var txt strings.Builder
	PhaseSummary{Scenario: "sdk:distinct", Workers: 50, Payments: 1000, Kinds: ks, Processes: ps}.WriteText(&txt)
	if !strings.Contains(txt.String(), "validation: key-level policies") {
		t.Fatalf("text:\n%s", txt.String())
	}
}
