package rest

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/yangtze-delta/settlement/api"
)

// Param is a path or query parameter.
type Param struct {
	Name string
	// In is "path" or "query".
	In       string
	Required bool
	// Schema is "string", "integer" or "date-time".
	Schema string
	Doc    string
}

// Route is one endpoint of the API.
type Route struct {
	// Name identifies the route (OpenAPI operationId, metrics label).
	Name   string
	Method string
	// Path is a net/http pattern path: "/v1/accounts/{id}".
	Path string
	// Public routes need no credentials.
	Public bool
	// Write routes submit a transaction: 201 with Committed[Result], or 202
	// with Accepted when called with ?async=true.
	Write bool
	// Stream routes answer text/event-stream with Result as each event's data.
	Stream bool
	// Accepted routes start a job: 202 with Result for a new one, 200 with
	// Result for a repeat of an existing one.
	Accepted bool
	// CSV routes also take their body as text/csv (see the route's summary).
	CSV bool
	// Body is the request body's type; nil when the route takes none.
	Body reflect.Type
	// Result is the response type (for writes: Committed's type parameter).
	Result  reflect.Type
	Params  []Param
	Summary string
}

// SuccessStatus is the status of a successful synchronous answer.
func (r Route) SuccessStatus() int {
	if r.Accepted {
		return http.StatusAccepted
	}
	if r.Write {
		return http.StatusCreated
	}
	return http.StatusOK
}

// PathFor fills the route's path parameters in order.
func (r Route) PathFor(values ...string) string {
	p := r.Path
	for _, v := range values {
		i := strings.IndexByte(p, '{')
		j := strings.IndexByte(p, '}')
		if i < 0 || j < i {
			break
		}
		p = p[:i] + escapePath(v) + p[j+1:]
	}
	return p
}

func escapePath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return b.String()
}

func typ[T any]() reflect.Type { return reflect.TypeFor[T]() }

var (
	pathID     = Param{Name: "id", In: "path", Required: true, Schema: "string"}
	pageSize   = Param{Name: "pageSize", In: "query", Schema: "integer", Doc: "1 to 1000, default 100"}
	bookmark   = Param{Name: "bookmark", In: "query", Schema: "string", Doc: "the bookmark of the previous page, unchanged"}
	asyncParam = Param{Name: "async", In: "query", Schema: "string", Doc: "true: answer 202 at once and run the write in the background"}
)

// The routes of API v1.
var (
	Healthz    = Route{Name: "healthz", Method: "GET", Path: "/healthz", Public: true, Result: typ[Health](), Summary: "the process is alive"}
	Readyz     = Route{Name: "readyz", Method: "GET", Path: "/readyz", Public: true, Result: typ[Health](), Summary: "the peer and the chaincode answer"}
	OpenAPIDoc = Route{Name: "openapi", Method: "GET", Path: "/openapi.json", Public: true, Summary: "this document"}
	DocsPage   = Route{Name: "docs", Method: "GET", Path: "/docs", Public: true, Summary: "the API reference in a browser"}

	GetWhoAmI  = Route{Name: "whoami", Method: "GET", Path: "/v1/whoami", Result: typ[WhoAmI](), Summary: "who the caller is on the ledger"}
	GetNetwork = Route{Name: "network", Method: "GET", Path: "/v1/network", Result: typ[Network](), Summary: "what this gateway is connected to"}
	CreatePing = Route{Name: "createPing", Method: "POST", Path: "/v1/pings", Write: true, Body: typ[PingRequest](), Result: typ[Ping](), Summary: "write a ping record (end-to-end check)"}
	GetPing    = Route{Name: "getPing", Method: "GET", Path: "/v1/pings/{id}", Result: typ[Ping](), Params: []Param{pathID}, Summary: "read a ping record"}

	OpenAccount     = Route{Name: "openAccount", Method: "POST", Path: "/v1/accounts", Write: true, Body: typ[OpenAccountRequest](), Result: typ[Account](), Summary: "open an account"}
	GetAccount      = Route{Name: "getAccount", Method: "GET", Path: "/v1/accounts/{id}", Result: typ[Account](), Params: []Param{pathID}, Summary: "read an account"}
	GetBalance      = Route{Name: "getBalance", Method: "GET", Path: "/v1/accounts/{id}/balance", Result: typ[Balance](), Params: []Param{pathID}, Summary: "an account's balance"}
	ListOutputs     = Route{Name: "listOutputs", Method: "GET", Path: "/v1/accounts/{id}/outputs", Result: typ[OutputPage](), Params: []Param{pathID, pageSize, bookmark}, Summary: "page through an account's unspent outputs"}
	GetStatement    = Route{Name: "getStatement", Method: "GET", Path: "/v1/accounts/{id}/statement", Result: typ[StatementPage](), Params: []Param{pathID, {Name: "from", In: "query", Schema: "date-time", Doc: "RFC 3339, default 24 hours before to"}, {Name: "to", In: "query", Schema: "date-time", Doc: "RFC 3339, exclusive, default now"}, pageSize, bookmark}, Summary: "page through an account's statement"}
	FreezeAccount   = Route{Name: "freezeAccount", Method: "POST", Path: "/v1/accounts/{id}/freeze", Write: true, Body: typ[FreezeRequest](), Result: typ[Account](), Params: []Param{pathID}, Summary: "freeze an account"}
	UnfreezeAccount = Route{Name: "unfreezeAccount", Method: "POST", Path: "/v1/accounts/{id}/unfreeze", Write: true, Result: typ[Account](), Params: []Param{pathID}, Summary: "unfreeze an account"}
	CloseAccount    = Route{Name: "closeAccount", Method: "POST", Path: "/v1/accounts/{id}/close", Write: true, Result: typ[Account](), Params: []Param{pathID}, Summary: "close an account with a zero balance"}
	MergeOutputs    = Route{Name: "mergeOutputs", Method: "POST", Path: "/v1/accounts/{id}/merge", Write: true, Body: typ[MergeRequest](), Result: typ[Merge](), Params: []Param{pathID}, Summary: "consolidate an account's outputs"}

	CreateProposal  = Route{Name: "createProposal", Method: "POST", Path: "/v1/proposals", Write: true, Body: typ[ProposalRequest](), Result: typ[Proposal](), Summary: "propose a mint, redemption, issuance ceiling or configuration change"}
	GetProposal     = Route{Name: "getProposal", Method: "GET", Path: "/v1/proposals/{id}", Result: typ[Proposal](), Params: []Param{pathID}, Summary: "read a proposal and its approvals"}
	ApproveProposal = Route{Name: "approveProposal", Method: "POST", Path: "/v1/proposals/{id}/approve", Write: true, Result: typ[Proposal](), Params: []Param{pathID}, Summary: "approve a proposal as the caller"}
	ExecuteProposal = Route{Name: "executeProposal", Method: "POST", Path: "/v1/proposals/{id}/execute", Write: true, Body: typ[ExecuteRequest](), Result: typ[Execution](), Params: []Param{pathID}, Summary: "carry out an approved proposal (once)"}
	CancelProposal  = Route{Name: "cancelProposal", Method: "POST", Path: "/v1/proposals/{id}/cancel", Write: true, Result: typ[Proposal](), Params: []Param{pathID}, Summary: "withdraw a pending proposal"}
	GetCeiling      = Route{Name: "getCeiling", Method: "GET", Path: "/v1/ceilings/{msp}", Result: typ[Ceiling](), Params: []Param{{Name: "msp", In: "path", Required: true, Schema: "string"}}, Summary: "a province's issuance ceiling and what it issued"}

	CreatePayment      = Route{Name: "createPayment", Method: "POST", Path: "/v1/payments", Write: true, Body: typ[PaymentRequest](), Result: typ[Payment](), Summary: "pay"}
	GetPayment         = Route{Name: "getPayment", Method: "GET", Path: "/v1/payments/{id}", Result: typ[Payment](), Params: []Param{pathID}, Summary: "read a payment"}
	CreatePaymentBatch = Route{Name: "createPaymentBatch", Method: "POST", Path: "/v1/payment-batches", Write: true, Body: typ[BatchRequest](), Result: typ[BatchResult](), Summary: "settle up to 500 payments in one transaction"}

	GetSupply   = Route{Name: "getSupply", Method: "GET", Path: "/v1/supply", Result: typ[Supply](), Summary: "the total supply"}
	AuditSupply = Route{Name: "auditSupply", Method: "GET", Path: "/v1/supply/audit", Result: typ[SupplyAudit](), Summary: "compare the supply with every unspent output (slow)"}

	GetOperation = Route{Name: "getOperation", Method: "GET", Path: "/v1/operations/{id}", Result: typ[Operation](), Params: []Param{pathID}, Summary: "the state of an asynchronous write"}
	StreamEvents = Route{Name: "events", Method: "GET", Path: "/v1/events", Stream: true, Result: typ[TxEvents](), Params: []Param{
		{Name: "type", In: "query", Schema: "string", Doc: "only transactions with an event of this type"},
		{Name: "account", In: "query", Schema: "string", Doc: "only transactions with an event naming this account"},
		{Name: "fromBlock", In: "query", Schema: "integer", Doc: "start at this block (without Last-Event-ID)"},
		{Name: "lastEventId", In: "query", Schema: "string", Doc: "resume after this event id (or the Last-Event-ID header)"},
	}, Summary: "committed business events as Server-Sent Events"}
)

// Routes returns every route, in documentation order.
func Routes() []Route {
	routes := []Route{Healthz, Readyz, OpenAPIDoc, DocsPage, GetWhoAmI, GetNetwork, CreatePing, GetPing,
		OpenAccount, GetAccount, GetBalance, ListOutputs, GetStatement, FreezeAccount, UnfreezeAccount, CloseAccount, MergeOutputs,
		CreateProposal, GetProposal, ApproveProposal, ExecuteProposal, CancelProposal, GetCeiling, CreatePayment, GetPayment, CreatePaymentBatch, GetSupply, AuditSupply,
		GetOperation, StreamEvents}
	routes = append(routes, programmeRoutes()...)
	return append(routes, interbankRoutes()...)
}

// Limits the gateway enforces at the edge.
const (
	MaxBatchItems  = api.MaxBatchItems
	MaxPageSize    = api.MaxPageSize
	AsyncParam     = "async"
	RetryAfterSecs = 1
)
