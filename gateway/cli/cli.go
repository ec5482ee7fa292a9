package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
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
  account open ID --kind reserve|customer|fiscal|merchant [--tier T] [--customer-ref R]
  account get ID
  account balance ID
  account statement ID [--from RFC3339] [--to RFC3339] [--page-size N] [--bookmark B]
  account freeze ID --reason R
  account unfreeze ID
  account close ID
  mint --id MINT_ID --account ID --amount YUAN --reserve-ref R
  pay --id PAYMENT_ID --from ID --to ID --amount YUAN [--purpose P] [--remittance-hash H]
  payment get ID
  operation get ID
  supply [--audit]
  events tail [--type T] [--account ID] [--from-block N] [--last-event-id B:I] [--count N]

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
	client *Client
	out    io.Writer
	json   bool
	async  bool
}

// Run executes one yrdctl command line (without the program name) and
// returns the exit status. API errors are printed as "error CODE: message".
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
	asJSON := fs.Bool("json", false, "print the raw JSON answer")
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
	c := &Client{BaseURL: firstNonEmpty(*baseURL, getenv(EnvURL), DefaultURL), HTTP: stdio.HTTP}
	tok, err := resolveToken(*token, *tokenFile, getenv)
	if err != nil {
		return report(stdio.Stderr, err)
	}
	c.Token = tok
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
	var ae *APIError
	if errors.As(err, &ae) {
		fmt.Fprintf(w, "error %s: %s\n", ae.Code, ae.Message)
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

// resolveToken: --token, then --token-file, then YRD_TOKEN, then YRD_TOKEN_FILE.
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

func (r *runner) dispatch(ctx context.Context, args []string) error {
	name := args[0]
	rest := args[1:]
	if name == "account" || name == "payment" || name == "events" || name == "operation" {
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

var commands = map[string]command{
	"whoami": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, _ []string) error {
			return r.get(ctx, "/v1/whoami", nil, printObject)
		}
	}},
	"account open": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		kind := fs.String("kind", "", "reserve, customer, fiscal or merchant")
		tier := fs.String("tier", "", "class-IV, class-II or unlimited")
		ref := fs.String("customer-ref", "", "customer reference (sent as transient data)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("kind", *kind); err != nil {
				return err
			}
			body := map[string]string{"id": pos[0], "kind": *kind}
			if *tier != "" {
				body["tier"] = *tier
			}
			if *ref != "" {
				body["customerRef"] = *ref
			}
			return r.post(ctx, "/v1/accounts", body)
		}
	}},
	"account get": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return r.get(ctx, "/v1/accounts/"+url.PathEscape(pos[0]), nil, printObject)
		}
	}},
	"account balance": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return r.get(ctx, "/v1/accounts/"+url.PathEscape(pos[0])+"/balance", nil, printObject)
		}
	}},
	"account statement": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		from := fs.String("from", "", "start, RFC 3339 (default 24 h ago)")
		to := fs.String("to", "", "end, RFC 3339 (default now)")
		size := fs.Int("page-size", 0, "entries per page (1-1000)")
		bookmark := fs.String("bookmark", "", "page to continue from")
		return func(ctx context.Context, r *runner, pos []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"from": *from, "to": *to, "bookmark": *bookmark} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if *size != 0 {
				q.Set("pageSize", strconv.Itoa(*size))
			}
			return r.get(ctx, "/v1/accounts/"+url.PathEscape(pos[0])+"/statement", q, printStatement)
		}
	}},
	"account freeze": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		reason := fs.String("reason", "", "why (recorded on the ledger)")
		return func(ctx context.Context, r *runner, pos []string) error {
			if err := required("reason", *reason); err != nil {
				return err
			}
			return r.post(ctx, "/v1/accounts/"+url.PathEscape(pos[0])+"/freeze", map[string]string{"reason": *reason})
		}
	}},
	"account unfreeze": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return r.post(ctx, "/v1/accounts/"+url.PathEscape(pos[0])+"/unfreeze", nil)
		}
	}},
	"account close": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return r.post(ctx, "/v1/accounts/"+url.PathEscape(pos[0])+"/close", nil)
		}
	}},
	"mint": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		id := fs.String("id", "", "mint ID (idempotency key)")
		account := fs.String("account", "", "reserve account credited")
		amount := fs.String("amount", "", "yuan, e.g. 1000.00")
		ref := fs.String("reserve-ref", "", "reference of the reserve deposit")
		return func(ctx context.Context, r *runner, _ []string) error {
			if err := required("id", *id, "account", *account, "amount", *amount, "reserve-ref", *ref); err != nil {
				return err
			}
			return r.post(ctx, "/v1/mints", map[string]string{"mintId": *id, "account": *account, "amount": *amount, "reserveRef": *ref})
		}
	}},
	"pay": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		id := fs.String("id", "", "payment ID (idempotency key)")
		from := fs.String("from", "", "payer account")
		to := fs.String("to", "", "payee account")
		amount := fs.String("amount", "", "yuan, e.g. 12.34")
		purpose := fs.String("purpose", "", "purpose code")
		remit := fs.String("remittance-hash", "", "hash of the remittance information")
		return func(ctx context.Context, r *runner, _ []string) error {
			if err := required("id", *id, "from", *from, "to", *to, "amount", *amount); err != nil {
				return err
			}
			body := map[string]string{"paymentId": *id, "from": *from, "to": *to, "amount": *amount}
			if *purpose != "" {
				body["purpose"] = *purpose
			}
			if *remit != "" {
				body["remittanceHash"] = *remit
			}
			return r.post(ctx, "/v1/payments", body)
		}
	}},
	"payment get": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return r.get(ctx, "/v1/payments/"+url.PathEscape(pos[0]), nil, printObject)
		}
	}},
	"operation get": {args: []string{"ID"}, flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		return func(ctx context.Context, r *runner, pos []string) error {
			return r.get(ctx, "/v1/operations/"+url.PathEscape(pos[0]), nil, printObject)
		}
	}},
	"supply": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		audit := fs.Bool("audit", false, "recount all outputs against the supply")
		return func(ctx context.Context, r *runner, _ []string) error {
			path := "/v1/supply"
			if *audit {
				path += "/audit"
			}
			return r.get(ctx, path, nil, printObject)
		}
	}},
	"events tail": {flags: func(fs *flag.FlagSet) func(context.Context, *runner, []string) error {
		typ := fs.String("type", "", "only events of this type (e.g. Transferred)")
		account := fs.String("account", "", "only events naming this account")
		fromBlock := fs.Int64("from-block", -1, "start at this block (default: next block)")
		last := fs.String("last-event-id", "", "resume after this event ID (block:index)")
		count := fs.Int("count", 0, "stop after this many events (default: follow until interrupted)")
		return func(ctx context.Context, r *runner, _ []string) error {
			opts := EventsOptions{Type: *typ, Account: *account, LastEventID: *last}
			if *fromBlock >= 0 {
				b := uint64(*fromBlock)
				opts.FromBlock = &b
			}
			return r.tail(ctx, opts, *count)
		}
	}},
}

func (r *runner) get(ctx context.Context, path string, q url.Values, pretty func(io.Writer, json.RawMessage) error) error {
	resp, err := r.client.Do(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	if r.json {
		return printRaw(r.out, resp.Body)
	}
	return pretty(r.out, resp.Body)
}

func (r *runner) post(ctx context.Context, path string, body any) error {
	var q url.Values
	if r.async {
		q = url.Values{"async": {"true"}}
	}
	if body == nil {
		body = struct{}{}
	}
	resp, err := r.client.Do(ctx, http.MethodPost, path, q, body)
	if err != nil {
		return err
	}
	if r.json {
		return printRaw(r.out, resp.Body)
	}
	return printWrite(r.out, resp.Body)
}

func (r *runner) tail(ctx context.Context, opts EventsOptions, count int) error {
	n := 0
	_, err := r.client.Events(ctx, opts, func(ev Event) error {
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
			return ErrStop
		}
		return nil
	})
	if ctx.Err() != nil && err == nil {
		return nil
	}
	return err
}
