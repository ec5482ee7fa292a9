package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printRaw writes the answer's JSON unchanged, one value per line.
func printRaw(w io.Writer, b json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		buf.Reset()
		buf.Write(b)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// field is one key of a JSON object, in document order.
type field struct {
	key   string
	value json.RawMessage
}

// objectFields decodes a JSON object keeping the order of its keys.
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

// printObject writes an object as aligned "key  value" lines; nested
// objects are indented below their key. Anything else is printed raw.
func printObject(w io.Writer, b json.RawMessage) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !writeObject(tw, b, "") {
		return printRaw(w, b)
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

// writeAnswer is a write's answer: 201 {txId, blockNumber, result} or 202
// {operationId, status, statusUrl}.
type writeAnswer struct {
	TxID        string          `json:"txId"`
	BlockNumber *uint64         `json:"blockNumber"`
	Result      json.RawMessage `json:"result"`
	OperationID string          `json:"operationId"`
	Status      string          `json:"status"`
	StatusURL   string          `json:"statusUrl"`
}

// printWrite reports a committed write (transaction and block first, then
// the chaincode's result) or an accepted asynchronous one.
func printWrite(w io.Writer, b json.RawMessage) error {
	var a writeAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return printRaw(w, b)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if a.OperationID != "" {
		fmt.Fprintf(tw, "status\t%s\noperation\t%s\nstatusUrl\t%s\n", a.Status, a.OperationID, a.StatusURL)
		return tw.Flush()
	}
	fmt.Fprintf(tw, "status\tcommitted\ntxId\t%s\n", a.TxID)
	if a.BlockNumber != nil {
		fmt.Fprintf(tw, "block\t%d\n", *a.BlockNumber)
	}
	if len(a.Result) > 0 && string(a.Result) != "null" {
		if !writeObject(tw, a.Result, "") {
			fmt.Fprintf(tw, "result\t%s\n", scalar(a.Result))
		}
	}
	return tw.Flush()
}

// statementPage is the chaincode's Statement answer.
type statementPage struct {
	Entries []struct {
		Timestamp    string `json:"timestamp"`
		Type         string `json:"type"`
		Amount       string `json:"amount"`
		Counterparty string `json:"counterparty"`
		Reference    string `json:"reference"`
		TxID         string `json:"txId"`
	} `json:"entries"`
	Bookmark string `json:"bookmark"`
}

// printStatement writes a statement as a table, with the bookmark of the
// next page if there is one.
func printStatement(w io.Writer, b json.RawMessage) error {
	var p statementPage
	if err := json.Unmarshal(b, &p); err != nil {
		return printRaw(w, b)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tTYPE\tAMOUNT\tCOUNTERPARTY\tREFERENCE\tTX")
	for _, e := range p.Entries {
		amount := e.Amount
		if e.Type == "debit" || e.Type == "redeem" {
			amount = "-" + amount
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Timestamp, e.Type, amount, dash(e.Counterparty), dash(e.Reference), short(e.TxID))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		fmt.Fprintln(w, "(no entries)")
	}
	if p.Bookmark != "" {
		fmt.Fprintf(w, "more: --bookmark %s\n", p.Bookmark)
	}
	return nil
}

// eventEnvelope is the chaincode's event payload.
type eventEnvelope struct {
	TxID      string                       `json:"txId"`
	Timestamp string                       `json:"timestamp"`
	Events    []map[string]json.RawMessage `json:"events"`
}

// eventKeys are the business-event fields printed, in this order; --json
// shows all of them.
var eventKeys = []string{"id", "account", "from", "to", "amount", "reason"}

// printEvent writes one line per business event: position, type, fields.
func printEvent(w io.Writer, ev Event) error {
	var env eventEnvelope
	if err := json.Unmarshal(ev.Data, &env); err != nil || len(env.Events) == 0 {
		_, err := fmt.Fprintf(w, "%s  %s\n", ev.ID, scalar(ev.Data))
		return err
	}
	for _, e := range env.Events {
		var sb strings.Builder
		fmt.Fprintf(&sb, "%-10s %-18s", ev.ID, scalar(e["type"]))
		for _, k := range eventKeys {
			if v, ok := e[k]; ok {
				fmt.Fprintf(&sb, " %s=%s", k, scalar(v))
			}
		}
		fmt.Fprintf(&sb, " tx=%s", short(env.TxID))
		if _, err := fmt.Fprintln(w, sb.String()); err != nil {
			return err
		}
	}
	return nil
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

// printEventJSON writes one event as a JSON line {"id","event","data"}.
func printEventJSON(w io.Writer, ev Event) error {
	b, err := json.Marshal(struct {
		ID    string          `json:"id"`
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}{ev.ID, ev.Name, ev.Data})
	if err != nil {
		return fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	return printRaw(w, b)
}
