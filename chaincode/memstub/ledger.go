package memstub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// ValidationParameterKey is the metadata name under which Fabric stores a
// key's state-based endorsement policy
// (peer.MetaDataKeys_VALIDATION_PARAMETER).
const ValidationParameterKey = "VALIDATION_PARAMETER"

// DefaultBlockRetention is how many of the latest blocks a Ledger keeps
// when Ledger.BlockRetention is zero.
const DefaultBlockRetention = 10000

// Errors of the block and commit API.
var (
	// ErrBlockPruned: the block is older than the ledger's retention.
	ErrBlockPruned = errors.New("memstub: block pruned")
	// ErrNotEndorsed: the chaincode answered with status 400 or more, so no
	// peer endorsed the proposal and there is nothing to order.
	ErrNotEndorsed = errors.New("memstub: proposal not endorsed")
	// ErrOrderedTwice: an endorsement was already ordered into a block.
	ErrOrderedTwice = errors.New("memstub: endorsement ordered twice")
	// ErrForeignEndorsement: the endorsement was simulated on another ledger.
	ErrForeignEndorsement = errors.New("memstub: endorsement from another ledger")
	// ErrEmptyBlock: Commit was given no endorsement (an orderer never cuts
	// an empty block).
	ErrEmptyBlock = errors.New("memstub: no transactions to commit")
	// ErrNoPolicy: a transaction needs the chaincode-level policy, but the
	// ledger has neither Policy nor at least two Orgs to build MAJORITY from.
	ErrNoPolicy = errors.New("memstub: no chaincode endorsement policy (set Ledger.Orgs or Ledger.Policy)")
)

// version is a committed key's version: the block and the transaction's
// index in it, as Fabric's version.Height.
type version struct{ block, tx uint64 }

// entry is one committed key.
type entry struct {
	value []byte
	ver   version
	// vp is the VALIDATION_PARAMETER metadata entry; hasVP reports whether
	// the entry exists (it may be empty after SetStateValidationParameter
	// with no policy).
	vp    []byte
	hasVP bool
}

// Ledger is committed world state, the chain of blocks that built it, and
// the channel configuration that validation needs.
//
// Ledger methods are safe for concurrent use. A simulation (Endorse,
// Evaluate) holds a read lock while the chaincode runs, a commit (Commit,
// Invoke, Stub.Commit) the write lock, as a Fabric peer's transaction
// manager does; so every simulation reads one consistent snapshot. A Stub
// made with NewStub reads without any lock and must not be used while
// another goroutine commits.
type Ledger struct {
	// Clock is the timestamp given to the next transaction that does not set
	// its own; each such transaction advances it by one second.
	Clock time.Time
	// Orgs are the channel's MSP IDs: Tx.Endorsers defaults to all of them,
	// and the chaincode-level endorsement policy to MAJORITY of them.
	Orgs []string
	// Policy is the chaincode-level endorsement policy (a serialized
	// SignaturePolicyEnvelope, see package keypolicy); nil means MAJORITY of
	// Orgs. Commit applies it to writes of keys without a key-level policy.
	Policy []byte
	// Channel is what GetChannelID answers; default "settlement".
	Channel string
	// Namespace is the chaincode name, reported as the namespace of range
	// query results; default "yrd".
	Namespace string
	// BlockRetention bounds how many of the latest blocks are kept (0:
	// DefaultBlockRetention); older ones answer ErrBlockPruned.
	BlockRetention int

	// Collections declares the chaincode's private data collections and
	// their members: collection name -> MSP IDs of the member orgs (the
	// collection's member policy, "OR('ShanghaiMSP.member')"). Every
	// collection is modelled as network/chaincode/yrd/collections.json
	// defines each of ours: memberOnlyRead, memberOnlyWrite, and an
	// endorsement policy of any member org's peer. nil:
	// membership is not modelled, and every stub reads and writes every
	// collection. See the package documentation, "Private data".
	Collections map[string][]string

	// PeerClock, when set, is the endorsing peers' clock as a function of
	// a transaction's timestamp (e.g. func(t) { return t.Add(10*time.Minute) }
	// for a client whose clock is ten minutes slow); nil means the peers
	// agree with the client. See Stub.PeerClock.
	PeerClock func(txTime time.Time) time.Time

	seqMu sync.Mutex // guards Clock and txSeq
	txSeq int

	mu     sync.RWMutex
	state  map[string]*entry
	keys   []string // committed keys, sorted
	blocks []*Block // the retained blocks, oldest first
	height uint64
	txIDs  map[string]bool
	// private holds private data collections: collection -> key -> the
	// committed value and the version of its hash on the ledger.
	private map[string]map[string]privEntry
	// next is closed when the next block is committed.
	next chan struct{}
}

// NewLedger returns an empty ledger whose clock starts at start. Its block
// 0 is an empty genesis block; transactions commit from block 1.
func NewLedger(start time.Time) *Ledger {
	return &Ledger{
		Clock: start, Channel: "settlement", Namespace: "yrd",
		state: map[string]*entry{}, txIDs: map[string]bool{}, next: make(chan struct{}),
		blocks: []*Block{{Number: 0}}, height: 1,
	}
}

// privEntry is one committed private key.
type privEntry struct {
	value []byte
	ver   version
}

// Tx describes one transaction proposal.
type Tx struct {
	// ID defaults to a sequence-derived 64-hex-character ID.
	ID string
	// Time defaults to the ledger clock.
	Time time.Time
	// Creator signs the proposal.
	Creator *Identity
	// Transient is the proposal's transient map.
	Transient map[string][]byte
	// Fn is the function name, e.g. "token:Transfer"; Args its arguments.
	Fn   string
	Args []string
	// Endorsers are the MSP IDs whose peers endorse the proposal (one peer
	// each), for Endorse and Commit; nil means every org in Ledger.Orgs.
	// Invoke ignores it.
	Endorsers []string
	// Peer is the MSP ID of the org whose peer simulates the proposal in
	// Invoke and Evaluate, which decides what private data it holds (with
	// Ledger.Collections set); empty means the creator's org, whose own
	// gateway a Fabric client uses. Endorse ignores it when it simulates on
	// every endorsing org's peer (see Endorse).
	Peer string
}

// Event is a chaincode event set by a transaction.
type Event struct {
	Name    string
	Payload []byte
}

// Result is the outcome of Invoke, Evaluate or Endorse.
type Result struct {
	TxID    string
	Status  int32
	Message string
	Payload []byte
	// Events lists every SetEvent call, in order; Fabric keeps only the
	// last (see BlockTx.Event).
	Events []Event
	// Committed reports whether the writes were applied: by Invoke, or by
	// Commit for an Endorsement whose transaction was valid.
	Committed bool
	// Block is the number of the block the transaction was ordered in
	// (valid or not); 0 when it was not ordered.
	Block uint64
	// Stub is the transaction's stub, for inspecting reads and writes.
	Stub *Stub
}

// OK reports status 200.
func (r Result) OK() bool { return r.Status == shim.OK }

// Invoke runs tx through cc and, if it answered status 200, commits its
// writes at once in a block of its own. Nothing can run between the
// simulation and the commit, and no endorsement policy is checked: it is as
// if every org endorsed, so the transaction is always valid. Use Endorse and
// Commit to model concurrency and validation.
func (l *Ledger) Invoke(cc shim.Chaincode, tx Tx) Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.NewStub(tx)
	r := s.result(cc.Invoke(s))
	if r.OK() {
		r.Block = l.commitUnvalidated(s)
		r.Committed = true
	}
	return r
}

// Evaluate runs tx through cc against committed state on one peer
// (Tx.Peer's org) and discards its writes, as a peer answers an evaluate
// (query) request.
func (l *Ledger) Evaluate(cc shim.Chaincode, tx Tx) Result {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s := l.NewStub(tx)
	return s.result(cc.Invoke(s))
}

// Endorsement is a transaction simulated against committed state and not
// yet committed: the chaincode's answer, its read/write set (in Stub) and
// who endorsed it. Commit orders and validates it, and then sets
// Result.Committed and Result.Block; an Endorsement must not be read while
// another goroutine commits it.
type Endorsement struct {
	Result
	// Endorsers are the MSP IDs that endorsed it, sorted and unique.
	Endorsers []string

	ledger  *Ledger
	ordered bool
}

// Endorse simulates tx as the endorsing peers do: the chaincode runs
// against the committed state of the moment, its reads are recorded with
// the versions they saw, and nothing is written until Commit. Several
// endorsements taken before a Commit all saw the same state.
//
// Every endorsing peer has the same public state and clock, so one
// simulation (on Tx.Peer's org) stands for all of them, except where peers
// of different orgs hold different private data (Ledger.Collections). When
// that simulation read private data, the proposal is simulated on a peer of
// each endorsing org, in MSP ID order, as a Fabric Gateway collects
// endorsements: the first refusal is the answer, and answers that differ
// (status, message, payload, event, read or write set) fail as the
// gateway's "ProposalResponsePayloads do not match" does.
func (l *Ledger) Endorse(cc shim.Chaincode, tx Tx) *Endorsement {
	l.mu.RLock()
	defer l.mu.RUnlock()
	sorted := l.endorsersOf(tx)
	s := l.NewStub(tx)
	first := s.result(cc.Invoke(s))
	if l.Collections == nil || !s.privateRead || len(sorted) == 0 {
		return &Endorsement{Result: first, Endorsers: sorted, ledger: l}
	}
	tx.ID, tx.Time = s.txID, s.ts // one proposal: the same ID and timestamp everywhere
	var answer Result
	for i, org := range sorted {
		tx.Peer = org
		s := l.NewStub(tx)
		r := s.result(cc.Invoke(s))
		switch {
		case !r.OK():
			return &Endorsement{Result: r, Endorsers: sorted, ledger: l}
		case i == 0:
			answer = r
		case !sameResponse(answer, r):
			r.Status, r.Payload = shim.ERROR, nil
			r.Message = fmt.Sprintf("ProposalResponsePayloads do not match: the peers of %s and %s simulated the proposal differently", sorted[0], org)
			return &Endorsement{Result: r, Endorsers: sorted, ledger: l}
		}
	}
	return &Endorsement{Result: answer, Endorsers: sorted, ledger: l}
}

// endorsersOf returns tx's endorsing orgs (default: Ledger.Orgs), sorted
// and unique.
func (l *Ledger) endorsersOf(tx Tx) []string {
	endorsers := tx.Endorsers
	if endorsers == nil {
		endorsers = l.Orgs
	}
	set := map[string]bool{}
	for _, m := range endorsers {
		set[m] = true
	}
	sorted := make([]string, 0, len(set))
	for m := range set {
		sorted = append(sorted, m)
	}
	sort.Strings(sorted)
	return sorted
}

// sameResponse reports whether two simulations of one proposal would give
// the same proposal response payload: the chaincode's response, its event
// (the last one set) and its read/write set.
func sameResponse(a, b Result) bool {
	return a.Status == b.Status && a.Message == b.Message && bytes.Equal(a.Payload, b.Payload) &&
		reflect.DeepEqual(a.Stub.lastEvent(), b.Stub.lastEvent()) &&
		reflect.DeepEqual(a.Stub.reads, b.Stub.reads) && reflect.DeepEqual(a.Stub.rangeInfos(), b.Stub.rangeInfos()) &&
		reflect.DeepEqual(a.Stub.writes, b.Stub.writes) && reflect.DeepEqual(a.Stub.metaWrites, b.Stub.metaWrites) &&
		reflect.DeepEqual(a.Stub.privWrites, b.Stub.privWrites)
}

// stamp gives tx its ID and timestamp, if it has none, from the ledger's
// sequence and clock.
func (l *Ledger) stamp(tx Tx) Tx {
	l.seqMu.Lock()
	defer l.seqMu.Unlock()
	l.txSeq++
	if tx.ID == "" {
		tx.ID = fmt.Sprintf("%064x", l.txSeq)
	}
	if tx.Time.IsZero() {
		tx.Time = l.Clock
		l.Clock = l.Clock.Add(time.Second)
	}
	return tx
}

// NewStub prepares a stub for tx without running anything; Commit applies
// its writes without validation. Most tests use Invoke, or Endorse and
// Commit.
func (l *Ledger) NewStub(tx Tx) *Stub {
	tx = l.stamp(tx)
	id, ts := tx.ID, tx.Time
	args := make([][]byte, 0, len(tx.Args)+1)
	args = append(args, []byte(tx.Fn))
	for _, a := range tx.Args {
		args = append(args, []byte(a))
	}
	var creator []byte
	var creatorMSP string
	if tx.Creator != nil {
		creator, creatorMSP = tx.Creator.Serialized, tx.Creator.MSPID
	}
	peerOrg := tx.Peer
	if peerOrg == "" {
		peerOrg = creatorMSP
	}
	return &Stub{ledger: l, txID: id, ts: ts, creator: creator, creatorMSP: creatorMSP, peer: peerOrg,
		transient: tx.Transient, args: args,
		writes: map[string]write{}, metaWrites: map[string][]byte{}, reads: map[string]read{}}
}

// Get returns the committed value of key, nil if absent.
func (l *Ledger) Get(key string) []byte {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if e := l.state[key]; e != nil {
		return e.value
	}
	return nil
}

// ValidationParameter returns key's committed state-based endorsement
// policy, nil if none.
func (l *Ledger) ValidationParameter(key string) []byte {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if e := l.state[key]; e != nil {
		return e.vp
	}
	return nil
}

// PrivateData returns the committed value of key in a private data
// collection, nil if absent: what a peer of a member org holds, for tests
// (a stub reads it as its peer and creator may, see Stub.GetPrivateData).
func (l *Ledger) PrivateData(collection, key string) []byte {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if e, ok := l.private[collection][key]; ok {
		return append([]byte(nil), e.value...)
	}
	return nil
}

// Keys returns all committed keys in order.
func (l *Ledger) Keys() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]string(nil), l.keys...)
}

// Snapshot copies committed state and metadata, for comparing before and
// after a rejected call.
func (l *Ledger) Snapshot() map[string]string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	snap := make(map[string]string, len(l.state))
	for k, e := range l.state {
		snap[k] = string(e.value)
		if e.hasVP {
			snap["meta|"+k+"|"+ValidationParameterKey] = string(e.vp)
		}
	}
	return snap
}

// Height is the number of blocks, i.e. the number of the next block.
func (l *Ledger) Height() uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.height
}

// Block returns block n, waiting until it is committed or ctx ends. Blocks
// older than the retention answer ErrBlockPruned. The block must not be
// modified.
func (l *Ledger) Block(ctx context.Context, n uint64) (*Block, error) {
	for {
		l.mu.RLock()
		height, next := l.height, l.next
		var b *Block
		var err error
		if n < height {
			if first := l.blocks[0].Number; n < first {
				err = fmt.Errorf("%w: block %d (oldest kept is %d)", ErrBlockPruned, n, first)
			} else {
				b = l.blocks[n-first]
			}
		}
		l.mu.RUnlock()
		if b != nil || err != nil {
			return b, err
		}
		select {
		case <-next:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Block is one block of the ledger.
type Block struct {
	Number uint64
	Txs    []BlockTx
}

// BlockTx is one transaction of a block.
type BlockTx struct {
	TxID string
	// Code is the validation code, as Fabric's committing peer sets it.
	Code peer.TxValidationCode
	// Event is the chaincode event the transaction set (Fabric keeps only
	// the last SetEvent), nil if none. It is recorded for invalid
	// transactions too, as the block holds it; see Block.ChaincodeEvents.
	Event *Event
	// Endorsers are the MSP IDs that endorsed it; nil for transactions
	// committed without validation (Invoke, Stub.Commit).
	Endorsers []string
}

// TxEvent is a chaincode event with the transaction and block it is from.
type TxEvent struct {
	BlockNumber uint64
	TxID        string
	Event
}

// ChaincodeEvents returns the events of the block's valid transactions, in
// transaction order: what a Fabric Gateway's ChaincodeEvents stream
// delivers for the block.
func (b *Block) ChaincodeEvents() []TxEvent {
	var out []TxEvent
	for _, tx := range b.Txs {
		if tx.Code == peer.TxValidationCode_VALID && tx.Event != nil {
			out = append(out, TxEvent{BlockNumber: b.Number, TxID: tx.TxID, Event: *tx.Event})
		}
	}
	return out
}

// Tx returns the transaction with ID txID.
func (b *Block) Tx(txID string) (BlockTx, bool) {
	for _, tx := range b.Txs {
		if tx.TxID == txID {
			return tx, true
		}
	}
	return BlockTx{}, false
}

// appendBlock adds b as the next block (l.mu held for writing), prunes
// beyond the retention and wakes Block waiters.
func (l *Ledger) appendBlock(b *Block) {
	b.Number = l.height
	l.blocks = append(l.blocks, b)
	keep := l.BlockRetention
	if keep <= 0 {
		keep = DefaultBlockRetention
	}
	if over := len(l.blocks) - keep; over > 0 {
		l.blocks = append([]*Block(nil), l.blocks[over:]...)
	}
	l.height++
	close(l.next)
	l.next = make(chan struct{})
}

// put stores e under key, keeping keys sorted (l.mu held for writing).
func (l *Ledger) put(key string, e *entry) {
	if _, ok := l.state[key]; !ok {
		i := sort.SearchStrings(l.keys, key)
		l.keys = append(l.keys, "")
		copy(l.keys[i+1:], l.keys[i:])
		l.keys[i] = key
	}
	l.state[key] = e
}

// del removes key and its metadata (l.mu held for writing).
func (l *Ledger) del(key string) {
	if _, ok := l.state[key]; !ok {
		return
	}
	delete(l.state, key)
	i := sort.SearchStrings(l.keys, key)
	l.keys = append(l.keys[:i], l.keys[i+1:]...)
}
