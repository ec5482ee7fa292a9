package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
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

func (g *gwClient) pay(ctx context.Context, p testnet.Province, req rest.PaymentRequest) (rest.Payment, error) {
	res, err := g.as(p, "operator").Pay(ctx, req)
	return res.Result, err
}

func (g *gwClient) openAccount(ctx context.Context, p testnet.Province, id, kind string) error {
	_, err := g.as(p, "operator").OpenAccount(ctx, rest.OpenAccountRequest{ID: id, Kind: kind})
	return err
}

func (g *gwClient) mint(ctx context.Context, p testnet.Province, mintID, account string, amount money.Amount) error {
	_, err := g.as(p, "issuer").Mint(ctx, rest.MintRequest{MintID: mintID, Account: account, Amount: amount, ReserveRef: mintID})
	return err
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
