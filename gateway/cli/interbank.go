package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/rest"
)

// The interbank commands (yrdctl interbank …).
func init() {
	groups["interbank"] = true
	for name, cmd := range interbankCommands {
		commands[name] = cmd
	}
}

// priorityArg checks a priority given on the command line.
func priorityArg(p string) error {
	if p != rest.PriorityUrgent && p != rest.PriorityNormal {
		return usagef("priority must be %s or %s, got %q", rest.PriorityUrgent, rest.PriorityNormal, p)
	}
	return nil
}

// transferWrite is a write on one transfer (cancel, hold, release), given
// as the client's method expressions.
func transferWrite(sync func(*client.Client, context.Context, string) (rest.Committed[rest.InterbankTransfer], error),
	async func(*client.Client, context.Context, string) (rest.Accepted, error)) command {
	return command{args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.InterbankTransfer], error) {
					return sync(r.client, ctx, pos[0])
				},
				func(ctx context.Context) (rest.Accepted, error) { return async(r.client, ctx, pos[0]) })
		}
	}}
}

// pageFlags declares --page-size and --bookmark.
func pageFlags(fs *flag.FlagSet, what string) func() client.Page {
	size := fs.Int("page-size", 0, what+" per page (1-1000)")
	bookmark := fs.String("bookmark", "", "page to continue from")
	return func() client.Page { return client.Page{Size: *size, Bookmark: *bookmark} }
}

var interbankCommands = map[string]command{
	"interbank send": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		id := fs.String("id", "", "transfer ID, BANK:local (idempotency key)")
		from := fs.String("from", "", "the paying bank's settlement account")
		to := fs.String("to", "", "the receiving bank's settlement account")
		yuan := fs.String("amount", "", "yuan, e.g. 1000000.00")
		priority := fs.String("priority", rest.PriorityNormal, "urgent or normal")
		valueDate := fs.String("value-date", "", "business date YYYY-MM-DD (default: the earliest)")
		remittance := fs.String("remittance", "", "remittance details (kept in the two provinces' private collection)")
		return func(ctx context.Context, r *runner, _ []string) error {
			if err := required("id", *id, "from", *from, "to", *to, "amount", *yuan); err != nil {
				return err
			}
			if err := priorityArg(*priority); err != nil {
				return err
			}
			a, err := amount("amount", *yuan)
			if err != nil {
				return err
			}
			req := rest.InterbankTransferRequest{ID: *id, From: *from, To: *to, Amount: a, Priority: *priority, ValueDate: *valueDate, Remittance: *remittance}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.InterbankTransfer], error) {
					return r.client.SendTransfer(ctx, req)
				},
				func(ctx context.Context) (rest.Accepted, error) { return r.client.SendTransferAsync(ctx, req) })
		}
	}},
	"interbank get": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.InterbankTransfer, error) { return r.client.GetTransfer(ctx, pos[0]) }, printObject)
		}
	}},
	"interbank cancel":  transferWrite((*client.Client).CancelTransfer, (*client.Client).CancelTransferAsync),
	"interbank hold":    transferWrite((*client.Client).HoldTransfer, (*client.Client).HoldTransferAsync),
	"interbank release": transferWrite((*client.Client).ReleaseTransfer, (*client.Client).ReleaseTransferAsync),
	"interbank priority": {args: []string{"ID", "PRIORITY"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := priorityArg(pos[1]); err != nil {
				return err
			}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.InterbankTransfer], error) {
					return r.client.ReprioritiseTransfer(ctx, pos[0], pos[1])
				},
				func(ctx context.Context) (rest.Accepted, error) {
					return r.client.ReprioritiseTransferAsync(ctx, pos[0], pos[1])
				})
		}
	}},
	"interbank remittance": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Remittance, error) { return r.client.Remittance(ctx, pos[0]) }, printObject)
		}
	}},
	"interbank queue": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		account := fs.String("account", "", "the payer account whose queue to list (default: every bank's; issuers and auditors)")
		page := pageFlags(fs, "transfers")
		return func(ctx context.Context, r *runner, _ []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.InterbankTransferPage, error) {
				return r.client.Queue(ctx, *account, page())
			}, printTransfers)
		}
	}},
	"interbank cycle": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, _ []string) error {
			return show(ctx, r, r.client.RunCycle, printObject)
		}
	}},
	"interbank position": {args: []string{"ACCOUNT"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		date := fs.String("date", "", "business date YYYY-MM-DD (default today)")
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.BankPosition, error) { return r.client.Position(ctx, pos[0], *date) }, printObject)
		}
	}},
	"interbank statement": {args: []string{"ACCOUNT"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		date := fs.String("date", "", "business date YYYY-MM-DD (default today)")
		page := pageFlags(fs, "entries")
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.InterbankStatement, error) {
				return r.client.InterbankStatement(ctx, pos[0], *date, page())
			}, printInterbankStatement)
		}
	}},
	"interbank transfers": {args: []string{"DATE"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		page := pageFlags(fs, "transfers")
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.InterbankTransferPage, error) {
				return r.client.DayTransfers(ctx, pos[0], page())
			}, printTransfers)
		}
	}},
	"interbank reconcile": {args: []string{"DATE"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Reconciliation, error) { return r.client.Reconcile(ctx, pos[0]) }, printReconciliation)
		}
	}},
	"interbank close": {args: []string{"DATE"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.DayClose, error) { return r.client.CloseDay(ctx, pos[0]) }, printObject)
		}
	}},
	"interbank calendar": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, _ []string) error {
			return show(ctx, r, r.client.Calendar, printObject)
		}
	}},
}

// printTransfers writes a page of transfers as a table, with the bookmark
// of the next page if there is one.
func printTransfers(w io.Writer, p rest.InterbankTransferPage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFROM\tTO\tAMOUNT\tPRIORITY\tVALUE DATE\tSTATUS\tCYCLE")
	for _, t := range p.Transfers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.From, t.To, t.Amount, t.Priority, t.ValueDate, t.Status, dash(t.Cycle))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Transfers) == 0 {
		fmt.Fprintln(w, "(no transfers)")
	}
	return printMore(w, p.Bookmark)
}

// printInterbankStatement writes the position, then the entries as the
// account statement does.
func printInterbankStatement(w io.Writer, s rest.InterbankStatement) error {
	if err := printObject(w, s.Position); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return printStatement(w, rest.StatementPage{Entries: s.Entries, Bookmark: s.Bookmark})
}

// printReconciliation writes the totals, then a table of the banks' nets.
func printReconciliation(w io.Writer, rec rest.Reconciliation) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "date\t%s\ntransfers\t%d\nbalanced\t%v\nnetTotal\t%s\n", rec.Date, rec.Transfers, rec.Balanced, netString(rec.NetTotal))
	for _, s := range rec.Statuses {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", s.Status, s.Count, s.Value)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BANK\tMSP\tSENT\tRECEIVED\tNET")
	for _, b := range rec.Banks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Bank, b.MSP, b.Sent, b.Received, netString(b.Net))
	}
	return tw.Flush()
}

// netString renders a net as a signed amount: -12.00 for a debit.
func netString(n rest.Net) string {
	if n.Side == rest.NetDebit {
		return "-" + n.Amount.String()
	}
	return n.Amount.String()
}
