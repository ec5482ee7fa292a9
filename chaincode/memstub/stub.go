package memstub

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	compositeKeyNamespace = "\x00"
	minUnicodeRuneValue   = 0
	maxUnicodeRuneValue   = utf8.MaxRune
)

// ErrUnsupported is returned by stub functions this fake does not model
// (private data, rich queries, history, chaincode-to-chaincode calls).
var ErrUnsupported = errors.New("memstub: not supported")

type write struct {
	value []byte
	del   bool
}

// Stub is one transaction's view of a Ledger. It implements
// shim.ChaincodeStubInterface.
type Stub struct {
	ledger     *Ledger
	txID       string
	ts         time.Time
	creator    []byte
	transient  map[string][]byte
	args       [][]byte
	writes     map[string]write
	metaWrites map[string][]byte
	events     []Event

	// ReadKeys lists the keys read with GetState, in order.
	ReadKeys []string
	// RangeQueries counts range and partial composite key queries.
	RangeQueries int
}

var _ shim.ChaincodeStubInterface = (*Stub)(nil)

// Writes returns the keys written (put or deleted) by the transaction, sorted.
func (s *Stub) Writes() []string {
	keys := make([]string, 0, len(s.writes))
	for k := range s.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ValidationParameterWritten returns the policy the transaction set on key.
func (s *Stub) ValidationParameterWritten(key string) ([]byte, bool) {
	v, ok := s.metaWrites[key]
	return v, ok
}

func (s *Stub) commit() {
	for k, w := range s.writes {
		if w.del {
			delete(s.ledger.state, k)
			delete(s.ledger.meta, k)
			continue
		}
		s.ledger.state[k] = w.value
	}
	for k, v := range s.metaWrites {
		if _, ok := s.ledger.state[k]; !ok {
			continue
		}
		if s.ledger.meta[k] == nil {
			s.ledger.meta[k] = map[string][]byte{}
		}
		s.ledger.meta[k][ValidationParameterKey] = v
	}
}

// Commit applies the transaction's writes (for stubs made with NewStub).
func (s *Stub) Commit() { s.commit() }

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
		return "", nil
	}
	return a[0], a[1:]
}

// GetArgsSlice concatenates the arguments.
func (s *Stub) GetArgsSlice() ([]byte, error) {
	var out []byte
	for _, a := range s.args {
		out = append(out, a...)
	}
	return out, nil
}

// GetTxID returns the transaction ID.
func (s *Stub) GetTxID() string { return s.txID }

// GetChannelID returns "yrd".
func (s *Stub) GetChannelID() string { return "yrd" }

// InvokeChaincode is not supported.
func (s *Stub) InvokeChaincode(string, [][]byte, string) *peer.Response {
	return shim.Error(ErrUnsupported.Error())
}

// GetState returns the committed value of key (not this transaction's
// writes, as on a peer).
func (s *Stub) GetState(key string) ([]byte, error) {
	s.ReadKeys = append(s.ReadKeys, key)
	v := s.ledger.state[key]
	if v == nil {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

// GetMultipleStates reads several keys.
func (s *Stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i], _ = s.GetState(k)
	}
	return out, nil
}

// PutState records a write.
func (s *Stub) PutState(key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("key %q is not valid UTF-8", key)
	}
	s.writes[key] = write{value: append([]byte(nil), value...)}
	return nil
}

// DelState records a delete.
func (s *Stub) DelState(key string) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	s.writes[key] = write{del: true}
	return nil
}

// SetStateValidationParameter records a key-level endorsement policy.
func (s *Stub) SetStateValidationParameter(key string, ep []byte) error {
	s.metaWrites[key] = append([]byte(nil), ep...)
	return nil
}

// GetStateValidationParameter returns the committed key-level policy.
func (s *Stub) GetStateValidationParameter(key string) ([]byte, error) {
	return s.ledger.ValidationParameter(key), nil
}

type iterator struct {
	kvs []*queryresult.KV
	i   int
}

func (it *iterator) HasNext() bool { return it.i < len(it.kvs) }
func (it *iterator) Close() error  { return nil }
func (it *iterator) Next() (*queryresult.KV, error) {
	if !it.HasNext() {
		return nil, errors.New("iterator exhausted")
	}
	kv := it.kvs[it.i]
	it.i++
	return kv, nil
}

// scan returns committed keys in [start, end) ("" end = unbounded), up to
// limit (0 = all), and the next key if more remain.
func (s *Stub) scan(start, end string, limit int) ([]*queryresult.KV, string) {
	s.RangeQueries++
	keys := s.ledger.Keys()
	i := sort.SearchStrings(keys, start)
	var kvs []*queryresult.KV
	for ; i < len(keys); i++ {
		k := keys[i]
		if end != "" && k >= end {
			break
		}
		if limit > 0 && len(kvs) == limit {
			return kvs, k
		}
		kvs = append(kvs, &queryresult.KV{Namespace: "yrd", Key: k, Value: append([]byte(nil), s.ledger.state[k]...)})
	}
	return kvs, ""
}

func validateSimpleKeys(keys ...string) error {
	for _, k := range keys {
		if strings.HasPrefix(k, compositeKeyNamespace) {
			return fmt.Errorf("first character of the key [%s] contains a null character which is not allowed", k)
		}
	}
	return nil
}

// GetStateByRange iterates committed keys in [startKey, endKey).
func (s *Stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	if startKey == "" {
		startKey = "\x01"
	}
	kvs, _ := s.scan(startKey, endKey, 0)
	return &iterator{kvs: kvs}, nil
}

// GetStateByRangeWithPagination is GetStateByRange one page at a time.
func (s *Stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, nil, err
	}
	if startKey == "" {
		startKey = "\x01"
	}
	return s.page(startKey, endKey, pageSize, bookmark)
}

func (s *Stub) page(start, end string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if pageSize <= 0 {
		return nil, nil, fmt.Errorf("pageSize must be positive, got %d", pageSize)
	}
	if bookmark != "" && bookmark > start {
		start = bookmark
	}
	kvs, next := s.scan(start, end, int(pageSize))
	return &iterator{kvs: kvs}, &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(kvs)), Bookmark: next}, nil
}

// GetStateByPartialCompositeKey iterates keys with the given prefix.
func (s *Stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	start, err := s.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, err
	}
	kvs, _ := s.scan(start, start+string(maxUnicodeRuneValue), 0)
	return &iterator{kvs: kvs}, nil
}

// GetStateByPartialCompositeKeyWithPagination pages through keys with the
// given prefix; a non-empty bookmark is the key to start from.
func (s *Stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, err := s.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.page(start, start+string(maxUnicodeRuneValue), pageSize, bookmark)
}

// GetAllStatesCompositeKeyWithPagination pages through all composite keys.
func (s *Stub) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.page(compositeKeyNamespace, compositeKeyNamespace+string(maxUnicodeRuneValue), pageSize, bookmark)
}

// CreateCompositeKey builds a key exactly as the Fabric shim does.
func (s *Stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	if err := validateCompositeKeyAttribute(objectType); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(compositeKeyNamespace)
	b.WriteString(objectType)
	b.WriteRune(minUnicodeRuneValue)
	for _, a := range attributes {
		if err := validateCompositeKeyAttribute(a); err != nil {
			return "", err
		}
		b.WriteString(a)
		b.WriteRune(minUnicodeRuneValue)
	}
	return b.String(), nil
}

func validateCompositeKeyAttribute(str string) error {
	if !utf8.ValidString(str) {
		return fmt.Errorf("not a valid utf8 string: [%x]", str)
	}
	for index, runeValue := range str {
		if runeValue == minUnicodeRuneValue || runeValue == maxUnicodeRuneValue {
			return fmt.Errorf(`input contains unicode %#U starting at position [%d]. %#U and %#U are not allowed in the input attribute of a composite key`,
				runeValue, index, minUnicodeRuneValue, maxUnicodeRuneValue)
		}
	}
	return nil
}

// SplitCompositeKey splits a composite key into object type and attributes.
func (s *Stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	if !strings.HasPrefix(compositeKey, compositeKeyNamespace) {
		return "", nil, fmt.Errorf("not a composite key: %q", compositeKey)
	}
	parts := strings.Split(compositeKey[1:], string(rune(minUnicodeRuneValue)))
	if len(parts) < 2 {
		return "", nil, fmt.Errorf("not a composite key: %q", compositeKey)
	}
	return parts[0], parts[1 : len(parts)-1], nil
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

// GetPrivateData is not supported.
func (s *Stub) GetPrivateData(string, string) ([]byte, error) { return nil, ErrUnsupported }

// GetMultiplePrivateData is not supported.
func (s *Stub) GetMultiplePrivateData(string, ...string) ([][]byte, error) {
	return nil, ErrUnsupported
}

// GetPrivateDataHash is not supported.
func (s *Stub) GetPrivateDataHash(string, string) ([]byte, error) { return nil, ErrUnsupported }

// PutPrivateData is not supported.
func (s *Stub) PutPrivateData(string, string, []byte) error { return ErrUnsupported }

// DelPrivateData is not supported.
func (s *Stub) DelPrivateData(string, string) error { return ErrUnsupported }

// PurgePrivateData is not supported.
func (s *Stub) PurgePrivateData(string, string) error { return ErrUnsupported }

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
func (s *Stub) GetCreator() ([]byte, error) {
	if s.creator == nil {
		return nil, errors.New("no creator")
	}
	return s.creator, nil
}

// GetTransient returns the transient map.
func (s *Stub) GetTransient() (map[string][]byte, error) {
	if s.transient == nil {
		return map[string][]byte{}, nil
	}
	return s.transient, nil
}

// GetBinding is not supported.
func (s *Stub) GetBinding() ([]byte, error) { return nil, ErrUnsupported }

// GetDecorations returns none.
func (s *Stub) GetDecorations() map[string][]byte { return nil }

// GetSignedProposal is not supported.
func (s *Stub) GetSignedProposal() (*peer.SignedProposal, error) { return nil, ErrUnsupported }

// GetTxTimestamp returns the transaction's timestamp.
func (s *Stub) GetTxTimestamp() (*timestamppb.Timestamp, error) { return timestamppb.New(s.ts), nil }

// SetEvent records a chaincode event; every call is kept so tests can
// assert there is exactly one.
func (s *Stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.events = append(s.events, Event{Name: name, Payload: append([]byte(nil), payload...)})
	return nil
}

// StartWriteBatch is a no-op: writes are always buffered.
func (s *Stub) StartWriteBatch() {}

// FinishWriteBatch is a no-op.
func (s *Stub) FinishWriteBatch() error { return nil }
