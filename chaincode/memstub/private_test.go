package memstub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

const (
	sh = "ShanghaiMSP"
	js = "JiangsuMSP"
	zj = "ZhejiangMSP"
	ah = "AnhuiMSP"
)

// private runs private data calls: "put COLL KEY VALUE", "get COLL KEY"
// (fails on an error), "peek COLL KEY" (answers the value, or
// "unavailable" on an error, as a careless chaincode might), "hash COLL
// KEY" (the value's hash in hex) and "both COLL KEY VALUE PUBKEY" (writes
// VALUE privately and to public key PUBKEY).
var private = fnChaincode(func(s shim.ChaincodeStubInterface) *peer.Response {
	fn, args := s.GetFunctionAndParameters()
	switch fn {
	case "put":
		if err := s.PutPrivateData(args[0], args[1], []byte(args[2])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case "get":
		v, err := s.GetPrivateData(args[0], args[1])
		if err != nil {
			return shim.Error(err.Error())
		}
		if v == nil {
			return shim.Success([]byte("<nil>"))
		}
		return shim.Success(v)
	case "both":
		if err := s.PutPrivateData(args[0], args[1], []byte(args[2])); err != nil {
			return shim.Error(err.Error())
		}
		if err := s.PutState(args[3], []byte(args[2])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case "hash":
		h, err := s.GetPrivateDataHash(args[0], args[1])
		if err != nil {
			return shim.Error(err.Error())
		}
		if h == nil {
			return shim.Success([]byte("<nil>"))
		}
		return shim.Success([]byte(hex.EncodeToString(h)))
	case "peek":
		v, err := s.GetPrivateData(args[0], args[1])
		if err != nil {
			return shim.Success([]byte("unavailable"))
		}
		return shim.Success(v)
	}
	return shim.Error("unknown function " + fn)
})

// privateLedger is a four-org ledger whose collections are each
// province's own, as network/chaincode/yrd/collections.json declares.
func privateLedger(t *testing.T) (*Ledger, map[string]*Identity) {
	t.Helper()
	l := NewLedger(start)
	l.Orgs = []string{ah, js, sh, zj}
	l.Collections = map[string][]string{}
	ids := map[string]*Identity{}
	for _, o := range l.Orgs {
		l.Collections["kyc_"+o] = []string{o}
		ids[o] = MustIdentity(o, "client", nil)
	}
	return l, ids
}

// TestPrivateDataMembership: who reads and writes a collection, on which
// peer, as a Fabric v2.5 peer answers (core/chaincode/handler.go and the
// transaction simulator's GetPrivateData).
func TestPrivateDataMembership(t *testing.T) {
	l, ids := privateLedger(t)
	en := l.Endorse(private, Tx{Creator: ids[sh], Fn: "put", Args: []string{"kyc_ShanghaiMSP", "k", "secret"}})
	if !en.OK() {
		t.Fatalf("a member client's write, endorsed by every org (members or not): %s", en.Message)
	}
	b, err := l.Commit(en)
	if err != nil || b.Txs[0].Code != peer.TxValidationCode_VALID {
		t.Fatalf("commit: %v %v", b, err)
	}
	if got := string(l.PrivateData("kyc_ShanghaiMSP", "k")); got != "secret" {
		t.Fatalf("PrivateData = %q", got)
	}
	if l.PrivateData("kyc_ShanghaiMSP", "none") != nil || l.PrivateData("kyc_JiangsuMSP", "k") != nil {
		t.Fatal("PrivateData invents values")
	}
	tests := []struct {
		name    string
		tx      Tx
		payload string
		err     string // a fragment of the error; "" for success
	}{
		{"a member reads on its own peer", Tx{Creator: ids[sh], Fn: "get", Args: []string{"kyc_ShanghaiMSP", "k"}}, "secret", ""},
		{"a member reads an absent key", Tx{Creator: ids[sh], Fn: "get", Args: []string{"kyc_ShanghaiMSP", "none"}}, "<nil>", ""},
		{"a non-member peer holds only the hash", Tx{Creator: ids[sh], Peer: js, Fn: "get", Args: []string{"kyc_ShanghaiMSP", "k"}}, "",
			"GET_STATE failed: transaction ID: %s: private data matching public hash version is not available. Public hash version = {BlockNum: 1, TxNum: 0}, Private data version = <nil>"},
		{"a non-member peer reads an absent key as nil", Tx{Creator: ids[sh], Peer: js, Fn: "get", Args: []string{"kyc_ShanghaiMSP", "none"}}, "<nil>", ""},
		{"a non-member client on a member peer (memberOnlyRead)", Tx{Creator: ids[js], Peer: sh, Fn: "get", Args: []string{"kyc_ShanghaiMSP", "k"}}, "",
			"GET_STATE failed: transaction ID: %s: tx creator does not have read access permission on privatedata in chaincodeName:yrd collectionName: kyc_ShanghaiMSP"},
		{"a non-member client, even for an absent key", Tx{Creator: ids[js], Fn: "get", Args: []string{"kyc_ShanghaiMSP", "none"}}, "", "does not have read access"},
		{"a non-member client writes (memberOnlyWrite)", Tx{Creator: ids[js], Peer: sh, Fn: "put", Args: []string{"kyc_ShanghaiMSP", "k2", "v"}}, "",
			"PUT_STATE failed: transaction ID: %s: tx creator does not have write access permission on privatedata in chaincodeName:yrd collectionName: kyc_ShanghaiMSP"},
		{"a member client writes on a non-member peer", Tx{Creator: ids[sh], Peer: zj, Fn: "put", Args: []string{"kyc_ShanghaiMSP", "k2", "v"}}, "", ""},
		{"a collection that is not declared", Tx{Creator: ids[sh], Fn: "get", Args: []string{"kyc_EvilMSP", "k"}}, "",
			"GET_STATE failed: transaction ID: %s: collection settlement/yrd/kyc_EvilMSP could not be found"},
		{"a write to a collection that is not declared", Tx{Creator: ids[sh], Fn: "put", Args: []string{"kyc_EvilMSP", "k", "v"}}, "", "could not be found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := l.Evaluate(private, tt.tx)
			if tt.err == "" {
				if !r.OK() || string(r.Payload) != tt.payload {
					t.Fatalf("%d %q %q, want %q", r.Status, r.Message, r.Payload, tt.payload)
				}
				return
			}
			want := tt.err
			if strings.Contains(want, "%s") {
				want = strings.Replace(want, "%s", r.TxID, 1)
			}
			if r.OK() || !strings.Contains(r.Message, want) {
				t.Fatalf("%d %q, want an error with %q", r.Status, r.Message, want)
			}
		})
	}

	t.Run("every endorser simulates: a read of an existing key fails on non-member peers", func(t *testing.T) {
		en := l.Endorse(private, Tx{Creator: ids[sh], Fn: "get", Args: []string{"kyc_ShanghaiMSP", "k"}})
		if en.OK() || !strings.Contains(en.Message, "private data matching public hash version is not available") {
			t.Fatalf("%d %q", en.Status, en.Message)
		}
		if _, err := l.Commit(en); err == nil {
			t.Fatal("a refused endorsement was committed")
		}
		if en := l.Endorse(private, Tx{Creator: ids[sh], Fn: "get", Args: []string{"kyc_ShanghaiMSP", "k"}, Endorsers: []string{sh}}); !en.OK() {
			t.Fatalf("endorsed by the member alone: %s", en.Message)
		}
	})
	t.Run("answers that differ between endorsers do not match", func(t *testing.T) {
		en := l.Endorse(private, Tx{Creator: ids[sh], Fn: "peek", Args: []string{"kyc_ShanghaiMSP", "k"}, Endorsers: []string{js, sh}})
		if en.OK() || !strings.Contains(en.Message, "ProposalResponsePayloads do not match") || len(en.Payload) != 0 {
			t.Fatalf("%d %q %q", en.Status, en.Message, en.Payload)
		}
		if en := l.Endorse(private, Tx{Creator: ids[sh], Fn: "peek", Args: []string{"kyc_ShanghaiMSP", "none"}}); !en.OK() {
			t.Fatalf("an absent key reads the same everywhere: %s", en.Message)
		}
	})
	t.Run("only a proposal that reads private data runs on every endorser", func(t *testing.T) {
		runs := 0
		counted := fnChaincode(func(s shim.ChaincodeStubInterface) *peer.Response { runs++; return private(s) })
		for _, tt := range []struct {
			fn   string
			args []string
			want int
		}{
			{"put", []string{"kyc_ShanghaiMSP", "k3", "v"}, 1},
			{"get", []string{"kyc_ShanghaiMSP", "none"}, 1 + len(l.Orgs)},
		} {
			runs = 0
			if en := l.Endorse(counted, Tx{Creator: ids[sh], Fn: tt.fn, Args: tt.args}); !en.OK() || runs != tt.want {
				t.Errorf("%s: %s; %d simulations, want %d", tt.fn, en.Message, runs, tt.want)
			}
		}
	})
	t.Run("one transaction ID and timestamp for every endorser", func(t *testing.T) {
		ts := fnChaincode(func(s shim.ChaincodeStubInterface) *peer.Response {
			_, _ = s.GetPrivateData("kyc_ShanghaiMSP", "none")
			at, _ := s.GetTxTimestamp()
			return shim.Success([]byte(s.GetTxID() + " " + at.AsTime().String()))
		})
		clock := l.Clock
		if en := l.Endorse(ts, Tx{Creator: ids[sh], Fn: "x"}); !en.OK() || l.Clock != clock.Add(time.Second) {
			t.Fatalf("%s; clock advanced by %s", en.Message, l.Clock.Sub(clock))
		}
	})
}

// TestPrivateDataHash: every peer holds every collection's hashes and
// answers them to any creator.
func TestPrivateDataHash(t *testing.T) {
	l, ids := privateLedger(t)
	if r := l.Invoke(private, Tx{Creator: ids[sh], Fn: "put", Args: []string{"kyc_ShanghaiMSP", "k", "secret"}}); !r.OK() {
		t.Fatal(r.Message)
	}
	sum := sha256.Sum256([]byte("secret"))
	tests := []struct {
		name string
		tx   Tx
		want string
		err  string
	}{
		{"a member on its peer", Tx{Creator: ids[sh], Fn: "hash", Args: []string{"kyc_ShanghaiMSP", "k"}}, hex.EncodeToString(sum[:]), ""},
		{"another province's client on its own peer", Tx{Creator: ids[js], Fn: "hash", Args: []string{"kyc_ShanghaiMSP", "k"}}, hex.EncodeToString(sum[:]), ""},
		{"an absent key", Tx{Creator: ids[js], Fn: "hash", Args: []string{"kyc_ShanghaiMSP", "none"}}, "<nil>", ""},
		{"a collection that is not declared", Tx{Creator: ids[sh], Fn: "hash", Args: []string{"kyc_EvilMSP", "k"}}, "",
			"GET_PRIVATE_DATA_HASH failed: transaction ID: %s: collection [kyc_EvilMSP] not defined in the collection config for chaincode [yrd]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := l.Evaluate(private, tt.tx)
			if tt.err != "" {
				if want := strings.Replace(tt.err, "%s", r.TxID, 1); r.OK() || r.Message != want {
					t.Fatalf("%d %q, want %q", r.Status, r.Message, want)
				}
				return
			}
			if !r.OK() || string(r.Payload) != tt.want {
				t.Fatalf("%d %q %q, want %q", r.Status, r.Message, r.Payload, tt.want)
			}
		})
	}
}

// TestCollectionEndorsementPolicy: private writes are validated against
// their collection's endorsement policy (a member org's peer) instead of
// the chaincode-level one, as Fabric's v2.0 validator does; public writes
// beside them still need theirs.
func TestCollectionEndorsementPolicy(t *testing.T) {
	l, ids := privateLedger(t)
	tests := []struct {
		name      string
		fn        string
		endorsers []string
		want      peer.TxValidationCode
	}{
		{"private writes endorsed by the member alone", "put", []string{sh}, peer.TxValidationCode_VALID},
		{"private writes endorsed by a majority without the member", "put", []string{ah, js, zj}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"private and public writes, the member alone", "both", []string{sh}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"private and public writes, a majority without the member", "both", []string{ah, js, zj}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"private and public writes, a majority with the member", "both", []string{js, sh, zj}, peer.TxValidationCode_VALID},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := fmt.Sprintf("k%d", i)
			en := l.Endorse(private, Tx{Creator: ids[sh], Fn: tt.fn, Args: []string{"kyc_ShanghaiMSP", k, "v", "pub-" + k}, Endorsers: tt.endorsers})
			if !en.OK() {
				t.Fatal(en.Message)
			}
			b, err := l.Commit(en)
			if err != nil || b.Txs[0].Code != tt.want {
				t.Fatalf("%v %v, want %s", b.Txs, err, tt.want)
			}
			if committed := l.PrivateData("kyc_ShanghaiMSP", k) != nil; committed != (tt.want == peer.TxValidationCode_VALID) {
				t.Fatalf("private write committed: %v", committed)
			}
		})
	}
}

// TestPrivateDataWithoutCollections: without Ledger.Collections every stub
// reads and writes every collection, as before membership was modelled.
func TestPrivateDataWithoutCollections(t *testing.T) {
	l := NewLedger(start)
	l.Orgs = []string{ah, js, sh, zj}
	id := MustIdentity(js, "client", nil)
	if r := l.Invoke(private, Tx{Creator: id, Fn: "put", Args: []string{"any", "k", "v"}}); !r.OK() {
		t.Fatal(r.Message)
	}
	if r := l.Evaluate(private, Tx{Creator: id, Peer: zj, Fn: "get", Args: []string{"any", "k"}}); !r.OK() || string(r.Payload) != "v" {
		t.Fatalf("%s %q", r.Message, r.Payload)
	}
}

// TestPrivateDataNoDeadlock: a chaincode reads private data while the
// ledger is locked for its simulation: under Invoke (write lock), and under
// Endorse while a commit waits for the lock (a second read lock would wait
// behind the writer forever).
func TestPrivateDataNoDeadlock(t *testing.T) {
	l, ids := privateLedger(t)
	if r := l.Invoke(private, Tx{Creator: ids[sh], Fn: "put", Args: []string{"kyc_ShanghaiMSP", "k", "v"}}); !r.OK() {
		t.Fatal(r.Message)
	}
	deadline := time.After(10 * time.Second)
	done := make(chan Result, 1)
	go func() {
		done <- l.Invoke(private, Tx{Creator: ids[sh], Fn: "get", Args: []string{"kyc_ShanghaiMSP", "k"}})
	}()
	select {
	case r := <-done:
		if !r.OK() || string(r.Payload) != "v" {
			t.Fatalf("Invoke: %s %q", r.Message, r.Payload)
		}
	case <-deadline:
		t.Fatal("GetPrivateData under Invoke deadlocked")
	}

	started, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	reader := fnChaincode(func(s shim.ChaincodeStubInterface) *peer.Response {
		once.Do(func() { close(started) })
		<-proceed
		v, err := s.GetPrivateData("kyc_ShanghaiMSP", "k")
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	})
	endorsed := make(chan *Endorsement, 1)
	go func() {
		endorsed <- l.Endorse(reader, Tx{Creator: ids[sh], Fn: "get", Endorsers: []string{sh}})
	}()
	<-started
	writer := l.Endorse(private, Tx{Creator: ids[sh], Fn: "put", Args: []string{"kyc_ShanghaiMSP", "w", "x"}, Endorsers: []string{ah, js, sh}})
	if !writer.OK() {
		t.Fatal(writer.Message)
	}
	committed := make(chan error, 1)
	go func() { _, err := l.Commit(writer); committed <- err }()
	// Wait until the commit waits for the write lock: new readers then
	// wait too.
	for l.mu.TryRLock() {
		l.mu.RUnlock()
		select {
		case <-deadline:
			t.Fatal("the commit never waited for the lock")
		case <-time.After(time.Millisecond):
		}
	}
	close(proceed)
	select {
	case en := <-endorsed:
		if !en.OK() || string(en.Payload) != "v" {
			t.Fatalf("Endorse: %s %q", en.Message, en.Payload)
		}
	case <-deadline:
		t.Fatal("GetPrivateData under Endorse deadlocked behind a waiting commit")
	}
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
}

// TestCollectionsAsConfigured: the model's claims hold for the collections
// the network defines (network/chaincode/yrd/collections.json): every
// collection is member-only for reads and writes, its members are the MSPs
// of its member policy, and its endorsement policy is a peer of any of
// them. If the file changes, the model must follow.
func TestCollectionsAsConfigured(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "network", "chaincode", "yrd", "collections.json"))
	if err != nil {
		t.Fatal(err)
	}
	var colls []struct {
		Name              string `json:"name"`
		Policy            string `json:"policy"`
		MemberOnlyRead    bool   `json:"memberOnlyRead"`
		MemberOnlyWrite   bool   `json:"memberOnlyWrite"`
		EndorsementPolicy struct {
			SignaturePolicy string `json:"signaturePolicy"`
		} `json:"endorsementPolicy"`
	}
	if err := json.Unmarshal(b, &colls); err != nil {
		t.Fatal(err)
	}
	if len(colls) == 0 {
		t.Fatal("no collections")
	}
	member := regexp.MustCompile(`^OR\('([A-Za-z0-9.-]+)\.member'(?:, *'([A-Za-z0-9.-]+)\.member')*\)$`)
	for _, c := range colls {
		if !c.MemberOnlyRead || !c.MemberOnlyWrite {
			t.Errorf("%s: memberOnlyRead %v, memberOnlyWrite %v; memstub models both as true", c.Name, c.MemberOnlyRead, c.MemberOnlyWrite)
		}
		if !member.MatchString(c.Policy) {
			t.Errorf("%s: policy %q is not a list of member MSPs, which is all memstub models", c.Name, c.Policy)
		}
		if want := strings.ReplaceAll(c.Policy, ".member'", ".peer'"); c.EndorsementPolicy.SignaturePolicy != want {
			t.Errorf("%s: endorsement policy %q; memstub models %q, a peer of any member", c.Name, c.EndorsementPolicy.SignaturePolicy, want)
		}
	}
}
