package server

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/gateway/jobs"
	"github.com/yangtze-delta/settlement/gateway/ledger"
	"github.com/yangtze-delta/settlement/internal/strictjson"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// putDisbursement starts a disbursement job (PUT
// /v1/programmes/{id}/disbursements/{job}): 202 with the new job, 200 with
// the existing job when the same job (ID, programme, lines, client) is
// sent again (a failed job is resumed), 422 JOB_ID_REUSED for another job
// under the ID. The body is JSON (rest.DisbursementRequest) or text/csv.
// Before a new job is accepted the programme is read as the caller: it
// must be active, and the caller and the job ID the owner bureau's.
func (s *Server) putDisbursement(w http.ResponseWriter, r *http.Request) {
	if s.jobs == nil {
		s.fail(w, r, newError(rest.CodeNotReady, "this gateway runs no disbursement jobs"))
		return
	}
	prog, job := r.PathValue("id"), r.PathValue("job")
	if err := api.ValidateNamespaced("programme", prog, api.MaxIDLen); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := api.ValidateNamespaced("job", job, api.MaxPaymentIDLen); err != nil {
		s.fail(w, r, err)
		return
	}
	lines, err := s.readJobLines(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	client := clientName(r.Context())
	spec := jobs.Spec{ID: job, Programme: prog, Owner: client, Lines: lines}
	if _, err := s.jobs.Get(job, client); errors.Is(err, jobs.ErrNotFound) {
		if err := s.checkDisbursable(r, client, prog, job); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	j, created, err := s.jobs.Submit(spec)
	switch {
	case errors.Is(err, jobs.ErrMismatch):
		e := newError(rest.CodeJobIDReused, "job %s exists with other lines, another programme or another client", job)
		if j.Owner == client {
			e.Details = map[string]any{rest.DetailJob: toJob(j)}
		}
		s.fail(w, r, e)
		return
	case errors.Is(err, jobs.ErrBusy):
		s.fail(w, r, newError(rest.CodeTooManyRequests, "%v", err))
		return
	case errors.Is(err, jobs.ErrInvalid):
		s.fail(w, r, badRequest("%v", err))
		return
	case errors.Is(err, jobs.ErrClosed):
		s.fail(w, r, newError(rest.CodeShuttingDown, "the gateway is not accepting jobs"))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	url := rest.GetDisbursement.PathFor(prog, job)
	w.Header().Set("Location", url)
	status := http.StatusOK
	if created {
		status = http.StatusAccepted
	}
	writeJSON(w, status, toJob(j))
}

// checkDisbursable refuses, before a job is stored, what the chaincode
// would refuse for every batch: a programme the caller cannot see or that
// is not active, a caller or job ID outside the owner bureau.
func (s *Server) checkDisbursable(r *http.Request, client, prog, job string) error {
	v, err := ledger.Query(r.Context(), s.ledger, client, api.GetProgramme, api.ProgrammeID{ID: prog})
	if err != nil {
		return err
	}
	p := v.Programme
	if p.Status != api.ProgrammeActive {
		return newError(string(api.CodeProposalClosed), "programme %s is not active (%s)", prog, p.Status)
	}
	if who, ok := s.ids[client]; ok && (who.MSPID != p.OwnerMSP || who.Bank != p.OwnerBureau || who.Role != api.RoleFiscal) {
		return newError(rest.CodeForbidden, "disbursements of %s are the owner bureau %s's", prog, p.OwnerBureau)
	}
	if api.NamespaceOf(job) != p.OwnerBureau {
		return newError(rest.CodeForbidden, "job %s is not in bureau %s's namespace", job, p.OwnerBureau)
	}
	return nil
}

// readJobLines reads a job's body: JSON or CSV (415 otherwise), at most
// maxJobBody bytes (413), at most rest.MaxJobLines lines, each with a
// recipient and a positive amount (400 naming the line).
func (s *Server) readJobLines(w http.ResponseWriter, r *http.Request) ([]jobs.Line, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && mt != "text/csv") {
		return nil, newError(rest.CodeUnsupportedMedia, "send the lines as Content-Type: application/json or text/csv (got %q)", ct)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxJobBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newError(rest.CodeBodyTooLarge, "request body exceeds %d bytes", s.maxJobBody)
		}
		return nil, badRequest("reading the body: %v", err)
	}
	if len(b) == 0 {
		return nil, badRequest("request body is empty")
	}
	var lines []jobs.Line
	if mt == "text/csv" {
		lines, err = csvLines(b)
	} else {
		lines, err = jsonLines(b)
	}
	if err != nil {
		return nil, err
	}
	seen := make(map[int]bool, len(lines))
	for _, l := range lines {
		if l.No < 1 || l.No > jobs.MaxLineNo || seen[l.No] {
			return nil, lineError(l.No, rest.CodeInvalidRequest, "line numbers are 1 to %d and appear once", jobs.MaxLineNo)
		}
		seen[l.No] = true
		if err := api.ValidateNamespaced("recipient", l.Recipient, api.MaxIDLen); err != nil {
			return nil, lineError(l.No, string(api.CodeOf(err)), "%s", api.MessageOf(err))
		}
		if l.Amount <= 0 {
			return nil, lineError(l.No, rest.CodeInvalidAmount, "the amount must be positive")
		}
	}
	return lines, nil
}

func lineError(no int, code, format string, args ...any) *rest.Error {
	e := newError(code, "line %d: "+format, append([]any{no}, args...)...)
	e.Details = map[string]any{rest.DetailLine: no}
	return e
}

func tooManyLines() *rest.Error {
	return newError(rest.CodeBatchTooLarge, "a disbursement job has at most %d lines", rest.MaxJobLines)
}

// jsonLines decodes rest.DisbursementRequest strictly. Lines carry their
// numbers, all of them, or none (then they are numbered 1, 2, …).
func jsonLines(b []byte) ([]jobs.Line, error) {
	var req rest.DisbursementRequest
	if err := strictjson.Unmarshal(b, &req); err != nil {
		return nil, badRequest("invalid JSON body: %v", err)
	}
	if len(req.Lines) == 0 {
		return nil, badRequest("lines is empty")
	}
	if len(req.Lines) > rest.MaxJobLines {
		return nil, tooManyLines()
	}
	numbered := req.Lines[0].Line != 0
	out := make([]jobs.Line, len(req.Lines))
	for i, l := range req.Lines {
		if (l.Line != 0) != numbered {
			return nil, badRequest("lines[%d]: either every line gives its number or none does", i)
		}
		no := l.Line
		if !numbered {
			no = i + 1
		}
		out[i] = jobs.Line{No: no, Recipient: l.Recipient, Amount: l.Amount}
	}
	return out, nil
}

// csvLines reads "recipient,amount" rows (amounts in yuan, an optional
// header row "recipient,amount", a UTF-8 byte order mark tolerated); a
// line's number is its row number in the file.
func csvLines(b []byte) ([]jobs.Line, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	var out []jobs.Line
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, lineError(pe.StartLine, rest.CodeInvalidRequest, "invalid CSV: %v", pe.Err)
			}
			return nil, badRequest("invalid CSV: %v", err)
		}
		row, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return nil, lineError(row, rest.CodeInvalidRequest, "want 2 fields (recipient,amount), got %d", len(rec))
		}
		recipient, amount := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if first && strings.EqualFold(recipient, "recipient") && strings.EqualFold(amount, "amount") {
			continue
		}
		a, err := money.ParseYuan(amount)
		if err != nil {
			return nil, lineError(row, rest.CodeInvalidAmount, "amount %q: %v", truncate(amount, 32), err)
		}
		if len(out) == rest.MaxJobLines {
			return nil, tooManyLines()
		}
		out = append(out, jobs.Line{No: row, Recipient: recipient, Amount: a})
	}
	if len(out) == 0 {
		return nil, badRequest("the CSV body holds no lines")
	}
	return out, nil
}

// getDisbursement reports a job's progress; only its creator sees it.
func (s *Server) getDisbursement(w http.ResponseWriter, r *http.Request) {
	j, err := s.job(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toJob(j))
}

// job finds the path's job of the caller and programme.
func (s *Server) job(r *http.Request) (jobs.Job, error) {
	if s.jobs == nil {
		return jobs.Job{}, newError(rest.CodeNotReady, "this gateway runs no disbursement jobs")
	}
	j, err := s.jobs.Get(r.PathValue("job"), clientName(r.Context()))
	if errors.Is(err, jobs.ErrNotFound) || err == nil && j.Programme != r.PathValue("id") {
		return jobs.Job{}, newError(rest.CodeJobNotFound, "no job %s of programme %s", r.PathValue("job"), r.PathValue("id"))
	}
	return j, err
}

var lineStatuses = map[string]jobs.LineStatus{"": "", rest.LinePending: jobs.LinePending, rest.LinePaid: jobs.LinePaid,
	rest.LineAlreadyPaid: jobs.LineAlreadyPaid, rest.LineRejected: jobs.LineRejected}

// listJobLines pages through a job's lines in line order (?status= keeps
// one outcome). The page token carries the last line number.
func (s *Server) listJobLines(w http.ResponseWriter, r *http.Request) {
	status, ok := lineStatuses[r.URL.Query().Get("status")]
	if !ok {
		s.fail(w, r, badRequest("status must be pending, paid, already_paid or rejected"))
		return
	}
	size, bookmark, err := s.pageParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after := 0
	if bookmark != "" {
		if after, err = strconv.Atoi(bookmark); err != nil || after < 0 {
			s.fail(w, r, badRequest("bookmark is not a page token of this list"))
			return
		}
	}
	j, err := s.job(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lines, more, err := s.jobs.Lines(j.ID, j.Owner, status, after, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := rest.JobLinePage{Lines: make([]rest.JobLine, len(lines))}
	for i, l := range lines {
		page.Lines[i] = toJobLine(l)
	}
	if more && len(lines) > 0 {
		page.Bookmark = s.pages.seal(pageScope(r), strconv.Itoa(lines[len(lines)-1].No))
	}
	writeJSON(w, http.StatusOK, page)
}
