package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/internal/strictjson"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// The programme commands (directional appropriation).
func init() {
	for _, g := range []string{"programme", "programme tranche", "programme clawback"} {
		groups[g] = true
	}
	for name, cmd := range programmeCommands {
		commands[name] = cmd
	}
}

// maxFileBytes bounds a file yrdctl reads (a programme definition, a
// disbursement job: 100,000 lines of JSON fit).
const maxFileBytes = 32 << 20

func readFile(flagName, path string) ([]byte, error) {
	if path == "" {
		return nil, usagef("--%s is required", flagName)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flagName, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flagName, err)
	}
	if len(b) > maxFileBytes {
		return nil, usagef("--%s: %s is larger than %d bytes", flagName, path, maxFileBytes)
	}
	return b, nil
}

func trancheFlag(no int) error {
	if no < 1 {
		return usagef("--no (the tranche number, 1 or more) is required")
	}
	return nil
}

var programmeCommands = map[string]command{
	"programme define": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		file := fs.String("file", "", "the programme as JSON (POST /v1/programmes body)")
		return func(ctx context.Context, r *runner, _ []string) error {
			b, err := readFile("file", *file)
			if err != nil {
				return err
			}
			var req rest.ProgrammeRequest
			if err := strictjson.Unmarshal(b, &req); err != nil {
				return usagef("--file: %v", err)
			}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Programme], error) {
					return r.client.DefineProgramme(ctx, req)
				},
				func(ctx context.Context) (rest.Accepted, error) { return r.client.DefineProgrammeAsync(ctx, req) })
		}
	}},
	"programme show": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Programme, error) { return r.client.GetProgramme(ctx, pos[0]) }, printObject)
		}
	}},
	"programme approve": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Programme], error) {
					return r.client.ApproveProgramme(ctx, pos[0])
				},
				func(ctx context.Context) (rest.Accepted, error) { return r.client.ApproveProgrammeAsync(ctx, pos[0]) })
		}
	}},
	"programme tranche propose": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		no := fs.Int("no", 0, "tranche number, 1 to 999")
		yuan := fs.String("amount", "", "yuan")
		date := fs.String("date", "", "the business date the tranche is for, YYYY-MM-DD")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := trancheFlag(*no); err != nil {
				return err
			}
			if err := required("amount", *yuan, "date", *date); err != nil {
				return err
			}
			a, err := amount("amount", *yuan)
			if err != nil {
				return err
			}
			req := rest.TrancheRequest{No: *no, Amount: a, Date: *date}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Tranche], error) {
					return r.client.ProposeTranche(ctx, pos[0], req)
				},
				func(ctx context.Context) (rest.Accepted, error) {
					return r.client.ProposeTrancheAsync(ctx, pos[0], req)
				})
		}
	}},
	"programme tranche show": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		no := fs.Int("no", 0, "tranche number")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := trancheFlag(*no); err != nil {
				return err
			}
			return show(ctx, r, func(ctx context.Context) (rest.Tranche, error) { return r.client.GetTranche(ctx, pos[0], *no) }, printObject)
		}
	}},
	"programme tranche approve": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		no := fs.Int("no", 0, "tranche number")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := trancheFlag(*no); err != nil {
				return err
			}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Tranche], error) {
					return r.client.ApproveTranche(ctx, pos[0], *no)
				},
				func(ctx context.Context) (rest.Accepted, error) {
					return r.client.ApproveTrancheAsync(ctx, pos[0], *no)
				})
		}
	}},
	"programme tranche fund": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		no := fs.Int("no", 0, "tranche number")
		inputs := fs.String("inputs", "", "the bureau's plain outputs to pay with, comma-separated (default: the gateway selects)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := trancheFlag(*no); err != nil {
				return err
			}
			req := rest.FundRequest{Inputs: list(*inputs)}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Tranche], error) {
					return r.client.FundTranche(ctx, pos[0], *no, req)
				},
				func(ctx context.Context) (rest.Accepted, error) {
					return r.client.FundTrancheAsync(ctx, pos[0], *no, req)
				})
		}
	}},
	"programme disburse": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		job := fs.String("job", "", "job ID, BUREAU:local (sending the same job again is safe)")
		file := fs.String("file", "", "the lines: CSV rows recipient,amount (optional header), or JSON when the name ends in .json")
		wait := fs.Bool("wait", false, "wait until the job is done or failed")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("job", *job); err != nil {
				return err
			}
			b, err := readFile("file", *file)
			if err != nil {
				return err
			}
			var j rest.DisbursementJob
			if strings.HasSuffix(strings.ToLower(*file), ".json") {
				var req rest.DisbursementRequest
				if err := strictjson.Unmarshal(b, &req); err != nil {
					return usagef("--file: %v", err)
				}
				j, err = r.client.Disburse(ctx, pos[0], *job, req)
			} else {
				j, err = r.client.DisburseCSV(ctx, pos[0], *job, b)
			}
			if err != nil {
				return err
			}
			if *wait {
				if j, err = r.client.WaitJob(ctx, pos[0], *job, nil); err != nil {
					return err
				}
			}
			return jobResult(r, j)
		}
	}},
	"programme job": {args: []string{"ID", "JOB"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		wait := fs.Bool("wait", false, "wait until the job is done or failed")
		lines := fs.String("lines", "", "list the job's lines: pending, paid, already_paid, rejected or all")
		size := fs.Int("page-size", 0, "lines per page (1-1000)")
		bookmark := fs.String("bookmark", "", "page to continue from")
		return func(ctx context.Context, r *runner, pos []string) error {
			if *lines != "" {
				status := *lines
				if status == "all" {
					status = ""
				}
				q := client.JobLinesQuery{Status: status, Page: client.Page{Size: *size, Bookmark: *bookmark}}
				return show(ctx, r, func(ctx context.Context) (rest.JobLinePage, error) { return r.client.JobLines(ctx, pos[0], pos[1], q) }, printJobLines)
			}
			j, err := r.client.Job(ctx, pos[0], pos[1])
			if err == nil && *wait {
				j, err = r.client.WaitJob(ctx, pos[0], pos[1], nil)
			}
			if err != nil {
				return err
			}
			return jobResult(r, j)
		}
	}},
	"programme spend": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		id := fs.String("id", "", "payment ID (idempotency key)")
		from := fs.String("from", "", "payer account (holding the earmarked funds)")
		to := fs.String("to", "", "payee account")
		yuan := fs.String("amount", "", "yuan")
		purpose := fs.String("purpose", "", "purpose code")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("id", *id, "from", *from, "to", *to, "amount", *yuan); err != nil {
				return err
			}
			a, err := amount("amount", *yuan)
			if err != nil {
				return err
			}
			req := rest.SpendRequest{PaymentID: *id, From: *from, To: *to, Amount: a, Purpose: *purpose}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Payment], error) {
					return r.client.Spend(ctx, pos[0], req)
				},
				func(ctx context.Context) (rest.Accepted, error) { return r.client.SpendAsync(ctx, pos[0], req) })
		}
	}},
	"programme utilisation": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		by := fs.String("by", "", "total (default), tranche, province or recipient")
		size := fs.Int("page-size", 0, "rows per page (1-1000)")
		bookmark := fs.String("bookmark", "", "page to continue from")
		return func(ctx context.Context, r *runner, pos []string) error {
			q := client.UtilisationQuery{By: *by, Page: client.Page{Size: *size, Bookmark: *bookmark}}
			return show(ctx, r, func(ctx context.Context) (rest.Utilisation, error) { return r.client.Utilisation(ctx, pos[0], q) }, printUtilisation)
		}
	}},
	"programme lineage": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		account := fs.String("account", "", "the account holding the output")
		output := fs.String("output", "", "the output ID")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("account", *account, "output", *output); err != nil {
				return err
			}
			return show(ctx, r, func(ctx context.Context) (rest.Lineage, error) {
				return r.client.Lineage(ctx, pos[0], *account, *output)
			}, printLineage)
		}
	}},
	"programme holdings": {args: []string{"ID", "ACCOUNT"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		size := fs.Int("page-size", 0, "outputs per page (1-1000)")
		bookmark := fs.String("bookmark", "", "page to continue from")
		return func(ctx context.Context, r *runner, pos []string) error {
			p := client.Page{Size: *size, Bookmark: *bookmark}
			return show(ctx, r, func(ctx context.Context) (rest.OutputPage, error) { return r.client.Holdings(ctx, pos[0], pos[1], p) }, printOutputs)
		}
	}},
	"programme clawback propose": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		id := fs.String("id", "", "clawback ID, BUREAU:local")
		account := fs.String("account", "", "the holder's account")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("id", *id, "account", *account); err != nil {
				return err
			}
			req := rest.ClawbackRequest{ID: *id, Account: *account}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Clawback], error) {
					return r.client.ProposeClawback(ctx, pos[0], req)
				},
				func(ctx context.Context) (rest.Accepted, error) {
					return r.client.ProposeClawbackAsync(ctx, pos[0], req)
				})
		}
	}},
	"programme clawback show": {args: []string{"ID", "CLAWBACK"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Clawback, error) { return r.client.GetClawback(ctx, pos[0], pos[1]) }, printObject)
		}
	}},
	"programme clawback approve": {args: []string{"ID", "CLAWBACK"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Clawback], error) {
					return r.client.ApproveClawback(ctx, pos[0], pos[1])
				},
				func(ctx context.Context) (rest.Accepted, error) {
					return r.client.ApproveClawbackAsync(ctx, pos[0], pos[1])
				})
		}
	}},
	"programme clawback execute": {args: []string{"ID", "CLAWBACK"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		account := fs.String("account", "", "the clawback's holder, checked against the clawback (optional: the gateway reads it)")
		return func(ctx context.Context, r *runner, pos []string) error {
			req := rest.ClawbackExecuteRequest{Account: *account}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.ReturnReport], error) {
					return r.client.ExecuteClawback(ctx, pos[0], pos[1], req)
				},
				func(ctx context.Context) (rest.Accepted, error) {
					return r.client.ExecuteClawbackAsync(ctx, pos[0], pos[1], req)
				})
		}
	}},
	"programme sweep": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		accounts := fs.String("accounts", "", "accounts to sweep, comma-separated (default: the escrow and every recipient)")
		return func(ctx context.Context, r *runner, pos []string) error {
			req := rest.SweepRequest{Accounts: list(*accounts)}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.ReturnReport], error) {
					return r.client.Sweep(ctx, pos[0], req)
				},
				func(ctx context.Context) (rest.Accepted, error) { return r.client.SweepAsync(ctx, pos[0], req) })
		}
	}},
}

// jobResult prints a job; a failed job's error decides the exit status.
func jobResult(r *runner, j rest.DisbursementJob) error {
	if err := emit(r, j, printJob); err != nil {
		return err
	}
	if j.Status == rest.JobFailed && j.Error != nil {
		return &client.Error{Code: j.Error.Code, Message: j.Error.Message}
	}
	return nil
}

// printJob writes a job's progress line, then its fields.
func printJob(w io.Writer, j rest.DisbursementJob) error {
	done := j.Lines - j.Pending
	pct := 0.0
	if j.Lines > 0 {
		pct = 100 * float64(done) / float64(j.Lines)
	}
	if _, err := fmt.Fprintf(w, "progress  %d/%d lines (%.1f%%): %d paid, %d already paid, %d rejected\n",
		done, j.Lines, pct, j.Paid, j.AlreadyPaid, j.Rejected); err != nil {
		return err
	}
	return printObject(w, j)
}

// printJobLines writes a page of a job's lines as a table.
func printJobLines(w io.Writer, p rest.JobLinePage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tRECIPIENT\tAMOUNT\tSTATUS\tOUTPUT\tCODE\tMESSAGE")
	for _, l := range p.Lines {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Line, l.Recipient, l.Amount, l.Status, dash(l.Output), dash(l.Code), dash(l.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Lines) == 0 {
		fmt.Fprintln(w, "(no lines)")
	}
	return printMore(w, p.Bookmark)
}

func balance(a *money.Amount) string {
	if a == nil {
		return "-"
	}
	return a.String()
}

// printUtilisation writes the total, the identity check and the rows. IN
// and OUT are earmarked funds received from and paid to other holders
// keeping the earmark (passed on); rows by province or recipient are the
// holders' own and carry no escrow.
func printUtilisation(w io.Writer, u rest.Utilisation) error {
	escrow := "not checked (the escrow's outputs are the owner bureau's)"
	if u.EscrowChecked {
		escrow = "outputs " + u.EscrowOutputs.String()
	}
	fmt.Fprintf(w, "programme %s  budget %s  flows %d  balanced %v  escrow %s\n", u.Programme, u.Budget, u.Flows, u.Balanced, escrow)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(u.By)+"\tFUNDED\tDISBURSED\tIN\tOUT\tRELEASED\tRETURNED\tCLAWED BACK\tESCROW\tHELD")
	row := func(x rest.Usage, key string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", key, x.Funded, x.Disbursed, x.TransferredIn, x.TransferredOut,
			x.Released, x.Returned, x.ClawedBack, balance(x.Escrow), balance(x.Held))
	}
	if u.By != rest.ByTotal {
		for _, x := range u.Rows {
			row(x, dash(x.Key))
		}
	}
	row(u.Total, "TOTAL")
	if err := tw.Flush(); err != nil {
		return err
	}
	return printMore(w, u.Bookmark)
}

// printLineage writes the output and its hops back to the disbursement.
func printLineage(w io.Writer, l rest.Lineage) error {
	fmt.Fprintf(w, "output %s of %s: %s, programme %s tranche %d\n", l.Output.ID, l.Output.Account, l.Output.Amount, l.Programme, l.Tranche)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tFROM\tTO\tAMOUNT\tREFERENCE\tTX")
	for _, h := range l.Hops {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Kind, h.From, h.To, h.Amount, dash(h.Reference), short(h.TxID))
	}
	return tw.Flush()
}
