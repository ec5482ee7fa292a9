// Package loadgen drives a running YRD network with closed-loop load and
// measures what it commits.
//
// A run first makes its money: every province's issuance ceiling is raised
// where it leaves too little room ("ceiling" proposals), then each
// province's central-bank branch opens a reserve ("SH-PBC:…", by the
// issuer) and mints into it; both are decisions proposed by the province's
// issuer and approved by the issuers of two other provinces. Then it
// executes scenarios one after another. Each scenario first sets itself up,
// which is not measured: it opens its own accounts in the city commercial
// bank's namespace ("SH-CITY:…", by the operator), pays from the reserve
// into the bank's settlement account, pre-splits that into a pool of
// outputs with changeSplit and funds the payers from it. Then
// Config.Concurrency workers each submit one operation at a time,
// waiting for its commit before the next (closed loop), until
// Config.Duration has passed or Config.MaxOps operations were started.
// Operations in flight at the deadline finish and count; the rate is
// committed operations over the time from the first start to the last
// finish.
//
// Token scenarios (chaincode yrd) run through the HTTP gateways ("gw:",
// with package client) or, as a floor without the gateway's work, through
// the Fabric Gateway SDK directly ("sdk:", calling the api operations with
// their one JSON argument, see testnet.Submit):
//
//	distinct        each worker its own payer and payee (provinces round robin)
//	hot-payer       one bank settlement account pays many payees (output pool)
//	hot-payee       many payers pay one merchant
//	cross-province  each worker pays from one province into another
//	gw:batch        POST /v1/payment-batches from one settlement account (Config.BatchSize payments a transaction)
//	gw:earmarked    as distinct, but the payers spend a programme's earmarked funds (POST /v1/programmes/{id}/spends)
//
// Comparison scenarios run on the benchmark chaincode yrdbench
// (chaincode/benchcc) through the SDK: "bench:put" (blind write, Fabric's
// floor cost), "bench:transfer-distinct" and "bench:transfer-hot" (the
// naive one-row-per-account model, ERC-20 sample style). They are skipped
// when yrdbench is not deployed.
//
// Disburse measures directional appropriation's bulk path apart from the
// scenarios: one disbursement job of up to 100,000 lines through
// Shanghai's gateway, from PUT to done (lines/s), with the peers' block
// validation and commit timings read from their logs.
//
// Every result reports committed payments/s and transactions/s (they
// differ for batches), p50/p95/p99 submit-to-commit latency of committed
// operations, conflicts retried (MVCC/phantom; for gateway scenarios read
// from the gateways' yrd_gateway_fabric_conflicts_total) and failures by
// stable code. Report.WriteText and Report.WriteJSON render a run.
package loadgen
