package sbefix

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/hyperledger/fabric-protos-go/ledger/rwset/kvrwset"
	commonerrors "github.com/hyperledger/fabric/common/errors"
	"github.com/hyperledger/fabric/core/common/validation/statebased"
	"github.com/hyperledger/fabric/core/ledger/kvledger/txmgmt/rwsetutil"
	"github.com/hyperledger/fabric/protoutil"
)

// unpatched: the run against the pinned module as published (make sets
// YRD_FABRIC_UNPATCHED=1 for it).
func unpatched() bool { return os.Getenv("YRD_FABRIC_UNPATCHED") == "1" }

const (
	ns       = "yrd"
	ccPolicy = "chaincode-policy"
)

// params gives each key its key-level policy ("" for none).
type params map[string]string

func (p params) GetValidationParameterForKey(_, _, key string, _, _ uint64) ([]byte, error) {
	return []byte(p[key]), nil
}
func (params) ExtractValidationParameterDependency(uint64, uint64, []byte) {}
func (params) SetTxValidationResult(string, uint64, uint64, error)         {}

// evaluator answers per policy bytes and counts its evaluations.
type evaluator struct {
	mu    sync.Mutex
	met   map[string]bool
	calls map[string]int
}

func (e *evaluator) Evaluate(policy []byte, _ []*protoutil.SignedData) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[string(policy)]++
	if !e.met[string(policy)] {
		return fmt.Errorf("policy %s not satisfied", policy)
	}
	return nil
}

func (e *evaluator) total() int {
	n := 0
	for _, c := range e.calls {
		n += c
	}
	return n
}

// validate runs the peer's V20 evaluator over a transaction writing keys
// (in order), with the given policies met.
func validate(t *testing.T, keys []string, p params, met ...string) (commonerrors.TxValidationError, *evaluator) {
	t.Helper()
	ev := &evaluator{met: map[string]bool{}, calls: map[string]int{}}
	for _, m := range met {
		ev.met[m] = true
	}
	writes := make([]*kvrwset.KVWrite, len(keys))
	for i, k := range keys {
		writes[i] = &kvrwset.KVWrite{Key: k, Value: []byte("v")}
	}
	rws := []*rwsetutil.NsRwSet{{NameSpace: ns, KvRwSet: &kvrwset.KVRWSet{Writes: writes}}}
	sd := []*protoutil.SignedData{{Data: []byte("prp"), Identity: []byte("endorser"), Signature: []byte("sig")}}
	f := statebased.NewV20Evaluator(p, ev, nil, nil)
	return f.Evaluator([]byte(ccPolicy)).Evaluate(7, 0, rws, ns, sd), ev
}

// keysOf names n keys with prefix and gives each policy.
func keysOf(p params, prefix string, n int, policy string) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%03d", prefix, i)
		p[keys[i]] = policy
	}
	return keys
}

func TestEachPolicyOnce(t *testing.T) {
	p := params{}
	keys := append(keysOf(p, "sh-out", 200, "AND(SH, 2 of 3 others)"), keysOf(p, "js-out", 50, "AND(JS, 2 of 3 others)")...)
	err, ev := validate(t, keys, p, "AND(SH, 2 of 3 others)", "AND(JS, 2 of 3 others)")
	if err != nil {
		t.Fatalf("valid transaction refused: %v", err)
	}
	want := 2
	if unpatched() {
		want = len(keys)
	}
	if got := ev.total(); got != want {
		t.Fatalf("%d key-level policy evaluations for %d keys under 2 policies (%v), want %d", got, len(keys), ev.calls, want)
	}
}

func TestOutcomesUnchanged(t *testing.T) {
	t.Run("one key under a policy that is not met", func(t *testing.T) {
		p := params{}
		keys := keysOf(p, "sh-out", 100, "AND(SH, 2 of 3 others)")
		keys = append(keys, keysOf(p, "zj-out", 1, "AND(ZJ, 2 of 3 others)")...)
		keys = append(keys, keysOf(p, "sh-more", 10, "AND(SH, 2 of 3 others)")...)
		err, _ := validate(t, keys, p, "AND(SH, 2 of 3 others)")
		if _, ok := err.(*commonerrors.VSCCEndorsementPolicyError); !ok {
			t.Fatalf("a key whose policy is not met: %T %v, want an endorsement policy error", err, err)
		}
	})
	t.Run("a failing policy fails every key that carries it", func(t *testing.T) {
		p := params{}
		keys := keysOf(p, "zj-out", 3, "AND(ZJ, 2 of 3 others)")
		err, ev := validate(t, keys, p)
		if _, ok := err.(*commonerrors.VSCCEndorsementPolicyError); !ok {
			t.Fatalf("%T %v, want an endorsement policy error", err, err)
		}
		if ev.total() != 1 {
			t.Fatalf("%d evaluations: the first failing key ends the validation", ev.total())
		}
	})
	t.Run("keys without a key-level policy need the chaincode's", func(t *testing.T) {
		p := params{}
		keys := append(keysOf(p, "sh-out", 5, "AND(SH, 2 of 3 others)"), keysOf(p, "record", 5, "")...)
		if err, _ := validate(t, keys, p, "AND(SH, 2 of 3 others)", ccPolicy); err != nil {
			t.Fatalf("valid: %v", err)
		}
		err, _ := validate(t, keys, p, "AND(SH, 2 of 3 others)")
		if _, ok := err.(*commonerrors.VSCCEndorsementPolicyError); !ok {
			t.Fatalf("chaincode policy not met: %T %v, want an endorsement policy error", err, err)
		}
	})
}
