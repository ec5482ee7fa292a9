package interbankcc_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
	"github.com/yangtze-delta/settlement/money"
)

const (
	SH = cctest.SH
	JS = cctest.JS
	ZJ = cctest.ZJ
	AH = cctest.AH
)

var chaincode = func() shim.Chaincode {
	cc, err := yrdcc.New("test")
	if err != nil {
		panic(err)
	}
	return cc
}()

func y(s string) money.Amount { return money.MustParseYuan(s) }

// The three banks of the gridlock, one per province, and their settlement
// accounts.
var (
	bankA = cctest.Bank(SH, "ICBC")
	bankB = cctest.Bank(JS, "ABC")
	bankC = cctest.Bank(ZJ, "CCB")
	acctA = bankA + ":settle"
	acctB = bankB + ":settle"
	acctC = bankC + ":settle"
)

var mspOf = map[string]string{bankA: SH, bankB: JS, bankC: ZJ}

// operator acts for bank.
func operator(bank string) *memstub.Identity {
	return cctest.Ident(mspOf[bank], api.RoleOperator, bank, "operator")
}

type fixture struct {
	*cctest.Env
	n int
}

// newFixture opens the three settlement accounts and funds each with
// balance from Shanghai's reserve.
func newFixture(t *testing.T, balance string) *fixture {
	t.Helper()
	f := &fixture{Env: cctest.New(t, chaincode)}
	f.SetCeiling(SH, y("100000000"))
	reserve := cctest.PBC(SH) + ":reserve"
	cctest.Must(f, cctest.Issuer(SH), api.OpenAccount, api.OpenAccountRequest{ID: reserve, Kind: api.KindReserve, Tier: api.TierUnlimited})
	for _, acct := range []string{acctA, acctB, acctC} {
		bank := api.NamespaceOf(acct)
		cctest.Must(f, operator(bank), api.OpenAccount, api.OpenAccountRequest{ID: acct, Kind: api.KindSettlement, Tier: api.TierUnlimited})
		if balance != "" {
			f.fund(acct, y(balance))
		}
	}
	return f
}

// fund mints amount into Shanghai's reserve and pays it to acct.
func (f *fixture) fund(acct string, amount money.Amount) {
	f.TB.Helper()
	reserve := cctest.PBC(SH) + ":reserve"
	n := f.Next()
	ex := f.Decide(SH, api.ProposeRequest{Action: api.ActionMint, Mint: &api.MintParams{Account: reserve, Amount: amount, ReserveRef: fmt.Sprintf("dep-%d", n)}}, nil)
	cctest.Must(f, cctest.Issuer(SH), api.Transfer, api.TransferRequest{PaymentID: fmt.Sprintf("%s:fund-%d", cctest.PBC(SH), n),
		From: reserve, To: acct, Amount: amount, Inputs: []string{ex.Mint.Output}})
}

// outputs are acct's unspent output IDs.
func (f *fixture) outputs(acct string) []string {
	f.TB.Helper()
	p := cctest.Must(f, cctest.Auditor(AH), api.ListOutputs, api.ListOutputsRequest{Account: acct, PageSize: 1000})
	var ids []string
	for _, o := range p.Outputs {
		ids = append(ids, o.ID)
	}
	return ids
}

// send sends amount from acct to to; withInputs names all of acct's
// outputs.
func (f *fixture) send(acct, to, amount, priority string, withInputs bool) api.InterbankTransfer {
	f.TB.Helper()
	f.n++
	bank := api.NamespaceOf(acct)
	r := api.SendRequest{ID: fmt.Sprintf("%s:t%d", bank, f.n), From: acct, To: to, Amount: y(amount), Priority: priority}
	if withInputs {
		r.Inputs = f.outputs(acct)
	}
	return cctest.Must(f, operator(bank), api.SendTransfer, r)
}

func (f *fixture) get(id string) api.InterbankTransfer {
	f.TB.Helper()
	return cctest.Must(f, cctest.Auditor(AH), api.GetTransfer, api.TransferAction{ID: id})
}

func wantStatus(t *testing.T, tr api.InterbankTransfer, status string) {
	t.Helper()
	if tr.Status != status {
		t.Fatalf("transfer %s is %s, want %s", tr.ID, tr.Status, status)
	}
}

func TestGrossOnArrival(t *testing.T) {
	f := newFixture(t, "1000")
	tr := f.send(acctA, acctB, "300", api.PriorityNormal, true)
	wantStatus(t, tr, api.TransferSettled)
	if tr.Cycle != "" || tr.ValueDate != "2025-06-02" || tr.FromMSP != SH || tr.ToMSP != JS {
		t.Fatalf("transfer %+v", tr)
	}
	if a, b := f.Balance(acctA), f.Balance(acctB); a != y("700") || b != y("1300") {
		t.Fatalf("balances %s %s", a, b)
	}
	pos := cctest.Must(f, operator(bankA), api.Position, api.PositionRequest{Account: acctA})
	if pos.SentGross != y("300") || pos.ReceivedGross != 0 || pos.Balance != y("700") || len(pos.Counterparties) != 1 ||
		pos.Counterparties[0].Bank != bankB || pos.Counterparties[0].Sent != y("300") || pos.Fixed {
		t.Fatalf("position %+v", pos)
	}
	// Not enough named: it queues, and nothing moves.
	q := f.send(acctA, acctB, "800", api.PriorityNormal, true)
	wantStatus(t, q, api.TransferQueued)
	// No inputs named: it queues.
	q2 := f.send(acctB, acctC, "10", api.PriorityNormal, false)
	wantStatus(t, q2, api.TransferQueued)
	if f.Balance(acctA) != y("700") {
		t.Fatal("a queued transfer moved money")
	}
	// A normal transfer waiting blocks the next normal one even when
	// covered; an urgent one passes it.
	blocked := f.send(acctA, acctC, "5", api.PriorityNormal, true)
	wantStatus(t, blocked, api.TransferQueued)
	urgent := f.send(acctA, acctC, "5", api.PriorityUrgent, true)
	wantStatus(t, urgent, api.TransferSettled)
	pos = cctest.Must(f, cctest.Auditor(AH), api.Position, api.PositionRequest{Account: acctA})
	if pos.QueuedOut != y("805") {
		t.Fatalf("queued out %s", pos.QueuedOut)
	}
	posC := cctest.Must(f, cctest.Auditor(AH), api.Position, api.PositionRequest{Account: acctC})
	if posC.QueuedIn != y("15") || posC.ReceivedGross != y("5") {
		t.Fatalf("C's position %+v", posC)
	}
	// The same ID twice.
	cctest.Reject(f, operator(bankA), api.SendTransfer, api.SendRequest{ID: tr.ID, From: acctA, To: acctB, Amount: 1, Priority: api.PriorityNormal},
		api.CodeDuplicatePayment)
}

func TestSendRules(t *testing.T) {
	f := newFixture(t, "100")
	cust := bankA + ":cust"
	cctest.Must(f, operator(bankA), api.OpenAccount, api.OpenAccountRequest{ID: cust, Kind: api.KindCustomer, Tier: api.TierClassII,
		CustomerRefHash: hex.EncodeToString(make([]byte, 32))})
	ok := api.SendRequest{ID: bankA + ":x1", From: acctA, To: acctB, Amount: y("1"), Priority: api.PriorityNormal}
	for name, tc := range map[string]struct {
		who  *memstub.Identity
		mut  func(*api.SendRequest)
		code api.Code
	}{
		"another bank's account":   {operator(bankB), func(r *api.SendRequest) { r.ID = bankB + ":x1" }, api.CodeNotFound},
		"ID of another bank":       {operator(bankA), func(r *api.SendRequest) { r.ID = bankB + ":x1" }, api.CodeForbidden},
		"to a customer account":    {operator(bankA), func(r *api.SendRequest) { r.To = cust }, api.CodeInvalidArgument},
		"from a customer account":  {operator(bankA), func(r *api.SendRequest) { r.From = cust; r.To = acctB }, api.CodeInvalidArgument},
		"to the same bank":         {operator(bankA), func(r *api.SendRequest) { r.To = bankA + ":other" }, api.CodeInvalidArgument},
		"to nobody":                {operator(bankA), func(r *api.SendRequest) { r.To = bankB + ":nothing" }, api.CodeNotFound},
		"value date in the past":   {operator(bankA), func(r *api.SendRequest) { r.ValueDate = "2025-05-30" }, api.CodeInvalidArgument},
		"value date on a Saturday": {operator(bankA), func(r *api.SendRequest) { r.ValueDate = "2025-06-07" }, api.CodeInvalidArgument},
		"zero":                     {operator(bankA), func(r *api.SendRequest) { r.Amount = 0 }, api.CodeInvalidArgument},
		"bad priority":             {operator(bankA), func(r *api.SendRequest) { r.Priority = "high" }, api.CodeInvalidArgument},
		"foreign input":            {operator(bankA), func(r *api.SendRequest) { r.Inputs = f.outputs(acctB) }, api.CodeInputNotOwned},
		"unrecorded remittance":    {operator(bankA), func(r *api.SendRequest) { r.RemittanceHash = hex.EncodeToString(make([]byte, 32)) }, api.CodeInvalidArgument},
		"an issuer":                {cctest.Issuer(SH), func(r *api.SendRequest) {}, api.CodeForbidden},
	} {
		t.Run(name, func(t *testing.T) {
			r := ok
			tc.mut(&r)
			cctest.Reject(f.With(t), tc.who, api.SendTransfer, r, tc.code)
		})
	}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// TestGridlock is the three-bank gridlock: each owes the next
// 1,000,000 and holds 100,000. Gross, all three queue; one cycle settles
// them with no liquidity; each transfer is recorded gross.
func TestGridlock(t *testing.T) {
	f := newFixture(t, "100000")
	ab := f.send(acctA, acctB, "1000000", api.PriorityNormal, true)
	bc := f.send(acctB, acctC, "1000000", api.PriorityNormal, true)
	ca := f.send(acctC, acctA, "1000000", api.PriorityNormal, true)
	for _, tr := range []api.InterbankTransfer{ab, bc, ca} {
		wantStatus(t, tr, api.TransferQueued)
	}
	page := cctest.Must(f, cctest.Issuer(JS), api.ListQueue, api.QueueRequest{})
	if len(page.Transfers) != 3 {
		t.Fatalf("queue %+v", page)
	}
	// An operator may read only its own account's queue.
	cctest.Reject(f, operator(bankA), api.ListQueue, api.QueueRequest{}, api.CodeInvalidArgument)
	cctest.Reject(f, operator(bankA), api.ListQueue, api.QueueRequest{Account: acctB}, api.CodeNotFound)
	supply := f.Supply()
	res := cctest.Must(f, operator(bankB), api.SettleCycle, api.CycleRequest{ID: bankB + ":cycle-1", Transfers: []string{ab.ID, bc.ID, ca.ID}})
	if res.Settled != 3 || res.Gross != y("3000000") || res.Liquidity != 0 {
		t.Fatalf("cycle %+v", res)
	}
	for _, id := range []string{ab.ID, bc.ID, ca.ID} {
		tr := f.get(id)
		wantStatus(t, tr, api.TransferSettled)
		if tr.Cycle != res.ID {
			t.Fatalf("transfer %s settled in cycle %q", id, tr.Cycle)
		}
	}
	for _, acct := range []string{acctA, acctB, acctC} {
		if b := f.Balance(acct); b != y("100000") {
			t.Fatalf("%s balance %s", acct, b)
		}
		pos := cctest.Must(f, cctest.Auditor(AH), api.Position, api.PositionRequest{Account: acct})
		if pos.SentGross != y("1000000") || pos.ReceivedGross != y("1000000") || pos.QueuedIn != 0 || pos.QueuedOut != 0 {
			t.Fatalf("%s position %+v", acct, pos)
		}
	}
	if f.Supply() != supply {
		t.Fatal("a cycle changed the supply")
	}
	// Settled once: the same transfers again, or the same cycle ID.
	cctest.Reject(f, operator(bankB), api.SettleCycle, api.CycleRequest{ID: bankB + ":cycle-2", Transfers: []string{ab.ID}}, api.CodeNotQueued)
	cctest.Reject(f, operator(bankB), api.SettleCycle, api.CycleRequest{ID: bankB + ":cycle-1", Transfers: []string{ab.ID}}, api.CodeAlreadyExists)
	// The statement records each transfer gross.
	st := cctest.Must(f, operator(bankA), api.Statement, api.StatementRequest{Account: acctA, From: cctest.Day0.Add(-time.Hour), To: cctest.Day0.Add(24 * time.Hour), PageSize: 100})
	var debit, credit money.Amount
	for _, e := range st.Entries {
		if e.Reference == ab.ID && e.Type == api.EntryDebit {
			debit += e.Amount
		}
		if e.Reference == ca.ID && e.Type == api.EntryCredit {
			credit += e.Amount
		}
	}
	if debit != y("1000000") || credit != y("1000000") {
		t.Fatalf("statement debit %s credit %s", debit, credit)
	}
}

// TestCycleVerification: whatever a solver names, nobody ends uncovered
// and nothing settles that is not queued and due.
func TestCycleVerification(t *testing.T) {
	f := newFixture(t, "100")
	ab := f.send(acctA, acctB, "1000", api.PriorityNormal, false)
	bc := f.send(acctB, acctC, "50", api.PriorityNormal, false)
	held := f.send(acctC, acctA, "10", api.PriorityNormal, false)
	cctest.Must(f, operator(bankC), api.HoldTransfer, api.TransferAction{ID: held.ID})
	// A's net debit 1,000 exceeds its 100.
	cctest.Reject(f, cctest.Issuer(SH), api.SettleCycle, api.CycleRequest{ID: "ShanghaiMSP:c1", Transfers: []string{ab.ID}}, api.CodeInsufficientFunds)
	// Held, unknown.
	cctest.Reject(f, cctest.Issuer(SH), api.SettleCycle, api.CycleRequest{ID: "ShanghaiMSP:c1", Transfers: []string{bc.ID, held.ID}}, api.CodeNotQueued)
	cctest.Reject(f, cctest.Issuer(SH), api.SettleCycle, api.CycleRequest{ID: "ShanghaiMSP:c1", Transfers: []string{bankA + ":nope"}}, api.CodeNotFound)
	// Inputs named for a creditor, or too few for the debtor.
	cctest.Reject(f, cctest.Issuer(SH), api.SettleCycle, api.CycleRequest{ID: "ShanghaiMSP:c1", Transfers: []string{bc.ID},
		Inputs: map[string][]string{acctC: f.outputs(acctC)}}, api.CodeInvalidArgument)
	// A cycle ID outside the caller's namespace.
	cctest.Reject(f, cctest.Issuer(SH), api.SettleCycle, api.CycleRequest{ID: "JiangsuMSP:c1", Transfers: []string{bc.ID}}, api.CodeForbidden)
	// B→C alone is covered by B's own outputs, named or found.
	res := cctest.Must(f, cctest.Issuer(SH), api.SettleCycle, api.CycleRequest{ID: "ShanghaiMSP:c1", Transfers: []string{bc.ID},
		Inputs: map[string][]string{acctB: f.outputs(acctB)}})
	if res.Liquidity != y("50") || f.Balance(acctB) != y("50") || f.Balance(acctC) != y("150") {
		t.Fatalf("cycle %+v, balances %s %s", res, f.Balance(acctB), f.Balance(acctC))
	}
}

func TestQueueManagement(t *testing.T) {
	f := newFixture(t, "10")
	t1 := f.send(acctA, acctB, "100", api.PriorityNormal, false)
	t2 := f.send(acctA, acctC, "200", api.PriorityNormal, false)
	// Only the payer's bank manages its transfers; the payee's sees them.
	cctest.Reject(f, operator(bankB), api.CancelTransfer, api.TransferAction{ID: t1.ID}, api.CodeNotFound)
	if got := cctest.Must(f, operator(bankB), api.GetTransfer, api.TransferAction{ID: t1.ID}); got.ID != t1.ID {
		t.Fatal("the payee cannot read its incoming transfer")
	}
	cctest.Reject(f, operator(bankC), api.GetTransfer, api.TransferAction{ID: t1.ID}, api.CodeNotFound)

	up := cctest.Must(f, operator(bankA), api.Reprioritise, api.ReprioritiseRequest{ID: t2.ID, Priority: api.PriorityUrgent})
	if up.Priority != api.PriorityUrgent || up.Seq != t2.Seq {
		t.Fatalf("reprioritised %+v", up)
	}
	q := cctest.Must(f, operator(bankA), api.ListQueue, api.QueueRequest{Account: acctA})
	if len(q.Transfers) != 2 || q.Transfers[0].ID != t2.ID {
		t.Fatalf("queue order after reprioritising %+v", q.Transfers)
	}
	h := cctest.Must(f, operator(bankA), api.HoldTransfer, api.TransferAction{ID: t2.ID})
	wantStatus(t, h, api.TransferHeld)
	cctest.Reject(f, operator(bankA), api.HoldTransfer, api.TransferAction{ID: t2.ID}, api.CodeNotQueued)
	q = cctest.Must(f, operator(bankA), api.ListQueue, api.QueueRequest{Account: acctA})
	if len(q.Transfers) != 2 || q.Transfers[0].ID != t1.ID || q.Transfers[1].Status != api.TransferHeld {
		t.Fatalf("queue with a held transfer %+v", q.Transfers)
	}
	r := cctest.Must(f, operator(bankA), api.ReleaseTransfer, api.TransferAction{ID: t2.ID})
	wantStatus(t, r, api.TransferQueued)
	c := cctest.Must(f, operator(bankA), api.CancelTransfer, api.TransferAction{ID: t1.ID})
	wantStatus(t, c, api.TransferCancelled)
	cctest.Reject(f, operator(bankA), api.CancelTransfer, api.TransferAction{ID: t1.ID}, api.CodeNotQueued)
	cctest.Reject(f, operator(bankA), api.ReleaseTransfer, api.TransferAction{ID: t1.ID}, api.CodeNotQueued)
	pos := cctest.Must(f, operator(bankA), api.Position, api.PositionRequest{Account: acctA})
	if pos.QueuedOut != y("200") {
		t.Fatalf("queued out after cancel %s", pos.QueuedOut)
	}
}

// TestBusinessDay: after the interbank cut-off a transfer takes the next
// business day; it is not due today; after the end of day the rest of the
// day's queue is rejected and the day-end balances are fixed.
func TestBusinessDay(t *testing.T) {
	f := newFixture(t, "100")
	today := f.send(acctA, acctB, "500", api.PriorityNormal, false)
	f.L.Clock = time.Date(2025, 6, 2, 9, 5, 0, 0, time.UTC) // 17:05 Shanghai, after the 17:00 cut-off
	late := f.send(acctB, acctC, "10", api.PriorityNormal, true)
	wantStatus(t, late, api.TransferQueued)
	if late.ValueDate != "2025-06-03" {
		t.Fatalf("value date after cut-off %s", late.ValueDate)
	}
	cctest.Reject(f, cctest.Issuer(SH), api.SettleCycle, api.CycleRequest{ID: "ShanghaiMSP:c1", Transfers: []string{late.ID}}, api.CodeNotQueued)
	eod := api.EndOfDayRequest{Date: "2025-06-02", Transfers: []string{today.ID, late.ID}, Reason: "not settled by end of day",
		Accounts: []string{acctA, acctB}}
	cctest.Reject(f, cctest.Issuer(SH), api.EndOfDay, eod, api.CodeDayOpen)
	cctest.Reject(f, operator(bankA), api.EndOfDay, eod, api.CodeForbidden)

	f.L.Clock = time.Date(2025, 6, 2, 9, 31, 0, 0, time.UTC) // 17:31: the day has ended
	res := cctest.Must(f, cctest.Issuer(SH), api.EndOfDay, eod)
	if len(res.Rejected) != 1 || res.Rejected[0] != today.ID || len(res.Closed) != 2 {
		t.Fatalf("end of day %+v", res)
	}
	rej := f.get(today.ID)
	if rej.Status != api.TransferRejected || rej.Reason != eod.Reason {
		t.Fatalf("rejected %+v", rej)
	}
	wantStatus(t, f.get(late.ID), api.TransferQueued)
	// Fixed once: a second end of day changes nothing and closes nothing.
	again := cctest.Must(f, cctest.Issuer(SH), api.EndOfDay, eod)
	if len(again.Rejected) != 0 || len(again.Closed) != 0 {
		t.Fatalf("second end of day %+v", again)
	}
	pos := cctest.Must(f, cctest.Auditor(AH), api.Position, api.PositionRequest{Account: acctA, Date: "2025-06-02"})
	if !pos.Fixed || pos.Balance != y("100") {
		t.Fatalf("day-end position %+v", pos)
	}
	// The day's transfers reconcile.
	day := cctest.Must(f, cctest.Auditor(AH), api.DayTransfers, api.DayRequest{Date: "2025-06-02"})
	if len(day.Transfers) != 1 || day.Transfers[0].ID != today.ID {
		t.Fatalf("day transfers %+v", day.Transfers)
	}
	// The next morning the late transfer settles on arrival of a cycle.
	f.L.Clock = time.Date(2025, 6, 3, 1, 0, 0, 0, time.UTC)
	cctest.Must(f, cctest.Issuer(SH), api.SettleCycle, api.CycleRequest{ID: "ShanghaiMSP:c2", Transfers: []string{late.ID}})
	wantStatus(t, f.get(late.ID), api.TransferSettled)
}

// TestCalendarDecision: the calendar changes only by a quorum decision.
func TestCalendarDecision(t *testing.T) {
	f := newFixture(t, "")
	cal := api.DefaultCalendar()
	cal.WeekendsClosed = false
	cal.Holidays = []string{"2025-06-03"}
	id := f.Propose(cctest.Issuer(SH), api.ProposeRequest{Action: api.ActionCalendar, Calendar: &cal})
	f.Approve(id, cctest.Issuer(JS))
	cctest.Reject(f, cctest.Issuer(SH), api.Execute, api.ExecuteRequest{ID: id}, api.CodeNotApproved)
	f.Approve(id, cctest.Issuer(ZJ))
	cctest.Must(f, cctest.Issuer(SH), api.Execute, api.ExecuteRequest{ID: id})
	got := cctest.Must(f, operator(bankA), api.GetCalendar, api.Empty{})
	if got.WeekendsClosed || len(got.Holidays) != 1 {
		t.Fatalf("calendar %+v", got)
	}
	f.L.Clock = time.Date(2025, 6, 2, 9, 5, 0, 0, time.UTC) // Monday after cut-off: Tuesday is a holiday
	late := f.send(acctA, acctB, "1", api.PriorityNormal, false)
	if late.ValueDate != "2025-06-04" {
		t.Fatalf("value date over a decided holiday %s", late.ValueDate)
	}
	bad := api.DefaultCalendar()
	bad.EndOfDay = "08:00"
	cctest.Reject(f, cctest.Issuer(SH), api.Propose, api.ProposeRequest{ID: "ShanghaiMSP:badcal", Action: api.ActionCalendar, Calendar: &bad}, api.CodeInvalidArgument)
}

// TestRemittance: the details go to the two provinces' collection in a
// transaction the payer's province endorses alone; Send binds the hash;
// the payer's and payee's banks read them, a third province holds nothing.
func TestRemittance(t *testing.T) {
	f := newFixture(t, "100")
	id := bankA + ":rem-1"
	transient := map[string][]byte{api.TransientRemittance: []byte("invoice 4711, goods"), api.TransientRemittanceSalt: []byte("0123456789abcdef0123")}
	en := f.L.Endorse(f.CC, memstub.Tx{Creator: operator(bankA), Fn: api.PutRemittance.Function(),
		Args: []string{cctest.Encode(api.RemittanceRequest{ID: id, To: acctB})}, Transient: transient, Endorsers: []string{SH}})
	if !en.OK() {
		t.Fatalf("PutRemittance: %s", en.Message)
	}
	b, err := f.L.Commit(en)
	if err != nil || b.Txs[0].Code != peer.TxValidationCode_VALID {
		t.Fatalf("PutRemittance endorsed by the payer's province alone: %v %v", err, b)
	}
	var rec api.RemittanceReceipt
	decode(t, en.Payload, &rec)
	if rec.Collection != api.CollectionBilateral(SH, JS) {
		t.Fatalf("receipt %+v", rec)
	}
	// A hash that is not the record's is refused.
	wrong := sha256.Sum256([]byte("other"))
	cctest.Reject(f, operator(bankA), api.SendTransfer, api.SendRequest{ID: id, From: acctA, To: acctB, Amount: y("1"), Priority: api.PriorityNormal,
		RemittanceHash: hex.EncodeToString(wrong[:])}, api.CodeInvalidArgument)
	tr := cctest.Must(f, operator(bankA), api.SendTransfer, api.SendRequest{ID: id, From: acctA, To: acctB, Amount: y("1"), Priority: api.PriorityNormal,
		RemittanceHash: rec.Hash})
	if tr.RemittanceHash != rec.Hash {
		t.Fatalf("transfer %+v", tr)
	}
	for _, who := range []*memstub.Identity{operator(bankA), operator(bankB), cctest.Compliance(JS)} {
		got := cctest.Must(f, who, api.GetRemittance, api.TransferAction{ID: id})
		if got.Details != "invoice 4711, goods" {
			t.Fatalf("remittance %+v", got)
		}
	}
	cctest.Reject(f, operator(bankC), api.GetRemittance, api.TransferAction{ID: id}, api.CodeNotFound)
	cctest.Reject(f, cctest.Compliance(ZJ), api.GetRemittance, api.TransferAction{ID: id}, api.CodeNotFound)
	cctest.Reject(f, cctest.Auditor(AH), api.GetRemittance, api.TransferAction{ID: id}, api.CodeForbidden)
}

// TestSendBatch: items run as their own Sends over the state the items
// before them left: a transfer queued earlier in the batch blocks a later
// one of equal priority from settling gross, an urgent one passes it, an
// input spent by an earlier item and a repeated ID are refused alone and
// leave no trace, and the queue keeps the batch's order.
func TestSendBatch(t *testing.T) {
	f := newFixture(t, "1000")
	ins := f.outputs(acctA)
	req := api.SendBatchRequest{Items: []api.SendRequest{
		{ID: bankA + ":b1", From: acctA, To: acctB, Amount: y("5000"), Priority: api.PriorityNormal},
		{ID: bankA + ":b2", From: acctA, To: acctB, Amount: y("10"), Priority: api.PriorityNormal, Inputs: ins},
		{ID: bankA + ":b3", From: acctA, To: acctC, Amount: y("10"), Priority: api.PriorityUrgent, Inputs: ins},
		{ID: bankA + ":b4", From: acctA, To: acctC, Amount: y("10"), Priority: api.PriorityUrgent, Inputs: ins},
		{ID: bankA + ":b1", From: acctA, To: acctC, Amount: y("1"), Priority: api.PriorityNormal},
		{ID: bankA + ":b5", From: acctA, To: acctC, Amount: y("0"), Priority: api.PriorityNormal},
	}}
	res := cctest.Must(f, operator(bankA), api.SendBatch, req)
	if res.Queued != 2 || res.Settled != 1 || res.Rejected != 3 {
		t.Fatalf("batch %+v", res)
	}
	want := []struct {
		status string
		code   api.Code
	}{{api.TransferQueued, ""}, {api.TransferQueued, ""}, {api.TransferSettled, ""}, {"", api.CodeInputSpent},
		{"", api.CodeDuplicatePayment}, {"", api.CodeInvalidArgument}}
	for i, w := range want {
		r := res.Results[i]
		switch {
		case w.code != "" && (r.OK || r.Code != w.code):
			t.Fatalf("item %d: %+v, want %s", i, r, w.code)
		case w.code == "" && (!r.OK || r.Transfer.Status != w.status):
			t.Fatalf("item %d: %+v, want %s", i, r, w.status)
		}
	}
	if f.Balance(acctA) != y("990") || f.Balance(acctC) != y("1010") {
		t.Fatalf("balances %s %s", f.Balance(acctA), f.Balance(acctC))
	}
	q := cctest.Must(f, operator(bankA), api.ListQueue, api.QueueRequest{Account: acctA})
	if len(q.Transfers) != 2 || q.Transfers[0].ID != bankA+":b1" || q.Transfers[1].ID != bankA+":b2" {
		t.Fatalf("queue %+v", q.Transfers)
	}
	cctest.Reject(f, cctest.Auditor(AH), api.GetTransfer, api.TransferAction{ID: bankA + ":b4"}, api.CodeNotFound)
	cctest.Reject(f, operator(bankA), api.SendBatch, api.SendBatchRequest{}, api.CodeBatchTooLarge)
}
