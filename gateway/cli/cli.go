package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/money"
	"github.com/yangtze-delta/settlement/rest"
)

// Environment variables read by Run when the flags are not given.
const (
	EnvURL       = "YRD_URL"
	EnvToken     = "YRD_TOKEN"
	EnvTokenFile = "YRD_TOKEN_FILE"
)

// DefaultURL is used when neither --url nor YRD_URL is set.
const DefaultURL = "http://127.0.0.1:8080"

// Exit statuses of Run.
const (
	ExitOK    = 0
	ExitError = 1 // the gateway or the network said no
	ExitUsage = 2 // bad command line
)

const usage = `usage: yrdctl [--url URL] [--token T | --token-file F] [--json] [--async] <command>

commands:
  whoami
  network
  account open BANK:ID --kind customer|merchant|settlement|reserve|fiscal [--tier T] [--customer-ref R] [--merchant-category MCC]
  account get ID
  account balance ID
  account outputs ID [--page-size N] [--bookmark B]
  account statement ID [--from RFC3339] [--to RFC3339] [--page-size N] [--bookmark B]
  account freeze ID --reason R
  account unfreeze ID
  account close ID
  account merge ID --id MERGE_ID [--inputs O1,O2,…] [--max-inputs N]
  proposal mint MSP:ID --account ID --amount YUAN --reserve-ref R [--ttl SECONDS]
  proposal redeem MSP:ID --account ID --amount YUAN [--ttl SECONDS]
  proposal ceiling MSP:ID --msp MSP --ceiling YUAN [--ttl SECONDS]
  proposal calendar MSP:ID [--open HH:MM] [--customer-cutoff HH:MM] [--interbank-cutoff HH:MM] [--end-of-day HH:MM] [--weekends-open] [--holidays D1,D2] [--cycle-interval SECONDS] [--ttl SECONDS]
  proposal show MSP:ID
  proposal approve MSP:ID
  proposal execute MSP:ID [--inputs O1,O2,…]
  proposal cancel MSP:ID
  ceiling MSP
  pay --id PAYMENT_ID --from ID --to ID --amount YUAN [--purpose P] [--remittance-hash H]
  payment get ID
  operation get ID
  operation wait ID
  supply [--audit]
  events tail [--type T] [--account ID] [--from-block N] [--last-event-id B:I] [--count N]
  programme define --file PROGRAMME.json
  programme show BUREAU:ID
  programme approve BUREAU:ID
  programme tranche propose BUREAU:ID --no N --amount YUAN --date YYYY-MM-DD
  programme tranche show BUREAU:ID --no N
  programme tranche approve BUREAU:ID --no N
  programme tranche fund BUREAU:ID --no N [--inputs O1,O2,…]
  programme disburse BUREAU:ID --job BUREAU:JOB --file LINES.csv|LINES.json [--wait]
  programme job BUREAU:ID BUREAU:JOB [--wait] [--lines pending|paid|already_paid|rejected|all] [--page-size N] [--bookmark B]
  programme spend BUREAU:ID --id PAYMENT_ID --from ID --to ID --amount YUAN [--purpose P]
  programme utilisation BUREAU:ID [--by total|tranche|province|recipient] [--page-size N] [--bookmark B]
  programme lineage BUREAU:ID --account ID --output OUTPUT
  programme holdings BUREAU:ID ACCOUNT [--page-size N] [--bookmark B]
  programme clawback propose BUREAU:ID --id BUREAU:CLAWBACK --account ID
  programme clawback show BUREAU:ID BUREAU:CLAWBACK
  programme clawback approve BUREAU:ID BUREAU:CLAWBACK
  programme clawback execute BUREAU:ID BUREAU:CLAWBACK [--account ID]
  programme sweep BUREAU:ID [--accounts ID1,ID2,…]
  interbank send --id BANK:ID --from ACCOUNT --to ACCOUNT --amount YUAN [--priority urgent|normal] [--value-date YYYY-MM-DD] [--remittance TEXT]
  interbank get BANK:ID
  interbank cancel BANK:ID
  interbank hold BANK:ID
  interbank release BANK:ID
  interbank priority BANK:ID urgent|normal
  interbank remittance BANK:ID
  interbank queue [--account ACCOUNT] [--page-size N] [--bookmark B]
  interbank cycle
  interbank position ACCOUNT [--date YYYY-MM-DD]
  interbank statement ACCOUNT [--date YYYY-MM-DD] [--page-size N] [--bookmark B]
  interbank transfers YYYY-MM-DD [--page-size N] [--bookmark B]
  interbank reconcile YYYY-MM-DD
  interbank close YYYY-MM-DD
  interbank calendar

--async makes writes answer at once with an operation to poll (operation get|wait).
environment: YRD_URL, YRD_TOKEN, YRD_TOKEN_FILE
`

// IO is where Run reads its environment and writes its output.
type IO struct {
	Stdout, Stderr io.Writer
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// HTTP is the HTTP client; nil means http.DefaultClient.
	HTTP *http.Client
}

// usageError is a bad command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// runner holds what one invocation needs.
type runner struct {
	client *client.Client
	out    io.Writer
	json   bool
	async  bool
}

// Run executes one yrdctl command line (without the program name) and
// returns the exit status. Errors are printed as "error CODE: message".
func Run(ctx context.Context, args []string, stdio IO) int {
	getenv := stdio.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	fs := flag.NewFlagSet("yrdctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	baseURL := fs.String("url", "", "gateway base URL (env "+EnvURL+")")
	token := fs.String("token", "", "bearer token (env "+EnvToken+")")
	tokenFile := fs.String("token-file", "", "file holding the bearer token (env "+EnvTokenFile+")")
	asJSON := fs.Bool("json", false, "print the answer as one line of JSON")
	async := fs.Bool("async", false, "writes return at once with an operation to poll")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdio.Stdout, usage)
			return ExitOK
		}
		return report(stdio.Stderr, usagef("%v", err))
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stdio.Stderr, usage)
		return ExitUsage
	}
	tok, err := resolveToken(*token, *tokenFile, getenv)
	if err != nil {
		return report(stdio.Stderr, err)
	}
	var opts []client.Option
	if tok != "" {
		opts = append(opts, client.WithToken(tok))
	}
	if stdio.HTTP != nil {
		opts = append(opts, client.WithHTTPClient(stdio.HTTP))
	}
	c, err := client.New(firstNonEmpty(*baseURL, getenv(EnvURL), DefaultURL), opts...)
	if err != nil {
		return report(stdio.Stderr, usagef("%v", err))
	}
	r := &runner{client: c, out: stdio.Stdout, json: *asJSON, async: *async}
	return report(stdio.Stderr, r.dispatch(ctx, fs.Args()))
}

func report(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "yrdctl: %s\n(run yrdctl --help for usage)\n", ue.msg)
		return ExitUsage
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		fmt.Fprintf(w, "error %s: %s\n", ce.Code, ce.Message)
		return ExitError
	}
	fmt.Fprintf(w, "error: %v\n", err)
	return ExitError
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// resolveToken: --token, then --token-file, then YRD_TOKEN, then
// YRD_TOKEN_FILE; "" (no token) when none is given.
func resolveToken(token, file string, getenv func(string) string) (string, error) {
	if token != "" && file != "" {
		return "", usagef("give --token or --token-file, not both")
	}
	if token != "" {
		return token, nil
	}
	if file == "" {
		if t := getenv(EnvToken); t != "" {
			return t, nil
		}
		file = getenv(EnvTokenFile)
	}
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read token file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// command is one leaf of the command tree.
type command struct {
	// args names the positional arguments, in order.
	args []string
	// flags declares the command's flags on fs; required ones are checked by run.
	flags func(fs *flag.FlagSet) func(ctx context.Context, r *runner, pos []string) error
}

// groups are the commands with subcommands.
var groups = map[string]bool{"account": true, "payment": true, "events": true, "operation": true, "proposal": true}

func (r *runner) dispatch(ctx context.Context, args []string) error {
	name := args[0]
	rest := args[1:]
	for groups[name] { // groups nest: "programme tranche propose"
		if len(rest) == 0 {
			return usagef("%s needs a subcommand", name)
		}
		name += " " + rest[0]
		rest = rest[1:]
	}
	cmd, ok := commands[name]
	if !ok {
		return usagef("unknown command %q", name)
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := cmd.flags(fs)
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return usagef("%s: %v", name, err)
	}
	if len(pos) != len(cmd.args) {
		return usagef("%s takes %d argument(s) (%s), got %d", name, len(cmd.args), strings.Join(cmd.args, " "), len(pos))
	}
	return run(ctx, r, pos)
}

// parseInterspersed lets flags come before or after positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return usagef("--%s is required", pairs[i])
		}
	}
	return nil
}

// amount parses a yuan flag.
func amount(name, s string) (money.Amount, error) {
	a, err := money.ParseYuan(s)
	if err != nil {
		return 0, usagef("--%s: %v", name, err)
	}
	return a, nil
}

// timeFlag parses an optional RFC 3339 flag; "" is the zero time.
func timeFlag(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, usagef("--%s must be an RFC 3339 time like 2025-01-31T00:00:00Z", name)
	}
	return t, nil
}

// list splits a comma-separated flag; "" is no entries.
func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

var commands = map[string]command{
	"whoami": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, _ []string) error {
			return show(ctx, r, r.client.WhoAmI, printObject)
		}
	}},
	"network": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, _ []string) error {
			return show(ctx, r, r.client.Network, printObject)
		}
	}},
	"account open": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		kind := fs.String("kind", "", "customer, merchant or settlement (banks), reserve (the central-bank branch), fiscal (a bureau)")
		tier := fs.String("tier", "", "class-IV, class-II or unlimited")
		ref := fs.String("customer-ref", "", "customer reference (the gateway keeps it; only a keyed hash is stored)")
		mcc := fs.String("merchant-category", "", "merchant category code, 4 digits (merchants)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("kind", *kind); err != nil {
				return err
			}
			req := rest.OpenAccountRequest{ID: pos[0], Kind: *kind, Tier: *tier, CustomerRef: *ref, MerchantCategory: *mcc}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Account], error) { return r.client.OpenAccount(ctx, req) },
				func(ctx context.Context) (rest.Accepted, error) { return r.client.OpenAccountAsync(ctx, req) })
		}
	}},
	"account get": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Account, error) { return r.client.GetAccount(ctx, pos[0]) }, printObject)
		}
	}},
	"account balance": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Balance, error) { return r.client.Balance(ctx, pos[0]) }, printObject)
		}
	}},
	"account outputs": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		size := fs.Int("page-size", 0, "outputs per page (1-1000)")
		bookmark := fs.String("bookmark", "", "page to continue from")
		return func(ctx context.Context, r *runner, pos []string) error {
			p := client.Page{Size: *size, Bookmark: *bookmark}
			return show(ctx, r, func(ctx context.Context) (rest.OutputPage, error) { return r.client.ListOutputs(ctx, pos[0], p) }, printOutputs)
		}
	}},
	"account statement": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		from := fs.String("from", "", "start, RFC 3339 (default 24 h before --to)")
		to := fs.String("to", "", "end, RFC 3339, exclusive (default now)")
		size := fs.Int("page-size", 0, "entries per page (1-1000)")
		bookmark := fs.String("bookmark", "", "page to continue from")
		return func(ctx context.Context, r *runner, pos []string) error {
			q := client.StatementQuery{Page: client.Page{Size: *size, Bookmark: *bookmark}}
			var err error
			if q.From, err = timeFlag("from", *from); err != nil {
				return err
			}
			if q.To, err = timeFlag("to", *to); err != nil {
				return err
			}
			return show(ctx, r, func(ctx context.Context) (rest.StatementPage, error) { return r.client.Statement(ctx, pos[0], q) }, printStatement)
		}
	}},
	"account freeze": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		reason := fs.String("reason", "", "why (recorded on the ledger)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("reason", *reason); err != nil {
				return err
			}
			req := rest.FreezeRequest{Reason: *reason}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Account], error) {
					return r.client.Freeze(ctx, pos[0], req)
				},
				func(ctx context.Context) (rest.Accepted, error) { return r.client.FreezeAsync(ctx, pos[0], req) })
		}
	}},
	"account unfreeze": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Account], error) { return r.client.Unfreeze(ctx, pos[0]) },
				func(ctx context.Context) (rest.Accepted, error) { return r.client.UnfreezeAsync(ctx, pos[0]) })
		}
	}},
	"account close": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Account], error) {
					return r.client.CloseAccount(ctx, pos[0])
				},
				func(ctx context.Context) (rest.Accepted, error) { return r.client.CloseAccountAsync(ctx, pos[0]) })
		}
	}},
	"account merge": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		id := fs.String("id", "", "merge ID (idempotency key)")
		inputs := fs.String("inputs", "", "output IDs to merge, comma-separated (default: the gateway picks)")
		maxInputs := fs.Int("max-inputs", 0, "how many outputs the gateway picks at most (without --inputs)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("id", *id); err != nil {
				return err
			}
			req := rest.MergeRequest{MergeID: *id, Inputs: list(*inputs), MaxInputs: *maxInputs}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Merge], error) { return r.client.Merge(ctx, pos[0], req) },
				func(ctx context.Context) (rest.Accepted, error) { return r.client.MergeAsync(ctx, pos[0], req) })
		}
	}},
	"proposal mint": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		account := fs.String("account", "", "the proposing province's reserve account")
		yuan := fs.String("amount", "", "yuan, e.g. 1000.00")
		ref := fs.String("reserve-ref", "", "reference of the reserve deposit (backs one mint)")
		ttl := fs.Int("ttl", 0, "seconds the proposal may collect approvals (default one day)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("account", *account, "amount", *yuan, "reserve-ref", *ref); err != nil {
				return err
			}
			a, err := amount("amount", *yuan)
			if err != nil {
				return err
			}
			return propose(ctx, r, rest.ProposalRequest{ID: pos[0], Action: rest.ActionMint, TTLSeconds: *ttl,
				Mint: &rest.MintParams{Account: *account, Amount: a, ReserveRef: *ref}})
		}
	}},
	"proposal redeem": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		account := fs.String("account", "", "the proposing province's reserve account")
		yuan := fs.String("amount", "", "yuan, e.g. 1000.00")
		ttl := fs.Int("ttl", 0, "seconds the proposal may collect approvals (default one day)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("account", *account, "amount", *yuan); err != nil {
				return err
			}
			a, err := amount("amount", *yuan)
			if err != nil {
				return err
			}
			return propose(ctx, r, rest.ProposalRequest{ID: pos[0], Action: rest.ActionRedeem, TTLSeconds: *ttl,
				Redeem: &rest.RedeemParams{Account: *account, Amount: a}})
		}
	}},
	"proposal ceiling": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		msp := fs.String("msp", "", "the province whose ceiling is set")
		yuan := fs.String("ceiling", "", "yuan the province's reserve may issue in all")
		ttl := fs.Int("ttl", 0, "seconds the proposal may collect approvals (default one day)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("msp", *msp, "ceiling", *yuan); err != nil {
				return err
			}
			a, err := amount("ceiling", *yuan)
			if err != nil {
				return err
			}
			return propose(ctx, r, rest.ProposalRequest{ID: pos[0], Action: rest.ActionCeiling, TTLSeconds: *ttl,
				Ceiling: &rest.CeilingParams{MSP: *msp, Ceiling: a}})
		}
	}},
	"proposal calendar": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		// The defaults are the schedule in force until a quorum decides
		// another (api.DefaultCalendar).
		open := fs.String("open", "08:30", "settlement opens (Asia/Shanghai HH:MM)")
		customer := fs.String("customer-cutoff", "16:30", "the banks' cut-off for customer orders")
		interbank := fs.String("interbank-cutoff", "17:00", "later transfers take the next business day")
		end := fs.String("end-of-day", "17:30", "the day's queue is rejected and balances fixed after this")
		weekendsOpen := fs.Bool("weekends-open", false, "Saturdays and Sundays are business days")
		holidays := fs.String("holidays", "", "closed dates YYYY-MM-DD, comma-separated")
		interval := fs.Int("cycle-interval", 60, "seconds between the gateways' settlement cycles")
		ttl := fs.Int("ttl", 0, "seconds the proposal may collect approvals (default one day)")
		return func(ctx context.Context, r *runner, pos []string) error {
			return propose(ctx, r, rest.ProposalRequest{ID: pos[0], Action: rest.ActionCalendar, TTLSeconds: *ttl,
				Calendar: &rest.Calendar{Open: *open, CustomerCutoff: *customer, InterbankCutoff: *interbank, EndOfDay: *end,
					WeekendsClosed: !*weekendsOpen, Holidays: list(*holidays), CycleIntervalSec: *interval}})
		}
	}},
	"proposal show": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Proposal, error) { return r.client.GetProposal(ctx, pos[0]) }, printObject)
		}
	}},
	"proposal approve": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Proposal], error) { return r.client.Approve(ctx, pos[0]) },
				func(ctx context.Context) (rest.Accepted, error) { return r.client.ApproveAsync(ctx, pos[0]) })
		}
	}},
	"proposal execute": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		inputs := fs.String("inputs", "", "reserve outputs a redemption burns, comma-separated (default: the gateway selects)")
		return func(ctx context.Context, r *runner, pos []string) error {
			req := rest.ExecuteRequest{Inputs: list(*inputs)}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Execution], error) {
					return r.client.Execute(ctx, pos[0], req)
				},
				func(ctx context.Context) (rest.Accepted, error) { return r.client.ExecuteAsync(ctx, pos[0], req) })
		}
	}},
	"proposal cancel": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Proposal], error) { return r.client.Cancel(ctx, pos[0]) },
				func(ctx context.Context) (rest.Accepted, error) { return r.client.CancelAsync(ctx, pos[0]) })
		}
	}},
	"ceiling": {args: []string{"MSP"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Ceiling, error) { return r.client.Ceiling(ctx, pos[0]) }, printObject)
		}
	}},
	"pay": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		id := fs.String("id", "", "payment ID (idempotency key)")
		from := fs.String("from", "", "payer account")
		to := fs.String("to", "", "payee account")
		yuan := fs.String("amount", "", "yuan, e.g. 12.34")
		purpose := fs.String("purpose", "", "purpose code")
		remit := fs.String("remittance-hash", "", "hash of the remittance information")
		return func(ctx context.Context, r *runner, _ []string) error {
			if err := required("id", *id, "from", *from, "to", *to, "amount", *yuan); err != nil {
				return err
			}
			a, err := amount("amount", *yuan)
			if err != nil {
				return err
			}
			req := rest.PaymentRequest{PaymentID: *id, From: *from, To: *to, Amount: a, Purpose: *purpose, RemittanceHash: *remit}
			return submit(ctx, r,
				func(ctx context.Context) (rest.Committed[rest.Payment], error) { return r.client.Pay(ctx, req) },
				func(ctx context.Context) (rest.Accepted, error) { return r.client.PayAsync(ctx, req) })
		}
	}},
	"payment get": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Payment, error) { return r.client.GetPayment(ctx, pos[0]) }, printObject)
		}
	}},
	"operation get": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return show(ctx, r, func(ctx context.Context) (rest.Operation, error) { return r.client.Operation(ctx, pos[0]) }, printObject)
		}
	}},
	"operation wait": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			op, err := r.client.WaitOperation(ctx, pos[0])
			if err != nil {
				return err
			}
			if err := emit(r, op, printObject[rest.Operation]); err != nil {
				return err
			}
			if op.Status == rest.OpFailed && op.Error != nil {
				// The operation's own failure decides the exit status.
				return &client.Error{Code: op.Error.Code, Message: op.Error.Message}
			}
			return nil
		}
	}},
	"supply": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		audit := fs.Bool("audit", false, "recount all outputs against the supply")
		return func(ctx context.Context, r *runner, _ []string) error {
			if *audit {
				return show(ctx, r, r.client.AuditSupply, printObject)
			}
			return show(ctx, r, r.client.Supply, printObject)
		}
	}},
	"events tail": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		typ := fs.String("type", "", "only events of this type (e.g. Transferred)")
		account := fs.String("account", "", "only events naming this account")
		fromBlock := fs.Int64("from-block", -1, "start at this block (default: next block)")
		last := fs.String("last-event-id", "", "resume after this event ID (block:index)")
		count := fs.Int("count", 0, "stop after this many events (default: follow until interrupted)")
		return func(ctx context.Context, r *runner, _ []string) error {
			opts := client.EventsOptions{Type: *typ, Account: *account, LastEventID: *last}
			if *fromBlock >= 0 {
				b := uint64(*fromBlock)
				opts.FromBlock = &b
			}
			return r.tail(ctx, opts, *count)
		}
	}},
}

// show runs a call and prints its answer.
func show[T any](ctx context.Context, r *runner, call func(context.Context) (T, error), pretty func(io.Writer, T) error) error {
	v, err := call(ctx)
	if err != nil {
		return err
	}
	return emit(r, v, pretty)
}

// emit writes v as one line of JSON with --json, else with pretty.
func emit[T any](r *runner, v T, pretty func(io.Writer, T) error) error {
	if r.json {
		return printJSON(r.out, v)
	}
	return pretty(r.out, v)
}

// submit runs a write, synchronously or (with --async) asynchronously, and
// prints its answer.
func propose(ctx context.Context, r *runner, req rest.ProposalRequest) error {
	return submit(ctx, r,
		func(ctx context.Context) (rest.Committed[rest.Proposal], error) { return r.client.Propose(ctx, req) },
		func(ctx context.Context) (rest.Accepted, error) { return r.client.ProposeAsync(ctx, req) })
}

func submit[T any](ctx context.Context, r *runner, sync func(context.Context) (rest.Committed[T], error),
	async func(context.Context) (rest.Accepted, error)) error {
	if r.async {
		return show(ctx, r, async, printAccepted)
	}
	return show(ctx, r, sync, printCommitted[T])
}

func (r *runner) tail(ctx context.Context, opts client.EventsOptions, count int) error {
	n := 0
	_, err := r.client.Events(ctx, opts, func(ev client.Event) error {
		var err error
		if r.json {
			err = printEventJSON(r.out, ev)
		} else {
			err = printEvent(r.out, ev)
		}
		if err != nil {
			return err
		}
		n++
		if count > 0 && n >= count {
			return client.ErrStop
		}
		return nil
	})
	if err != nil && ctx.Err() != nil && client.CodeOf(err) == client.CodeCanceled {
		return nil // interrupted: following ends here
	}
	return err
}
