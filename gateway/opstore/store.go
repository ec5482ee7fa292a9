package opstore

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Status is an operation's state.
type Status string

// Statuses. Pending is the only unfinished one.
const (
	// StatusPending: the write is running.
	StatusPending Status = "pending"
	// StatusCommitted: the write committed; Result holds its outcome.
	StatusCommitted Status = "committed"
	// StatusFailed: the write failed; Error holds why.
	StatusFailed Status = "failed"
	// StatusInterrupted: the gateway stopped while the write was running. It
	// may or may not have committed: look it up by its business key.
	StatusInterrupted Status = "interrupted"
)

// Finished reports whether s is a final status.
func (s Status) Finished() bool { return s != StatusPending }

// MaxFieldBytes bounds Owner, Route, Key and TxID.
const MaxFieldBytes = 256

// Errors. Every error the package returns wraps one of them.
var (
	// ErrNotFound: no record has that ID, it belongs to someone else, or it expired.
	ErrNotFound = errors.New("opstore: no such operation")
	// ErrTooManyPending: Options.MaxPending records are pending (answer 429).
	ErrTooManyPending = errors.New("opstore: too many pending operations")
	// ErrNotPending: Finish on a record that is already finished.
	ErrNotPending = errors.New("opstore: operation already finished")
	// ErrTooLarge: an outcome's Result and Error exceed Options.MaxOutcomeBytes.
	ErrTooLarge = errors.New("opstore: outcome too large")
	// ErrInvalid: a bad option or argument; the message names the field.
	ErrInvalid = errors.New("opstore: invalid")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("opstore: closed")
)

// Record is one asynchronous operation.
type Record struct {
	// ID is 32 hex digits (128 random bits).
	ID string
	// Owner is the client that created it; only it may read the record.
	Owner string
	// Route names what was called (e.g. "POST /v1/payments").
	Route string
	// Key is the business idempotency key (e.g. the payment ID), if any.
	Key string
	// Status is where the operation stands.
	Status Status
	// Created and Updated are UTC; Updated is when the record last changed
	// (for a finished record: when it finished).
	Created time.Time
	Updated time.Time
	// TxID is the Fabric transaction ID, when the caller gave one.
	TxID string
	// Result (committed) and Error (failed) are opaque JSON from the caller.
	Result json.RawMessage
	Error  json.RawMessage
}

// Spec describes a new operation.
type Spec struct {
	// Owner is required.
	Owner string
	// Route is required.
	Route string
	// Key is optional.
	Key string
}

// Outcome finishes an operation.
type Outcome struct {
	// Status is StatusCommitted or StatusFailed.
	Status Status
	// TxID is optional.
	TxID string
	// Result and Error must each be empty or valid JSON.
	Result json.RawMessage
	Error  json.RawMessage
}

// Options configures a Store. Zero values take the defaults.
type Options struct {
	// MaxPending bounds pending records (default 10,000).
	MaxPending int
	// MaxFinished bounds finished records (default 100,000).
	MaxFinished int
	// MaxAge is how long a finished record is kept (default 7 days).
	MaxAge time.Duration
	// MaxOutcomeBytes bounds Result plus Error (default 64 KiB).
	MaxOutcomeBytes int
	// LockTimeout bounds the wait for the file lock (default 5 s).
	LockTimeout time.Duration
	// BatchDelay is how long a write waits for concurrent writes to share
	// its transaction (default 1 ms).
	BatchDelay time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Defaults.
const (
	DefaultMaxPending      = 10_000
	DefaultMaxFinished     = 100_000
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultMaxOutcomeBytes = 64 << 10
	DefaultLockTimeout     = 5 * time.Second
	DefaultBatchDelay      = time.Millisecond
)

// withDefaults fills zero values and rejects negative ones.
func (o Options) withDefaults() (Options, error) {
	ints := []struct {
		name string
		v    *int
		def  int
	}{
		{"MaxPending", &o.MaxPending, DefaultMaxPending},
		{"MaxFinished", &o.MaxFinished, DefaultMaxFinished},
		{"MaxOutcomeBytes", &o.MaxOutcomeBytes, DefaultMaxOutcomeBytes},
	}
	for _, f := range ints {
		if *f.v < 0 {
			return o, fmt.Errorf("%w: Options.%s must not be negative, got %d", ErrInvalid, f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	durs := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"MaxAge", &o.MaxAge, DefaultMaxAge},
		{"LockTimeout", &o.LockTimeout, DefaultLockTimeout},
		{"BatchDelay", &o.BatchDelay, DefaultBatchDelay},
	}
	for _, f := range durs {
		if *f.v < 0 {
			return o, fmt.Errorf("%w: Options.%s must not be negative, got %s", ErrInvalid, f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// Stats is a snapshot for metrics.
type Stats struct {
	Pending  int
	Finished int
}

// Store is a bbolt-backed operation store.
type Store struct {
	db   *bolt.DB
	opts Options

	mu      sync.Mutex
	pending int
}

// Bucket and key names; layout version 1:
//
//	ops:     id → JSON diskRecord
//	pending: id → (empty)                   the pending set
//	done:    updated (8 bytes BE ns) ‖ id → (empty)   the finished time index
//	meta:    "version" → 1, "finished" → uint64 BE count of finished records
var (
	bucketOps     = []byte("ops")
	bucketPending = []byte("pending")
	bucketDone    = []byte("done")
	bucketMeta    = []byte("meta")
	keyVersion    = []byte("version")
	keyFinished   = []byte("finished")
)

const (
	layoutVersion = 1
	// sweepChunk bounds the records one transaction evicts or recovers.
	sweepChunk = 256
)

// diskRecord is the stored form; field names are the file format.
type diskRecord struct {
	Owner   string          `json:"owner"`
	Route   string          `json:"route"`
	Key     string          `json:"key,omitempty"`
	Status  Status          `json:"status"`
	Created int64           `json:"created"`
	Updated int64           `json:"updated"`
	TxID    string          `json:"txId,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

func (d diskRecord) record(id string) Record {
	return Record{ID: id, Owner: d.Owner, Route: d.Route, Key: d.Key, Status: d.Status,
		Created: time.Unix(0, d.Created).UTC(), Updated: time.Unix(0, d.Updated).UTC(),
		TxID: d.TxID, Result: d.Result, Error: d.Error}
}

// Open opens (creating if needed) the store at path, a file in an existing
// directory. Records found pending become interrupted, and expired or
// surplus finished records are evicted, before Open returns.
func Open(path string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		return nil, fmt.Errorf("opstore: open %s: %w", path, err)
	}
	db.MaxBatchDelay = opts.BatchDelay
	s := &Store{db: db, opts: opts}
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opstore: open %s: %w", path, err)
	}
	return s, nil
}

// init creates the layout, interrupts pending records and sweeps.
func (s *Store) init() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketOps, bucketPending, bucketDone, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyVersion); {
		case v == nil:
			return meta.Put(keyVersion, u64(layoutVersion))
		case len(v) != 8 || binary.BigEndian.Uint64(v) != layoutVersion:
			return fmt.Errorf("unsupported layout version %x", v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for more := true; more; {
		err := s.db.Update(func(tx *bolt.Tx) error {
			var err error
			more, err = s.interruptSome(tx)
			return err
		})
		if err != nil {
			return err
		}
	}
	for more := true; more; {
		err := s.db.Update(func(tx *bolt.Tx) error {
			n, err := s.sweep(tx)
			more = n == sweepChunk
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// interruptSome marks up to sweepChunk pending records interrupted and
// reports whether any remain.
func (s *Store) interruptSome(tx *bolt.Tx) (bool, error) {
	pending, ops := tx.Bucket(bucketPending), tx.Bucket(bucketOps)
	now := s.opts.Now().UnixNano()
	var ids [][]byte
	c := pending.Cursor()
	for k, _ := c.First(); k != nil && len(ids) < sweepChunk; k, _ = c.Next() {
		ids = append(ids, bytes.Clone(k))
	}
	for _, id := range ids {
		if err := pending.Delete(id); err != nil {
			return false, err
		}
		d, ok, err := load(ops, id)
		if err != nil {
			return false, err
		}
		if !ok || d.Status != StatusPending {
			continue
		}
		d.Status, d.Updated = StatusInterrupted, now
		if err := s.putFinished(tx, id, d); err != nil {
			return false, err
		}
	}
	return len(ids) == sweepChunk, nil
}

// Close closes the file. Calls after Close fail with ErrClosed.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("opstore: close: %w", err)
	}
	return nil
}

// Create records a new pending operation and returns it. It fails with
// ErrTooManyPending when Options.MaxPending operations are pending.
func (s *Store) Create(spec Spec) (Record, error) {
	if err := checkFields(field{"Owner", spec.Owner, true}, field{"Route", spec.Route, true}, field{"Key", spec.Key, false}); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	if s.pending >= s.opts.MaxPending {
		s.mu.Unlock()
		return Record{}, fmt.Errorf("%w (limit %d)", ErrTooManyPending, s.opts.MaxPending)
	}
	s.pending++
	s.mu.Unlock()

	id := newID()
	now := s.opts.Now().UnixNano()
	d := diskRecord{Owner: spec.Owner, Route: spec.Route, Key: spec.Key, Status: StatusPending, Created: now, Updated: now}
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketOps).Put([]byte(id), b); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPending).Put([]byte(id), nil); err != nil {
			return err
		}
		_, err = s.sweep(tx)
		return err
	})
	if err != nil {
		s.mu.Lock()
		s.pending--
		s.mu.Unlock()
		return Record{}, wrapDB("create", err)
	}
	return d.record(id), nil
}

// Finish records a pending operation's outcome. It fails with ErrNotFound
// for an unknown ID and ErrNotPending for a finished one. Finishing may
// evict the oldest finished records (Options.MaxFinished, Options.MaxAge).
func (s *Store) Finish(id string, o Outcome) error {
	if o.Status != StatusCommitted && o.Status != StatusFailed {
		return fmt.Errorf("%w: Outcome.Status must be %q or %q, got %q", ErrInvalid, StatusCommitted, StatusFailed, o.Status)
	}
	if err := checkFields(field{"TxID", o.TxID, false}); err != nil {
		return err
	}
	if n := len(o.Result) + len(o.Error); n > s.opts.MaxOutcomeBytes {
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, n, s.opts.MaxOutcomeBytes)
	}
	if len(o.Result) > 0 && !json.Valid(o.Result) {
		return fmt.Errorf("%w: Outcome.Result is not valid JSON", ErrInvalid)
	}
	if len(o.Error) > 0 && !json.Valid(o.Error) {
		return fmt.Errorf("%w: Outcome.Error is not valid JSON", ErrInvalid)
	}
	if !validID(id) {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	now := s.opts.Now().UnixNano()
	err := s.db.Batch(func(tx *bolt.Tx) error {
		d, ok, err := load(tx.Bucket(bucketOps), []byte(id))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %q", ErrNotFound, id)
		}
		if d.Status != StatusPending {
			return fmt.Errorf("%w: %q is %s", ErrNotPending, id, d.Status)
		}
		d.Status, d.Updated, d.TxID, d.Result, d.Error = o.Status, now, o.TxID, o.Result, o.Error
		if err := tx.Bucket(bucketPending).Delete([]byte(id)); err != nil {
			return err
		}
		if err := s.putFinished(tx, []byte(id), d); err != nil {
			return err
		}
		_, err = s.sweep(tx)
		return err
	})
	if err != nil {
		return wrapDB("finish", err)
	}
	s.mu.Lock()
	s.pending--
	s.mu.Unlock()
	return nil
}

// Discard deletes a pending operation that never started, such as one whose
// job the worker pool refused (the client got 429 and never saw its ID). It
// frees the pending slot and leaves no finished record. It fails with
// ErrNotFound for an unknown ID and ErrNotPending for a finished one.
func (s *Store) Discard(id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	err := s.db.Batch(func(tx *bolt.Tx) error {
		d, ok, err := load(tx.Bucket(bucketOps), []byte(id))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %q", ErrNotFound, id)
		}
		if d.Status != StatusPending {
			return fmt.Errorf("%w: %q is %s", ErrNotPending, id, d.Status)
		}
		if err := tx.Bucket(bucketPending).Delete([]byte(id)); err != nil {
			return err
		}
		return tx.Bucket(bucketOps).Delete([]byte(id))
	})
	if err != nil {
		return wrapDB("discard", err)
	}
	s.mu.Lock()
	s.pending--
	s.mu.Unlock()
	return nil
}

// Get returns the operation if owner created it. It answers ErrNotFound
// for an unknown ID, another owner's record, or an expired record alike.
func (s *Store) Get(id, owner string) (Record, error) {
	if !validID(id) {
		return Record{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	var d diskRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		d, ok, err = load(tx.Bucket(bucketOps), []byte(id))
		if err != nil {
			return err
		}
		if !ok || d.Owner != owner || (d.Status.Finished() && s.expired(d.Updated)) {
			return fmt.Errorf("%w: %q", ErrNotFound, id)
		}
		return nil
	})
	if err != nil {
		return Record{}, wrapDB("get", err)
	}
	return d.record(id), nil
}

// Stats reports the number of pending and finished records.
func (s *Store) Stats() (Stats, error) {
	st := Stats{}
	err := s.db.View(func(tx *bolt.Tx) error {
		st.Finished = int(finishedCount(tx))
		return nil
	})
	if err != nil {
		return Stats{}, wrapDB("stats", err)
	}
	s.mu.Lock()
	st.Pending = s.pending
	s.mu.Unlock()
	return st, nil
}

// putFinished stores a finished record, indexes it by time and counts it.
func (s *Store) putFinished(tx *bolt.Tx, id []byte, d diskRecord) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketOps).Put(id, b); err != nil {
		return err
	}
	if err := tx.Bucket(bucketDone).Put(doneKey(d.Updated, id), nil); err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyFinished, u64(finishedCount(tx)+1))
}

// sweep evicts, oldest first, finished records beyond MaxFinished or older
// than MaxAge, at most sweepChunk of them, and returns how many it evicted.
// It reads only the head of the time index.
func (s *Store) sweep(tx *bolt.Tx) (int, error) {
	done, ops, meta := tx.Bucket(bucketDone), tx.Bucket(bucketOps), tx.Bucket(bucketMeta)
	count := finishedCount(tx)
	cutoff := s.opts.Now().Add(-s.opts.MaxAge).UnixNano()
	n := 0
	for ; n < sweepChunk; n++ {
		k, _ := done.Cursor().First()
		if k == nil {
			break
		}
		at := int64(binary.BigEndian.Uint64(k[:8]))
		if count <= uint64(s.opts.MaxFinished) && at >= cutoff {
			break
		}
		k = bytes.Clone(k)
		if err := done.Delete(k); err != nil {
			return n, err
		}
		if err := ops.Delete(k[8:]); err != nil {
			return n, err
		}
		count--
	}
	if n > 0 {
		return n, meta.Put(keyFinished, u64(count))
	}
	return 0, nil
}

func (s *Store) expired(updated int64) bool {
	return updated < s.opts.Now().Add(-s.opts.MaxAge).UnixNano()
}

func finishedCount(tx *bolt.Tx) uint64 {
	v := tx.Bucket(bucketMeta).Get(keyFinished)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func load(ops *bolt.Bucket, id []byte) (diskRecord, bool, error) {
	v := ops.Get(id)
	if v == nil {
		return diskRecord{}, false, nil
	}
	var d diskRecord
	if err := json.Unmarshal(v, &d); err != nil {
		return diskRecord{}, false, fmt.Errorf("record %s: %w", id, err)
	}
	return d, true, nil
}

func doneKey(updated int64, id []byte) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(max(updated, 0)))
	return append(k, id...)
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

const idBytes = 16

func newID() string {
	b := make([]byte, idBytes)
	_, _ = rand.Read(b) // never fails (Go 1.24+ crashes instead)
	return hex.EncodeToString(b)
}

func validID(id string) bool {
	if len(id) != 2*idBytes {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// field is a string argument to check.
type field struct {
	name, v  string
	required bool
}

// checkFields bounds string fields and requires the required ones.
func checkFields(fields ...field) error {
	for _, f := range fields {
		if f.required && f.v == "" {
			return fmt.Errorf("%w: %s is required", ErrInvalid, f.name)
		}
		if len(f.v) > MaxFieldBytes {
			return fmt.Errorf("%w: %s is %d bytes (limit %d)", ErrInvalid, f.name, len(f.v), MaxFieldBytes)
		}
	}
	return nil
}

// wrapDB maps bbolt's closed-database error to ErrClosed and adds context.
func wrapDB(op string, err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("opstore: %s: %w", op, ErrClosed)
	}
	for _, e := range []error{ErrNotFound, ErrNotPending} {
		if errors.Is(err, e) {
			return err
		}
	}
	return fmt.Errorf("opstore: %s: %w", op, err)
}
