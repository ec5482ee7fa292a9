package memstub

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	compositeKeyNamespace = "\x00"
	minUnicodeRuneValue   = 0
	maxUnicodeRuneValue   = utf8.MaxRune
	// emptyKeySubstitute is what the shim sends for an empty range start,
	// so that a range over simple keys never reaches composite keys.
	emptyKeySubstitute = "\x01"
)

// ErrUnsupported is returned by stub functions this fake does not model
// (private data other than GetPrivateData, GetPrivateDataHash and
// PutPrivateData, rich queries, history, chaincode-to-chaincode calls).
var ErrUnsupported = errors.New("memstub: not supported")

// write is one entry of the write set; a delete has del set (Fabric also
// records a PutState of an empty value as a delete).
type write struct {
	value []byte
	del   bool
}

// read is one entry of the read set: the version the key had, if any.
type read struct {
	exists bool
	ver    version
}

// Stub is one transaction's view of a Ledger. It implements
// shim.ChaincodeStubInterface and records the transaction's read/write set
// the way a peer's transaction simulator does.
type Stub struct {
	ledger    *Ledger
	txID      string
	ts        time.Time
	creator   []byte
	transient map[string][]byte
	args      [][]byte
	// creatorMSP is the creator's org; peer the org of the peer that
	// simulates (Tx.Peer, default the creator's).
	creatorMSP, peer string

	writes     map[string]write
	metaWrites map[string][]byte
	events     []Event
	reads      map[string]read
	queries    []*cursor
	// wrote and paged mirror the transaction simulator's writePerformed and
	// paginatedQueriesPerformed: a transaction may not do both.
	wrote, paged bool
	// privWrites are private data writes by collection, applied at commit.
	privWrites map[string]map[string][]byte
	// privateRead: the transaction called GetPrivateData (see
	// Ledger.Endorse).
	privateRead bool

	// ReadKeys lists the keys read with GetState, in order.
	ReadKeys []string
	// RangeQueries counts range and partial composite key queries.
	RangeQueries int
}

var _ shim.ChaincodeStubInterface = (*Stub)(nil)

func (s *Stub) result(resp *peer.Response) Result {
	return Result{TxID: s.txID, Status: resp.GetStatus(), Message: resp.GetMessage(), Payload: resp.GetPayload(),
		Events: s.events, Stub: s}
}

// Writes returns the keys written (put or deleted) by the transaction, sorted.
func (s *Stub) Writes() []string { return sortedKeys(s.writes) }

// ValidationParameterWritten returns the policy the transaction set on key.
func (s *Stub) ValidationParameterWritten(key string) ([]byte, bool) {
	v, ok := s.metaWrites[key]
	return v, ok
}

// Commit applies the transaction's writes in a block of its own, without
// validation (for stubs made with NewStub).
func (s *Stub) Commit() {
	s.ledger.mu.Lock()
	defer s.ledger.mu.Unlock()
	s.ledger.commitUnvalidated(s)
}

func (s *Stub) lastEvent() *Event {
	if len(s.events) == 0 {
		return nil
	}
	e := s.events[len(s.events)-1]
	return &e
}

// GetArgs returns the function name and arguments.
func (s *Stub) GetArgs() [][]byte { return s.args }

// GetStringArgs returns the arguments as strings.
func (s *Stub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

// GetFunctionAndParameters splits the first argument off as the function.
func (s *Stub) GetFunctionAndParameters() (string, []string) {
	a := s.GetStringArgs()
	if len(a) == 0 {
		return "", []string{}
	}
	return a[0], a[1:]
}

// GetArgsSlice concatenates the arguments.
func (s *Stub) GetArgsSlice() ([]byte, error) {
	out := []byte{}
	for _, a := range s.args {
		out = append(out, a...)
	}
	return out, nil
}

// GetTxID returns the transaction ID.
func (s *Stub) GetTxID() string { return s.txID }

// GetChannelID returns the ledger's channel name.
func (s *Stub) GetChannelID() string { return s.ledger.Channel }

// InvokeChaincode is not supported.
func (s *Stub) InvokeChaincode(string, [][]byte, string) *peer.Response {
	return shim.Error(ErrUnsupported.Error())
}

// checkUTF8 fails as the shim does when it marshals a request whose key
// (a proto3 string) is not valid UTF-8.
func checkUTF8(keys ...string) error {
	for _, k := range keys {
		if !utf8.ValidString(k) {
			return fmt.Errorf("string field contains invalid UTF-8: %q", k)
		}
	}
	return nil
}

// getState reads the committed value of key and records the read with its
// version (nil version when absent), as the simulator does.
func (s *Stub) getState(key string) []byte {
	e := s.ledger.state[key]
	if e == nil {
		s.reads[key] = read{}
		return nil
	}
	s.reads[key] = read{exists: true, ver: e.ver}
	return append([]byte(nil), e.value...)
}

// GetState returns the committed value of key: never this transaction's
// own writes, as on a peer.
func (s *Stub) GetState(key string) ([]byte, error) {
	if err := checkUTF8(key); err != nil {
		return nil, err
	}
	s.ReadKeys = append(s.ReadKeys, key)
	return s.getState(key), nil
}

// GetMultipleStates reads several keys.
func (s *Stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if err := checkUTF8(keys...); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i], _ = s.GetState(k)
	}
	return out, nil
}

// beforeWrite mirrors the simulator's checkWritePrecondition: no writes
// after a paginated query.
func (s *Stub) beforeWrite() error {
	if s.paged {
		return fmt.Errorf("txid [%s]: unsuppored transaction. Transaction has already performed a paginated query. Writes are not allowed", s.txID)
	}
	s.wrote = true
	return nil
}

// PutState records a write. As on a peer, an empty value is a delete.
func (s *Stub) PutState(key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if err := checkUTF8(key); err != nil {
		return err
	}
	if err := s.beforeWrite(); err != nil {
		return err
	}
	if len(value) == 0 {
		s.writes[key] = write{del: true}
		return nil
	}
	s.writes[key] = write{value: append([]byte(nil), value...)}
	return nil
}

// DelState records a delete.
func (s *Stub) DelState(key string) error {
	if err := checkUTF8(key); err != nil {
		return err
	}
	if err := s.beforeWrite(); err != nil {
		return err
	}
	s.writes[key] = write{del: true}
	return nil
}

// SetStateValidationParameter records a key-level endorsement policy. It
// takes effect at commit: on the key written in the same transaction, or on
// an existing key; on a key that exists neither way it is dropped.
func (s *Stub) SetStateValidationParameter(key string, ep []byte) error {
	if err := checkUTF8(key); err != nil {
		return err
	}
	if err := s.beforeWrite(); err != nil {
		return err
	}
	s.metaWrites[key] = append([]byte(nil), ep...)
	return nil
}

// GetStateValidationParameter returns the committed key-level policy (not
// one this transaction set). Like the peer, it records a read of key.
func (s *Stub) GetStateValidationParameter(key string) ([]byte, error) {
	if err := checkUTF8(key); err != nil {
		return nil, err
	}
	s.getState(key)
	if e := s.ledger.state[key]; e != nil && e.hasVP {
		return append([]byte(nil), e.vp...), nil
	}
	return nil, nil
}

func validateSimpleKeys(keys ...string) error {
	for _, k := range keys {
		if len(k) > 0 && k[0] == compositeKeyNamespace[0] {
			return fmt.Errorf("first character of the key [%s] contains a null character which is not allowed", k)
		}
	}
	return nil
}

// GetStateByRange iterates committed keys in [startKey, endKey) ("" start:
// the first simple key; "" end: unbounded). Composite keys are refused.
func (s *Stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	it, _, err := s.query(startKey, endKey, 0, "")
	return it, err
}

// GetStateByRangeWithPagination is GetStateByRange one page at a time; a
// non-empty bookmark is the key the page starts from.
func (s *Stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, nil, err
	}
	return s.query(startKey, endKey, pageSize, bookmark)
}

// GetStateByPartialCompositeKey iterates keys with the given prefix.
func (s *Stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	start, err := s.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, err
	}
	it, _, err := s.query(start, start+string(maxUnicodeRuneValue), 0, "")
	return it, err
}

// GetStateByPartialCompositeKeyWithPagination pages through keys with the
// given prefix. A non-empty bookmark is the key the page starts from,
// whether or not it has the prefix: the peer reads from it up to the end of
// the prefix's range, so a bookmark below the prefix returns other keys.
func (s *Stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, err := s.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.query(start, start+string(maxUnicodeRuneValue), pageSize, bookmark)
}

// GetAllStatesCompositeKeyWithPagination pages through all composite keys.
func (s *Stub) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.query(compositeKeyNamespace, compositeKeyNamespace+string(maxUnicodeRuneValue), pageSize, bookmark)
}

// CreateCompositeKey builds a key exactly as the Fabric shim does (it is
// the shim's own function).
func (s *Stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

// SplitCompositeKey splits a composite key as the shim does: the first
// byte is skipped and the rest split at every U+0000. Where the shim would
// panic (no U+0000 after the first byte) it returns an error.
func (s *Stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	var components []string
	from := 1
	for i := 1; i < len(compositeKey); i++ {
		if compositeKey[i] == minUnicodeRuneValue {
			components = append(components, compositeKey[from:i])
			from = i + 1
		}
	}
	if len(components) == 0 {
		return "", nil, fmt.Errorf("memstub: %q is not a composite key (the shim would panic)", compositeKey)
	}
	return components[0], components[1:], nil
}

// GetQueryResult is not supported (no CouchDB).
func (s *Stub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetQueryResultWithPagination is not supported.
func (s *Stub) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, ErrUnsupported
}

// GetHistoryForKey is not supported.
func (s *Stub) GetHistoryForKey(string) (shim.HistoryQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetPrivateData reads a collection's committed value (nil if absent). As
// with public state, the transaction's own private writes are not seen.
//
// With Ledger.Collections set it answers as the peer does
// (core/chaincode/handler.go, then the transaction simulator): a collection
// that is not declared, or a creator whose org is not a member
// (memberOnlyRead), is an error; a key that never existed reads nil on any
// peer; a key that exists fails on a peer of an org that is not a member,
// which holds only its hash ("private data matching public hash version is
// not available"). Private reads are not recorded for validation.
//
// Like every stub read it takes no lock: the simulation holds the ledger's
// lock (read for Endorse and Evaluate, write for Invoke).
func (s *Stub) GetPrivateData(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errors.New("collection must not be an empty string")
	}
	s.privateRead = true
	if err := s.collectionAccess("GET_STATE", collection, false); err != nil {
		return nil, err
	}
	e, ok := s.ledger.private[collection][key]
	if !ok {
		return nil, nil
	}
	if !s.peerHolds(collection) {
		return nil, fmt.Errorf("GET_STATE failed: transaction ID: %s: private data matching public hash version is not available. "+
			"Public hash version = {BlockNum: %d, TxNum: %d}, Private data version = <nil>", s.txID, e.ver.block, e.ver.tx)
	}
	return append([]byte(nil), e.value...), nil
}

// collectionAccess mirrors the peer's permission check before a private
// data call (RetrieveReadWritePermission): the collection must be
// declared, and the creator's org a member, for reads (memberOnlyRead) and
// writes (memberOnlyWrite) alike. Without Ledger.Collections every call
// passes. msgType names the shim message in the error, as the peer does.
func (s *Stub) collectionAccess(msgType, collection string, write bool) error {
	if s.ledger.Collections == nil {
		return nil
	}
	members, ok := s.ledger.Collections[collection]
	if !ok {
		return fmt.Errorf("%s failed: transaction ID: %s: collection %s/%s/%s could not be found",
			msgType, s.txID, s.ledger.Channel, s.ledger.Namespace, collection)
	}
	if slices.Contains(members, s.creatorMSP) {
		return nil
	}
	access := "read"
	if write {
		access = "write"
	}
	return fmt.Errorf("%s failed: transaction ID: %s: tx creator does not have %s access permission on privatedata in chaincodeName:%s collectionName: %s",
		msgType, s.txID, access, s.ledger.Namespace, collection)
}

// peerHolds reports whether the simulating peer's org is a member of
// collection (always, without Ledger.Collections).
func (s *Stub) peerHolds(collection string) bool {
	if s.ledger.Collections == nil {
		return true
	}
	return slices.Contains(s.ledger.Collections[collection], s.peer)
}

// GetMultiplePrivateData is not supported.
func (s *Stub) GetMultiplePrivateData(string, ...string) ([][]byte, error) {
	return nil, ErrUnsupported
}

// GetPrivateDataHash returns the SHA-256 hash of a collection's committed
// value (nil if absent). Every peer holds the hashes of every collection,
// and the peer checks no membership for them, so any creator on any peer
// reads it; with Ledger.Collections set, a collection that is not declared
// is an error, as on the peer. Hash reads are not recorded for validation.
func (s *Stub) GetPrivateDataHash(collection, key string) ([]byte, error) {
	if collection == "" {
		return nil, errors.New("collection must not be an empty string")
	}
	if s.ledger.Collections != nil {
		if _, ok := s.ledger.Collections[collection]; !ok {
			return nil, fmt.Errorf("GET_PRIVATE_DATA_HASH failed: transaction ID: %s: collection [%s] not defined in the collection config for chaincode [%s]",
				s.txID, collection, s.ledger.Namespace)
		}
	}
	e, ok := s.ledger.private[collection][key]
	if !ok {
		return nil, nil
	}
	sum := sha256.Sum256(e.value)
	return sum[:], nil
}

// PutPrivateData writes value to a collection at commit. Only the value's
// hash would reach the block on a peer; here the collection simply holds
// it. An empty value is refused, as the shim does. With Ledger.Collections
// set, a creator whose org is not a member is refused (memberOnlyWrite);
// a peer of an org that is not a member endorses the write all the same,
// as a Fabric peer does.
func (s *Stub) PutPrivateData(collection, key string, value []byte) error {
	if collection == "" {
		return errors.New("collection must not be an empty string")
	}
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if len(value) == 0 {
		return errors.New("value must not be empty")
	}
	if err := s.collectionAccess("PUT_STATE", collection, true); err != nil {
		return err
	}
	if s.privWrites == nil {
		s.privWrites = map[string]map[string][]byte{}
	}
	if s.privWrites[collection] == nil {
		s.privWrites[collection] = map[string][]byte{}
	}
	s.privWrites[collection][key] = append([]byte(nil), value...)
	return nil
}

// PrivateWrites returns what the transaction wrote to collection.
func (s *Stub) PrivateWrites(collection string) map[string][]byte { return s.privWrites[collection] }

// DelPrivateData is not supported.
func (s *Stub) DelPrivateData(string, string) error { return ErrUnsupported }

// PurgePrivateData is not supported.
func (s *Stub) PurgePrivateData(string, string) error { return ErrUnsupported }

// PeerClock is the endorsing peer's clock when it runs this transaction:
// Ledger.PeerClock applied to the transaction's timestamp, or that
// timestamp itself (a peer whose clock agrees with the client's).
func (s *Stub) PeerClock() time.Time {
	if s.ledger.PeerClock != nil {
		return s.ledger.PeerClock(s.ts)
	}
	return s.ts
}

// SetPrivateDataValidationParameter is not supported.
func (s *Stub) SetPrivateDataValidationParameter(string, string, []byte) error {
	return ErrUnsupported
}

// GetPrivateDataValidationParameter is not supported.
func (s *Stub) GetPrivateDataValidationParameter(string, string) ([]byte, error) {
	return nil, ErrUnsupported
}

// GetPrivateDataByRange is not supported.
func (s *Stub) GetPrivateDataByRange(string, string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetPrivateDataByPartialCompositeKey is not supported.
func (s *Stub) GetPrivateDataByPartialCompositeKey(string, string, []string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetPrivateDataQueryResult is not supported.
func (s *Stub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, ErrUnsupported
}

// GetCreator returns the serialized identity of the transaction's creator.
// A proposal on a peer always has one; here a Tx without Creator is an
// error, so that a test that forgot it does not pass by accident.
func (s *Stub) GetCreator() ([]byte, error) {
	if s.creator == nil {
		return nil, errors.New("no creator")
	}
	return s.creator, nil
}

// GetTransient returns the proposal's transient map (nil when it has none,
// as the shim decodes an empty map).
func (s *Stub) GetTransient() (map[string][]byte, error) { return s.transient, nil }

// GetBinding is not supported.
func (s *Stub) GetBinding() ([]byte, error) { return nil, ErrUnsupported }

// GetDecorations returns none.
func (s *Stub) GetDecorations() map[string][]byte { return nil }

// GetSignedProposal is not supported.
func (s *Stub) GetSignedProposal() (*peer.SignedProposal, error) { return nil, ErrUnsupported }

// GetTxTimestamp returns the transaction's timestamp.
func (s *Stub) GetTxTimestamp() (*timestamppb.Timestamp, error) { return timestamppb.New(s.ts), nil }

// SetEvent sets the transaction's chaincode event. Fabric keeps only the
// last call's event (BlockTx.Event); every call is also kept in
// Result.Events so tests can assert there is exactly one.
func (s *Stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.events = append(s.events, Event{Name: name, Payload: append([]byte(nil), payload...)})
	return nil
}

// StartWriteBatch is a no-op: the v2.5 peer does not offer write batches,
// so the shim sends every write at once.
func (s *Stub) StartWriteBatch() {}

// FinishWriteBatch is a no-op.
func (s *Stub) FinishWriteBatch() error { return nil }

// rangeInfos returns the transaction's range queries as the simulator
// records them at the end (one per distinct start, end and exhaustion, the
// first kept).
func (s *Stub) rangeInfos() []rangeInfo {
	type id struct {
		start, end string
		exhausted  bool
	}
	seen := map[id]bool{}
	var out []rangeInfo
	for _, c := range s.queries {
		ri := c.info()
		k := id{ri.start, ri.end, ri.exhausted}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, ri)
	}
	return out
}

// keysIn returns the committed keys in [start, end) ("" end: unbounded).
func (l *Ledger) keysIn(start, end string) []string {
	lo := sort.SearchStrings(l.keys, start)
	hi := len(l.keys)
	if end != "" {
		hi = sort.SearchStrings(l.keys, end)
	}
	if hi < lo {
		hi = lo
	}
	return append([]string(nil), l.keys[lo:hi]...)
}
