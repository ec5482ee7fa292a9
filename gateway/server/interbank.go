package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/gateway/cycles"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/gateway/selection"
	"github.com/yangtze-delta/settlement/rest"
)

// InterbankOptions configures the interbank routes and the cycle timer.
// Zero values take the defaults; without CycleIdentity no timer runs (the
// province's issuer can still run a cycle with POST /v1/interbank/cycles).
type InterbankOptions struct {
	// CycleIdentity names the client whose ledger identity the cycle timer
	// runs as: the province's issuer (New refuses another role).
	CycleIdentity string
	// CycleInterval is the time between timer ticks (0: the calendar's
	// cycleIntervalSec, re-read at every tick).
	CycleInterval time.Duration
	// MaxQueue bounds the waiting transfers one cycle reads (default
	// cycles.DefaultMaxQueue).
	MaxQueue int
	// MaxDayTransfers bounds the transfers a reconciliation or a day's
	// close reads (default cycles.DefaultMaxDayTransfers); beyond, 422
	// DAY_TOO_LARGE.
	MaxDayTransfers int
	// Now is the gateway's clock for interbank decisions: which queued
	// transfers are due, which days are over, the default business date of
	// a statement (default time.Now). The chaincode decides again with the
	// transaction's time.
	Now func() time.Time
}

// interbankState is the Server's state for interbank settlement.
type interbankState struct {
	runner *cycles.Runner
	maxDay int
	now    func() time.Time
	// heavy bounds concurrent reconciliations (each reads a whole day): at
	// the limit they answer 429.
	heavy chan struct{}
}

// maxHeavyDays bounds concurrent reconciliations.
const maxHeavyDays = 2

func (s *Server) initInterbank(opts Options) error {
	o := opts.Interbank
	s.ib = &interbankState{maxDay: o.MaxDayTransfers, now: o.Now, heavy: make(chan struct{}, maxHeavyDays)}
	if s.ib.maxDay == 0 {
		s.ib.maxDay = cycles.DefaultMaxDayTransfers
	}
	if s.ib.now == nil {
		s.ib.now = time.Now
	}
	runner, err := cycles.New(cycles.Options{
		Ledger:          s.ledger,
		MaxQueue:        o.MaxQueue,
		MaxDayTransfers: s.ib.maxDay,
		Now:             func() time.Time { return s.ib.now() },
		OnSettled: func(accounts []string) {
			for _, a := range accounts {
				s.selector.Invalidate(a)
			}
		},
		Metrics: s.metrics,
		Logger:  s.log,
	})
	if err != nil {
		return fmt.Errorf("server: Options.Interbank: %w", err)
	}
	s.ib.runner = runner
	if o.CycleIdentity == "" {
		return nil
	}
	if id, ok := s.ids[o.CycleIdentity]; !ok || id.Role != api.RoleIssuer {
		return fmt.Errorf("server: Options.Interbank.CycleIdentity %q: cycles run as the province's issuer; that client's identity has role %q",
			o.CycleIdentity, id.Role)
	}
	s.startCycleTimer(o.CycleIdentity, o.CycleInterval)
	return nil
}

// startCycleTimer runs the cycle timer as identity until BeginShutdown.
func (s *Server) startCycleTimer(identity string, interval time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.closing
		cancel()
	}()
	ns := s.namespaceOf(identity)
	s.log.Info("interbank: cycle timer started", "identity", identity, "interval", interval.String())
	go s.ib.runner.Run(ctx, identity, ns, interval)
}

// interbankHandlers maps the interbank routes to their handlers.
func (s *Server) interbankHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		rest.SendInterbankTransfer.Name:         s.sendInterbank,
		rest.GetInterbankTransfer.Name:          s.getInterbankTransfer,
		rest.CancelInterbankTransfer.Name:       func(w http.ResponseWriter, r *http.Request) { s.transferAction(w, r, api.CancelTransfer) },
		rest.HoldInterbankTransfer.Name:         func(w http.ResponseWriter, r *http.Request) { s.transferAction(w, r, api.HoldTransfer) },
		rest.ReleaseInterbankTransfer.Name:      func(w http.ResponseWriter, r *http.Request) { s.transferAction(w, r, api.ReleaseTransfer) },
		rest.ReprioritiseInterbankTransfer.Name: s.reprioritise,
		rest.GetInterbankRemittance.Name:        s.getRemittance,
		rest.ListInterbankQueue.Name:            s.interbankQueue,
		rest.RunInterbankCycle.Name:             s.runCycle,
		rest.GetInterbankPosition.Name:          s.interbankPosition,
		rest.GetInterbankStatement.Name:         s.interbankStatement,
		rest.ListInterbankDay.Name:              s.interbankDay,
		rest.ReconcileInterbankDay.Name:         s.reconcileDay,
		rest.CloseInterbankDay.Name:             s.closeDay,
		rest.GetInterbankCalendar.Name:          s.interbankCalendar,
	}
}

// identityOf is the client's ledger identity as configured (zero when
// unknown).
func (s *Server) identityOf(client string) Identity { return s.ids[client] }

// mspOf is the MSP the client signs as: its certificate's, else the
// gateway's.
func (s *Server) mspOf(client string) string {
	if id := s.identityOf(client); id.MSPID != "" {
		return id.MSPID
	}
	return s.network.MSPID
}

// namespaceOf is the namespace of IDs the client's identity may create for
// itself: its MSP ID (cycle IDs read "MSP:cycle-…").
func (s *Server) namespaceOf(client string) string { return s.mspOf(client) }

// sendInterbank sends a transfer: POST /v1/interbank/transfers. Remittance
// details are first written to the two provinces' collection by a
// transaction endorsed by the caller's province alone; the transfer then
// names the record's hash. Inputs come from the selector when the payer's
// unearmarked balance covers the amount (the chaincode still queues it
// when something of equal or higher priority waits); otherwise the
// transfer is sent without inputs and queues.
func (s *Server) sendInterbank(w http.ResponseWriter, r *http.Request) {
	var req rest.InterbankTransferRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.SendRequest{ID: req.ID, From: req.From, To: req.To, Amount: req.Amount, Priority: req.Priority, ValueDate: req.ValueDate}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Remittance) > api.MaxRemittanceBytes {
		s.fail(w, r, badRequest("remittance must be at most %d bytes", api.MaxRemittanceBytes))
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		if err := s.checkTransferRepeat(ctx, id, req); err != nil {
			return nil, err
		}
		send := creq
		if req.Remittance != "" {
			rc, err := s.putRemittance(ctx, id, req)
			if err != nil {
				return nil, err
			}
			send.RemittanceHash = rc.Hash
		}
		t, c, err := s.sendTransfer(ctx, id, send)
		if err != nil {
			if ledger.CodeOf(err) == ledger.CodeDuplicatePayment {
				if rerr := s.checkTransferRepeat(ctx, id, req); rerr != nil {
					return nil, rerr
				}
			}
			return nil, err
		}
		if t.Status == api.TransferSettled {
			s.selector.Invalidate(t.To)
		}
		return committed(c, toInterbankTransfer(t)), nil
	})
}

// putRemittance submits interbank:PutRemittance with the details and a
// fresh 32-byte salt as transient data, endorsed by the caller's province
// only, so that the details reach no third province's peer.
func (s *Server) putRemittance(ctx context.Context, id string, req rest.InterbankTransferRequest) (api.RemittanceReceipt, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return api.RemittanceReceipt{}, fmt.Errorf("remittance salt: %w", err)
	}
	transient := map[string][]byte{api.TransientRemittance: []byte(req.Remittance), api.TransientRemittanceSalt: salt}
	rc, _, err := ledger.Invoke(ctx, s.ledger, id, api.PutRemittance, api.RemittanceRequest{ID: req.ID, To: req.To}, transient,
		ledger.SubmitOptions{EndorsingOrgs: []string{s.mspOf(id)}})
	return rc, err
}

// sendTransfer submits interbank:Send with selected inputs when the payer
// has them free, else without (the transfer queues). The lease is released
// on every path, as spent only when the transfer settled; a selected input
// found spent meanwhile makes it select once more.
func (s *Server) sendTransfer(ctx context.Context, id string, req api.SendRequest) (api.InterbankTransfer, *ledger.Committed, error) {
	for attempt := 0; ; attempt++ {
		lease, err := s.selector.Select(ctx, id, req.From, req.Amount)
		switch {
		case err == nil:
		case errors.Is(err, selection.ErrInsufficientFunds), errors.Is(err, selection.ErrFundsLocked), errors.Is(err, selection.ErrTooFragmented):
			lease = nil // not coverable now: the transfer queues
		default:
			return api.InterbankTransfer{}, nil, err
		}
		in := req
		if lease != nil {
			in.Inputs = lease.IDs()
		}
		t, c, err := s.send(ctx, id, in)
		lease.Release(err == nil && t.Status == api.TransferSettled)
		if err != nil && lease != nil && attempt == 0 && ledger.CodeOf(err) == ledger.CodeInputSpent {
			s.log.WarnContext(ctx, "selected input already spent, selecting again", "account", req.From)
			continue
		}
		return t, c, err
	}
}

// checkTransferRepeat looks the transfer ID up: nil when unused, else 409
// DUPLICATE_PAYMENT (same body) or 422 PAYMENT_ID_REUSED (different body),
// with the stored transfer. From, to, amount, the value date when given,
// and the remittance details are compared; the priority is not (the bank
// may have changed it since).
func (s *Server) checkTransferRepeat(ctx context.Context, id string, req rest.InterbankTransferRequest) error {
	t, err := ledger.Query(ctx, s.ledger, id, api.GetTransfer, api.TransferAction{ID: req.ID})
	if err != nil {
		if ledger.CodeOf(err) == ledger.CodeNotFound {
			return nil
		}
		return err
	}
	same, err := s.sameTransfer(ctx, id, t, req)
	if err != nil {
		return err
	}
	details := map[string]any{rest.DetailTransfer: toInterbankTransfer(t)}
	if same {
		return &rest.Error{Status: http.StatusConflict, Code: rest.CodeDuplicatePayment,
			Message: "transfer " + req.ID + " already exists with this body", Details: details}
	}
	return &rest.Error{Status: http.StatusUnprocessableEntity, Code: rest.CodePaymentIDReused,
		Message: "transfer ID " + req.ID + " was used for a different transfer", Details: details}
}

func (s *Server) sameTransfer(ctx context.Context, id string, t api.InterbankTransfer, req rest.InterbankTransferRequest) (bool, error) {
	if t.From != req.From || t.To != req.To || t.Amount != req.Amount || (req.ValueDate != "" && req.ValueDate != t.ValueDate) {
		return false, nil
	}
	if (req.Remittance != "") != (t.RemittanceHash != "") {
		return false, nil
	}
	if req.Remittance == "" {
		return true, nil
	}
	rem, err := ledger.Query(ctx, s.ledger, id, api.GetRemittance, api.TransferAction{ID: t.ID})
	if err != nil {
		if ledger.CodeOf(err) == ledger.CodeNotFound {
			return false, nil
		}
		return false, err
	}
	return rem.Details == req.Remittance, nil
}

func (s *Server) getInterbankTransfer(w http.ResponseWriter, r *http.Request) {
	t, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetTransfer, api.TransferAction{ID: r.PathValue("id")})
	s.answer(w, r, toInterbankTransfer(t), err)
}

// transferAction cancels, holds or releases a waiting transfer.
func (s *Server) transferAction(w http.ResponseWriter, r *http.Request, op api.Operation[api.TransferAction, api.InterbankTransfer]) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.TransferAction{ID: r.PathValue("id")}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		t, c, err := ledger.Invoke(ctx, s.ledger, id, op, creq, nil, noOpts)
		return committed(c, toInterbankTransfer(t)), err
	})
}

func (s *Server) reprioritise(w http.ResponseWriter, r *http.Request) {
	var req rest.PriorityRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	creq := api.ReprioritiseRequest{ID: r.PathValue("id"), Priority: req.Priority}
	if err := validate(&creq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	s.write(w, r, func(ctx context.Context) (any, error) {
		t, c, err := ledger.Invoke(ctx, s.ledger, id, api.Reprioritise, creq, nil, noOpts)
		return committed(c, toInterbankTransfer(t)), err
	})
}

func (s *Server) getRemittance(w http.ResponseWriter, r *http.Request) {
	rem, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetRemittance, api.TransferAction{ID: r.PathValue("id")})
	s.answer(w, r, rest.Remittance{ID: rem.ID, Details: rem.Details, Salt: rem.Salt}, err)
}

// interbankQueue pages through one payer account's waiting transfers, or
// every bank's (issuers and auditors). Page tokens are bound to the
// account asked for.
func (s *Server) interbankQueue(w http.ResponseWriter, r *http.Request) {
	account := r.URL.Query().Get("account")
	scope := pageScope(r) + "|" + account
	size, bookmark, err := s.pageParamsIn(r, scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req := api.QueueRequest{Account: account, PageSize: size, Bookmark: bookmark}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.ListQueue, req)
	s.answer(w, r, toInterbankTransferPage(p, s.pages.seal(scope, p.Bookmark)), err)
}

// pageParamsIn is pageParams with the page token bound to scope (the
// route's scope and the query parameters that select the list).
func (s *Server) pageParamsIn(r *http.Request, scope string) (int, string, error) {
	n := api.DefaultPageSize
	if ps := r.URL.Query().Get("pageSize"); ps != "" {
		v, err := strconv.Atoi(ps)
		if err != nil || v < 1 || v > api.MaxPageSize {
			return 0, "", badRequest("pageSize must be an integer from 1 to %d", api.MaxPageSize)
		}
		n = v
	}
	bm, err := s.pages.open(scope, r.URL.Query().Get("bookmark"))
	if err != nil {
		return 0, "", err
	}
	return n, bm, nil
}

// issuerOnly refuses clients whose identity is not the province's issuer:
// cycles and closes are the central-bank branch's.
func (s *Server) issuerOnly(client string) error {
	if s.identityOf(client).Role != api.RoleIssuer {
		return newError(rest.CodeForbidden, "interbank cycles and day closes are run by the province's issuer")
	}
	return nil
}

// runCycle runs one cycle now as the caller (the province's issuer):
// POST /v1/interbank/cycles. It waits for a cycle in progress first.
func (s *Server) runCycle(w http.ResponseWriter, r *http.Request) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	if err := s.issuerOnly(id); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.ib.runner.Cycle(context.WithoutCancel(r.Context()), id, s.namespaceOf(id))
	s.answer(w, r, toCycleRun(res), err)
}

// closeDay closes a business day as the caller (the province's issuer):
// POST /v1/interbank/days/{date}/close.
func (s *Server) closeDay(w http.ResponseWriter, r *http.Request) {
	if err := s.noBody(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	date := r.PathValue("date")
	if err := validate(&api.DayRequest{Date: date}); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	if err := s.issuerOnly(id); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.ib.runner.CloseDay(context.WithoutCancel(r.Context()), id, s.namespaceOf(id), date)
	if res.FinalErr != nil {
		s.log.WarnContext(r.Context(), "interbank: final cycle failed", "date", date, "err", res.FinalErr)
	}
	if err != nil {
		s.fail(w, r, dayError(err))
		return
	}
	writeJSON(w, http.StatusOK, toDayClose(res))
}

// dayError turns the runner's day limit into its code.
func dayError(err error) error {
	if errors.Is(err, cycles.ErrDayTooLarge) {
		return newError(rest.CodeDayTooLarge, "%v", err)
	}
	return err
}

// dateParam reads an optional business date query parameter ("": none).
func dateParam(r *http.Request) (string, error) {
	d := r.URL.Query().Get("date")
	if d == "" {
		return "", nil
	}
	if _, err := time.ParseInLocation("2006-01-02", d, api.BusinessZone); err != nil {
		return "", badRequest("date must be a business date like 2026-01-05")
	}
	return d, nil
}

func (s *Server) interbankPosition(w http.ResponseWriter, r *http.Request) {
	date, err := dateParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req := api.PositionRequest{Account: r.PathValue("account"), Date: date}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.Position, req)
	s.answer(w, r, toBankPosition(p), err)
}

// interbankStatement is a settlement account's position on a business date
// (default: today by the gateway's clock) and one page of its statement
// entries of that date, 00:00 to 24:00 Asia/Shanghai.
func (s *Server) interbankStatement(w http.ResponseWriter, r *http.Request) {
	date, err := dateParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if date == "" {
		date = api.BusinessDate(s.ib.now())
	}
	scope := pageScope(r) + "|" + date
	size, bookmark, err := s.pageParamsIn(r, scope)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	start, _ := time.ParseInLocation("2006-01-02", date, api.BusinessZone)
	account := r.PathValue("account")
	preq := api.PositionRequest{Account: account, Date: date}
	sreq := api.StatementRequest{Account: account, From: start.UTC(), To: start.AddDate(0, 0, 1).UTC(), PageSize: size, Bookmark: bookmark}
	if err := validate(&preq); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := validate(&sreq); err != nil {
		s.fail(w, r, err)
		return
	}
	id := clientName(r.Context())
	p, err := ledger.Query(r.Context(), s.ledger, id, api.Position, preq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := ledger.Query(r.Context(), s.ledger, id, api.Statement, sreq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := toStatementPage(st, s.pages.seal(scope, st.Bookmark))
	writeJSON(w, http.StatusOK, rest.InterbankStatement{Position: toBankPosition(p), Entries: page.Entries, Bookmark: page.Bookmark})
}

func (s *Server) interbankDay(w http.ResponseWriter, r *http.Request) {
	size, bookmark, err := s.pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req := api.DayRequest{Date: r.PathValue("date"), PageSize: size, Bookmark: bookmark}
	if err := validate(&req); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.DayTransfers, req)
	s.answer(w, r, toInterbankTransferPage(p, s.pages.seal(pageScope(r), p.Bookmark)), err)
}

// reconcileDay aggregates every page of a value date's transfers the
// caller may see (interbank.Reconciler): at most MaxDayTransfers (422
// DAY_TOO_LARGE beyond), at most maxHeavyDays at a time (429 beyond).
func (s *Server) reconcileDay(w http.ResponseWriter, r *http.Request) {
	date := r.PathValue("date")
	if err := validate(&api.DayRequest{Date: date}); err != nil {
		s.fail(w, r, err)
		return
	}
	select {
	case s.ib.heavy <- struct{}{}:
		defer func() { <-s.ib.heavy }()
	default:
		s.fail(w, r, newError(rest.CodeTooManyRequests, "the gateway is reconciling other days; retry later"))
		return
	}
	rec := interbank.NewReconciler(date, s.ib.maxDay)
	var recErr error
	err := cycles.DayPages(r.Context(), s.ledger, clientName(r.Context()), date, s.ib.maxDay, func(t api.InterbankTransfer) error {
		if err := rec.Add(t); err != nil {
			recErr = err
			return err
		}
		return nil
	})
	if recErr != nil {
		s.log.ErrorContext(r.Context(), "interbank: reconciliation refused the ledger's day index", "date", date, "err", recErr)
		s.fail(w, r, newError(rest.CodeInternal, "the day's transfers do not reconcile: %v", recErr))
		return
	}
	if err != nil {
		s.fail(w, r, dayError(err))
		return
	}
	rep, err := rec.Report()
	if err != nil {
		s.fail(w, r, newError(rest.CodeInternal, "reconciliation: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, toReconciliation(rep))
}

func (s *Server) interbankCalendar(w http.ResponseWriter, r *http.Request) {
	c, err := ledger.Query(r.Context(), s.ledger, clientName(r.Context()), api.GetCalendar, api.Empty{})
	s.answer(w, r, toCalendar(c), err)
}
