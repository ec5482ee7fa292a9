package memstub

import (
	"fmt"
	"slices"
	"sort"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
)

// Commit orders the endorsed transactions into the next block, in the order
// given, and validates each one as a Fabric committing peer does:
//
//  1. A transaction ID already on the ledger, or earlier in the block, is
//     DUPLICATE_TXID.
//  2. Endorsement policies, against the state before the block (Fabric's
//     state-based validator, core/common/validation/statebased): every key
//     the transaction writes or sets a policy on must satisfy the key's
//     committed key-level policy (keypolicy.Satisfied over the endorsing
//     MSPs), or the chaincode-level policy when the key has none; private
//     writes (with Ledger.Collections) satisfy their collection's policy,
//     a peer of a member org; a transaction that checked no key-level or
//     collection policy must satisfy the chaincode-level policy (so does a
//     read-only one). A key whose policy an earlier transaction of the
//     block changed, and that passed this step, fails. Failures are
//     ENDORSEMENT_POLICY_FAILURE.
//  3. Reads, in order, over the transactions that passed (Fabric's
//     kvledger validator, core/ledger/kvledger/txmgmt/validation): a key
//     read at a version that is no longer current, or that an earlier valid
//     transaction of the block wrote, is MVCC_READ_CONFLICT; a range or
//     partial composite key query whose keys or versions are no longer the
//     same over the range it covered is PHANTOM_READ_CONFLICT.
//
// Valid transactions are applied in order; invalid ones write nothing. The
// block and each endorsement's Result (Committed, Block) record the
// outcome. Commit fails without changing anything when it is given no
// endorsement, when one was not endorsed (status 400 or more), was ordered
// before or belongs to another ledger, or when validation needs a policy
// the ledger cannot evaluate (no Orgs or Policy; a key-level policy that
// keypolicy.Satisfied cannot read, on which a peer would halt the channel).
func (l *Ledger) Commit(es ...*Endorsement) (*Block, error) {
	if len(es) == 0 {
		return nil, ErrEmptyBlock
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	inBlock := map[*Endorsement]bool{}
	for _, e := range es {
		switch {
		case e.ledger != l:
			return nil, fmt.Errorf("%w: tx %s", ErrForeignEndorsement, e.TxID)
		case e.ordered || inBlock[e]:
			return nil, fmt.Errorf("%w: tx %s", ErrOrderedTwice, e.TxID)
		case e.Status >= 400:
			return nil, fmt.Errorf("%w: tx %s answered %d: %s", ErrNotEndorsed, e.TxID, e.Status, e.Message)
		}
		inBlock[e] = true
	}
	v := validator{l: l}
	codes := make([]peer.TxValidationCode, len(es))
	seen := map[string]bool{}
	policyChanged := map[string]bool{}
	for i, e := range es {
		if l.txIDs[e.TxID] || seen[e.TxID] {
			codes[i] = peer.TxValidationCode_DUPLICATE_TXID
			continue
		}
		seen[e.TxID] = true
		code, err := v.endorsement(e, policyChanged)
		if err != nil {
			return nil, err
		}
		codes[i] = code
		if code == peer.TxValidationCode_VALID {
			for k := range e.Stub.metaWrites {
				policyChanged[k] = true
			}
		}
	}
	n := l.height
	b := &Block{Txs: make([]BlockTx, len(es))}
	updated := map[string]bool{}
	for i, e := range es {
		if codes[i] == peer.TxValidationCode_VALID {
			codes[i] = l.checkReads(e.Stub, updated)
		}
		if codes[i] == peer.TxValidationCode_VALID {
			l.apply(e.Stub, version{n, uint64(i)}, updated)
		}
		if codes[i] != peer.TxValidationCode_DUPLICATE_TXID {
			l.txIDs[e.TxID] = true
		}
		e.ordered = true
		e.Block = n
		e.Committed = codes[i] == peer.TxValidationCode_VALID
		b.Txs[i] = BlockTx{TxID: e.TxID, Code: codes[i], Event: e.Stub.lastEvent(), Endorsers: e.Endorsers}
	}
	l.appendBlock(b)
	return b, nil
}

// commitUnvalidated applies s's writes as the only transaction of a new
// block (l.mu held for writing) and returns the block's number.
func (l *Ledger) commitUnvalidated(s *Stub) uint64 {
	n := l.height
	l.apply(s, version{n, 0}, nil)
	l.txIDs[s.txID] = true
	l.appendBlock(&Block{Txs: []BlockTx{{TxID: s.txID, Code: peer.TxValidationCode_VALID, Event: s.lastEvent()}}})
	return n
}

// validator evaluates endorsement policies for one Commit.
type validator struct {
	l        *Ledger
	ccPolicy []byte
}

// chaincodePolicy returns the chaincode-level policy: Ledger.Policy, or
// MAJORITY of Ledger.Orgs (more than half of them).
func (v *validator) chaincodePolicy() ([]byte, error) {
	if v.ccPolicy != nil {
		return v.ccPolicy, nil
	}
	if v.l.Policy != nil {
		v.ccPolicy = v.l.Policy
		return v.ccPolicy, nil
	}
	if len(v.l.Orgs) < 2 {
		return nil, ErrNoPolicy
	}
	set, err := keypolicy.New(v.l.Orgs, 1, len(v.l.Orgs)/2+1)
	if err != nil {
		return nil, fmt.Errorf("memstub: chaincode policy: %w", err)
	}
	v.ccPolicy = set.Quorum()
	return v.ccPolicy, nil
}

// endorsement mirrors statebased.baseEvaluator.Evaluate: writes first, then
// policy writes, each key once against its key-level policy or (once per
// transaction) the chaincode-level one; and the chaincode-level policy when
// no policy was checked at all.
func (v *validator) endorsement(e *Endorsement, policyChanged map[string]bool) (peer.TxValidationCode, error) {
	s := e.Stub
	keys := sortedKeys(s.writes)
	keys = append(keys, sortedKeys(s.metaWrites)...)
	ccChecked, sbeChecked := false, false
	for _, k := range keys {
		if policyChanged[k] {
			return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, nil
		}
		var vp []byte
		if en := v.l.state[k]; en != nil {
			vp = en.vp
		}
		if len(vp) == 0 {
			if ccChecked {
				continue
			}
			ok, err := v.satisfiesChaincodePolicy(e.Endorsers)
			if err != nil || !ok {
				return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, err
			}
			ccChecked = true
			continue
		}
		ok, err := keypolicy.Satisfied(vp, e.Endorsers)
		if err != nil {
			return 0, fmt.Errorf("memstub: key-level policy of %q: %w", k, err)
		}
		if !ok {
			return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, nil
		}
		sbeChecked = true
	}
	// Private writes satisfy their collection's endorsement policy, once
	// per collection (policyCheckerV20): a peer of any member org, as every
	// collection of ours defines it. Without Ledger.Collections they are
	// not validated.
	if v.l.Collections != nil {
		for _, coll := range sortedKeys(s.privWrites) {
			members, ok := v.l.Collections[coll]
			if !ok {
				return 0, fmt.Errorf("memstub: private writes to undeclared collection %q", coll)
			}
			if !slices.ContainsFunc(e.Endorsers, func(m string) bool { return slices.Contains(members, m) }) {
				return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, nil
			}
			sbeChecked = true
		}
	}
	if !ccChecked && !sbeChecked {
		ok, err := v.satisfiesChaincodePolicy(e.Endorsers)
		if err != nil || !ok {
			return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, err
		}
	}
	return peer.TxValidationCode_VALID, nil
}

func (v *validator) satisfiesChaincodePolicy(endorsers []string) (bool, error) {
	p, err := v.chaincodePolicy()
	if err != nil {
		return false, err
	}
	ok, err := keypolicy.Satisfied(p, endorsers)
	if err != nil {
		return false, fmt.Errorf("memstub: chaincode policy: %w", err)
	}
	return ok, nil
}

// checkReads mirrors the kvledger validator's validateTx: point reads
// (MVCC_READ_CONFLICT), then range queries (PHANTOM_READ_CONFLICT), over
// the committed state with the writes of the block's earlier valid
// transactions already applied; updated holds the keys those wrote.
func (l *Ledger) checkReads(s *Stub, updated map[string]bool) peer.TxValidationCode {
	for k, r := range s.reads {
		if updated[k] {
			return peer.TxValidationCode_MVCC_READ_CONFLICT
		}
		cur := l.state[k]
		if (cur != nil) != r.exists || (cur != nil && cur.ver != r.ver) {
			return peer.TxValidationCode_MVCC_READ_CONFLICT
		}
	}
	for _, rq := range s.rangeInfos() {
		if !l.rangeUnchanged(rq) {
			return peer.TxValidationCode_PHANTOM_READ_CONFLICT
		}
	}
	return peer.TxValidationCode_VALID
}

// rangeUnchanged re-runs a recorded range query over current state, as
// Fabric's rangeQueryResultsValidator does: keys from start, up to end
// (exclusive when the simulation exhausted the iterator, else inclusive:
// end is then the last key the peer read; "" is unbounded), must be
// exactly the keys read, at the same versions.
func (l *Ledger) rangeUnchanged(rq rangeInfo) bool {
	j := 0
	for i := sort.SearchStrings(l.keys, rq.start); i < len(l.keys); i++ {
		k := l.keys[i]
		if rq.end != "" && (k > rq.end || (rq.exhausted && k == rq.end)) {
			break
		}
		if j == len(rq.reads) || rq.reads[j].key != k || rq.reads[j].ver != l.state[k].ver {
			return false
		}
		j++
	}
	return j == len(rq.reads)
}

// apply writes s's write set at version ver (l.mu held for writing),
// mirroring Fabric's txOps: a delete removes the key and its metadata; a
// value write keeps the key's policy unless the transaction also set one; a
// policy write alone rewrites the key at a new version, or does nothing if
// the key does not exist. Keys that end up in the block's updates are added
// to updated.
func (l *Ledger) apply(s *Stub, ver version, updated map[string]bool) {
	for coll, kv := range s.privWrites {
		if l.private == nil {
			l.private = map[string]map[string]privEntry{}
		}
		if l.private[coll] == nil {
			l.private[coll] = map[string]privEntry{}
		}
		for k, v := range kv {
			l.private[coll][k] = privEntry{value: v, ver: ver}
		}
	}
	mark := func(k string) {
		if updated != nil {
			updated[k] = true
		}
	}
	for k, w := range s.writes {
		vp, hasVP := s.metaWrites[k]
		switch {
		case w.del:
			l.del(k)
		case hasVP:
			l.put(k, &entry{value: w.value, ver: ver, vp: vp, hasVP: true})
		default:
			e := &entry{value: w.value, ver: ver}
			if old := l.state[k]; old != nil {
				e.vp, e.hasVP = old.vp, old.hasVP
			}
			l.put(k, e)
		}
		mark(k)
	}
	for k, vp := range s.metaWrites {
		if _, written := s.writes[k]; written {
			continue
		}
		old := l.state[k]
		if old == nil {
			continue
		}
		l.put(k, &entry{value: old.value, ver: ver, vp: vp, hasVP: true})
		mark(k)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
