package api

import (
	"time"

	"github.com/yangtze-delta/settlement/money"
)

// EventName is the name of the one chaincode event each transaction sets.
const EventName = "yrd"

// EnvelopeVersion is the version of the event payload format.
const EnvelopeVersion = 1

// EventType names a business event.
type EventType string

// Event types of the token contract.
const (
	EventAccountOpened EventType = "AccountOpened"
	EventFrozen        EventType = "Frozen"
	EventUnfrozen      EventType = "Unfrozen"
	EventAccountClosed EventType = "AccountClosed"
	EventMinted        EventType = "Minted"
	EventRedeemed      EventType = "Redeemed"
	EventTransferred   EventType = "Transferred"
	EventMerged        EventType = "Merged"
)

// EventTypes lists every event type.
func EventTypes() []EventType {
	return []EventType{EventAccountOpened, EventFrozen, EventUnfrozen, EventAccountClosed,
		EventMinted, EventRedeemed, EventTransferred, EventMerged}
}

// Envelope is the payload of a transaction's chaincode event: every
// business event of the transaction, in order.
type Envelope struct {
	Version   int       `json:"version"`
	TxID      string    `json:"txId"`
	Timestamp time.Time `json:"timestamp"`
	Events    []Event   `json:"events"`
}

// Event is one business event. Fields not relevant to a type are omitted.
type Event struct {
	Type EventType `json:"type"`
	// ID is the business ID: payment, mint, redeem or merge ID; the account
	// ID for account events.
	ID      string       `json:"id"`
	Account string       `json:"account,omitempty"`
	MSP     string       `json:"msp,omitempty"`
	From    string       `json:"from,omitempty"`
	To      string       `json:"to,omitempty"`
	FromMSP string       `json:"fromMsp,omitempty"`
	ToMSP   string       `json:"toMsp,omitempty"`
	Amount  money.Amount `json:"amount,omitempty"`
	Reason  string       `json:"reason,omitempty"`
}

// MSPs returns the provinces an event concerns (for delivering it only to
// clients that may see it).
func (e Event) MSPs() []string {
	var out []string
	for _, m := range []string{e.MSP, e.FromMSP, e.ToMSP} {
		if m != "" && (len(out) == 0 || out[0] != m) {
			out = append(out, m)
		}
	}
	return out
}
