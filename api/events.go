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

// Event types of the governance contract.
const (
	EventProposed      EventType = "Proposed"
	EventApproved      EventType = "Approved"
	EventExecuted      EventType = "Executed"
	EventCancelled     EventType = "Cancelled"
	EventCeilingSet    EventType = "CeilingSet"
	EventConfigChanged EventType = "ConfigChanged"
)

// Event types of the programme contract.
const (
	EventProgrammeDefined  EventType = "ProgrammeDefined"
	EventProgrammeApproved EventType = "ProgrammeApproved"
	EventTrancheFunded     EventType = "TrancheFunded"
	EventDisbursed         EventType = "Disbursed"
	EventEarmarkSpent      EventType = "EarmarkSpent"
	EventEarmarkReleased   EventType = "EarmarkReleased"
	EventExpired           EventType = "Expired"
	EventClawedBack        EventType = "ClawedBack"
)

// Event types of the interbank contract (Cancelled is shared with the
// governance contract; an interbank one carries From and To).
const (
	EventQueued   EventType = "Queued"
	EventSettled  EventType = "Settled"
	EventRejected EventType = "Rejected"
)

// EventTypes lists every event type.
func EventTypes() []EventType {
	return []EventType{EventAccountOpened, EventFrozen, EventUnfrozen, EventAccountClosed,
		EventMinted, EventRedeemed, EventTransferred, EventMerged,
		EventProposed, EventApproved, EventExecuted, EventCancelled, EventCeilingSet, EventConfigChanged,
		EventProgrammeDefined, EventProgrammeApproved, EventTrancheFunded, EventDisbursed, EventEarmarkSpent,
		EventEarmarkReleased, EventExpired, EventClawedBack, EventQueued, EventSettled, EventRejected}
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
// Events carry amounts and bank codes (visible to every province for
// supervision), never customer references, freeze reasons or remittance
// details.
type Event struct {
	Type EventType `json:"type"`
	// ID is the business ID: payment, proposal or merge ID; the account ID
	// for account events.
	ID       string       `json:"id"`
	Account  string       `json:"account,omitempty"`
	MSP      string       `json:"msp,omitempty"`
	Bank     string       `json:"bank,omitempty"`
	From     string       `json:"from,omitempty"`
	To       string       `json:"to,omitempty"`
	FromMSP  string       `json:"fromMsp,omitempty"`
	ToMSP    string       `json:"toMsp,omitempty"`
	FromBank string       `json:"fromBank,omitempty"`
	ToBank   string       `json:"toBank,omitempty"`
	Amount   money.Amount `json:"amount,omitempty"`
	Action   Action       `json:"action,omitempty"`
	// Programme and Count describe programme events (Count: lines paid by a
	// disbursement).
	Programme string `json:"programme,omitempty"`
	Tranche   int    `json:"tranche,omitempty"`
	Count     int    `json:"count,omitempty"`
	// Cycle is the settlement cycle that settled an interbank transfer
	// ("" when it settled gross); ValueDate and Priority describe one.
	Cycle     string `json:"cycle,omitempty"`
	ValueDate string `json:"valueDate,omitempty"`
	Priority  string `json:"priority,omitempty"`
}

// Concerns reports whether the event is about province msp and, when bank
// is not empty, about that bank of it: what a client of that province and
// bank may see.
func (e Event) Concerns(msp, bank string) bool {
	for _, p := range [][2]string{{e.MSP, e.Bank}, {e.FromMSP, e.FromBank}, {e.ToMSP, e.ToBank}} {
		if p[0] == msp && (bank == "" || p[1] == bank) {
			return true
		}
	}
	return false
}
