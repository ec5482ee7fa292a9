package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// decisionGateway stands in for the four gateways: the bearer token names
// the caller ("shanghai/issuer"). It keeps proposals and ceilings, applies
// the rule of three provinces, and records who did what; the test asserts
// on the record, never in the handler.
type decisionGateway struct {
	mu        sync.Mutex
	proposals map[string]*rest.Proposal
	proposers map[string]string // proposal ID -> "province/user"
	ceilings  map[string]rest.Ceiling
	log       []string // "caller verb id"
	// lag makes a caller's next approvals answer NOT_FOUND, as a peer a
	// block behind the proposal does.
	lag map[string]int
}

func newDecisionGateway(t *testing.T) (*decisionGateway, *httptest.Server) {
	g := &decisionGateway{proposals: map[string]*rest.Proposal{}, proposers: map[string]string{}, ceilings: map[string]rest.Ceiling{}}
	srv := httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(srv.Close)
	return g, srv
}

func (g *decisionGateway) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (g *decisionGateway) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	caller := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	province := strings.Split(caller, "/")[0]
	msp := ""
	for _, p := range testnet.Provinces {
		if p.Name == province {
			msp = p.MSPID
		}
	}
	fail := func(code string) { g.reply(w, rest.StatusOf(code), rest.Error{Code: code, Message: code}) }
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // v1 proposals {id} verb
	switch {
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "ceilings":
		c, ok := g.ceilings[parts[2]]
		if !ok {
			fail(rest.CodeNotFound)
			return
		}
		g.reply(w, http.StatusOK, c)
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "accounts":
		var req rest.OpenAccountRequest
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &req) != nil {
			fail(rest.CodeInvalidRequest)
			return
		}
		g.log = append(g.log, caller+" open "+req.ID+" "+req.Kind)
		g.reply(w, http.StatusCreated, rest.Committed[rest.Account]{TxID: "t", BlockNumber: 1,
			Result: rest.Account{ID: req.ID, OwnerMSP: msp, Kind: req.Kind, Status: rest.StatusActive}})
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "proposals":
		var req rest.ProposalRequest
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &req) != nil || !strings.HasPrefix(req.ID, msp+":") {
			fail(rest.CodeInvalidRequest)
			return
		}
		g.log = append(g.log, caller+" propose "+req.ID)
		if _, dup := g.proposals[req.ID]; dup {
			fail(rest.CodeAlreadyExists)
			return
		}
		p := &rest.Proposal{ID: req.ID, Action: req.Action, Mint: req.Mint, Ceiling: req.Ceiling, ProposerMSP: msp,
			Status: rest.ProposalPending, Approvals: []rest.Approval{{MSP: msp, Role: "issuer"}}}
		g.proposals[req.ID], g.proposers[req.ID] = p, caller
		g.reply(w, http.StatusCreated, rest.Committed[rest.Proposal]{TxID: "t", BlockNumber: 1, Result: *p})
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "proposals":
		p, ok := g.proposals[parts[2]]
		if !ok {
			fail(rest.CodeNotFound)
			return
		}
		g.log = append(g.log, caller+" "+parts[3]+" "+p.ID)
		switch parts[3] {
		case "approve":
			if g.lag[caller] > 0 {
				g.lag[caller]--
				fail(rest.CodeNotFound)
				return
			}
			for _, a := range p.Approvals {
				if a.MSP == msp {
					fail(rest.CodeAlreadyExists)
					return
				}
			}
			p.Approvals = append(p.Approvals, rest.Approval{MSP: msp, Role: "issuer"})
			p.Approved = len(p.Approvals) >= 3
			g.reply(w, http.StatusCreated, rest.Committed[rest.Proposal]{TxID: "t", BlockNumber: 2, Result: *p})
		case "execute":
			if !p.Approved {
				fail("NOT_APPROVED")
				return
			}
			if p.Status != rest.ProposalPending {
				fail("PROPOSAL_CLOSED")
				return
			}
			p.Status = rest.ProposalExecuted
			ex := rest.Execution{Proposal: *p}
			if p.Ceiling != nil {
				c := g.ceilings[p.Ceiling.MSP]
				c.MSP, c.Ceiling = p.Ceiling.MSP, p.Ceiling.Ceiling
				g.ceilings[c.MSP] = c
				ex.Ceiling = &c
			}
			if p.Mint != nil {
				c := g.ceilings[p.ProposerMSP]
				c.Issued += p.Mint.Amount
				g.ceilings[p.ProposerMSP] = c
				ex.Mint = &rest.Mint{MintID: p.ID, Account: p.Mint.Account, Amount: p.Mint.Amount}
			}
			g.reply(w, http.StatusCreated, rest.Committed[rest.Execution]{TxID: "t", BlockNumber: 3, Result: ex})
		default:
			fail(rest.CodeRouteNotFound)
		}
	default:
		fail(rest.CodeRouteNotFound)
	}
}

// fakeNetwork points every province's gateway client at one server, with
// the caller's name as its token.
type fakeNetwork struct{ url string }

func (f fakeNetwork) GatewayClient(p testnet.Province, user string, opts ...client.Option) (*client.Client, error) {
	return client.New(f.url, append([]client.Option{client.WithToken(p.Name + "/" + user)}, opts...)...)
}

func (f fakeNetwork) GatewayMetrics(context.Context, *http.Client, testnet.Province) (testnet.Samples, error) {
	return nil, nil
}

func (f fakeNetwork) Connect(testnet.Province, string) (*testnet.Conn, error) {
	return nil, errors.New("no SDK in this test")
}

// TestIssuanceDecisions: ceilings and mints are decisions — proposed by a
// province's issuer, approved by the issuers of two other provinces,
// executed by the proposer — and a ceiling with room enough is left alone.
func TestIssuanceDecisions(t *testing.T) {
	g, srv := newDecisionGateway(t)
	cfg := DefaultConfig()
	cfg.RunID = "r1"
	r := &runner{cfg: cfg, gw: newGWClient(fakeNetwork{srv.URL}, 1, cfg.OpTimeout)}
	if err := r.gw.loadClients(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	headroom := money.Yuan(1000)
	if err := r.ensureCeilings(ctx, headroom); err != nil {
		t.Fatal(err)
	}
	for _, p := range testnet.Provinces {
		c := g.ceilings[p.MSPID]
		if c.Ceiling != headroom {
			t.Errorf("ceiling of %s = %s, want %s", p.MSPID, c.Ceiling, headroom)
		}
		id := p.MSPID + ":r1-ceiling"
		prop := g.proposals[id]
		if prop == nil || prop.Status != rest.ProposalExecuted || len(prop.Approvals) != 3 || g.proposers[id] != p.Name+"/issuer" {
			t.Errorf("ceiling proposal of %s: %+v by %s", p.MSPID, prop, g.proposers[id])
		}
	}

	// Room enough: nothing is proposed.
	n := len(g.log)
	if err := r.ensureCeilings(ctx, headroom); err != nil {
		t.Fatal(err)
	}
	if len(g.log) != n {
		t.Fatalf("a ceiling with room enough was decided again: %v", g.log[n:])
	}

	g.log = nil
	g.lag = map[string]int{"zhejiang/issuer": 2} // its peer lags behind the proposal
	reserve := bankID(province(1), "issuer", "s0-res")
	if err := r.mint(ctx, province(1), reserve, money.Yuan(600)); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"jiangsu/issuer propose JiangsuMSP:s0-res-mint0",
		"zhejiang/issuer approve JiangsuMSP:s0-res-mint0",
		"zhejiang/issuer approve JiangsuMSP:s0-res-mint0",
		"zhejiang/issuer approve JiangsuMSP:s0-res-mint0",
		"anhui/issuer approve JiangsuMSP:s0-res-mint0",
		"jiangsu/issuer execute JiangsuMSP:s0-res-mint0",
	}
	if strings.Join(g.log, "\n") != strings.Join(want, "\n") {
		t.Fatalf("mint decision:\n%s\nwant\n%s", strings.Join(g.log, "\n"), strings.Join(want, "\n"))
	}
	if m := g.proposals["JiangsuMSP:s0-res-mint0"].Mint; m == nil || m.Account != "JS-PBC:s0-res" || m.ReserveRef != "s0-res-mint0" {
		t.Fatalf("mint parameters %+v", m)
	}
	if got := g.ceilings["JiangsuMSP"].Issued; got != money.Yuan(600) {
		t.Fatalf("issued %s", got)
	}
	// 400 of 1000 left: the next run, needing 1000, raises Jiangsu's
	// ceiling to what it issued plus 1000, and only Jiangsu's.
	g.log = nil
	r.cfg.RunID = "r2"
	if err := r.ensureCeilings(ctx, headroom); err != nil {
		t.Fatal(err)
	}
	if len(g.log) != 4 || g.log[0] != "jiangsu/issuer propose JiangsuMSP:r2-ceiling" {
		t.Fatalf("decisions: %v", g.log)
	}
	if c := g.ceilings["JiangsuMSP"]; c.Ceiling != money.Yuan(1600) || c.Issued != money.Yuan(600) {
		t.Fatalf("Jiangsu's ceiling %+v", c)
	}

	// The run's reserves: opened by each province's issuer, minted by a
	// decision of three provinces.
	g.log = nil
	if err := r.prepareReserves(ctx, money.Yuan(400)); err != nil {
		t.Fatal(err)
	}
	for _, p := range testnet.Provinces {
		reserve := r.reserves[p.MSPID]
		if reserve != bankID(p, "issuer", "r2-reserve") {
			t.Errorf("reserve of %s: %q", p.MSPID, reserve)
		}
		id := proposalID(p, "r2-reserve-mint0")
		prop := g.proposals[id]
		if prop == nil || prop.Status != rest.ProposalExecuted || prop.Mint.Account != reserve || len(prop.Approvals) != 3 || g.proposers[id] != p.Name+"/issuer" {
			t.Errorf("mint of %s: %+v by %s", p.MSPID, prop, g.proposers[id])
		}
		if !slices.Contains(g.log, p.Name+"/issuer open "+reserve+" reserve") {
			t.Errorf("%s was not opened by %s's issuer: %v", reserve, p.Name, g.log)
		}
	}
}

func TestIDs(t *testing.T) {
	f := fundsOf(province(0), "t1")
	for _, tc := range []struct{ got, want string }{
		{bankID(province(2), "operator", "x"), "ZJ-CITY:x"},
		{proposalID(province(3), "m"), "AnhuiMSP:m"},
		{f.settlement, "SH-CITY:t1-settle"},
		{f.sink, "SH-CITY:t1-sink"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}
