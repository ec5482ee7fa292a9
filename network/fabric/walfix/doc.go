// Package walfix tests our patch to the pinned Fabric orderer,
// network/fabric/patches/0001-etcdraft-sync-wal-in-node-goroutine.patch, which
// removes the etcdraft WAL-sync deadlock (hyperledger/fabric issue #4199): a
// restarted orderer whose Chain.apply blocks sending on WALSyncC while node.run
// blocks sending on applyC, for ever. The package has no code of its own, only
// tests.
//
// The tests run one real etcdraft.Chain (Raft node 2 of a three-consenter
// channel, with a real WAL on disk and the real raft library) and play its
// leader, Raft node 1, by writing the leader's Raft messages themselves. That
// gives them the timing the deadlock needs without a cluster:
//
//   - TestMembershipChangeBehindSlowBlockWrite is deterministic. The ledger
//     holds the write of a block that is committed together with a later
//     membership change, the leader commits one more block meanwhile, then the
//     ledger lets go. Unpatched, node.run is then blocked handing that block
//     over on applyC when Chain.apply asks it for the WAL sync: deadlock, every
//     time.
//   - TestRestartUnderLoad is the orderer's restart: the chain is stopped,
//     restarted from its WAL and replays the channel's membership changes while
//     the leader keeps committing blocks, 20 times. Unpatched, most restarts
//     hang part-way through the replay, like the orderer in issue 11.
//   - TestMembershipChangeOnDiskBeforeApplied keeps what the WAL sync is for:
//     by the time the chain applies a membership change, the commit index that
//     covers it is on disk (read back from a copy of the WAL files, as a killed
//     process leaves them). It passes in both modes and fails if the patch
//     drops the sync.
//
// A deadlock is recognised, not guessed from a timeout: when a goroutine dump
// shows Chain.apply and node.run both blocked sending on a channel, neither can
// ever be released (each is waiting for the other to receive).
//
// Run them with `make test-fabric-patch`. It runs the package twice: against the
// pinned module as published, with YRD_FABRIC_UNPATCHED=1, where the first two
// tests must see the deadlock (showing that they can fail), and against the
// patched copy that bin/orderer is built from, where they must make progress. A
// plain `go test ./...` in network/fabric builds against the unpatched module,
// so there it fails: that failure is the bug.
package walfix
