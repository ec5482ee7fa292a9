package stubtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
)

// Run runs the behaviour suite against b, one named subtest per behaviour.
func Run(t *testing.T, b Backend) {
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	run := "run" + hex.EncodeToString(id[:])
	t.Logf("stubtest: keys under run %s", run)
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, b Backend, k space)
	}{
		{"PutGetDel", testPutGetDel},
		{"ReadYourWrites", testReadYourWrites},
		{"LastWriteWins", testLastWriteWins},
		{"EmptyValueDeletes", testEmptyValueDeletes},
		{"RangeQuery", testRangeQuery},
		{"RangeRefusesCompositeKeys", testRangeRefusesCompositeKeys},
		{"PartialCompositeKey", testPartialCompositeKey},
		{"CompositeKeyValidation", testCompositeKeyValidation},
		{"Pagination", testPagination},
		{"ForgedBookmark", testForgedBookmark},
		{"PaginatedQueryIsReadOnly", testPaginatedQueryIsReadOnly},
		{"KeyLevelPolicy", testKeyLevelPolicy},
		{"MVCCReadConflict", testMVCCReadConflict},
		{"PhantomRead", testPhantomRead},
		{"LastEventWins", testLastEventWins},
		{"RefusedScripts", testRefusedScripts},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b, space{run: run, sub: tc.name}) })
	}
}

// space builds the keys of one subtest: composite keys of
// api.ProbeObjectType and simple keys under api.ProbeSimplePrefix, both
// under the run ID and the subtest's name.
type space struct{ run, sub string }

// c is the composite key [run, sub, attrs...], built by the shim itself.
func (k space) c(attrs ...string) string {
	key, err := shim.CreateCompositeKey(api.ProbeObjectType, k.attrs(attrs...))
	if err != nil {
		panic(err)
	}
	return key
}

// s is the simple key "probe/run/sub/parts...".
func (k space) s(parts ...string) string {
	return api.ProbeSimplePrefix + k.run + "/" + k.sub + "/" + strings.Join(parts, "/")
}

// attrs prefixes attributes with the run and subtest.
func (k space) attrs(a ...string) []string { return append([]string{k.run, k.sub}, a...) }

// Steps.

func get(k string) api.ProbeStep       { return api.ProbeStep{Op: api.ProbeGet, Key: k} }
func put(k, v string) api.ProbeStep    { return api.ProbeStep{Op: api.ProbePut, Key: k, Value: v} }
func del(k string) api.ProbeStep       { return api.ProbeStep{Op: api.ProbeDel, Key: k} }
func getPolicy(k string) api.ProbeStep { return api.ProbeStep{Op: api.ProbeGetPolicy, Key: k} }
func setPolicy(k string, quorum int, orgs ...string) api.ProbeStep {
	return api.ProbeStep{Op: api.ProbeSetPolicy, Key: k, Orgs: orgs, Quorum: quorum}
}
func rng(start, end string) api.ProbeStep {
	return api.ProbeStep{Op: api.ProbeRange, Key: start, End: end}
}
func rngPage(start, end string, size int32, bookmark string) api.ProbeStep {
	return api.ProbeStep{Op: api.ProbeRange, Key: start, End: end, Paged: true, PageSize: size, Bookmark: bookmark}
}
func partial(attrs []string) api.ProbeStep {
	return api.ProbeStep{Op: api.ProbePartial, Attrs: attrs}
}
func partialLimit(attrs []string, limit int) api.ProbeStep {
	return api.ProbeStep{Op: api.ProbePartial, Attrs: attrs, Limit: limit}
}
func partialPage(attrs []string, size int32, bookmark string) api.ProbeStep {
	return api.ProbeStep{Op: api.ProbePartial, Attrs: attrs, Paged: true, PageSize: size, Bookmark: bookmark}
}
func event(name, value string) api.ProbeStep {
	return api.ProbeStep{Op: api.ProbeEvent, Name: name, Value: value}
}

// Expected results.

var (
	done   = api.ProbeResult{}
	absent = api.ProbeResult{}
	failed = api.ProbeResult{Failed: true}
)

func found(v string) api.ProbeResult { return api.ProbeResult{Found: true, Value: v} }

// kvs pairs keys with values: kvs(k1, v1, k2, v2...).
func kvs(pairs ...string) []api.ProbeKV {
	var out []api.ProbeKV
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, api.ProbeKV{Key: pairs[i], Value: pairs[i+1]})
	}
	return out
}

func rows(kv []api.ProbeKV) api.ProbeResult { return api.ProbeResult{KVs: kv} }

func page(bookmark string, kv []api.ProbeKV) api.ProbeResult {
	return api.ProbeResult{KVs: kv, Bookmark: bookmark, Fetched: int32(len(kv))}
}

func policy(quorum int, orgs ...string) api.ProbeResult {
	set, err := keypolicy.New(orgs, 1, quorum)
	if err != nil {
		panic(err)
	}
	return api.ProbeResult{Policy: keypolicy.Describe(set.Quorum())}
}

// Calls.

var valid = peer.TxValidationCode_VALID

// batch runs b and checks every valid committed transaction's event.
func batch(t *testing.T, be Backend, b Batch) []TxResult {
	t.Helper()
	res := be.Run(t, b)
	if len(res) != len(b.Txs) {
		t.Fatalf("backend returned %d results for %d transactions", len(res), len(b.Txs))
	}
	if !b.Evaluate {
		for i, r := range res {
			if r.Err == nil && r.Code == valid {
				checkEvent(t, fmt.Sprintf("tx %d", i), r)
			}
		}
	}
	return res
}

// checkEvent: a valid transaction carries one event, the dispatch
// envelope (set last, so it replaces any earlier SetEvent), naming the
// transaction.
func checkEvent(t *testing.T, what string, r TxResult) {
	t.Helper()
	if r.Event == nil {
		t.Errorf("%s: valid transaction without a chaincode event", what)
		return
	}
	if r.Event.Name != api.EventName {
		t.Errorf("%s: event %q, want %q", what, r.Event.Name, api.EventName)
		return
	}
	var env api.Envelope
	if err := json.Unmarshal(r.Event.Payload, &env); err != nil {
		t.Errorf("%s: event payload: %v", what, err)
		return
	}
	if env.TxID != r.Output.TxID {
		t.Errorf("%s: event of tx %s, want %s", what, env.TxID, r.Output.TxID)
	}
}

// submit commits one transaction, fails t unless it was endorsed, and
// returns its result.
func submit(t *testing.T, b Backend, endorsers []string, steps ...api.ProbeStep) TxResult {
	t.Helper()
	r := batch(t, b, Batch{Txs: []Tx{{Steps: steps, Endorsers: endorsers}}})[0]
	if r.Err != nil {
		t.Fatalf("proposal refused: %v", r.Err)
	}
	return r
}

// setup commits one transaction with the default endorsers; the test
// stops unless it is valid with every step done.
func setup(t *testing.T, b Backend, steps ...api.ProbeStep) {
	t.Helper()
	r := submit(t, b, nil, steps...)
	if r.Code != valid || !reflect.DeepEqual(r.Output.Results, make([]api.ProbeResult, len(steps))) {
		t.Fatalf("setup: %s", r)
	}
}

// eval evaluates a read-only script and returns its step results.
func eval(t *testing.T, b Backend, steps ...api.ProbeStep) []api.ProbeResult {
	t.Helper()
	r := batch(t, b, Batch{Evaluate: true, Txs: []Tx{{Steps: steps}}})[0]
	if r.Err != nil {
		t.Fatalf("evaluation refused: %v", r.Err)
	}
	return r.Output.Results
}

// expect compares step results.
func expect(t *testing.T, what string, got []api.ProbeResult, want ...api.ProbeResult) {
	t.Helper()
	if len(got) == len(want) {
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%s: step %d:\n got  %s\n want %s", what, i, show(got[i]), show(want[i]))
			}
		}
		return
	}
	t.Errorf("%s: %d results, want %d:\n got  %s\n want %s", what, len(got), len(want), show(got), show(want))
}

func expectCode(t *testing.T, what string, r TxResult, want peer.TxValidationCode) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("%s: proposal refused: %v", what, r.Err)
	}
	if r.Code != want {
		t.Errorf("%s: validation code %s, want %s", what, r.Code, want)
	}
}

// show renders results with keys quoted (composite keys hold U+0000).
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// The behaviours.

func testPutGetDel(t *testing.T, b Backend, k space) {
	setup(t, b, put(k.c("a"), "1"), put(k.c("b"), "2"))
	expect(t, "after put", eval(t, b, get(k.c("a")), get(k.c("b")), get(k.c("none"))),
		found("1"), found("2"), absent)
	setup(t, b, del(k.c("a")), del(k.c("never")))
	expect(t, "after del", eval(t, b, get(k.c("a")), get(k.c("b")), get(k.c("never"))),
		absent, found("2"), absent)
}

// testReadYourWrites: within a transaction every read sees committed
// state, never the transaction's own writes, deletes or policies.
func testReadYourWrites(t *testing.T, b Backend, k space) {
	setup(t, b, put(k.c("k"), "old"), put(k.c("d"), "keep"))
	r := submit(t, b, nil,
		put(k.c("k"), "new"), get(k.c("k")),
		del(k.c("d")), get(k.c("d")),
		put(k.c("n"), "x"), get(k.c("n")),
		partial(k.attrs()),
		setPolicy(k.c("k"), 2, b.Orgs()[0], b.Orgs()[1]), getPolicy(k.c("k")),
	)
	expectCode(t, "writer", r, valid)
	expect(t, "writer", r.Output.Results,
		done, found("old"),
		done, found("keep"),
		done, absent,
		rows(kvs(k.c("d"), "keep", k.c("k"), "old")),
		done, done,
	)
	expect(t, "after commit", eval(t, b, get(k.c("k")), get(k.c("d")), get(k.c("n")), getPolicy(k.c("k"))),
		found("new"), absent, found("x"), policy(2, b.Orgs()[0], b.Orgs()[1]))
}

// testLastWriteWins: of several writes to one key in a transaction, the
// last counts.
func testLastWriteWins(t *testing.T, b Backend, k space) {
	setup(t, b,
		put(k.c("a"), "1"), put(k.c("a"), "2"),
		put(k.c("b"), "1"), del(k.c("b")),
		del(k.c("c")), put(k.c("c"), "3"),
	)
	expect(t, "after commit", eval(t, b, get(k.c("a")), get(k.c("b")), get(k.c("c"))),
		found("2"), absent, found("3"))
}

// testEmptyValueDeletes: Fabric records a PutState of an empty value as a
// delete.
func testEmptyValueDeletes(t *testing.T, b Backend, k space) {
	setup(t, b, put(k.c("k"), "x"))
	setup(t, b, put(k.c("k"), ""))
	expect(t, "after empty put", eval(t, b, get(k.c("k")), partial(k.attrs())), absent, done)
}

func testRangeQuery(t *testing.T, b Backend, k space) {
	setup(t, b, put(k.s("a"), "1"), put(k.s("b"), "2"), put(k.s("c"), "3"), put(k.s("d"), "4"))
	expect(t, "ranges", eval(t, b,
		rng(k.s("b"), k.s("d")),
		rng(k.s("a"), k.s("e")),
		rng(k.s("a"), k.s("a")),
		rng(k.s("c"), k.s("b")),
	),
		rows(kvs(k.s("b"), "2", k.s("c"), "3")),
		rows(kvs(k.s("a"), "1", k.s("b"), "2", k.s("c"), "3", k.s("d"), "4")),
		done,
		done,
	)
}

// testRangeRefusesCompositeKeys: GetStateByRange refuses a composite key
// as start or end.
func testRangeRefusesCompositeKeys(t *testing.T, b Backend, k space) {
	setup(t, b, put(k.c("a"), "1"), put(k.s("a"), "1"))
	expect(t, "composite ranges", eval(t, b,
		rng(k.c("a"), k.c("z")),
		rng(k.s("a"), k.c("z")),
		rng(k.c("a"), k.s("z")),
		rngPage(k.c("a"), k.c("z"), 10, ""),
	), failed, failed, failed, failed)
}

func testPartialCompositeKey(t *testing.T, b Backend, k space) {
	setup(t, b, put(k.c("x", "1"), "x1"), put(k.c("x", "2"), "x2"), put(k.c("xy", "1"), "xy1"), put(k.c("y", "1"), "y1"))
	expect(t, "partial keys", eval(t, b,
		partial(k.attrs("x")),
		partial(k.attrs("xy")),
		partial(k.attrs("x", "2")),
		partial(k.attrs("z")),
		partial(k.attrs()),
	),
		rows(kvs(k.c("x", "1"), "x1", k.c("x", "2"), "x2")),
		rows(kvs(k.c("xy", "1"), "xy1")),
		rows(kvs(k.c("x", "2"), "x2")),
		done,
		rows(kvs(k.c("x", "1"), "x1", k.c("x", "2"), "x2", k.c("xy", "1"), "xy1", k.c("y", "1"), "y1")),
	)
}

// testCompositeKeyValidation: attributes holding U+0000 or U+10FFFF are
// refused.
func testCompositeKeyValidation(t *testing.T, b Backend, k space) {
	expect(t, "bad attributes", eval(t, b,
		partial(k.attrs("a\x00b")),
		partial(k.attrs("\U0010FFFF")),
		partialPage(k.attrs("a\x00"), 10, ""),
	), failed, failed, failed)
}

// testPagination: a page holds up to pageSize results; the bookmark is
// the key after the page, "" when the range is done (also when the page
// ends exactly at the last key); an empty range gives an empty page.
func testPagination(t *testing.T, b Backend, k space) {
	setup(t, b,
		put(k.c("p", "1"), "1"), put(k.c("p", "2"), "2"), put(k.c("p", "3"), "3"), put(k.c("p", "4"), "4"), put(k.c("p", "5"), "5"),
		put(k.s("1"), "1"), put(k.s("2"), "2"), put(k.s("3"), "3"),
	)
	p := k.attrs("p")
	expect(t, "pages", eval(t, b,
		partialPage(p, 2, ""),
		partialPage(p, 2, k.c("p", "3")),
		partialPage(p, 2, k.c("p", "5")),
		partialPage(p, 5, ""),
		partialPage(p, 4, ""),
		partialPage(k.attrs("none"), 3, ""),
		rngPage(k.s("1"), k.s("9"), 2, ""),
		rngPage(k.s("1"), k.s("9"), 2, k.s("3")),
	),
		page(k.c("p", "3"), kvs(k.c("p", "1"), "1", k.c("p", "2"), "2")),
		page(k.c("p", "5"), kvs(k.c("p", "3"), "3", k.c("p", "4"), "4")),
		page("", kvs(k.c("p", "5"), "5")),
		page("", kvs(k.c("p", "1"), "1", k.c("p", "2"), "2", k.c("p", "3"), "3", k.c("p", "4"), "4", k.c("p", "5"), "5")),
		page(k.c("p", "5"), kvs(k.c("p", "1"), "1", k.c("p", "2"), "2", k.c("p", "3"), "3", k.c("p", "4"), "4")),
		page("", nil),
		page(k.s("3"), kvs(k.s("1"), "1", k.s("2"), "2")),
		page("", kvs(k.s("3"), "3")),
	)
}

// testForgedBookmark: the peer takes a bookmark as the start key and keeps
// the requested end. A bookmark below a partial composite key's range
// returns keys outside it (another account's rows, to a contract that
// passes client bookmarks through); one past the end returns nothing.
func testForgedBookmark(t *testing.T, b Backend, k space) {
	setup(t, b,
		put(k.c("a", "1"), "a1"), put(k.c("a", "2"), "a2"), put(k.c("b", "1"), "b1"), put(k.c("b", "2"), "b2"), put(k.c("c", "1"), "c1"),
		put(k.s("a"), "a"), put(k.s("b"), "b"), put(k.s("c"), "c"), put(k.s("d"), "d"),
	)
	pb := k.attrs("b")
	expect(t, "forged bookmarks", eval(t, b,
		partialPage(pb, 10, k.c("a", "2")),
		partialPage(pb, 1, k.c("a", "1")),
		partialPage(pb, 10, k.c("c", "1")),
		partialPage(pb, 10, k.c("b", "2")),
		rngPage(k.s("b"), k.s("d"), 10, k.s("a")),
		rngPage(k.s("b"), k.s("d"), 10, k.s("d")),
	),
		page("", kvs(k.c("a", "2"), "a2", k.c("b", "1"), "b1", k.c("b", "2"), "b2")),
		page(k.c("a", "2"), kvs(k.c("a", "1"), "a1")),
		page("", nil),
		page("", kvs(k.c("b", "2"), "b2")),
		page("", kvs(k.s("a"), "a", k.s("b"), "b", k.s("c"), "c")),
		page("", nil),
	)
}

// testPaginatedQueryIsReadOnly: the simulator refuses a paginated query
// after a write and any write after a paginated query; unpaginated queries
// mix with writes.
func testPaginatedQueryIsReadOnly(t *testing.T, b Backend, k space) {
	o := b.Orgs()
	r := submit(t, b, nil, put(k.c("k"), "1"), partialPage(k.attrs(), 5, ""))
	expectCode(t, "write, then page", r, valid)
	expect(t, "write, then page", r.Output.Results, done, failed)

	r = submit(t, b, nil, partialPage(k.attrs(), 5, ""), put(k.c("k2"), "1"), setPolicy(k.c("k"), 2, o[0], o[1]), del(k.c("k")))
	expectCode(t, "page, then writes", r, valid)
	expect(t, "page, then writes", r.Output.Results, page("", kvs(k.c("k"), "1")), failed, failed, failed)

	r = submit(t, b, nil, put(k.c("k3"), "1"), partial(k.attrs()))
	expectCode(t, "write, then unpaginated query", r, valid)
	expect(t, "write, then unpaginated query", r.Output.Results, done, rows(kvs(k.c("k"), "1")))

	expect(t, "after commit", eval(t, b, get(k.c("k")), get(k.c("k2")), getPolicy(k.c("k")), get(k.c("k3"))),
		found("1"), absent, absent, found("1"))
}

// testKeyLevelPolicy: a key with a key-level policy is written only by
// transactions whose endorsers satisfy it, whatever the chaincode-level
// policy; keys without one, and transactions writing nothing, need the
// chaincode-level policy (MAJORITY of the orgs). A policy change is checked
// against the old policy.
func testKeyLevelPolicy(t *testing.T, b Backend, k space) {
	o := b.Orgs()
	if len(o) < 4 {
		t.Skipf("needs 4 orgs (MAJORITY more than 2), the backend has %d", len(o))
	}
	pair, other := []string{o[0], o[1]}, []string{o[2], o[3]}
	key := k.c("k")
	r := submit(t, b, nil, put(key, "v0"), setPolicy(key, 2, pair...), getPolicy(key))
	expectCode(t, "create with policy", r, valid)
	expect(t, "create with policy", r.Output.Results, done, done, absent)
	expect(t, "policy", eval(t, b, getPolicy(key), getPolicy(k.c("none"))), policy(2, pair...), absent)

	expectCode(t, "write by the policy's orgs", submit(t, b, pair, put(key, "v1")), valid)
	expectCode(t, "write by others", submit(t, b, []string{o[0], o[2]}, put(key, "v2")), peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE)
	expectCode(t, "write plus a key without policy", submit(t, b, pair, put(key, "v3"), put(k.c("other"), "x")), peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE)
	expectCode(t, "read-only, below the chaincode policy", submit(t, b, pair, get(key)), peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE)
	expect(t, "after refused writes", eval(t, b, get(key), get(k.c("other"))), found("v1"), absent)

	expectCode(t, "policy change by the old policy's orgs", submit(t, b, pair, setPolicy(key, 2, other...)), valid)
	expect(t, "after policy change", eval(t, b, getPolicy(key), get(key)), policy(2, other...), found("v1"))
	expectCode(t, "write by the old policy's orgs", submit(t, b, pair, put(key, "v4")), peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE)

	expectCode(t, "delete by the new policy's orgs", submit(t, b, other, del(key)), valid)
	expect(t, "after delete", eval(t, b, get(key), getPolicy(key)), absent, absent)

	expectCode(t, "policy on a missing key", submit(t, b, nil, setPolicy(k.c("missing"), 2, pair...)), valid)
	expect(t, "policy on a missing key", eval(t, b, get(k.c("missing")), getPolicy(k.c("missing"))), absent, absent)
}

// testMVCCReadConflict: two transactions endorsed on the same state; the
// second to commit is invalid if a key it read changed version, including
// a missing key created, a policy read (GetStateValidationParameter reads
// the key), a rewrite with the same value and a policy set on the key. Blind writes never conflict;
// deleting a missing key changes no version.
func testMVCCReadConflict(t *testing.T, b Backend, k space) {
	o := b.Orgs()
	setup(t, b, put(k.c("k"), "v0"), put(k.c("p"), "p0"), put(k.c("same"), "s"), put(k.c("q"), "q0"))
	for _, tc := range []struct {
		name  string
		first []api.ProbeStep // committed first
		then  []api.ProbeStep // endorsed on the same state, committed second
		want  peer.TxValidationCode
	}{
		{"read-modify-write", []api.ProbeStep{get(k.c("k")), put(k.c("k"), "a")}, []api.ProbeStep{get(k.c("k")), put(k.c("k"), "b")}, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"missing key created", []api.ProbeStep{put(k.c("m"), "1")}, []api.ProbeStep{get(k.c("m")), put(k.c("z1"), "1")}, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"policy read", []api.ProbeStep{put(k.c("p"), "p1")}, []api.ProbeStep{getPolicy(k.c("p")), put(k.c("z2"), "1")}, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"same value rewritten", []api.ProbeStep{put(k.c("same"), "s")}, []api.ProbeStep{get(k.c("same")), put(k.c("z3"), "1")}, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"policy set on the key", []api.ProbeStep{setPolicy(k.c("q"), 2, o[0], o[1])}, []api.ProbeStep{get(k.c("q")), put(k.c("z5"), "1")}, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"blind writes", []api.ProbeStep{put(k.c("w"), "a")}, []api.ProbeStep{put(k.c("w"), "b")}, valid},
		{"missing key deleted", []api.ProbeStep{del(k.c("g"))}, []api.ProbeStep{get(k.c("g")), put(k.c("z4"), "1")}, valid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := batch(t, b, Batch{Txs: []Tx{{Steps: tc.then}, {Steps: tc.first}}, Order: []int{1, 0}})
			expectCode(t, "first", res[1], valid)
			expectCode(t, "second", res[0], tc.want)
		})
	}
	expect(t, "after conflicts", eval(t, b, get(k.c("k")), get(k.c("z1")), get(k.c("z2")), get(k.c("z3")), get(k.c("z5")), get(k.c("w")), get(k.c("z4")), get(k.c("q"))),
		found("a"), absent, absent, absent, absent, found("b"), found("1"), found("q0"))
}

// testPhantomRead: a transaction that ran a range query (here a read-only
// one: those are validated too) is invalid if,
// before it commits, the keys or versions in the part of the range the
// peer read changed. That part runs from the start (the bookmark, if any)
// to the end if the peer's iterator ran out, else to the last key it read:
// a page's last key, or one past the first batch of 100 for unpaginated
// queries, however few results the chaincode took.
func testPhantomRead(t *testing.T, b Backend, k space) {
	ab := func(set string) []api.ProbeStep {
		return []api.ProbeStep{put(k.c(set, "b"), "b"), put(k.c(set, "d"), "d")}
	}
	for _, tc := range []struct {
		name  string
		setup []api.ProbeStep
		query api.ProbeStep
		rows  api.ProbeResult
		other []api.ProbeStep // committed between the query's endorsement and its commit
		want  peer.TxValidationCode
	}{
		{"insert inside", ab("i"), partial(k.attrs("i")), rows(kvs(k.c("i", "b"), "b", k.c("i", "d"), "d")),
			[]api.ProbeStep{put(k.c("i", "c"), "c")}, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"update inside", ab("u"), partial(k.attrs("u")), rows(kvs(k.c("u", "b"), "b", k.c("u", "d"), "d")),
			[]api.ProbeStep{put(k.c("u", "b"), "b2")}, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"delete inside", ab("d"), partial(k.attrs("d")), rows(kvs(k.c("d", "b"), "b", k.c("d", "d"), "d")),
			[]api.ProbeStep{del(k.c("d", "d"))}, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"insert outside", ab("o"), partial(k.attrs("o")), rows(kvs(k.c("o", "b"), "b", k.c("o", "d"), "d")),
			[]api.ProbeStep{put(k.c("ox", "c"), "c")}, valid},
		{"insert after the page", ab("pa"), partialPage(k.attrs("pa"), 1, ""), page(k.c("pa", "d"), kvs(k.c("pa", "b"), "b")),
			[]api.ProbeStep{put(k.c("pa", "c"), "c")}, valid},
		{"insert inside the page", ab("pi"), partialPage(k.attrs("pi"), 1, ""), page(k.c("pi", "d"), kvs(k.c("pi", "b"), "b")),
			[]api.ProbeStep{put(k.c("pi", "a"), "a")}, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"insert before the bookmark", ab("pb"), partialPage(k.attrs("pb"), 1, k.c("pb", "d")), page("", kvs(k.c("pb", "d"), "d")),
			[]api.ProbeStep{put(k.c("pb", "a"), "a")}, valid},
		{"insert at the end of an exhausted range", []api.ProbeStep{put(k.s("r", "b"), "b")}, rng(k.s("r", "a"), k.s("r", "c")), rows(kvs(k.s("r", "b"), "b")),
			[]api.ProbeStep{put(k.s("r", "c"), "c")}, valid},
		{"insert after the taken results of an exhausted range", ab("e"), partialLimit(k.attrs("e"), 1),
			api.ProbeResult{KVs: kvs(k.c("e", "b"), "b"), Truncated: true},
			[]api.ProbeStep{put(k.c("e", "e"), "e")}, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setup(t, b, tc.setup...)
			res := batch(t, b, Batch{Txs: []Tx{{Steps: []api.ProbeStep{tc.query}}, {Steps: tc.other}}, Order: []int{1, 0}})
			expectCode(t, "other", res[1], valid)
			expectCode(t, "query", res[0], tc.want)
			expect(t, "query", res[0].Output.Results, tc.rows)
		})
	}

	t.Run("read-ahead of 100", func(t *testing.T) {
		var steps []api.ProbeStep
		for i := 0; i < 150; i++ {
			steps = append(steps, put(k.c("ra", fmt.Sprintf("%03d", i)), "x"))
			if len(steps) == api.MaxProbeSteps || i == 149 {
				setup(t, b, steps...)
				steps = nil
			}
		}
		query := partialLimit(k.attrs("ra"), 3)
		want := api.ProbeResult{KVs: kvs(k.c("ra", "000"), "x", k.c("ra", "001"), "x", k.c("ra", "002"), "x"), Truncated: true}
		for _, tc := range []struct {
			name, insert string
			want         peer.TxValidationCode
		}{
			{"beyond the 101st key", "120x", valid},
			{"before the 101st key", "050x", peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := batch(t, b, Batch{Txs: []Tx{{Steps: []api.ProbeStep{query}}, {Steps: []api.ProbeStep{put(k.c("ra", tc.insert), "x")}}}, Order: []int{1, 0}})
				expectCode(t, "insert", res[1], valid)
				expectCode(t, "query", res[0], tc.want)
				expect(t, "query", res[0].Output.Results, want)
			})
		}
	})
}

// testLastEventWins: Fabric keeps the last SetEvent of a transaction; the
// probe's own event is replaced by the dispatch envelope, set after the
// contract body.
func testLastEventWins(t *testing.T, b Backend, k space) {
	r := submit(t, b, nil, event("probe", "first"), put(k.c("k"), "v"))
	expectCode(t, "event", r, valid)
	if r.Event == nil || r.Event.Name != api.EventName {
		t.Fatalf("event %+v, want the last one set (%s)", r.Event, api.EventName)
	}
}

// testRefusedScripts: probe:Eval refuses scripts that write, and a script
// touching keys outside the probe's key space is refused before it runs.
func testRefusedScripts(t *testing.T, b Backend, k space) {
	r := batch(t, b, Batch{Evaluate: true, Txs: []Tx{{Steps: []api.ProbeStep{put(k.c("k"), "x")}}}})[0]
	if r.Err == nil {
		t.Errorf("probe:Eval ran a write: %s", r)
	}
	r = batch(t, b, Batch{Txs: []Tx{{Steps: []api.ProbeStep{get("bench.kv")}}}})[0]
	if r.Err == nil {
		t.Errorf("probe:Run read outside the probe's keys: %s", r)
	}
	expect(t, "nothing written", eval(t, b, get(k.c("k"))), absent)
}
