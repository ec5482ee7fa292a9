package walfix

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	cb "github.com/hyperledger/fabric-protos-go/common"
	"github.com/hyperledger/fabric/common/flogging"
	"github.com/hyperledger/fabric/orderer/consensus/etcdraft"
	"go.etcd.io/etcd/raft/v3"
	"go.etcd.io/etcd/raft/v3/raftpb"
	"go.etcd.io/etcd/server/v3/wal"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) {
	// Preallocate 1 MB WAL segments instead of 64 MB: every restart below
	// starts from a copy of the same WAL.
	wal.SegmentSizeBytes = 1 << 20
	os.Exit(m.Run())
}

// TestMembershipChangeBehindSlowBlockWrite forces the cycle of issue 11 step
// by step. The leader commits block 1 and a membership change (node 4 joins)
// in one message; the ledger holds the write of block 1, so Chain.apply is
// still short of the change when the leader commits block 2. node.run stores
// block 2 and must hand it to the chain on applyC. Then the ledger lets go.
// Unpatched, Chain.apply now asks node.run for a WAL sync on WALSyncC while
// node.run waits on applyC: block 2 is never written. Patched, node.run synced
// the WAL before handing over the change, and block 2 follows.
func TestMembershipChangeBehindSlowBlockWrite(t *testing.T) {
	baseline := deadlockedPairs()
	genesis := genesisBlock()
	l := newLedger([]*cb.Block{genesis})
	l.holdWriteOf(1)
	ld := newLeader(genesis)
	f := startFollower(t, t.TempDir(), l, 0)

	// A fresh node applies one membership change per consenter first; nothing
	// competes with them yet.
	waitFor(t, "the bootstrap membership changes", func() bool { return f.logs.appliedChanges() == len(consenterIDs) })

	block1, join4 := ld.block(), ld.addNode(4)
	if err := f.step(ld.appendMsg(block1, join4)); err != nil {
		t.Fatalf("append block 1 and the membership change: %v", err)
	}
	select {
	case <-l.held:
	case <-time.After(waitLimit):
		t.Fatalf("the chain never wrote block 1; log:\n%s", f.logs)
	}

	block2 := ld.block()
	if err := f.step(ld.appendMsg(block2)); err != nil {
		t.Fatalf("append block 2: %v", err)
	}
	// Once block 2 is in the Raft log storage, node.run has stored it and its
	// next step is the hand-off on applyC, which nothing receives: Chain.run
	// is inside Chain.apply, held in WriteBlock.
	waitFor(t, "node.run to store block 2", func() bool {
		last, _ := f.memory.LastIndex()
		return last >= block2.Index
	})
	close(l.release)

	got := f.await(2, baseline)
	if n := f.wire.rejected.Load(); n != 0 {
		t.Fatalf("harness error: the follower rejected %d appends", n)
	}
	if _, err := l.snapshot(); err != nil {
		t.Fatal(err)
	}
	applied, want := f.logs.appliedChanges(), len(consenterIDs)+1
	switch {
	case unpatched() && got == deadlocked:
		t.Logf("unpatched: deadlocked as expected (Chain.apply on WALSyncC, node.run on applyC); "+
			"applied %d of %d membership changes, height frozen at %d", applied, want, l.Height())
	case unpatched():
		t.Fatalf("unpatched: expected the WAL-sync deadlock, got %v; log:\n%s", got, f.logs)
	case got != progressed:
		t.Fatalf("%v: block 2 was not written after the membership change "+
			"(applied %d of %d changes); log:\n%s", got, applied, want, f.logs)
	default:
		f.halt()
		if applied != want {
			t.Fatalf("applied %d membership changes, want %d; log:\n%s", applied, want, f.logs)
		}
		t.Logf("block 2 written after the membership change; applied %d of %d changes", applied, want)
	}
}

// TestMembershipChangeOnDiskBeforeApplied keeps the reason the WAL sync exists:
// when the chain applies a membership change, the commit index that covers it
// is on disk, so a restart replays the same membership. The leader appends the
// change (the WAL fsyncs appended entries by itself) and commits it only with
// its next heartbeat, whose hard state the WAL would otherwise leave in its
// write buffer. After the chain has applied the change, the test copies the
// WAL files, which is what a killed process leaves, and reads them back the way
// a restarting orderer does. Deleting the sync from the patch fails this test.
// It runs the same in both modes: the unpatched chain syncs too, over WALSyncC,
// and nothing competes with that request here.
func TestMembershipChangeOnDiskBeforeApplied(t *testing.T) {
	genesis := genesisBlock()
	ld := newLeader(genesis)
	dir := t.TempDir()
	f := startFollower(t, dir, newLedger([]*cb.Block{genesis}), 0)
	defer f.halt()
	waitFor(t, "the bootstrap membership changes", func() bool { return f.logs.appliedChanges() == len(consenterIDs) })

	join4 := ld.addNode(4)
	appendOnly := ld.appendMsg(join4)
	appendOnly.Commit = join4.Index - 1
	if err := f.step(appendOnly); err != nil {
		t.Fatalf("append the membership change: %v", err)
	}
	waitFor(t, "node.run to store the membership change", func() bool {
		last, _ := f.memory.LastIndex()
		return last >= join4.Index
	})
	heartbeat := raftpb.Message{Type: raftpb.MsgHeartbeat, From: leaderID, To: followerID, Term: leaderTerm, Commit: join4.Index}
	if err := f.step(heartbeat); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	waitFor(t, "the chain to apply the membership change", func() bool { return f.logs.appliedChanges() == len(consenterIDs)+1 })

	crashed := t.TempDir()
	if err := copyDir(dir, crashed); err != nil {
		t.Fatal(err)
	}
	memory := raft.NewMemoryStorage()
	storage, err := etcdraft.CreateStorage(flogging.NewFabricLogger(zap.NewNop()),
		filepath.Join(crashed, "wal"), filepath.Join(crashed, "snapshot"), memory)
	if err != nil {
		t.Fatalf("read the WAL back: %v", err)
	}
	defer storage.Close()
	hard, _, err := memory.InitialState()
	if err != nil {
		t.Fatal(err)
	}
	if hard.Commit < join4.Index {
		t.Fatalf("the chain applied the membership change at index %d, but the WAL on disk commits only up to %d: "+
			"a restart would not replay it", join4.Index, hard.Commit)
	}
	t.Logf("membership change at index %d applied with commit index %d on disk", join4.Index, hard.Commit)
}

// TestRestartUnderLoad is the orderer's restart from issue 11, 20 times: a
// chain that bootstrapped the channel and wrote a few blocks is stopped and
// restarted from (a copy of) its WAL. The replay hands the channel's
// membership changes to the chain in one batch while the leader keeps
// appending blocks, so new Readys compete with every WALSyncC request of the
// unpatched chain. A restart passes when the chain writes loadBlocks new
// blocks.
func TestRestartUnderLoad(t *testing.T) {
	const (
		restarts      = 20
		initialBlocks = 3
		loadBlocks    = 20
	)

	// First life: bootstrap, a few blocks, a clean stop.
	template := t.TempDir()
	genesis := genesisBlock()
	l := newLedger([]*cb.Block{genesis})
	ld := newLeader(genesis)
	first := startFollower(t, template, l, 0)
	waitFor(t, "the bootstrap membership changes", func() bool { return first.logs.appliedChanges() == len(consenterIDs) })
	for i := 0; i < initialBlocks; i++ {
		if err := first.step(ld.appendMsg(ld.block())); err != nil {
			t.Fatalf("append block %d: %v", i+1, err)
		}
	}
	if got := first.await(initialBlocks, deadlockedPairs()); got != progressed {
		t.Fatalf("first life: %v before block %d; log:\n%s", got, initialBlocks, first.logs)
	}
	first.halt()
	blocks, err := l.snapshot()
	if err != nil {
		t.Fatal(err)
	}

	var hung []int // per hung restart: membership changes applied before it froze
	var took []time.Duration
	for i := 1; i <= restarts; i++ {
		dir := t.TempDir()
		if err := copyDir(template, dir); err != nil {
			t.Fatal(err)
		}
		baseline := deadlockedPairs()
		lead := *ld // each restart's leader continues from the same log
		start := time.Now()
		f := startFollower(t, dir, newLedger(blocks), lead.lastBlockIndex)

		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // the load: one block per message, as fast as the chain takes them
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := f.step(lead.appendMsg(lead.block())); err != nil {
					return
				}
			}
		}()
		got := f.await(uint64(len(blocks)-1+loadBlocks), baseline)
		close(stop)
		wg.Wait()

		if n := f.wire.rejected.Load(); n != 0 {
			t.Fatalf("restart %d: harness error: the follower rejected %d appends", i, n)
		}
		if _, err := f.ledger.snapshot(); err != nil {
			t.Fatalf("restart %d: %v", i, err)
		}
		switch got {
		case deadlocked:
			hung = append(hung, f.logs.appliedChanges())
		case stalled:
			t.Fatalf("restart %d stalled without the known deadlock; log:\n%s", i, f.logs)
		default:
			took = append(took, time.Since(start))
			f.halt()
			if a := f.logs.appliedChanges(); a != len(consenterIDs) {
				t.Fatalf("restart %d replayed %d membership changes, want %d", i, a, len(consenterIDs))
			}
		}
	}

	slices.Sort(took)
	summary := func() string {
		if len(took) == 0 {
			return ""
		}
		return fmt.Sprintf(", median time to %d new blocks %v", loadBlocks, took[len(took)/2].Round(time.Millisecond))
	}
	if unpatched() {
		if len(hung) == 0 {
			t.Fatalf("unpatched: expected restarts to hang, but all %d wrote %d new blocks%s", restarts, loadBlocks, summary())
		}
		t.Logf("unpatched: %d of %d restarts hung in the WAL-sync deadlock; membership changes applied "+
			"before hanging (of %d): %v%s", len(hung), restarts, len(consenterIDs), hung, summary())
		return
	}
	if len(hung) > 0 {
		t.Fatalf("%d of %d restarts hung in the WAL-sync deadlock (membership changes applied: %v)", len(hung), restarts, hung)
	}
	t.Logf("%d of %d restarts wrote %d new blocks%s", len(took), restarts, loadBlocks, summary())
}
