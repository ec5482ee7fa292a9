package memstub

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// The peer's query limits (Fabric v2.5 defaults).
const (
	// maxResultLimit is how many results the peer sends the shim per batch
	// of an unpaginated query (core/chaincode/chaincode_support.go).
	maxResultLimit = 100
	// totalQueryLimit caps the results of one query (core.yaml
	// ledger.state.totalQueryLimit); a query stops there without error.
	totalQueryLimit = 100000
)

// keyVersion is one result of a range query as the read set records it.
type keyVersion struct {
	key string
	ver version
}

// rangeInfo is a range query as the read set records it (Fabric's
// kvrwset.RangeQueryInfo): where the peer's iterator started, where it
// stopped, whether it ran out, and every result it read.
type rangeInfo struct {
	start, end string
	exhausted  bool
	reads      []keyVersion
}

// cursor is the peer's side of one range query: the state database's
// iterator over [start, end) and the handler's batching
// (core/chaincode/handler.go HandleGetStateByRange,
// query_response_generator.go BuildQueryResponse).
type cursor struct {
	s          *Stub
	keys       []string // the committed keys in the range, when the query began
	pos        int      // keys[pos] is the next key the iterator yields
	start, end string
	exhausted  bool
	reads      []keyVersion
	paginated  bool
	limit      int // totalReturnLimit
	returned   int // totalReturnCount
	pending    []*queryresult.KV
}

// query runs a range query on the peer's terms. Pagination is on when
// pageSize or bookmark is set: a non-empty bookmark then replaces start
// (the end stays), the page holds up to pageSize results (all, up to
// totalQueryLimit, when pageSize is not positive), and the metadata carries
// the number of results and the key the next page starts from ("" when the
// range is done). A paginated query is refused after a write, and makes
// later writes fail: the simulator allows it only in read-only
// transactions.
func (s *Stub) query(start, end string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if err := checkUTF8(start, end, bookmark); err != nil {
		return nil, nil, err
	}
	paginated := pageSize != 0 || bookmark != ""
	if paginated {
		if s.wrote {
			return nil, nil, fmt.Errorf("txid [%s]: unsuppored transaction. Paginated queries are supported only in a read-only transaction", s.txID)
		}
		s.paged = true
		if bookmark != "" {
			start = bookmark
		}
	}
	s.RangeQueries++
	limit := totalQueryLimit
	if paginated && pageSize > 0 && pageSize < totalQueryLimit {
		limit = int(pageSize)
	}
	c := &cursor{s: s, keys: s.ledger.keysIn(start, end), start: start, end: end, paginated: paginated, limit: limit}
	s.queries = append(s.queries, c)
	batch, more := c.build()
	md := &peer.QueryResponseMetadata{}
	if paginated {
		md.FetchedRecordsCount = int32(c.returned)
		md.Bookmark = c.bookmark()
	}
	return &iterator{c: c, batch: batch, hasMore: more}, md, nil
}

// pull is one Next on the state database's iterator.
func (c *cursor) pull() *queryresult.KV {
	for c.pos < len(c.keys) {
		k := c.keys[c.pos]
		c.pos++
		e := c.s.ledger.state[k]
		if e == nil {
			continue // deleted since the query began (a NewStub stub across a commit)
		}
		c.reads = append(c.reads, keyVersion{k, e.ver})
		return &queryresult.KV{Namespace: c.s.ledger.Namespace, Key: k, Value: append([]byte(nil), e.value...)}
	}
	c.exhausted = true
	return nil
}

// build is BuildQueryResponse: it returns the next batch and whether more
// follow. Unpaginated, the peer reads one result past a full batch of
// maxResultLimit and keeps it for the next; paginated, everything up to
// the page size comes in one batch.
func (c *cursor) build() ([]*queryresult.KV, bool) {
	for {
		if c.returned >= c.limit {
			return c.cut(), false
		}
		kv := c.pull()
		switch {
		case kv == nil:
			return c.cut(), false
		case !c.paginated && len(c.pending) == maxResultLimit:
			batch := c.cut()
			c.pending = append(c.pending, kv)
			c.returned++
			return batch, true
		default:
			c.pending = append(c.pending, kv)
			c.returned++
		}
	}
}

func (c *cursor) cut() []*queryresult.KV {
	b := c.pending
	c.pending = nil
	return b
}

// bookmark is the leveldb scanner's GetBookmarkAndClose: the key after the
// last one read, if the iterator has one within the range.
func (c *cursor) bookmark() string {
	if c.exhausted || c.pos >= len(c.keys) {
		return ""
	}
	return c.keys[c.pos]
}

// info is the query's RangeQueryInfo at the end of the simulation: the end
// is the requested one if the iterator ran out, else the last key read.
func (c *cursor) info() rangeInfo {
	ri := rangeInfo{start: c.start, exhausted: c.exhausted, reads: c.reads}
	switch {
	case c.exhausted:
		ri.end = c.end
	case len(c.reads) > 0:
		ri.end = c.reads[len(c.reads)-1].key
	}
	return ri
}

// iterator is the shim's StateQueryIterator: it serves a batch and fetches
// the next one when the last result of a batch is taken.
type iterator struct {
	c       *cursor
	batch   []*queryresult.KV
	i       int
	hasMore bool
}

func (it *iterator) HasNext() bool { return it.i < len(it.batch) || it.hasMore }

func (it *iterator) Close() error { return nil }

func (it *iterator) Next() (*queryresult.KV, error) {
	if it.i < len(it.batch) {
		kv := it.batch[it.i]
		it.i++
		if it.i == len(it.batch) && it.hasMore {
			it.batch, it.hasMore = it.c.build()
			it.i = 0
		}
		return kv, nil
	}
	if !it.hasMore {
		return nil, errors.New("no such key")
	}
	return nil, errors.New("invalid iterator state")
}
