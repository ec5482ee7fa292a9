package jobs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/yangtze-delta/settlement/money"
)

// Bucket and key names; layout version 1:
//
//	jobs:  job ID → JSON diskJob
//	lines: job ID → bucket of line number (8 bytes BE) → JSON diskLine
//	order: created (8 bytes BE ns) ‖ job ID → (empty)   creation order, for eviction
//	meta:  "version" → 1
var (
	bucketJobs  = []byte("jobs")
	bucketLines = []byte("lines")
	bucketOrder = []byte("order")
	bucketMeta  = []byte("meta")
	keyVersion  = []byte("version")
)

const layoutVersion = 1

// diskJob is the stored form of a Job; field names are the file format.
// Counters are recounted from the lines when a job is loaded to run.
type diskJob struct {
	ID          string `json:"id"`
	Programme   string `json:"programme"`
	Owner       string `json:"owner"`
	Digest      string `json:"digest"`
	Status      Status `json:"status"`
	Lines       int    `json:"lines"`
	Pending     int    `json:"pending"`
	Paid        int    `json:"paid"`
	AlreadyPaid int    `json:"alreadyPaid"`
	Rejected    int    `json:"rejected"`
	Amount      int64  `json:"amountFen"`
	Settled     int64  `json:"settledFen"`
	Batches     int    `json:"batches"`
	LastTxID    string `json:"lastTxId,omitempty"`
	Created     int64  `json:"created"`
	Updated     int64  `json:"updated"`
	Started     int64  `json:"started,omitempty"`
	Finished    int64  `json:"finished,omitempty"`
	ErrCode     string `json:"errCode,omitempty"`
	ErrMessage  string `json:"errMessage,omitempty"`
}

// diskLine is the stored form of a Line (short keys: a job holds up to
// 100,000 of them).
type diskLine struct {
	R string     `json:"r"`
	A int64      `json:"a"`
	S LineStatus `json:"s"`
	C string     `json:"c,omitempty"`
	M string     `json:"m,omitempty"`
	O string     `json:"o,omitempty"`
	T string     `json:"t,omitempty"`
}

func unixOrZero(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func nsOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func toDisk(j Job) diskJob {
	return diskJob{ID: j.ID, Programme: j.Programme, Owner: j.Owner, Digest: j.Digest, Status: j.Status, Lines: j.Lines,
		Pending: j.Pending, Paid: j.Paid, AlreadyPaid: j.AlreadyPaid, Rejected: j.Rejected, Amount: int64(j.Amount),
		Settled: int64(j.Settled), Batches: j.Batches, LastTxID: j.LastTxID, Created: nsOf(j.Created), Updated: nsOf(j.Updated),
		Started: nsOf(j.Started), Finished: nsOf(j.Finished), ErrCode: j.ErrCode, ErrMessage: j.ErrMessage}
}

func (d diskJob) job() Job {
	return Job{ID: d.ID, Programme: d.Programme, Owner: d.Owner, Digest: d.Digest, Status: d.Status, Lines: d.Lines,
		Pending: d.Pending, Paid: d.Paid, AlreadyPaid: d.AlreadyPaid, Rejected: d.Rejected, Amount: money.Amount(d.Amount),
		Settled: money.Amount(d.Settled), Batches: d.Batches, LastTxID: d.LastTxID, Created: unixOrZero(d.Created),
		Updated: unixOrZero(d.Updated), Started: unixOrZero(d.Started), Finished: unixOrZero(d.Finished),
		ErrCode: d.ErrCode, ErrMessage: d.ErrMessage}
}

func lineKey(no int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(no))
	return b[:]
}

func orderKey(j Job) []byte {
	k := make([]byte, 8, 8+len(j.ID))
	binary.BigEndian.PutUint64(k, uint64(nsOf(j.Created)))
	return append(k, j.ID...)
}

func encodeLine(l Line) ([]byte, error) {
	return json.Marshal(diskLine{R: l.Recipient, A: int64(l.Amount), S: l.Status, C: l.Code, M: l.Message, O: l.Output, T: l.TxID})
}

func decodeLine(k, v []byte) (Line, error) {
	if len(k) != 8 {
		return Line{}, fmt.Errorf("line key of %d bytes", len(k))
	}
	var d diskLine
	if err := json.Unmarshal(v, &d); err != nil {
		return Line{}, err
	}
	return Line{No: int(binary.BigEndian.Uint64(k)), Recipient: d.R, Amount: money.Amount(d.A), Status: d.S,
		Code: d.C, Message: d.M, Output: d.O, TxID: d.T}, nil
}

// store is the bbolt file of the jobs.
type store struct{ db *bolt.DB }

func openStore(path string, timeout time.Duration) (*store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("jobs: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketJobs, bucketLines, bucketOrder, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(keyVersion); {
		case v == nil:
			return meta.Put(keyVersion, lineKey(layoutVersion))
		case !bytes.Equal(v, lineKey(layoutVersion)):
			return fmt.Errorf("unsupported layout version %x", v)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("jobs: open %s: %w", path, err)
	}
	return &store{db: db}, nil
}

func (s *store) close() error { return s.db.Close() }

// wrap marks a closed database as ErrClosed.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: %s", ErrClosed, op)
	}
	return fmt.Errorf("jobs: %s: %w", op, err)
}

// all loads every job, oldest first.
func (s *store) all() ([]Job, error) {
	var out []Job
	err := s.db.View(func(tx *bolt.Tx) error {
		jobs := tx.Bucket(bucketJobs)
		c := tx.Bucket(bucketOrder).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) <= 8 {
				return fmt.Errorf("order key of %d bytes", len(k))
			}
			v := jobs.Get(k[8:])
			if v == nil {
				return fmt.Errorf("job %q is in the order index only", k[8:])
			}
			var d diskJob
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("job %q: %w", k[8:], err)
			}
			out = append(out, d.job())
		}
		return nil
	})
	return out, wrap("load", err)
}

func putJob(tx *bolt.Tx, j Job) error {
	b, err := json.Marshal(toDisk(j))
	if err != nil {
		return err
	}
	return tx.Bucket(bucketJobs).Put([]byte(j.ID), b)
}

func deleteJob(tx *bolt.Tx, j Job) error {
	if err := tx.Bucket(bucketJobs).Delete([]byte(j.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketOrder).Delete(orderKey(j)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketLines).DeleteBucket([]byte(j.ID)); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
		return err
	}
	return nil
}

// create stores a new job with its lines, after deleting the evicted
// jobs, in one transaction.
func (s *store) create(j Job, lines []Line, evict []Job) error {
	return wrap("create", s.db.Update(func(tx *bolt.Tx) error {
		for _, old := range evict {
			if err := deleteJob(tx, old); err != nil {
				return err
			}
		}
		if err := putJob(tx, j); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOrder).Put(orderKey(j), nil); err != nil {
			return err
		}
		lb, err := tx.Bucket(bucketLines).CreateBucket([]byte(j.ID))
		if err != nil {
			return err
		}
		lb.FillPercent = 1 // keys are written in ascending order
		for _, l := range lines {
			v, err := encodeLine(l)
			if err != nil {
				return err
			}
			if err := lb.Put(lineKey(l.No), v); err != nil {
				return err
			}
		}
		return nil
	}))
}

// record stores a job's record and changed lines in one transaction.
func (s *store) record(j Job, lines []Line) error {
	return wrap("record", s.db.Update(func(tx *bolt.Tx) error {
		if err := putJob(tx, j); err != nil {
			return err
		}
		if len(lines) == 0 {
			return nil
		}
		lb := tx.Bucket(bucketLines).Bucket([]byte(j.ID))
		if lb == nil {
			return fmt.Errorf("job %s has no lines", j.ID)
		}
		for _, l := range lines {
			v, err := encodeLine(l)
			if err != nil {
				return err
			}
			if err := lb.Put(lineKey(l.No), v); err != nil {
				return err
			}
		}
		return nil
	}))
}

// lines loads every line of a job, in line order.
func (s *store) lines(id string) ([]Line, error) {
	var out []Line
	err := s.db.View(func(tx *bolt.Tx) error {
		lb := tx.Bucket(bucketLines).Bucket([]byte(id))
		if lb == nil {
			return fmt.Errorf("job %s has no lines", id)
		}
		return lb.ForEach(func(k, v []byte) error {
			l, err := decodeLine(k, v)
			if err != nil {
				return err
			}
			out = append(out, l)
			return nil
		})
	})
	return out, wrap("lines", err)
}

// page reads up to limit lines numbered above after (of one status when
// status is set) and reports whether more follow.
func (s *store) page(id string, status LineStatus, after, limit int) ([]Line, bool, error) {
	var out []Line
	more := false
	err := s.db.View(func(tx *bolt.Tx) error {
		lb := tx.Bucket(bucketLines).Bucket([]byte(id))
		if lb == nil {
			return nil
		}
		c := lb.Cursor()
		for k, v := c.Seek(lineKey(after + 1)); k != nil; k, v = c.Next() {
			l, err := decodeLine(k, v)
			if err != nil {
				return err
			}
			if status != "" && l.Status != status {
				continue
			}
			if len(out) == limit {
				more = true
				return nil
			}
			out = append(out, l)
		}
		return nil
	})
	return out, more, wrap("page", err)
}
