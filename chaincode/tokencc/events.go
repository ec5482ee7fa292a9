package tokencc

import (
	"encoding/json"
	"time"

	"github.com/yangtze-delta/settlement/chaincode/money"
	"github.com/yangtze-delta/settlement/chaincode/token"
)

// EventName is the name of the one chaincode event each transaction sets.
const EventName = "yrd"

// EnvelopeVersion is the version of the event payload format.
const EnvelopeVersion = 1

// Event types.
const (
	EventAccountOpened = "AccountOpened"
	EventFrozen        = "Frozen"
	EventUnfrozen      = "Unfrozen"
	EventAccountClosed = "AccountClosed"
	EventMinted        = "Minted"
	EventRedeemed      = "Redeemed"
	EventTransferred   = "Transferred"
	EventMerged        = "Merged"
)

// Envelope is the payload of the transaction's chaincode event: every
// business event of the transaction, in order.
type Envelope struct {
	Version   int       `json:"version"`
	TxID      string    `json:"txId"`
	Timestamp time.Time `json:"timestamp"`
	Events    []Event   `json:"events"`
}

// Event is one business event. Fields not relevant to a type are omitted.
type Event struct {
	Type string `json:"type"`
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

// flush sets the transaction's single chaincode event.
func (s *txState) flush() error {
	events := s.events
	if events == nil {
		events = []Event{}
	}
	b, err := json.Marshal(Envelope{Version: EnvelopeVersion, TxID: s.tx.ID, Timestamp: s.tx.Time, Events: events})
	if err != nil {
		return token.Internal(err, "encode event")
	}
	if err := s.stub.SetEvent(EventName, b); err != nil {
		return token.Internal(err, "set event")
	}
	return nil
}
