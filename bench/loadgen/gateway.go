package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/gateway/cli"
	"github.com/yangtze-delta/settlement/network/testnet"
)

// gwClient talks to the four provinces' HTTP gateways through the same
// client yrdctl uses (gateway/cli), one per province and user, sharing one
// transport sized for the run's concurrency.
type gwClient struct {
	http    *http.Client
	net     Network
	clients map[string]*cli.Client // "province/user"
}

func newGWClient(n Network, concurrency int) *gwClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 4 * (concurrency + 8)
	tr.MaxIdleConnsPerHost = concurrency + 8
	return &gwClient{http: &http.Client{Transport: tr}, net: n, clients: map[string]*cli.Client{}}
}

// loadTokens makes a client for every province's users the scenarios use.
func (g *gwClient) loadTokens() error {
	for _, p := range testnet.Provinces {
		for _, u := range []string{"operator", "issuer"} {
			t, err := g.net.GatewayToken(p, u)
			if err != nil {
				return fmt.Errorf("gateway token of %s/%s: %w", p.Name, u, err)
			}
			g.clients[p.Name+"/"+u] = &cli.Client{BaseURL: g.net.GatewayURL(p), Token: t, HTTP: g.http}
		}
	}
	return nil
}

// post sends body as JSON to the province's gateway as user and decodes a
// 2xx answer into out (may be nil); any other answer is a *cli.APIError.
func (g *gwClient) post(ctx context.Context, p testnet.Province, user, path string, body, out any) error {
	resp, err := g.clients[p.Name+"/"+user].Do(ctx, http.MethodPost, path, nil, body)
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(resp.Body, out)
	}
	return nil
}

// writeResult is a gateway's answer to a committed write.
type writeResult struct {
	TxID        string          `json:"txId"`
	BlockNumber uint64          `json:"blockNumber"`
	Result      json.RawMessage `json:"result"`
}

// paymentRecord is the part of the chaincode's payment record we use.
type paymentRecord struct {
	PaymentID     string   `json:"paymentId"`
	PayeeOutput   string   `json:"payeeOutput"`
	ChangeOutputs []string `json:"changeOutputs"`
	TxID          string   `json:"txId"`
}

type gwPayment struct {
	PaymentID   string   `json:"paymentId"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	Amount      string   `json:"amount"`
	Inputs      []string `json:"inputs,omitempty"`
	ChangeSplit int      `json:"changeSplit,omitempty"`
}

func (g *gwClient) pay(ctx context.Context, p testnet.Province, pay gwPayment) (*paymentRecord, error) {
	var res writeResult
	if err := g.post(ctx, p, "operator", "/v1/payments", pay, &res); err != nil {
		return nil, err
	}
	var rec paymentRecord
	if err := json.Unmarshal(res.Result, &rec); err != nil {
		return nil, fmt.Errorf("payment %s: result: %w", pay.PaymentID, err)
	}
	return &rec, nil
}

func (g *gwClient) openAccount(ctx context.Context, p testnet.Province, id, kind string) error {
	body := map[string]string{"id": id, "kind": kind}
	return g.post(ctx, p, "operator", "/v1/accounts", body, nil)
}

func (g *gwClient) mint(ctx context.Context, p testnet.Province, mintID, account, amount string) (output string, err error) {
	var res writeResult
	body := map[string]string{"mintId": mintID, "account": account, "amount": amount, "reserveRef": mintID}
	if err := g.post(ctx, p, "issuer", "/v1/mints", body, &res); err != nil {
		return "", err
	}
	var m struct {
		Output json.RawMessage `json:"output"`
	}
	_ = json.Unmarshal(res.Result, &m)
	return string(m.Output), nil
}

// conflicts sums yrd_gateway_fabric_conflicts_total over the four gateways.
func (g *gwClient) conflicts(ctx context.Context) (int, error) {
	total := 0
	for _, p := range testnet.Provinces {
		n, err := g.scrape(ctx, p, "yrd_gateway_fabric_conflicts_total")
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func (g *gwClient) scrape(ctx context.Context, p testnet.Province, metric string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.net.GatewayURL(p)+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := g.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("metrics of %s: HTTP %d", p.Name, resp.StatusCode)
	}
	return sumMetric(resp.Body, metric)
}

// sumMetric adds up every sample of metric in Prometheus text format.
func sumMetric(r io.Reader, metric string) (int, error) {
	var total float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric) {
			continue
		}
		rest := line[len(metric):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue // a longer metric name
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("metric line %q: %w", line, err)
		}
		total += v
	}
	return int(total), sc.Err()
}

// gwCode is the stable code of a gateway call's error.
func gwCode(err error) string {
	var ae *cli.APIError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return ae.Code
	case errors.Is(err, context.DeadlineExceeded):
		return "CLIENT_TIMEOUT"
	case errors.Is(err, context.Canceled):
		return "CANCELED"
	default:
		return "HTTP_TRANSPORT"
	}
}
