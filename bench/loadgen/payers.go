package loadgen

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// Payer is one funded payment chain of an outside load generator (the
// Caliper benchmark, bench/caliper): its payments are token:Transfer
// calls, signed by User of the province MSPID, from From to To of Amount,
// each naming its input — Output for the first, then the change output
// the previous payment left — with payment IDs PaymentPrefix + a number
// (the prefix is in From's bank namespace). It is the shape of the
// sdk:distinct scenario.
type Payer struct {
	Province      string       `json:"province"`
	MSPID         string       `json:"mspId"`
	User          string       `json:"user"`
	From          string       `json:"from"`
	To            string       `json:"to"`
	Amount        money.Amount `json:"amount"`
	Output        string       `json:"output"`
	PaymentPrefix string       `json:"paymentPrefix"`
}

// PreparePayers makes the run's reserves, opens and funds n distinct
// payers and payees (provinces round robin, as sdk:distinct), and returns
// them. cfg.RunID (default from the clock) names everything.
func PreparePayers(ctx context.Context, n Network, cfg Config, payers int) ([]Payer, error) {
	if cfg.RunID == "" {
		cfg.RunID = "p" + time.Now().UTC().Format("0102150405")
	}
	cfg.Concurrency, cfg.Levels = payers, nil
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	r := &runner{cfg: cfg, net: n, gw: newGWClient(n, payers, cfg.OpTimeout), sdk: newSDKClient(n, cfg), log: log}
	defer r.sdk.close()
	if err := r.gw.loadClients(); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "payers: minting %s into each province's reserve…\n", settlementAmount)
	if err := r.ensureCeilings(ctx, settlementAmount); err != nil {
		return nil, fmt.Errorf("issuance ceilings: %w", err)
	}
	if err := r.prepareReserves(ctx, settlementAmount); err != nil {
		return nil, fmt.Errorf("reserves: %w", err)
	}
	tag := cfg.RunID + "-cal"
	fmt.Fprintf(log, "payers: opening and funding %d payers…\n", payers)
	ta, err := r.prepareToken(ctx, distinct, tag, payers)
	if err != nil {
		return nil, err
	}
	out := make([]Payer, payers)
	for w := range out {
		p := ta.payerProv[w]
		out[w] = Payer{Province: p.Name, MSPID: p.MSPID, User: "operator", From: ta.payer[w], To: ta.payee[w], Amount: payAmount,
			Output: ta.outputs[w], PaymentPrefix: bankID(p, "operator", fmt.Sprintf("%s-w%d-", tag, w))}
	}
	return out, nil
}
