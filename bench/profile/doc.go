// Package profile finds out where the CPU of a yrd-bench run goes: it
// captures, during each measured phase of a run (loadgen.Observer), the
// CPU time of every process of the network, Go CPU profiles of the peers,
// orderers and chaincode servers (their pprof listeners, which network.sh
// opens with YRD_PROFILE=1) and, when perf is installed, a sampled profile
// of the HTTP gateways (which serve no pprof); it then sorts every sampled
// stack into a stage (validation, key-level policies, commit, endorsement,
// ordering…) and writes, per phase, the CPU per payment of each process
// and each stage, and the read-write set of one committed transaction
// fetched from its block (keys and bytes written per payment).
//
// yrd-bench -profile DIR uses it; `make profile` runs that on a fresh
// network. docs/performance.md reads its output.
package profile
