package walfix

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"code.cloudfoundry.org/clock/fakeclock"
	cb "github.com/hyperledger/fabric-protos-go/common"
	"github.com/hyperledger/fabric-protos-go/orderer"
	raftmeta "github.com/hyperledger/fabric-protos-go/orderer/etcdraft"
	"github.com/hyperledger/fabric/common/flogging"
	"github.com/hyperledger/fabric/common/metrics/disabled"
	"github.com/hyperledger/fabric/orderer/common/cluster"
	"github.com/hyperledger/fabric/orderer/consensus/etcdraft"
	"github.com/hyperledger/fabric/orderer/mocks/common/multichannel"
	"github.com/hyperledger/fabric/protoutil"
	"go.etcd.io/etcd/raft/v3"
	"go.etcd.io/etcd/raft/v3/raftpb"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const (
	channelID = "walfix"

	leaderID   = 1 // played by the test
	followerID = 2 // the real etcdraft.Chain under test

	bootstrapTerm = 1 // term of the membership entries raft.StartNode writes
	leaderTerm    = 2 // term in which node 1 leads

	// waitLimit bounds every wait for the chain. The patched chain needs
	// milliseconds; a deadlock is recognised at once (see deadlockedPairs), so
	// only an unexplained stall ever waits this long.
	waitLimit = 20 * time.Second
)

// consenterIDs is the channel's consenter set: the bootstrap writes one
// membership change (ConfChangeAddNode) per consenter, which every restart
// replays.
var consenterIDs = []uint64{1, 2, 3}

// unpatched reports whether the tests run against the pinned Fabric as
// published (make sets YRD_FABRIC_UNPATCHED=1 for that run). Each test then
// asserts that the deadlock happens, which shows that it can fail.
func unpatched() bool { return os.Getenv("YRD_FABRIC_UNPATCHED") == "1" }

// ledger is the chain's consensus.ConsenterSupport. The multichannel mock
// answers what a follower never asks for in these tests; the block store is
// ours, so that it is safe to read from the test goroutine and can be made
// slow: WriteBlock of block holdAt waits until release is closed.
type ledger struct {
	*multichannel.ConsenterSupport

	mu     sync.Mutex
	blocks []*cb.Block // blocks[n] is block n, from the genesis block
	bad    error       // set when the chain writes a block out of order

	holdAt  uint64        // 0: never hold
	held    chan struct{} // closed when WriteBlock(holdAt) starts waiting
	release chan struct{} // closed by the test to let WriteBlock(holdAt) finish

	// progress gets a token (capacity 1, never blocks) after every write, to
	// wake a waiter.
	progress chan struct{}
}

func newLedger(blocks []*cb.Block) *ledger {
	return &ledger{
		ConsenterSupport: &multichannel.ConsenterSupport{ChannelIDVal: channelID},
		blocks:           append([]*cb.Block(nil), blocks...),
		held:             make(chan struct{}),
		release:          make(chan struct{}),
		progress:         make(chan struct{}, 1),
	}
}

// holdWriteOf makes WriteBlock of block n wait until the test closes release.
func (l *ledger) holdWriteOf(n uint64) { l.holdAt = n }

func (l *ledger) Height() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.blocks))
}

func (l *ledger) Block(n uint64) *cb.Block {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n >= uint64(len(l.blocks)) {
		return nil
	}
	return l.blocks[n]
}

func (l *ledger) WriteBlock(b *cb.Block, _ []byte) {
	if l.holdAt != 0 && b.Header.Number == l.holdAt {
		close(l.held)
		<-l.release
	}
	l.append(b)
}

func (l *ledger) WriteConfigBlock(b *cb.Block, _ []byte) { l.append(b) }

func (l *ledger) Append(b *cb.Block) error { l.append(b); return nil }

func (l *ledger) append(b *cb.Block) {
	l.mu.Lock()
	if b.Header.Number != uint64(len(l.blocks)) && l.bad == nil {
		l.bad = fmt.Errorf("chain wrote block %d at height %d", b.Header.Number, len(l.blocks))
	}
	l.blocks = append(l.blocks, b)
	l.mu.Unlock()
	select {
	case l.progress <- struct{}{}:
	default:
	}
}

// snapshot returns the blocks written so far and any ordering error.
func (l *ledger) snapshot() ([]*cb.Block, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*cb.Block(nil), l.blocks...), l.bad
}

// leader plays Raft node 1, leader of term leaderTerm. It authors every entry
// after the bootstrap ones, so it knows the follower's log without asking, and
// commits each entry in the message that carries it (as if nodes 1 and 3 had
// already stored it).
type leader struct {
	lastIndex, lastTerm uint64
	lastBlock           *cb.Block
	lastBlockIndex      uint64 // Raft index of lastBlock; 0 for the genesis block
}

func newLeader(genesis *cb.Block) *leader {
	return &leader{
		lastIndex: uint64(len(consenterIDs)), // the bootstrap's membership entries
		lastTerm:  bootstrapTerm,
		lastBlock: genesis,
	}
}

// block returns the entry for the next block.
func (ld *leader) block() raftpb.Entry {
	b := nextBlock(ld.lastBlock)
	ld.lastBlock = b
	e := ld.entry(raftpb.EntryNormal, protoutil.MarshalOrPanic(b))
	ld.lastBlockIndex = e.Index
	return e
}

// addNode returns the entry of a membership change that adds node id, as the
// leader proposes after a config block that adds a consenter.
func (ld *leader) addNode(id uint64) raftpb.Entry {
	cc := raftpb.ConfChange{Type: raftpb.ConfChangeAddNode, NodeID: id}
	data, err := cc.Marshal()
	if err != nil {
		panic(err)
	}
	return ld.entry(raftpb.EntryConfChange, data)
}

func (ld *leader) entry(typ raftpb.EntryType, data []byte) raftpb.Entry {
	ld.lastIndex++
	ld.lastTerm = leaderTerm
	return raftpb.Entry{Type: typ, Term: leaderTerm, Index: ld.lastIndex, Data: data}
}

// appendMsg returns the MsgApp that appends ents (made by block or addNode
// since the last message) and commits them.
func (ld *leader) appendMsg(ents ...raftpb.Entry) raftpb.Message {
	prev := ents[0].Index - 1
	prevTerm := uint64(leaderTerm)
	if prev <= uint64(len(consenterIDs)) {
		prevTerm = bootstrapTerm
	}
	return raftpb.Message{
		Type: raftpb.MsgApp, From: leaderID, To: followerID, Term: leaderTerm,
		Index: prev, LogTerm: prevTerm, Entries: ents, Commit: ld.lastIndex,
	}
}

func genesisBlock() *cb.Block {
	b := protoutil.NewBlock(0, nil)
	b.Data.Data = [][]byte{envelope(0)}
	b.Header.DataHash = protoutil.BlockDataHash(b.Data)
	return b
}

func nextBlock(prev *cb.Block) *cb.Block {
	n := prev.Header.Number + 1
	b := protoutil.NewBlock(n, protoutil.BlockHeaderHash(prev.Header))
	b.Data.Data = [][]byte{envelope(n)}
	b.Header.DataHash = protoutil.BlockDataHash(b.Data)
	return b
}

// envelope is a normal (endorser) transaction, so that the chain treats the
// block as a data block, not a config block.
func envelope(n uint64) []byte {
	ch := &cb.ChannelHeader{Type: int32(cb.HeaderType_ENDORSER_TRANSACTION), ChannelId: channelID, TxId: fmt.Sprintf("tx%d", n)}
	payload := &cb.Payload{Header: &cb.Header{ChannelHeader: protoutil.MarshalOrPanic(ch)}, Data: []byte("payment")}
	return protoutil.MarshalOrPanic(&cb.Envelope{Payload: protoutil.MarshalOrPanic(payload)})
}

// wire is the follower's transport to the other consenters. It takes what the
// follower sends (acknowledgements to the leader) and counts rejected appends,
// which would mean the harness wrote a log the follower does not accept.
type wire struct {
	sent, rejected atomic.Int64
}

func (w *wire) SendConsensus(_ uint64, req *orderer.ConsensusRequest) error {
	var m raftpb.Message
	if err := m.Unmarshal(req.Payload); err != nil {
		return err
	}
	w.sent.Add(1)
	if m.Type == raftpb.MsgAppResp && m.Reject {
		w.rejected.Add(1)
	}
	return nil
}

func (w *wire) SendSubmit(uint64, *orderer.SubmitRequest, func(error)) error {
	return errors.New("walfix: the follower has nothing to submit")
}

type noComm struct{}

func (noComm) Configure(string, []cluster.RemoteNode) {}

// follower is the real etcdraft.Chain under test, Raft node 2.
type follower struct {
	chain  *etcdraft.Chain
	memory *raft.MemoryStorage // the Raft log node.run has stored
	ledger *ledger
	wire   *wire
	logs   *logTail
	halted bool
}

// startFollower starts a chain on the WAL in dir: fresh (bootstrapping the
// channel's membership) if dir holds none, restarted from it otherwise.
// appliedIndex is the Raft index of the ledger's last block (0 for genesis).
func startFollower(t *testing.T, dir string, l *ledger, appliedIndex uint64) *follower {
	t.Helper()
	logs := newLogTail(200)
	f := &follower{memory: raft.NewMemoryStorage(), ledger: l, wire: &wire{}, logs: logs}
	opts := etcdraft.Options{
		RPCTimeout:        time.Second,
		RaftID:            followerID,
		Clock:             fakeclock.NewFakeClock(time.Now()), // never advanced: no ticks, no elections
		WALDir:            filepath.Join(dir, "wal"),
		SnapDir:           filepath.Join(dir, "snapshot"),
		MemoryStorage:     f.memory,
		Logger:            flogging.NewFabricLogger(zap.New(logs.core())),
		TickInterval:      100 * time.Millisecond,
		ElectionTick:      10,
		HeartbeatTick:     1,
		MaxSizePerMsg:     1 << 20,
		MaxInflightBlocks: 5,
		BlockMetadata: &raftmeta.BlockMetadata{
			ConsenterIds:    consenterIDs,
			NextConsenterId: uint64(len(consenterIDs)) + 1,
			RaftIndex:       appliedIndex,
		},
		Consenters:          map[uint64]*raftmeta.Consenter{}, // no transport to configure
		Metrics:             etcdraft.NewMetrics(&disabled.Provider{}),
		EvictionSuspicion:   time.Hour,
		LeaderCheckInterval: time.Hour,
	}
	noPuller := func() (etcdraft.BlockPuller, error) { return nil, errors.New("walfix: no block puller") }
	c, err := etcdraft.NewChain(l, opts, noComm{}, f.wire, nil, noPuller, nil, nil)
	if err != nil {
		t.Fatalf("NewChain: %v", err)
	}
	f.chain = c
	c.Start()
	return f
}

// step delivers a message from the leader.
func (f *follower) step(m raftpb.Message) error {
	payload, err := m.Marshal()
	if err != nil {
		return err
	}
	return f.chain.Consensus(&orderer.ConsensusRequest{Channel: channelID, Payload: payload}, leaderID)
}

// halt stops the chain; only for a chain that is not deadlocked, whose Halt
// would never return.
func (f *follower) halt() {
	if !f.halted {
		f.halted = true
		f.chain.Halt()
	}
}

type outcome int

const (
	progressed outcome = iota // the ledger reached the awaited height
	deadlocked                // the WAL-sync cycle formed (see deadlockedPairs)
	stalled                   // neither, within waitLimit
)

func (o outcome) String() string {
	return [...]string{"progressed", "deadlocked", "stalled"}[o]
}

// await waits until the ledger holds block n or a new deadlocked pair appears
// (more than baseline, counted before this chain started).
func (f *follower) await(n uint64, baseline int) outcome {
	deadline := time.Now().Add(waitLimit)
	for {
		if f.ledger.Height() > n {
			return progressed
		}
		if deadlockedPairs() > baseline {
			return deadlocked
		}
		if time.Now().After(deadline) {
			return stalled
		}
		select {
		case <-f.ledger.progress:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitFor polls cond until it holds or waitLimit passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const etcdraftPkg = "github.com/hyperledger/fabric/orderer/consensus/etcdraft."

// deadlockedPairs counts the chains caught in the WAL-sync cycle: it takes a
// goroutine dump (the world is stopped, so it is one instant) and counts
// goroutines blocked in a channel send inside Chain.apply and inside node.run.
// In the unpatched code Chain.apply sends only on WALSyncC, which only
// node.run's select receives, and node.run sends (outside its select) only on
// applyC and snapC, which only Chain.run receives, and Chain.run is the
// goroutine inside Chain.apply. So a chain with both blocked at once can never
// move again. Hung chains of earlier runs stay in the count; callers compare
// against a baseline.
func deadlockedPairs() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var apply, run int
	for _, g := range strings.Split(string(buf), "\n\n") {
		lines := strings.SplitN(g, "\n", 3)
		if len(lines) < 2 || !strings.Contains(lines[0], "[chan send") {
			continue
		}
		switch {
		case strings.HasPrefix(lines[1], etcdraftPkg+"(*Chain).apply("):
			apply++
		case strings.HasPrefix(lines[1], etcdraftPkg+"(*node).run("):
			run++
		}
	}
	return min(apply, run)
}

// logTail keeps the last lines a chain logged, to show when a test fails,
// and counts the membership changes the chain applied.
type logTail struct {
	mu      sync.Mutex
	lines   []string
	limit   int
	applied int // "Applied config change" lines
}

func newLogTail(limit int) *logTail { return &logTail{limit: limit} }

func (l *logTail) core() zapcore.Core {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zapcore.RegisterHooks(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel), l.hook)
}

func (l *logTail) hook(e zapcore.Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if strings.HasPrefix(e.Message, "Applied config change") {
		l.applied++
	}
	if len(l.lines) == l.limit {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, e.Time.Format("15:04:05.000")+" "+e.Level.CapitalString()+" "+e.Message)
	return nil
}

func (l *logTail) appliedChanges() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.applied
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// copyDir copies the regular files under src to dst (a stopped chain's WAL and
// snapshot directories), so that each restart starts from the same disk state.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
