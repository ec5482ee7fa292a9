package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/network/testnet"
	"github.com/yangtze-delta/settlement/rest"
)

// shanghaiClock is the Asia/Shanghai wall-clock time of t, "15:04".
func shanghaiClock(t time.Time) string { return t.In(api.BusinessZone).Format("15:04") }

// TestInterbankDay runs one business day of interbank settlement through
// the gateways of the real network: a three-bank gridlock across three
// provinces (each owes the next 1,000,000 and holds 100,000) queues under
// gross settlement and settles in one cycle with no liquidity; a queued
// transfer is held, released, re-prioritised and cancelled; remittance
// details are read by the two banks and by nobody else, and a third
// province's peer holds none; after a calendar decision moves the cut-off
// and the end of day before now, a new transfer carries the next value
// date, the day is closed (what is left rejected, day-end balances fixed)
// and the statements and the reconciliation add up.
//
// The calendar is decided twice by quorum with Asia/Shanghai times around
// the wall clock, so all of them must fall inside one Shanghai day: the
// test skips in the 30 minutes around Shanghai midnight.
func TestInterbankDay(t *testing.T) {
	now := time.Now()
	if c := shanghaiClock(now); c >= "23:40" || c < "00:10" {
		t.Skipf("Shanghai time is %s: the test's calendars need the day's wall clock between 00:10 and 23:40", c)
	}
	ctx := context.Background()
	sh, js, zj, ah := testnet.Provinces[0], testnet.Provinces[1], testnet.Provinces[2], testnet.Provinces[3]
	today := api.BusinessDate(now)
	y := money.MustParseYuan

	// A calendar with the whole day open and the timers of the gateways
	// quiet (one cycle an hour): this test runs its cycles itself.
	open := rest.Calendar{Open: "00:00", CustomerCutoff: "23:50", InterbankCutoff: "23:50", EndOfDay: "23:55", WeekendsClosed: false, CycleIntervalSec: 3600}
	gwDecide(t, net, sh, rest.ProposalRequest{ID: proposalID(sh, "ib-calendar-1"), Action: rest.ActionCalendar, Calendar: &open})

	// Three settlement accounts in three provinces, 100,000 each.
	banks := []testnet.Province{sh, js, zj}
	ops := make([]*clientOf, len(banks))
	accts := make([]string, len(banks))
	for i, p := range banks {
		ops[i] = &clientOf{p: p, c: gw(t, p, "operator")}
		accts[i] = bankID(p, "operator", "ib-settle")
		gwOpen(t, ops[i].c, accts[i], rest.KindSettlement, rest.TierUnlimited)
	}
	iss := gw(t, sh, "issuer")
	reserve := bankID(sh, "issuer", "ib-reserve")
	gwOpen(t, iss, reserve, rest.KindReserve, "")
	gwMint(t, net, sh, "ib-mint", reserve, "300000")
	for i, acct := range accts {
		gwPay(t, iss, pay(bankID(sh, "issuer", fmt.Sprintf("ib-fund-%d", i)), reserve, acct, "100000"))
	}
	for i, acct := range accts {
		gwRequireBalance(t, ops[i].c, acct, "100000.00")
	}

	send := func(t *testing.T, from int, to string, local, amount, priority, remittance string) rest.InterbankTransfer {
		t.Helper()
		res, err := ops[from].c.SendTransfer(ctx, rest.InterbankTransferRequest{ID: bankID(banks[from], "operator", local),
			From: accts[from], To: to, Amount: y(amount), Priority: priority, Remittance: remittance})
		return committed(t, res, err).Result
	}

	var gridlock []string
	t.Run("gridlock queues, then settles in one cycle", func(t *testing.T) {
		for i := range banks {
			tr := send(t, i, accts[(i+1)%3], "ib-ring", "1000000", rest.PriorityNormal, "")
			require.Equal(t, rest.TransferQueued, tr.Status, "gross settlement of 1,000,000 from 100,000")
			require.Equal(t, today, tr.ValueDate)
			gridlock = append(gridlock, tr.ID)
		}
		run, err := iss.RunCycle(ctx)
		require.NoError(t, err)
		// The gateways' timers run hourly; should one have run in between,
		// it settled the same three in one cycle, which is checked below.
		if run.Status == rest.CycleSettled {
			require.Equal(t, 3, run.Cycle.Settled)
			require.Equal(t, "0.00", run.Cycle.Liquidity.String(), "a ring settles with no liquidity")
			require.Equal(t, "3000000.00", run.Cycle.Gross.String())
		}
		cycle := ""
		for i, id := range gridlock {
			eventually(t, func(c *assert.CollectT) {
				tr, err := ops[i].c.GetTransfer(ctx, id)
				if assert.NoError(c, err) {
					assert.Equal(c, rest.TransferSettled, tr.Status)
					assert.NotEmpty(c, tr.Cycle)
					if cycle == "" {
						cycle = tr.Cycle
					}
					assert.Equal(c, cycle, tr.Cycle, "one cycle settles all three")
				}
			})
		}
		for i, acct := range accts {
			gwRequireBalance(t, ops[i].c, acct, "100000.00")
		}
	})

	var left string
	t.Run("hold, release, re-prioritise, cancel", func(t *testing.T) {
		big := send(t, 0, accts[1], "ib-big", "5000000", rest.PriorityNormal, "")
		require.Equal(t, rest.TransferQueued, big.Status)
		h, err := ops[0].c.HoldTransfer(ctx, big.ID)
		require.Equal(t, rest.TransferHeld, committed(t, h, err).Result.Status)
		_, err = ops[0].c.HoldTransfer(ctx, big.ID)
		apiErr(t, err, 409, string(api.CodeNotQueued))
		r, err := ops[0].c.ReleaseTransfer(ctx, big.ID)
		require.Equal(t, rest.TransferQueued, committed(t, r, err).Result.Status)
		p, err := ops[0].c.ReprioritiseTransfer(ctx, big.ID, rest.PriorityUrgent)
		require.Equal(t, rest.PriorityUrgent, committed(t, p, err).Result.Priority)
		// Only the payer's bank manages it; the payee's sees it.
		_, err = ops[1].c.CancelTransfer(ctx, big.ID)
		apiErr(t, err, 404, string(api.CodeNotFound))
		c, err := ops[0].c.CancelTransfer(ctx, big.ID)
		require.Equal(t, rest.TransferCancelled, committed(t, c, err).Result.Status)
		// This one stays queued until the end of day.
		left = send(t, 0, accts[1], "ib-left", "7000000", rest.PriorityNormal, "").ID
	})

	var remitted string
	t.Run("remittance details reach the two banks only", func(t *testing.T) {
		const details = "invoice 42: 10 crates of tea"
		tr := send(t, 0, accts[2], "ib-remit", "10", rest.PriorityUrgent, details)
		require.Equal(t, rest.TransferSettled, tr.Status, "urgent, covered, nothing urgent waits: gross at once")
		require.Len(t, tr.RemittanceHash, 64)
		remitted = tr.ID
		for _, c := range []*clientOf{ops[0], ops[2]} {
			eventually(t, func(ct *assert.CollectT) {
				r, err := c.c.Remittance(ctx, tr.ID)
				if assert.NoError(ct, err, c.p.Name) {
					assert.Equal(ct, details, r.Details)
				}
			})
		}
		_, err := ops[1].c.Remittance(ctx, tr.ID)
		apiErr(t, err, 404, string(api.CodeNotFound))
		_, err = gw(t, ah, "compliance").Remittance(ctx, tr.ID)
		apiErr(t, err, 404, string(api.CodeNotFound))
		// The payer's bank asking a third province's peer: that peer holds
		// nothing to give.
		a := as(t, sh, "operator")
		_, err = evaluate(a, api.GetRemittance, api.TransferAction{ID: tr.ID}, sdk.WithEndorsingOrganizations(js.MSPID))
		requireCode(t, string(api.CodeNotFound), err)
	})

	t.Run("after the cut-off, the end of day", func(t *testing.T) {
		// A calendar whose cut-off and end of day passed a few minutes ago.
		cut := time.Now().In(api.BusinessZone).Add(-3 * time.Minute)
		closed := rest.Calendar{Open: "00:00", CustomerCutoff: cut.Format("15:04"), InterbankCutoff: cut.Format("15:04"),
			EndOfDay: cut.Add(time.Minute).Format("15:04"), WeekendsClosed: false, CycleIntervalSec: 3600}
		gwDecide(t, net, zj, rest.ProposalRequest{ID: proposalID(zj, "ib-calendar-2"), Action: rest.ActionCalendar, Calendar: &closed})
		cal, err := ops[1].c.Calendar(ctx)
		require.NoError(t, err)
		require.Equal(t, closed.InterbankCutoff, cal.InterbankCutoff)

		late := send(t, 1, accts[2], "ib-late", "10", rest.PriorityNormal, "")
		require.Equal(t, rest.TransferQueued, late.Status)
		require.Equal(t, nextDay(today), late.ValueDate, "after the cut-off: the next business day")

		dc, err := iss.CloseDay(ctx, today)
		require.NoError(t, err)
		t.Logf("close %s: %d transfers, rejected %v, %d day-ends fixed", today, dc.Transfers, dc.RejectedIDs, len(dc.Closed))
		eventually(t, func(c *assert.CollectT) {
			tr, err := ops[0].c.GetTransfer(ctx, left)
			if assert.NoError(c, err) {
				assert.Equal(c, rest.TransferRejected, tr.Status)
				assert.NotEmpty(c, tr.Reason)
			}
		})
		lt, err := ops[1].c.GetTransfer(ctx, late.ID)
		require.NoError(t, err)
		require.Equal(t, rest.TransferQueued, lt.Status, "tomorrow's transfer waits")

		// Day-end balances are fixed: A paid 10 gross beyond the ring.
		want := map[int]string{0: "99990.00", 1: "100000.00", 2: "100010.00"}
		for i, acct := range accts {
			eventually(t, func(c *assert.CollectT) {
				pos, err := ops[i].c.Position(ctx, acct, today)
				if assert.NoError(c, err) {
					assert.True(c, pos.Fixed, "%s's day-end balance is fixed", acct)
					assert.Equal(c, want[i], pos.Balance.String(), acct)
				}
			})
		}
		posA, err := ops[0].c.Position(ctx, accts[0], today)
		require.NoError(t, err)
		require.Equal(t, "1000010.00", posA.SentGross.String())
		require.Equal(t, "1000000.00", posA.ReceivedGross.String())

		// A's day statement records the ring gross.
		st, err := ops[0].c.InterbankStatement(ctx, accts[0], today, client.Page{Size: 1000})
		require.NoError(t, err)
		var debits, credits money.Amount
		for _, e := range st.Entries {
			switch {
			case e.Reference == gridlock[0] && e.Type == rest.EntryDebit:
				debits += e.Amount
			case e.Reference == gridlock[2] && e.Type == rest.EntryCredit:
				credits += e.Amount
			}
		}
		require.Equal(t, "1000000.00", debits.String())
		require.Equal(t, "1000000.00", credits.String())

		// Reconciliation: every transfer of the day counted once under one
		// status, the banks' nets summing to zero.
		rec, err := gw(t, ah, "auditor").Reconcile(ctx, today)
		require.NoError(t, err)
		require.True(t, rec.Balanced, "reconciliation %+v", rec)
		counts := map[string]int{}
		for _, s := range rec.Statuses {
			counts[s.Status] = s.Count
		}
		require.Equal(t, map[string]int{rest.TransferSettled: 4, rest.TransferCancelled: 1, rest.TransferRejected: 1}, counts)
		require.Equal(t, 6, rec.Transfers)
		_ = remitted
	})
}

// clientOf is a bank operator's gateway client and its province.
type clientOf struct {
	p testnet.Province
	c *client.Client
}

// nextDay is the calendar day after date (weekends are open in the test's
// calendars).
func nextDay(date string) string {
	d, err := time.ParseInLocation("2006-01-02", date, api.BusinessZone)
	if err != nil {
		panic(err)
	}
	return d.AddDate(0, 0, 1).Format("2006-01-02")
}
