// Package benchcc is the benchmark chaincode "yrdbench": a yardstick for the
// load tool, deployed beside yrd on the same network and never part of it.
//
// It holds two models that bracket the token ledger:
//
//   - Put is a blind write (no read): the most a Fabric network can commit
//     with this endorsement policy, block size and hardware (the floor of
//     the cost per transaction, the ceiling of throughput).
//   - Open, Transfer and Balance are the naive account model of the
//     fabric-samples ERC-20 chaincode: one balance row per account, and a
//     transfer reads and rewrites both rows. Two transfers touching one
//     account in the same block conflict (MVCC_READ_CONFLICT), so a hot
//     account commits about one transfer per block.
//
// Keys are composite keys: "bench.kv"/key for Put, "bench.bal"/account for
// balances (integer fen as a decimal string). No identity checks: the
// contract holds no value.
package benchcc
