package ledger

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// step is one scripted answer of a fake transaction.
type step struct {
	submitErr error
	// delivered: the submit failed, but the orderers have the transaction
	// anyway (BFT, fabric #4415).
	delivered bool
	// statusErr, when set, is returned by Status; block means Status waits
	// for its context (a lost transaction).
	statusErr error
	block     bool
	code      peer.TxValidationCode
}

// fakeTx is one endorsed transaction following a script of Status answers.
// Until the orderers have it (a submit succeeded or was delivered), Status
// finds nothing and waits for its context, as the peer's commit status does.
type fakeTx struct {
	id      string
	mu      sync.Mutex
	script  []step
	i       int
	submits int
	sent    bool
	lookups int // Status calls before the orderers had it
}

func (f *fakeTx) TransactionID() string { return f.id }
func (f *fakeTx) Result() []byte        { return []byte(`{"ok":true}`) }

func (f *fakeTx) cur() step {
	if f.i < len(f.script) {
		return f.script[f.i]
	}
	return f.script[len(f.script)-1]
}

func (f *fakeTx) Submit(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submits++
	s := f.cur()
	if s.submitErr != nil {
		f.i++
	}
	if s.submitErr == nil || s.delivered {
		f.sent = true
	}
	return s.submitErr
}

func (f *fakeTx) Status(ctx context.Context) (peer.TxValidationCode, uint64, error) {
	f.mu.Lock()
	if !f.sent {
		f.lookups++
		f.mu.Unlock()
		<-ctx.Done()
		return 0, 0, status.FromContextError(ctx.Err()).Err()
	}
	s := f.cur()
	f.i++
	f.mu.Unlock()
	if s.block {
		<-ctx.Done()
		return 0, 0, status.FromContextError(ctx.Err()).Err()
	}
	if s.statusErr != nil {
		return 0, 0, s.statusErr
	}
	return s.code, 7, nil
}

type fakeProposer struct {
	mu      sync.Mutex
	scripts [][]step
	txs     []*fakeTx
	endorse []error
}

func (p *fakeProposer) propose(context.Context) (endorsed, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.txs)
	if n < len(p.endorse) && p.endorse[n] != nil {
		p.txs = append(p.txs, nil)
		return nil, p.endorse[n]
	}
	tx := &fakeTx{id: "tx" + strconv.Itoa(n), script: p.scripts[min(n, len(p.scripts)-1)]}
	p.txs = append(p.txs, tx)
	return tx, nil
}

func testSubmitter() *submitter {
	return &submitter{
		policy: policy{
			endorse: time.Second, submit: time.Second,
			commitStatus: 20 * time.Millisecond, commit: 300 * time.Millisecond, lookup: 10 * time.Millisecond,
			attempts: 3, backoffBase: time.Millisecond, backoffMax: 4 * time.Millisecond,
		},
		log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		sleep: sleepCtx,
	}
}

var valid = step{code: peer.TxValidationCode_VALID}

func TestSubmitLoop(t *testing.T) {
	mvcc := step{code: peer.TxValidationCode_MVCC_READ_CONFLICT}
	lost := step{block: true}
	tests := []struct {
		name       string
		scripts    [][]step
		endorse    []error
		ctx        func() (context.Context, context.CancelFunc)
		wantCode   Code
		proposals  int
		resubmits  int
		wantTxID   string
		wantSubmit int // submits of the first transaction
	}{
		{name: "valid first time", scripts: [][]step{{valid}}, proposals: 1, wantTxID: "tx0", wantSubmit: 1},
		{name: "read conflict re-runs the proposal", scripts: [][]step{{mvcc}, {valid}}, proposals: 2, wantTxID: "tx1", wantSubmit: 1},
		{name: "phantom then mvcc then valid", scripts: [][]step{{{code: peer.TxValidationCode_PHANTOM_READ_CONFLICT}}, {mvcc}, {valid}}, proposals: 3, wantTxID: "tx2", wantSubmit: 1},
		{name: "conflicts exhaust attempts", scripts: [][]step{{mvcc}}, wantCode: CodeConflict, proposals: 3},
		{name: "lost transaction is re-sent, not re-proposed", scripts: [][]step{{lost, lost, valid}}, proposals: 1, resubmits: 2, wantTxID: "tx0", wantSubmit: 3},
		{name: "definitively invalid stops", scripts: [][]step{{lost, {code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}}}, wantCode: CodeTxInvalid, proposals: 1},
		{name: "never committed gives unknown outcome", scripts: [][]step{{lost}}, wantCode: CodeCommitUnknown, proposals: 1},
		{name: "orderer refuses then accepts", scripts: [][]step{{{submitErr: status.Error(codes.Unavailable, "no Raft leader")}, valid}}, proposals: 1, resubmits: 1, wantTxID: "tx0", wantSubmit: 2},
		{name: "orderer always refuses", scripts: [][]step{{{submitErr: status.Error(codes.Unavailable, "no Raft leader")}}}, wantCode: CodePeerUnavailable, proposals: 1},
		{name: "too large for the orderers is not re-sent", scripts: [][]step{{{submitErr: tooLargeRefusal()}, valid}}, wantCode: CodeBatchTooLarge, proposals: 1, wantSubmit: 1},
		{name: "chaincode refusal is not retried", endorse: []error{endorseStatusErr("chaincode response 500, INSUFFICIENT_FUNDS: no")}, scripts: [][]step{{valid}}, wantCode: CodeInsufficientFunds, proposals: 1},
		{name: "payload mismatch is retried", endorse: []error{endorseStatusErr("ProposalResponsePayloads do not match")}, scripts: [][]step{{valid}}, proposals: 2, wantTxID: "tx1"},
		{name: "persistent payload mismatch is a configuration error", endorse: []error{
			endorseStatusErr("ProposalResponsePayloads do not match"), endorseStatusErr("ProposalResponsePayloads do not match"),
			endorseStatusErr("ProposalResponsePayloads do not match")}, scripts: [][]step{{valid}}, wantCode: CodeEndorserMismatch, proposals: 3},
		{name: "caller cancels", scripts: [][]step{{lost}}, ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, wantCode: CodeCommitUnknown, proposals: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProposer{scripts: tt.scripts, endorse: tt.endorse}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			got, err := testSubmitter().run(ctx, "token:Transfer", p.propose)
			require.Len(t, p.txs, tt.proposals)
			if tt.wantCode != "" {
				require.Error(t, err)
				require.Equal(t, tt.wantCode, CodeOf(err), err.Error())
				if tt.wantSubmit > 0 {
					require.Equal(t, tt.wantSubmit, p.txs[0].submits)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantTxID, got.TxID)
			require.Equal(t, uint64(7), got.BlockNumber)
			require.Equal(t, tt.proposals, got.Attempts)
			require.Equal(t, tt.resubmits, got.Resubmits)
			if tt.wantSubmit > 0 {
				require.Equal(t, tt.wantSubmit, p.txs[0].submits)
			}
		})
	}
}

func endorseStatusErr(detail string) error {
	st := status.New(codes.Aborted, "failed to endorse transaction")
	st, _ = st.WithDetails(detailMsg(detail))
	return st.Err()
}

// A chaincode refusal from other provinces' peers only means they lag the
// local peer by a block: the proposal runs again. From the local peer it is
// the answer.
func TestLaggingEndorsersRetried(t *testing.T) {
	from := func(detail string, msps ...string) error {
		st := status.New(codes.Aborted, "failed to endorse transaction")
		for _, m := range msps {
			st, _ = st.WithDetails(&gateway.ErrorDetail{Address: m + "-peer:7051", MspId: m, Message: detail})
		}
		return st.Err()
	}
	const notOwned = "chaincode response 500, INPUT_NOT_OWNED: output x.1 is not an unspent output of account r"
	tests := []struct {
		name      string
		err       error
		wantCode  Code
		proposals int
	}{
		{"only another province's peer", from(notOwned, "JiangsuMSP"), "", 2},
		{"two other provinces' peers", from(notOwned, "JiangsuMSP", "AnhuiMSP"), "", 2},
		{"the local peer too", from(notOwned, "JiangsuMSP", "ShanghaiMSP"), CodeInputNotOwned, 1},
		{"only the local peer", from(notOwned, "ShanghaiMSP"), CodeInputNotOwned, 1},
		{"no details", status.Error(codes.Aborted, notOwned), CodeInputNotOwned, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProposer{scripts: [][]step{{valid}}, endorse: []error{tt.err}}
			s := testSubmitter()
			s.localMSP = "ShanghaiMSP"
			got, err := s.run(context.Background(), "token:Transfer", p.propose)
			require.Len(t, p.txs, tt.proposals)
			if tt.wantCode != "" {
				require.Equal(t, tt.wantCode, CodeOf(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, 2, got.Attempts)
		})
	}
	t.Run("gives up after the attempts", func(t *testing.T) {
		lag := from(notOwned, "JiangsuMSP")
		p := &fakeProposer{scripts: [][]step{{valid}}, endorse: []error{lag, lag, lag}}
		s := testSubmitter()
		s.localMSP = "ShanghaiMSP"
		_, err := s.run(context.Background(), "token:Transfer", p.propose)
		require.Equal(t, CodeInputNotOwned, CodeOf(err))
		require.Len(t, p.txs, 3)
	})
	// After an ordering outage peers catch up at different speeds: a peer
	// of another province may lag seconds behind the block that made the
	// inputs (the fault suite saw it), longer than a few backoffs.
	t.Run("keeps running it while peers lag, up to lagWait", func(t *testing.T) {
		lag := from(notOwned, "JiangsuMSP")
		p := &fakeProposer{scripts: [][]step{{valid}}, endorse: []error{lag, lag, lag, lag, lag, lag}}
		s := testSubmitter()
		s.localMSP = "ShanghaiMSP"
		s.policy.lagWait = time.Minute
		got, err := s.run(context.Background(), "token:Transfer", p.propose)
		require.NoError(t, err)
		require.Equal(t, 7, got.Attempts, "six refusals by a lagging peer, then endorsed")
	})
	t.Run("gives up at lagWait", func(t *testing.T) {
		lag := from(notOwned, "JiangsuMSP")
		refusals := make([]error, 1000)
		for i := range refusals {
			refusals[i] = lag
		}
		p := &fakeProposer{scripts: [][]step{{valid}}, endorse: refusals}
		s := testSubmitter()
		s.localMSP = "ShanghaiMSP"
		s.policy.lagWait = 30 * time.Millisecond
		_, err := s.run(context.Background(), "token:Transfer", p.propose)
		require.Equal(t, CodeInputNotOwned, CodeOf(err))
		require.Greater(t, len(p.txs), 3, "ran beyond the attempts while within lagWait")
		require.Less(t, len(p.txs), len(refusals), "stopped at lagWait")
	})
	// Endorsements that differ are the same lag seen from the other side
	// (a peer's read saw an older version): the fault suite's leader
	// cycles saw them for over a second after a Raft leader change.
	t.Run("differing endorsements are run again up to lagWait", func(t *testing.T) {
		mismatch := endorseStatusErr("ProposalResponsePayloads do not match")
		p := &fakeProposer{scripts: [][]step{{valid}}, endorse: []error{mismatch, mismatch, mismatch, mismatch, mismatch}}
		s := testSubmitter()
		s.localMSP = "ShanghaiMSP"
		s.policy.lagWait = time.Minute
		got, err := s.run(context.Background(), "token:Transfer", p.propose)
		require.NoError(t, err)
		require.Equal(t, 6, got.Attempts)
	})
	// A peer of another province that is down answers nothing: the
	// Fabric Gateway reports it Unavailable in the details until its
	// membership drops the peer (the fault suite's ordering outage, with
	// Anhui's peer killed in it, failed two payments ENDORSE_FAILED so).
	t.Run("another province's peer unreachable: 503 and run again", func(t *testing.T) {
		down := from(`rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial tcp 127.0.0.1:30545: connect: connection refused"`, "AnhuiMSP")
		e := classify(StageEndorse, "", down)
		require.Equal(t, CodePeerUnavailable, e.Code)
		p := &fakeProposer{scripts: [][]step{{valid}}, endorse: []error{down, down, down, down}}
		s := testSubmitter()
		s.localMSP = "ShanghaiMSP"
		s.policy.lagWait = time.Minute
		got, err := s.run(context.Background(), "token:Transfer", p.propose)
		require.NoError(t, err)
		require.Equal(t, 5, got.Attempts)
	})
	t.Run("lagWait does not extend retries of the local peer's refusal", func(t *testing.T) {
		own := from(notOwned, "ShanghaiMSP")
		p := &fakeProposer{scripts: [][]step{{valid}}, endorse: []error{own, own}}
		s := testSubmitter()
		s.localMSP = "ShanghaiMSP"
		s.policy.lagWait = time.Minute
		_, err := s.run(context.Background(), "token:Transfer", p.propose)
		require.Equal(t, CodeInputNotOwned, CodeOf(err))
		require.Len(t, p.txs, 1)
	})
}

// bftRefusal is how the Fabric Gateway of the pinned peer reports a submit
// on a BFT channel that fewer than a quorum of orderers acknowledged: two
// orderers had already ordered the transaction (fabric #4415). The words are
// the peer's (its log on the project's BFT network).
func bftRefusal() error {
	return quorumRefusal("request already processed", "ZhejiangMSP", "AnhuiMSP")
}

// quorumRefusal is the Fabric Gateway's answer to a submit on a BFT channel
// that fewer than a quorum of orderers acknowledged, the orderers of msps
// answering info.
func quorumRefusal(info string, msps ...string) error {
	st := status.New(codes.Unavailable, "insufficient number of orderers could successfully process transaction to satisfy quorum requirement")
	for i, m := range msps {
		st, _ = st.WithDetails(&gateway.ErrorDetail{Address: fmt.Sprintf("127.0.0.1:%d", 31402+20*i), MspId: m,
			Message: "received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=failed to submit request: " + info})
	}
	return st.Err()
}

// orderedTx is a transaction on a BFT channel every submit of which fails
// as bftRefusal; the broadcast of submit number deliverAt (1-based; 0:
// none) reached the orderers nevertheless, and the transaction committed.
// Status, as the peer's commit status, answers for a committed transaction
// and waits for its context otherwise.
type orderedTx struct {
	deliverAt int

	mu        sync.Mutex
	submits   int
	lookups   int
	committed bool
}

func (o *orderedTx) TransactionID() string { return "tx-bft" }
func (o *orderedTx) Result() []byte        { return []byte(`{}`) }

func (o *orderedTx) Submit(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.submits++
	if o.submits == o.deliverAt {
		o.committed = true
	}
	return bftRefusal()
}

func (o *orderedTx) Status(ctx context.Context) (peer.TxValidationCode, uint64, error) {
	o.mu.Lock()
	o.lookups++
	done := o.committed
	o.mu.Unlock()
	if done {
		return peer.TxValidationCode_VALID, 9, nil
	}
	<-ctx.Done()
	return 0, 0, status.FromContextError(ctx.Err()).Err()
}

// TestSubmitFailedButOrdered: a submit that fails may hide a broadcast that
// reached the orderers. The loop looks the transaction up by its ID before
// each re-send and reports a committed transaction as committed, not as a
// failed submit (before the look-up every re-send failed "already
// processed" and the payment was reported failed after the commit budget).
func TestSubmitFailedButOrdered(t *testing.T) {
	tests := []struct {
		name      string
		deliverAt int
		wantCode  Code
		submits   int
	}{
		{name: "the first broadcast reached the orderers", deliverAt: 1, submits: 1},
		{name: "a re-send reached them", deliverAt: 3, submits: 3},
		{name: "none did: not accepted", deliverAt: 0, wantCode: CodePeerUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := &orderedTx{deliverAt: tt.deliverAt}
			propose := func(context.Context) (endorsed, error) { return tx, nil }
			got, err := testSubmitter().run(context.Background(), "token:Transfer", propose)
			tx.mu.Lock()
			defer tx.mu.Unlock()
			require.Positive(t, tx.lookups, "looked up after a failed submit")
			if tt.wantCode != "" {
				require.Equal(t, tt.wantCode, CodeOf(err), err)
				var e *Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, StageSubmit, e.Stage)
				require.Greater(t, tx.submits, 2, "re-sent while the budget lasted")
				return
			}
			require.NoError(t, err)
			require.Equal(t, "tx-bft", got.TxID)
			require.Equal(t, uint64(9), got.BlockNumber)
			require.Equal(t, tt.submits, tx.submits, "not re-sent once found")
			require.Equal(t, tt.submits-1, got.Resubmits)
		})
	}
}

// tooLargeRefusal is how the Fabric Gateway of the pinned peer reports a
// transaction every SmartBFT orderer refused for its size (the words are
// the peer's, from the e2e suite on BFT: an 804 KB disbursement batch).
func tooLargeRefusal() error {
	return quorumRefusal("submitted request (804129) is bigger than request max bytes (512000)", "ZhejiangMSP", "ShanghaiMSP")
}
