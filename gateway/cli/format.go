package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yangtze-delta/settlement/client"
	"github.com/yangtze-delta/settlement/rest"
)

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// field is one key of a JSON object, in document order.
type field struct {
	key   string
	value json.RawMessage
}

// objectFields decodes a JSON object keeping the order of its keys (for
// the rest types: their fields' order).
func objectFields(b json.RawMessage) ([]field, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var fs []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		fs = append(fs, field{k, v})
	}
	return fs, true
}

// scalar renders a JSON value for a table cell: strings unquoted, null
// empty, objects and arrays as compact JSON.
func scalar(v json.RawMessage) string {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	if string(v) == "null" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return string(v)
	}
	return buf.String()
}

// printObject writes a value as aligned "key  value" lines in the order of
// its JSON fields; nested objects are indented below their key.
func printObject[T any](w io.Writer, v T) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !writeObject(tw, b, "") {
		fmt.Fprintf(tw, "%s\n", scalar(b))
	}
	return tw.Flush()
}

func writeObject(tw io.Writer, b json.RawMessage, indent string) bool {
	fs, ok := objectFields(b)
	if !ok {
		return false
	}
	for _, f := range fs {
		if nested, ok := objectFields(f.value); ok && len(nested) > 0 {
			fmt.Fprintf(tw, "%s%s\t\n", indent, f.key)
			writeObject(tw, f.value, indent+"  ")
			continue
		}
		fmt.Fprintf(tw, "%s%s\t%s\n", indent, f.key, scalar(f.value))
	}
	return true
}

// printCommitted reports a committed write: the transaction and its block
// first, then the result's fields.
func printCommitted[T any](w io.Writer, c rest.Committed[T]) error {
	b, err := json.Marshal(c.Result)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "status\tcommitted\ntxId\t%s\nblock\t%d\n", c.TxID, c.BlockNumber)
	if !writeObject(tw, b, "") {
		fmt.Fprintf(tw, "result\t%s\n", scalar(b))
	}
	return tw.Flush()
}

// printAccepted reports an asynchronous write.
func printAccepted(w io.Writer, a rest.Accepted) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "status\t%s\noperation\t%s\nstatusUrl\t%s\n", a.Status, a.OperationID, a.StatusURL)
	return tw.Flush()
}

// printStatement writes a statement page as a table, with the bookmark of
// the next page if there is one. Debits and redemptions show negative.
func printStatement(w io.Writer, p rest.StatementPage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tTYPE\tAMOUNT\tCOUNTERPARTY\tREFERENCE\tTX")
	for _, e := range p.Entries {
		amount := e.Amount.String()
		if e.Type == rest.EntryDebit || e.Type == rest.EntryRedeem {
			amount = "-" + amount
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Timestamp.Format(time.RFC3339Nano), e.Type, amount,
			dash(e.Counterparty), dash(e.Reference), short(e.TxID))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		fmt.Fprintln(w, "(no entries)")
	}
	return printMore(w, p.Bookmark)
}

// printOutputs writes an output page as a table, with the bookmark of the
// next page if there is one.
func printOutputs(w io.Writer, p rest.OutputPage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OUTPUT\tAMOUNT\tEARMARK\tCREATED")
	for _, o := range p.Outputs {
		earmark := "-"
		if o.Earmark != nil {
			earmark = fmt.Sprintf("%s#%d", o.Earmark.Programme, o.Earmark.Tranche)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Amount, earmark, o.CreatedAt.Format(time.RFC3339Nano))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Outputs) == 0 {
		fmt.Fprintln(w, "(no outputs)")
	}
	return printMore(w, p.Bookmark)
}

func printMore(w io.Writer, bookmark string) error {
	if bookmark == "" {
		return nil
	}
	_, err := fmt.Fprintf(w, "more: --bookmark %s\n", bookmark)
	return err
}

// printEvent writes one line per business event: position, type, the
// fields that are set (id, account, from, to, amount, bank, action; --json shows
// all of them) and the transaction.
func printEvent(w io.Writer, ev client.Event) error {
	for _, e := range ev.Data.Events {
		var sb strings.Builder
		fmt.Fprintf(&sb, "%-10s %-18s", ev.ID, e.Type)
		for _, kv := range [][2]string{{"id", e.ID}, {"account", e.Account}, {"from", e.From}, {"to", e.To}, {"amount", amountOf(e)}, {"bank", e.Bank}, {"action", e.Action}} {
			if kv[1] != "" {
				fmt.Fprintf(&sb, " %s=%s", kv[0], kv[1])
			}
		}
		fmt.Fprintf(&sb, " tx=%s", short(ev.Data.TxID))
		if _, err := fmt.Fprintln(w, sb.String()); err != nil {
			return err
		}
	}
	return nil
}

func amountOf(e rest.Event) string {
	if e.Amount == 0 {
		return ""
	}
	return e.Amount.String()
}

// printEventJSON writes one event as a JSON line {"id","event","data"}.
func printEventJSON(w io.Writer, ev client.Event) error {
	return printJSON(w, struct {
		ID    string        `json:"id"`
		Event string        `json:"event"`
		Data  rest.TxEvents `json:"data"`
	}{ev.ID, rest.SSEEventName, ev.Data})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// short abbreviates a transaction ID for tables.
func short(tx string) string {
	if len(tx) > 12 {
		return tx[:12]
	}
	return tx
}
