package e2e

// The fault suite's load and its ledger checks: payers in every province
// pay continuously through their own province's gateway, each payment with
// a payment ID the client chose and retried with that same ID until the
// gateway answers for it; the checks compare the ledger with what the
// clients were told (an independent model: counts of accepted payments).

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// The load of the fault suite.
const (
	// payersPerProvince pay in parallel through each province's gateway,
	// one payment at a time each.
	payersPerProvince = 2
	// payThink is a payer's pause between two payments: with ~0.5 s per
	// payment, 8 payers make ~10 payments/s (a fifth of what this machine
	// commits at saturation, docs/network.md), so that recovery times are
	// Fabric's, not a saturated machine's.
	payThink = 200 * time.Millisecond
	// payAmount is every payment's amount (0.01 yuan).
	payAmount = money.Amount(1)
	// payerFunds is what each payer is given before the load starts.
	payerFunds = "1000.00"
	// attemptTimeout bounds one HTTP attempt: longer than the gateway's
	// commit budget (timeouts.commit, 60 s), so the gateway answers first.
	attemptTimeout = 90 * time.Second
	// resolveBound bounds one payment, its retries included.
	resolveBound = 4 * time.Minute
	// pauseBound bounds waiting for the payments in flight to be answered.
	pauseBound = 5 * time.Minute
)

// payer is one paying account and the client of its province's gateway.
// Its goroutine owns the fields below the line while the load runs; the
// test reads them only while the load is paused or stopped.
type payer struct {
	p       testnet.Province
	c       *client.Client
	account string
	payee   string
	// payeeOwner is the province whose city bank owns payee.
	payeeOwner testnet.Province
	local      string // prefix of its payment IDs' local part

	seq int
	// accepted are the payment IDs the gateway accepted: a 201, or a
	// DUPLICATE_PAYMENT answer (same body) to a retry, meaning an earlier
	// attempt committed.
	accepted []string
	// rejected are the payments the gateway refused for good, with the
	// code: none may be on the ledger.
	rejected []string
	// checked: accepted[:checked] and rejected[:checkedRejected] were
	// looked up on the ledger already.
	checked, checkedRejected int
	// retried counts payments that needed more than one attempt;
	// foundOnRetry those whose retry found them committed.
	retried, foundOnRetry int
}

// attempt is one HTTP attempt of a payment.
type attempt struct {
	p          testnet.Province
	start, end time.Time
	ok         bool   // 201, or committed by an earlier attempt
	code       string // the error's code otherwise
}

// payLoad runs the payers.
type payLoad struct {
	payers []*payer
	start  time.Time

	mu       sync.Mutex
	cond     *sync.Cond
	paused   bool
	stopped  bool
	active   int // payments being paid
	attempts []attempt
	// selfDuplicates are payments answered DUPLICATE_PAYMENT on their
	// first attempt: the gateway told a client that its one request was a
	// repeat.
	selfDuplicates []string
	wg             sync.WaitGroup
}

// startLoad opens payersPerProvince payers in every province (merchant
// accounts of its city bank), funds each with payerFunds from reserve (a
// reserve of Shanghai's central-bank branch) and starts them, each paying
// a merchant account of the next province.
func startLoad(t *testing.T, n *testnet.Network, reserve string) *payLoad {
	t.Helper()
	l := &payLoad{}
	l.cond = sync.NewCond(&l.mu)
	shIss := gwOn(t, n, shanghai, "issuer")
	for i, p := range testnet.Provinces {
		next := testnet.Provinces[(i+1)%len(testnet.Provinces)]
		op := gwOn(t, n, p, "operator", client.WithTimeout(attemptTimeout))
		payee := bankID(next, "operator", "flt-shop")
		gwOpen(t, gwOn(t, n, next, "operator"), payee, rest.KindMerchant, "")
		for k := range payersPerProvince {
			local := fmt.Sprintf("flt-payer%d", k)
			pr := &payer{p: p, c: op, account: bankID(p, "operator", local), payee: payee, payeeOwner: next, local: local}
			gwOpen(t, op, pr.account, rest.KindMerchant, "")
			l.payers = append(l.payers, pr)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(l.payers))
	for i, pr := range l.payers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = shIss.Pay(context.Background(), pay(bankID(shanghai, "issuer", fmt.Sprintf("flt-fund-%02d", i)), reserve, pr.account, payerFunds))
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...), "funding the payers")
	l.start = time.Now()
	for _, pr := range l.payers {
		l.wg.Add(1)
		go l.run(pr)
	}
	return l
}

// run is a payer's loop: pay, think, pay the next.
func (l *payLoad) run(pr *payer) {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		for l.paused && !l.stopped {
			l.cond.Wait()
		}
		if l.stopped {
			l.mu.Unlock()
			return
		}
		l.active++
		l.mu.Unlock()

		pr.seq++
		l.pay(pr, bankID(pr.p, "operator", fmt.Sprintf("%s-%05d", pr.local, pr.seq)))

		l.mu.Lock()
		l.active--
		l.cond.Broadcast()
		l.mu.Unlock()
		time.Sleep(payThink)
	}
}

// pay pays one payment, retrying with the same payment ID on a retryable
// answer, a timeout or a lost connection, until the gateway answers for it.
func (l *payLoad) pay(pr *payer, id string) {
	req := rest.PaymentRequest{PaymentID: id, From: pr.account, To: pr.payee, Amount: payAmount}
	deadline := time.Now().Add(resolveBound)
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
		a := attempt{p: pr.p, start: time.Now()}
		_, err := pr.c.Pay(ctx, req)
		cancel()
		a.end = time.Now()
		var ce *client.Error
		isErr := errors.As(err, &ce)
		dup := isErr && ce.Code == rest.CodeDuplicatePayment
		switch {
		case err == nil:
			a.ok = true
		case dup:
			a.ok = true
		case isErr:
			a.code = ce.Code
		default:
			a.code = err.Error()
		}
		l.mu.Lock()
		l.attempts = append(l.attempts, a)
		if dup && try == 0 {
			l.selfDuplicates = append(l.selfDuplicates, id)
		}
		l.mu.Unlock()
		if a.ok {
			if try > 0 {
				pr.retried++
			}
			if dup {
				pr.foundOnRetry++
			}
			pr.accepted = append(pr.accepted, id)
			return
		}
		// INPUT_SPENT: the gateway picked an output that a payment of the
		// same payer had spent, on a peer that had not seen that block yet
		// (after a restart): the same request works once it has.
		retryable := isErr && (ce.Retryable() || ce.Code == rest.CodeInputSpent)
		if !retryable || time.Now().After(deadline) {
			if try > 0 {
				pr.retried++
			}
			pr.rejected = append(pr.rejected, id+" "+a.code)
			return
		}
		wait := 300 * time.Millisecond
		if ce.RetryAfter > 0 {
			wait = min(ce.RetryAfter, 2*time.Second)
		}
		time.Sleep(wait)
	}
}

// pause stops the payers from starting payments and waits until every
// payment in flight has been answered.
func (l *payLoad) pause(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	l.paused = true
	l.mu.Unlock()
	deadline := time.Now().Add(pauseBound)
	for {
		l.mu.Lock()
		active := l.active
		l.mu.Unlock()
		if active == 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "%d payments still unanswered %s after the pause", active, pauseBound)
		time.Sleep(50 * time.Millisecond)
	}
}

// resume lets the payers go on.
func (l *payLoad) resume() {
	l.mu.Lock()
	l.paused = false
	l.cond.Broadcast()
	l.mu.Unlock()
}

// stop ends the payers once their payments in flight are answered.
func (l *payLoad) stop(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	l.stopped = true
	l.cond.Broadcast()
	l.mu.Unlock()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(pauseBound):
		t.Fatalf("payers still paying %s after stop", pauseBound)
	}
}

// firstOK is how long after since the first payment that started after
// since was accepted through the gateway of one of ps (nil: any); false
// when none was yet.
func (l *payLoad) firstOK(since time.Time, ps ...testnet.Province) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var first time.Time
	for _, a := range l.attempts {
		if !a.ok || a.start.Before(since) || (len(ps) > 0 && !contains(ps, a.p)) {
			continue
		}
		if first.IsZero() || a.end.Before(first) {
			first = a.end
		}
	}
	return first.Sub(since), !first.IsZero()
}

// waitOK waits, at most bound, until a payment started after since has been
// accepted through the gateway of one of ps (nil: any), and returns how long
// after since it was.
func (l *payLoad) waitOK(t *testing.T, since time.Time, bound time.Duration, ps ...testnet.Province) time.Duration {
	t.Helper()
	for {
		if d, ok := l.firstOK(since, ps...); ok {
			return d
		}
		require.Less(t, time.Since(since), bound, "no payment committed through %v within %s", names(ps), bound)
		time.Sleep(50 * time.Millisecond)
	}
}

// failures counts, by code, the failed attempts that started in [from, to)
// through the gateway of one of ps (nil: any).
func (l *payLoad) failures(from, to time.Time, ps ...testnet.Province) map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, a := range l.attempts {
		if a.ok || a.start.Before(from) || !a.start.Before(to) || (len(ps) > 0 && !contains(ps, a.p)) {
			continue
		}
		code := a.code
		if strings.Contains(code, " ") { // not a code: a raw error text
			code = "other"
		}
		out[code]++
	}
	return out
}

// totals sums the payers' counters (while paused or stopped).
func (l *payLoad) totals() (accepted, rejected, retried, foundOnRetry int) {
	for _, pr := range l.payers {
		accepted += len(pr.accepted)
		rejected += len(pr.rejected)
		retried += pr.retried
		foundOnRetry += pr.foundOnRetry
	}
	return
}

// verify pauses the load and checks the ledger against what the clients
// were told: every accepted payment ID is on the ledger once, with its
// payer, payee and amount; no refused one is; every payer's and payee's
// balance is its funds minus (plus) its accepted payments; the supply
// balances; nothing was answered DUPLICATE_PAYMENT to its first attempt,
// and nothing was refused for good (every answer during a fault retryable).
// Then it resumes the load.
func (l *payLoad) verify(t *testing.T, n *testnet.Network) {
	t.Helper()
	l.pause(t)
	defer l.resume()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Payment look-ups, one goroutine per payer; asserted below.
	problems := make([][]string, len(l.payers))
	var wg sync.WaitGroup
	for i, pr := range l.payers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, id := range pr.accepted[pr.checked:] {
				got, err := pr.c.GetPayment(ctx, id)
				switch {
				case err != nil:
					problems[i] = append(problems[i], fmt.Sprintf("accepted payment %s: %v", id, err))
				case got.PaymentID != id || got.From != pr.account || got.To != pr.payee || got.Amount != payAmount:
					problems[i] = append(problems[i], fmt.Sprintf("accepted payment %s is on the ledger as %+v", id, got))
				}
			}
			for _, r := range pr.rejected[pr.checkedRejected:] {
				id, _, _ := strings.Cut(r, " ")
				_, err := pr.c.GetPayment(ctx, id)
				if client.CodeOf(err) != rest.CodeNotFound {
					problems[i] = append(problems[i], fmt.Sprintf("refused payment %s: look-up answered %v, not NOT_FOUND: it committed", r, err))
				}
			}
		}()
	}
	wg.Wait()
	var all []string
	for _, p := range problems {
		all = append(all, p...)
	}
	require.Empty(t, all, "payments on the ledger and what the clients were told disagree")
	var refused []string
	for _, pr := range l.payers {
		refused = append(refused, pr.rejected...)
	}
	require.Empty(t, refused, "payments refused with a code that is not retryable")
	for _, pr := range l.payers {
		pr.checked, pr.checkedRejected = len(pr.accepted), len(pr.rejected)
	}

	// Balances against the model.
	funds := money.MustParseYuan(payerFunds)
	credited := map[string]money.Amount{}
	owners := map[string]testnet.Province{}
	for _, pr := range l.payers {
		paid := payAmount * money.Amount(len(pr.accepted))
		credited[pr.payee] += paid
		owners[pr.payee] = pr.payeeOwner
		requireBalanceEventually(t, pr.c, pr.account, funds-paid)
	}
	for payee, want := range credited {
		requireBalanceEventually(t, gwOn(t, n, owners[payee], "operator"), payee, want)
	}
	audit, err := gwOn(t, n, anhui, "auditor").AuditSupply(ctx)
	require.NoError(t, err)
	require.True(t, audit.Balanced, "supply audit: %+v", audit)

	l.mu.Lock()
	self := append([]string(nil), l.selfDuplicates...)
	l.mu.Unlock()
	require.Empty(t, self, "answered DUPLICATE_PAYMENT to their first attempt")
}

// requireBalanceEventually waits (15 s) until account's balance read
// through c is want: a gateway's own peer may be a block behind the peer
// that committed a credit.
func requireBalanceEventually(t *testing.T, c *client.Client, account string, want money.Amount) {
	t.Helper()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		b, err := c.Balance(context.Background(), account)
		if assert.NoError(ct, err) {
			assert.Equal(ct, want.String(), b.Balance.String(), "balance of %s", account)
		}
	}, 15*time.Second, 200*time.Millisecond)
}

// verifyStatements checks every payer's statement (after stop): one debit
// per accepted payment, referenced by its payment ID, and nothing else
// debited: no payment paid twice, none missing.
func (l *payLoad) verifyStatements(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, pr := range l.payers {
		debits := map[string]int{}
		q := client.StatementQuery{From: l.start.Add(-time.Hour), Page: client.Page{Size: rest.MaxPageSize}}
		for e, err := range pr.c.AllStatementEntries(ctx, pr.account, q) {
			require.NoError(t, err)
			if e.Type == "debit" {
				debits[e.Reference]++
			}
		}
		require.Len(t, debits, len(pr.accepted), "debits of %s", pr.account)
		for _, id := range pr.accepted {
			require.Equal(t, 1, debits[id], "debits of payment %s", id)
		}
	}
}

// report renders the load's totals for the log.
func (l *payLoad) report() string {
	accepted, rejected, retried, found := l.totals()
	l.mu.Lock()
	n := len(l.attempts)
	l.mu.Unlock()
	return fmt.Sprintf("%d payments accepted (%d needed a retry, %d of those found committed by an earlier attempt), %d refused, %d HTTP attempts, %.1f accepted/s over %s",
		accepted, retried, found, rejected, n, float64(accepted)/time.Since(l.start).Seconds(), time.Since(l.start).Round(time.Second))
}

// names lists provinces' names for messages ("any" for none).
func names(ps []testnet.Province) string {
	if len(ps) == 0 {
		return "any gateway"
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
