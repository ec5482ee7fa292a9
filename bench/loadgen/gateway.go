package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// gwClient talks to the four provinces' HTTP gateways through package
// client, one client per province and user, sharing one transport sized
// for the run's concurrency.
type gwClient struct {
	http    *http.Client
	net     Network
	timeout time.Duration
	clients map[string]*client.Client // "province/user"
}

// gatewayUsers are the users whose gateway tokens the scenarios use.
var gatewayUsers = []string{"operator", "issuer"}

func newGWClient(n Network, concurrency int, timeout time.Duration) *gwClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 4 * (concurrency + 8)
	tr.MaxIdleConnsPerHost = concurrency + 8
	return &gwClient{http: &http.Client{Transport: tr}, net: n, timeout: timeout, clients: map[string]*client.Client{}}
}

// loadClients makes a client for every province's users the scenarios use.
func (g *gwClient) loadClients() error {
	for _, p := range testnet.Provinces {
		for _, u := range gatewayUsers {
			c, err := g.net.GatewayClient(p, u, client.WithHTTPClient(g.http), client.WithTimeout(g.timeout))
			if err != nil {
				return fmt.Errorf("gateway client of %s/%s: %w", p.Name, u, err)
			}
			g.clients[p.Name+"/"+u] = c
		}
	}
	return nil
}

// as is the client of province p's gateway signed in as user.
func (g *gwClient) as(p testnet.Province, user string) *client.Client {
	return g.clients[p.Name+"/"+user]
}

// pay settles a payment as user (an operator, or the issuer paying from
// its province's reserve) of province p.
func (g *gwClient) pay(ctx context.Context, p testnet.Province, user string, req rest.PaymentRequest) (rest.Payment, error) {
	res, err := g.as(p, user).Pay(ctx, req)
	return res.Result, err
}

// merchantCategory is the category code of the merchant accounts the
// scenarios open (5411: grocery stores).
const merchantCategory = "5411"

// openAccount opens an account of kind as user of province p; its ID must
// be in user's bank namespace (see bankID).
func (g *gwClient) openAccount(ctx context.Context, p testnet.Province, user, id, kind string) error {
	req := rest.OpenAccountRequest{ID: id, Kind: kind}
	if kind == rest.KindMerchant {
		req.MerchantCategory = merchantCategory
	}
	_, err := g.as(p, user).OpenAccount(ctx, req)
	return err
}

// decide runs a proposal to its execution: proposed by province p's
// issuer, approved by the issuers of the next provinces until the rule
// holds (a quorum of provinces; the proposer counts), executed by p's
// issuer.
//
// Each gateway answers once its own peer committed; another province's
// peer may be a block behind and answer NOT_FOUND (the proposal) or
// NOT_APPROVED (the last approval) for a moment, which is retried for a
// bounded time.
func (g *gwClient) decide(ctx context.Context, p testnet.Province, req rest.ProposalRequest) (rest.Execution, error) {
	if err := g.proposeApproved(ctx, p, req); err != nil {
		return rest.Execution{}, err
	}
	return g.execute(ctx, p, req.ID)
}

// proposeApproved proposes req as province p's issuer and has the issuers
// of the next provinces approve it until its rule holds.
func (g *gwClient) proposeApproved(ctx context.Context, p testnet.Province, req rest.ProposalRequest) error {
	prop, err := g.as(p, "issuer").Propose(ctx, req)
	if err != nil {
		return fmt.Errorf("propose %s: %w", req.ID, err)
	}
	approved := prop.Result.Approved
	for i := 1; i < len(testnet.Provinces) && !approved; i++ {
		q := province(indexOf(p) + i)
		res, err := whileLagging(ctx, rest.CodeNotFound, func() (rest.Committed[rest.Proposal], error) {
			return g.as(q, "issuer").Approve(ctx, req.ID)
		})
		if err != nil {
			return fmt.Errorf("approve %s as %s: %w", req.ID, q.Name, err)
		}
		approved = res.Result.Approved
	}
	return nil
}

// execute carries out proposal id as province p's issuer.
func (g *gwClient) execute(ctx context.Context, p testnet.Province, id string) (rest.Execution, error) {
	ex, err := whileLagging(ctx, notApproved, func() (rest.Committed[rest.Execution], error) {
		return g.as(p, "issuer").Execute(ctx, id, rest.ExecuteRequest{})
	})
	if err != nil {
		return rest.Execution{}, fmt.Errorf("execute %s: %w", id, err)
	}
	return ex.Result, nil
}

// notApproved is the chaincode's code for a proposal whose rule does not
// hold yet.
const notApproved = "NOT_APPROVED"

// lagRetries bounds how long whileLagging waits for a peer to catch up.
const (
	lagRetries = 25
	lagPause   = 200 * time.Millisecond
)

// whileLagging calls fn again while it fails with code (what a peer a
// block behind answers), at most lagRetries times.
func whileLagging[T any](ctx context.Context, code string, fn func() (T, error)) (T, error) {
	for i := 0; ; i++ {
		v, err := fn()
		if err == nil || client.CodeOf(err) != code || i >= lagRetries || ctx.Err() != nil {
			return v, err
		}
		sleepCtx(ctx, lagPause)
	}
}

// ceiling reads province p's issuance ceiling (zero when it has none).
func (g *gwClient) ceiling(ctx context.Context, p testnet.Province) (rest.Ceiling, error) {
	c, err := g.as(p, "issuer").Ceiling(ctx, p.MSPID)
	if client.CodeOf(err) == rest.CodeNotFound {
		return rest.Ceiling{MSP: p.MSPID}, nil
	}
	return c, err
}

// conflictsMetric counts transactions the gateways saw invalidated by read
// conflicts (and retried).
const conflictsMetric = "yrd_gateway_fabric_conflicts_total"

// conflicts sums conflictsMetric over the four gateways.
func (g *gwClient) conflicts(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	total := 0.0
	for _, p := range testnet.Provinces {
		s, err := g.net.GatewayMetrics(ctx, g.http, p)
		if err != nil {
			return 0, err
		}
		total += s.Sum(conflictsMetric, nil)
	}
	return int(total), nil
}

// gwCode is the stable code of a gateway call's error: the gateway's code,
// or the client's own (CLIENT_TIMEOUT, CLIENT_TRANSPORT, …).
func gwCode(err error) string {
	if err == nil {
		return ""
	}
	if c := client.CodeOf(err); c != "" {
		return c
	}
	return "CLIENT_ERROR"
}
